"""Showing a service's refusal (a core.errors.DomainError, or any ValidationError) on the form
that fed it."""


def attach_errors(form, exc, *, fields=None):
    """Put each message beside the field it names, or on top of the form when it names no field
    of this form (or no field at all). `fields` maps a field the service names to the form's own
    name for it (None: on top of the form)."""
    mapping = fields or {}
    if hasattr(exc, "error_dict"):
        for field, errors in exc.error_dict.items():
            field = mapping.get(field, field)
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc)
