"""The pages a phone keeps for use without signal (GET /offline/pages.json).

Only what the user's role may see anyway: each list comes through the owning app's access helper
(grid.access, study.access, concerns.access), and each page is then fetched by the phone with the user's own
session, so its view checks it again. The lists are bounded: a grid of 300 households keeps the
`MAX_HOUSEHOLDS` due soonest, not all of them.
"""

import datetime

from django.db.models import F
from django.urls import reverse
from django.utils import timezone

from zhenwu.concerns import access as concerns_access
from zhenwu.core.roles import role_of
from zhenwu.grid import access as grid_access
from zhenwu.grid import cadence
from zhenwu.study import access as study_access

from .access import uses_offline_app

MAX_HOUSEHOLDS = 30
MAX_SESSIONS = 10
MAX_LESSONS = 10


def _household_pages(user):
    if role_of(user) not in grid_access.READ_ROLES:
        return []
    households = cadence.with_cadence(grid_access.visible_households(user), root=grid_access.scope_root(user))
    ids = list(
        households.order_by(F("due_key").asc(nulls_last=True), "number").values_list("pk", flat=True)[:MAX_HOUSEHOLDS]
    )
    can_visit = grid_access.can_record_visit(user)
    urls = [reverse("grid:visit_home")]
    for pk in ids:
        urls.append(reverse("grid:household_detail", args=[pk]))
        if can_visit:
            urls.append(reverse("grid:visit_create", args=[pk]))
    if grid_access.can_manage_meetings(user):
        urls.append(reverse("grid:meeting_create"))
    return urls


def _study_pages(user):
    urls = []
    today = timezone.localdate()
    start = timezone.make_aware(datetime.datetime.combine(today, datetime.time.min))
    sessions = (
        study_access.visible_sessions(user)
        .filter(starts_at__gte=start, starts_at__lt=start + datetime.timedelta(days=1))
        .order_by("starts_at")
        .values_list("pk", flat=True)[:MAX_SESSIONS]
    )
    urls += [reverse("study:session_detail", args=[pk]) for pk in sessions]
    if study_access.member_for(user) is not None:
        urls.append(reverse("study:my_study"))
        pending = (
            study_access.visible_home_lessons(user)
            .filter(member__user=user, confirmed_at__isnull=True)
            .order_by("-pk")
            .values_list("pk", flat=True)[:MAX_LESSONS]
        )
        urls += [reverse("study:lesson_detail", args=[pk]) for pk in pending]
    if study_access.can_record_lessons(user):
        urls.append(reverse("study:lesson_create"))
    if study_access.can_record_site_checks(user):
        urls.append(reverse("study:site_check_create"))
    return urls


def offline_pages(user):
    """The URLs (paths) this user's phone keeps, in the order it should fetch them."""
    if not uses_offline_app(user):
        return []
    urls = [reverse("reports:home"), reverse("offline:queue")]
    urls += _household_pages(user)
    urls += _study_pages(user)
    if concerns_access.can_register_for_residents(user):
        urls.append(reverse("concerns:concern_register"))
    return list(dict.fromkeys(urls))

