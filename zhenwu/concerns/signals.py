"""Signals of the concerns app, for the apps above it (docs/architecture.md, "Events")."""

from django.dispatch import Signal

# Sent by services.complete_pending_intakes (the worker) inside its transaction, once the batch's
# dispatchers are notified, with `concerns` (the batch, category and town loaded). A receiver only
# records what it owes (e.g. the router queues its suggestions) and does the work in its own worker
# task: a receiver that raises rolls the intake back, and the batch is taken in again on the next pass.
intake_completed = Signal()
