"""Reusable reads of concerns, projects and notifications, scope (`visible_to`) first among them.

Scope of a concern (tested as a matrix in tests/test_scope.py):
- town_admin, leader, dispatcher: every concern in their area (a town; a county account sees its towns);
- handler: the concerns currently assigned to their department;
- secretary: their village (or community); grid_worker: their grid;
- instructor, member, anonymous: none (residents follow their own concern by its private link).
"""

from django.db import models
from django.db.models import Case, Exists, F, OuterRef, Q, Subquery, Value, When
from django.utils import timezone

from zhenwu.core.roles import AREA_SCOPED, TOWN_WIDE, Role
from zhenwu.org.models import AreaLevel

# A search box's text is bounded before it reaches a query: at most this many terms, each cut to
# this many characters.
SEARCH_MAX_TERMS = 5
SEARCH_MAX_TERM = 30


def search_terms(text):
    """The terms of a search box's text: split on spaces (half- and full-width alike), each cut to
    SEARCH_MAX_TERM characters, duplicates dropped, at most SEARCH_MAX_TERMS of them."""
    terms = []
    for term in str(text or "")[: SEARCH_MAX_TERMS * (SEARCH_MAX_TERM + 1) * 2].split():
        term = term[:SEARCH_MAX_TERM]
        if term not in terms:
            terms.append(term)
    return terms[:SEARCH_MAX_TERMS]


# Lists never need the text or the reporter (decrypting every row would dominate a page).
LIST_DEFERRED = ("text", "reporter_name", "reporter_phone", "resolution_text")


def area_scope_q(area, *, prefix=""):
    """Q for concerns inside `area`, using the denormalised column that matches its level."""
    level = area.level
    if level == "town":
        return Q(**{f"{prefix}town_id": area.pk})
    if level in ("village", "community"):
        return Q(**{f"{prefix}village_id": area.pk})
    if level == "grid":
        return Q(**{f"{prefix}area_id": area.pk})
    return Q(**{f"{prefix}area__path__startswith": area.path})


def concern_scope_q(user, *, prefix=""):
    """The Q that limits concerns to `user`'s scope, or None when the user sees none."""
    if not getattr(user, "is_authenticated", False):
        return None
    role = user.role
    if role in AREA_SCOPED:
        if user.area_id is None:
            return None
        return area_scope_q(user.area, prefix=prefix)
    if role == Role.HANDLER:
        if user.department_id is None:
            return None
        return Q(**{f"{prefix}department_id": user.department_id})
    return None


class ConcernQuerySet(models.QuerySet):
    def visible_to(self, user):
        q = concern_scope_q(user)
        return self.none() if q is None else self.filter(q)

    def held_by_level_of(self, user):
        """The concerns in the hands of `user`'s level: those the county centre holds
        (held_at_county) for a county account, the others for a town's (access.holds)."""
        area = user.area if getattr(user, "area_id", None) is not None else None
        return self.filter(held_at_county=area is not None and area.level == AreaLevel.COUNTY)

    def for_list(self, *, keep=()):
        """What list pages need, in one query: related names joined, heavy fields deferred, except
        those named in `keep` (the API's list redacts titles with the reporter's name: loaded
        with the row, it is not fetched again row by row)."""
        return self.select_related("category", "department", "village", "area", "project").defer(
            *(name for name in LIST_DEFERRED if name not in keep)
        )

    def open(self):
        from .models import OPEN_STATUSES

        return self.filter(status__in=OPEN_STATUSES)

    def public(self):
        from .models import PUBLIC_STATUSES, Status

        # Closed first: most public concerns are, and PostgreSQL tests a short IN list in its
        # order, row by row (the board map's scan tests a town's 32,000, bench/map.py).
        return self.filter(status__in=(Status.CLOSED, *(s for s in PUBLIC_STATUSES if s != Status.CLOSED)))

    def overdue(self, now=None):
        """Open with the clock running (a suspended concern is never overdue) and past its
        resolution deadline."""
        from .models import CLOCK_STATUSES

        return self.filter(status__in=CLOCK_STATUSES, resolution_due__lt=now or timezone.now())

    def response_overdue(self, now=None):
        from .models import AWAITING_RESPONSE_STATUSES

        return self.filter(
            status__in=AWAITING_RESPONSE_STATUSES,
            responded_at__isnull=True,
            response_due__lt=now or timezone.now(),
        )

    def urgent_first(self):
        """Earliest deadline first, so overdue items lead; then the oldest."""
        return self.order_by("resolution_due", "received_at", "id")

    def matching(self, text, *, fields=("title", "text", "address")):
        """Concerns matching every term of `text` (search_terms). Chinese has no spaces between
        words, so a term matches as a part of the reference (GQ-2026-000123, 2026-000123, 000123)
        or of one of `fields`; "九龙 路灯" finds the concerns that name both."""
        queryset = self
        for term in search_terms(text):
            match = Q(reference__icontains=term)
            for name in fields:
                match |= Q(**{f"{name}__icontains": term})
            queryset = queryset.filter(match)
        return queryset

    def inbox(self):
        """The dispatcher's inbox: new, accepted but not dispatched, and returned concerns."""
        from .models import Status

        return self.filter(status__in=(Status.RECEIVED, Status.ACCEPTED, Status.RETURNED)).order_by(
            "response_due", "received_at", "id"
        )

    def department_queue(self, department):
        """办理队列 of a department: 待签收 first (earliest 签收 deadline first), then the concerns
        in hand, earliest resolution deadline first (overdue ones lead), and last the suspended
        ones (已挂起: still the department's, their clock stopped), earliest expected resume date
        first; each row carries `expected_resume` (None unless suspended)."""
        from .models import Status, Suspension

        awaiting_sign = Q(status=Status.DISPATCHED)
        suspended = Q(status=Status.SUSPENDED)
        open_suspension = Suspension.objects.filter(concern=OuterRef("pk"), ended_at__isnull=True)
        return (
            self.filter(
                department=department, status__in=(Status.DISPATCHED, Status.IN_PROGRESS, Status.SUSPENDED)
            )
            .annotate(expected_resume=Subquery(open_suspension.values("expected_resume")[:1]))
            .order_by(
                Case(When(awaiting_sign, then=Value(0)), When(suspended, then=Value(2)), default=Value(1)),
                Case(
                    When(awaiting_sign, then=F("response_due")),
                    When(suspended, then=Value(None)),
                    default=F("resolution_due"),
                ),
                "expected_resume",
                "received_at",
                "id",
            )
        )

    def awaiting_call_back(self):
        from .models import Status

        return self.filter(status=Status.RESOLVED).order_by("resolved_at", "id")

    def with_reporter_phone(self, phone):
        """Concerns reported from this phone number (through its blind index; the number itself is
        stored encrypted), e.g. for a dispatcher taking a repeat call. Malformed numbers match none."""
        from zhenwu.lib.crypto import blind_index
        from zhenwu.lib.phone import InvalidPhone, normalise_phone

        try:
            phone = normalise_phone(phone)
        except InvalidPhone:
            return self.none()
        return (
            self.filter(reporter_phone_hash=blind_index(phone, purpose="concern_phone"))
            if phone
            else self.none()
        )

    def supervised(self):
        return self.open().filter(is_supervised=True).urgent_first()


class ProjectQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Town-wide roles: the projects of their town; others: projects of concerns they see."""
        if not getattr(user, "is_authenticated", False):
            return self.none()
        if user.role in TOWN_WIDE and user.area_id is not None:
            area = user.area
            if area.level == "town":
                return self.filter(town_id=area.pk)
            return self.filter(town__path__startswith=area.path)
        from .models import Concern

        q = concern_scope_q(user)
        if q is None:
            return self.none()
        if user.role == Role.HANDLER:
            q |= Q(project__department_id=user.department_id)
        return self.filter(Exists(Concern.objects.filter(q, project=OuterRef("pk"))))


class NotificationQuerySet(models.QuerySet):
    def for_user(self, user):
        if not getattr(user, "is_authenticated", False):
            return self.none()
        return self.filter(recipient=user)

    def unread(self):
        return self.filter(read_at__isnull=True)


class CategoryQuerySet(models.QuerySet):
    def for_town(self, town_id):
        """The categories a town's concerns may take: the county catalogue and the town's own
        extra ones. Without a town (a county account, a page for the whole deployment), all."""
        if town_id is None:
            return self
        return self.filter(Q(town__isnull=True) | Q(town_id=town_id))
