"""Signals of the concerns app, for the apps above it (docs/architecture.md, "Events")."""

from django.dispatch import Signal

from zhenwu.core.slots import declare_slot

# Sent by services.complete_pending_intakes (the worker) inside its transaction, once the batch's
# dispatchers are notified, with `concerns` (the batch, category and town loaded). A receiver only
# records what it owes (e.g. the router queues its suggestions) and does the work in its own worker
# task: a receiver that raises rolls the intake back, and the batch is taken in again on the next pass.
intake_completed = Signal()

# Slots of the staff pages (zhenwu.core.slots): places the apps above fill with their own fragments,
# each receiver returning HTML or None, so these pages never name those apps.
#
# The concern page, after the facts card, with `concern` (the page has checked the reader's scope;
# the reader is context["request"].user). The router puts its suggestion card here.
concern_detail_cards = declare_slot("concerns.concern_detail_cards")
# The inbox's rows, in the category cell of each, with `concern` and `page` (the page of concerns
# the table shows: load data for the whole page once, with core.slots.once_per_render). The router
# puts its one-line suggestion here. Other lists of concerns offer no such slot.
inbox_row_category = declare_slot("concerns.inbox_row_category")
