"""交办单 downloads: a concern's dispatch sheet as PDF or Word, for staff who can see the concern."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.utils.http import content_disposition_header
from django.views.decorators.http import require_GET

from zhenwu.concerns import access as concern_access
from zhenwu.concerns.models import ConcernEvent, EventKind

from ..dispatch_sheet import SheetFormat, export_dispatch_sheet


@login_required
@require_GET
def dispatch_sheet(request, pk, event_id, fmt):
    if fmt not in SheetFormat.ALL:
        raise Http404("没有这种格式")
    concern = concern_access.get_concern_for_user(
        request.user, pk, related=("category", "department", "area", "village", "town")
    )
    try:
        event = ConcernEvent.objects.select_related("department", "actor").get(
            pk=event_id, concern=concern, kind=EventKind.DISPATCHED
        )
    except ConcernEvent.DoesNotExist:
        raise Http404("没有这次派单") from None
    data, filename, content_type = export_dispatch_sheet(concern, event, fmt=fmt)
    response = HttpResponse(data, content_type=content_type)
    response["Content-Disposition"] = content_disposition_header(as_attachment=True, filename=filename)
    return response
