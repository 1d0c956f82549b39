"""Reading request parameters."""


def int_or_none(value):
    """`value` as an int, or None when it is missing or not a whole number (a query parameter,
    a form value)."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return None
