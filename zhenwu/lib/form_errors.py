"""Showing a service's ValidationError on the form that fed it."""


def attach_errors(form, exc):
    """Put each message beside the field it names, or on top of the form when it names no field
    of this form (or no field at all)."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)
