"""Signals of the org app, for apps it does not import that keep copies of its data."""

from django.dispatch import Signal

# Sent by services.update_household inside its transaction when a household changes grid, with
# `household` (saved, in its new grid) and `from_grid_id`. The grid app's links carry the grid.
household_moved = Signal()

# Sent by the member page (org.views.people.member_detail) with `member` and `user` (who reads the
# page). A receiver returns an HTML fragment (or None) about the member from its own app — the grid
# app's 六员 and 六表率, say — so the page shows them without this app naming the apps above it.
member_page_sections = Signal()
