"""Small helpers shared by the study views."""

from django.http import FileResponse, Http404
from django.shortcuts import render


def render_page(request, template, context, *, partial="results"):
    """The whole page, or for an htmx request (not boosted) only its `partial` block."""
    if request.htmx and not request.htmx.boosted and partial:
        template = f"{template}#{partial}"
    return render(request, template, context)


def stored_file(field_file, *, content_type, filename=None, attachment=False):
    """A stored upload served to someone the view has already checked; private to the browser."""
    if not field_file:
        raise Http404
    try:
        handle = field_file.open("rb")
    except (FileNotFoundError, OSError):
        raise Http404 from None
    response = FileResponse(handle, content_type=content_type, as_attachment=attachment, filename=filename)
    response["Cache-Control"] = "private, max-age=3600"
    return response
