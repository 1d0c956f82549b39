"""Masking of personal numbers for screens, exports and APIs (PIPL: masked by default)."""


def mask_phone(value):
    """138****8000 for an 11-digit mobile; other numbers keep their first 3 and last 2 characters."""
    if not value:
        return ""
    value = str(value)
    if len(value) == 11:
        return f"{value[:3]}****{value[-4:]}"
    if len(value) <= 4:
        return "*" * len(value)
    return f"{value[:3]}{'*' * (len(value) - 5)}{value[-2:]}"


def mask_id_number(value):
    """430181********1234: region code kept, birth date and sequence hidden, last 4 kept."""
    if not value:
        return ""
    value = str(value)
    if len(value) == 18:
        return f"{value[:6]}********{value[-4:]}"
    if len(value) <= 4:
        return "*" * len(value)
    return f"{value[:2]}{'*' * (len(value) - 4)}{value[-2:]}"


def mask_name(value):
    """张** — for the rare place a name must be hinted at without being shown."""
    if not value:
        return ""
    return value[0] + "*" * (len(value) - 1)
