"""Photos of the month's 民情办理 for the briefing, from the records that have them:

- work photos of the concerns resolved in the month: those the staff added while handling them
  (uploaded by an account after the concern was dispatched), never the residents' own photos of
  their home or street, and never a photo registered with the intake;
- images attached to the stages of projects that were finished in the month (public attachments
  only: a JPEG or PNG, such as the site before works or a signed approval).

Concerns that more residents raised come first. Each photo is {"name": storage name, "caption"}.
"""

from django.db.models import Count, F, Q

from zhenwu.concerns.models import ConcernPhoto, ProjectDocument, Status

MAX_CONCERN_PHOTOS = 4
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png")


def concern_photos(scope, *, limit=MAX_CONCERN_PHOTOS):
    work = (ConcernPhoto.objects
            .filter(scope.in_area("concern__area"), concern__resolved_at__gte=scope.start_at,
                    concern__resolved_at__lte=scope.end_at, concern__status__in=(Status.RESOLVED, Status.CLOSED),
                    uploaded_by__isnull=False, concern__dispatched_at__isnull=False,
                    uploaded_at__gt=F("concern__dispatched_at"))
            .annotate(residents=Count("concern__followers", filter=Q(concern__followers__user__isnull=True)))
            .select_related("concern")
            .order_by("-residents", "concern__resolved_at", "id"))
    photos = [{"name": p.file.name, "caption": f"“{p.concern.title}”办理现场"} for p in work[:limit]]
    documents = (ProjectDocument.objects
                 .filter(Q(stage__project__town__path__startswith=scope.area.path)
                         | Q(stage__project__concerns__area__path__startswith=scope.area.path),
                         is_public=True, stage__actual_end__gte=scope.start, stage__actual_end__lte=scope.end)
                 .select_related("stage__project").distinct().order_by("stage__actual_end", "id"))
    for doc in documents:
        if len(photos) >= limit:
            break
        if doc.file.name.lower().endswith(IMAGE_SUFFIXES):
            photos.append({"name": doc.file.name,
                           "caption": f"{doc.stage.project.name}{doc.stage.get_kind_display()}：{doc.title}"})
    return photos
