"""Signals of the org app, for apps it does not import that keep copies of its data."""

from django.dispatch import Signal

# Sent by services.update_household inside its transaction when a household changes grid, with
# `household` (saved, in its new grid) and `from_grid_id`. The grid app's links carry the grid.
household_moved = Signal()
