"""The dashboard's map (数据看板 → 民情分布): the concerns the reader may see in the filter's area and
period, counted by village (by town for a county) to shade the village outlines; the open ones
past their deadline that carry a point, as red dots; the projects those concerns belong to, where
the works are. Embedded in the page as JSON (no request of its own), bounded by MAX_POINTS.
"""

import datetime

from django.db.models import Count
from django.urls import reverse
from django.utils import timezone

from zhenwu.org.models import AreaLevel
from zhenwu.workdays import calendar as workdays

MAX_POINTS = 500


def _local_midnight(day):
    return datetime.datetime.combine(day, datetime.time.min, tzinfo=workdays.local_zone())


def concern_map(user, flt, *, now=None):
    from zhenwu.concerns.models import Concern, Project, Status
    from zhenwu.concerns.querysets import area_scope_q

    now = now or timezone.now()
    concerns = Concern.objects.visible_to(user).filter(area_scope_q(flt.area))
    dim = "town" if flt.area.level == AreaLevel.COUNTY else "village"
    counts = (
        concerns.filter(received_at__gte=_local_midnight(flt.start),
                        received_at__lt=_local_midnight(flt.end + datetime.timedelta(days=1)))
        .exclude(status=Status.DUPLICATE)
        .filter(**{f"{dim}__isnull": False})
        .order_by().values(dim).annotate(n=Count("id")).values_list(dim, "n")
    )
    located = concerns.overdue(now).filter(latitude__isnull=False, longitude__isnull=False)
    rows = list(located.order_by("resolution_due", "id")
                .values("pk", "reference", "title", "latitude", "longitude")[: MAX_POINTS + 1])
    overdue = [
        {"lat": float(row["latitude"]), "lng": float(row["longitude"]), "ref": row["reference"],
         "title": row["title"], "url": reverse("concerns:concern_detail", args=[row["pk"]])}
        for row in rows[:MAX_POINTS]
    ]
    projects = [
        {"lat": float(p.latitude), "lng": float(p.longitude), "name": p.name, "stage": p.get_stage_display(),
         "url": reverse("concerns:project_detail", args=[p.pk])}
        for p in Project.objects.filter(
            pk__in=concerns.filter(project__isnull=False).values("project"),
            latitude__isnull=False, longitude__isnull=False,
        ).order_by("pk")[:MAX_POINTS]
    ]
    return {
        "dim": dim,
        "counts": {str(pk): n for pk, n in counts},
        "overdue": overdue,
        "overdue_more": len(rows) > MAX_POINTS,
        "projects": projects,
    }
