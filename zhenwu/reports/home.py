"""What each role's home page shows: its scope, the counts that matter within it, and the people
who need attention first (members who need lessons at home, elderly people living alone).

Every figure is read through the scoped querysets, so a home page never counts beyond its scope.
The number of queries does not depend on the size of the town.
"""


from django.db.models import Count, F, Q
from django.urls import reverse
from django.utils import timezone

from zhenwu.concerns.models import CLOCK_STATUSES, OPEN_STATUSES, Concern, Status
from zhenwu.core.roles import AREA_SCOPED, ORG_SCOPED, Role
from zhenwu.org.access import visible_party_orgs
from zhenwu.org.models import (
    Area,
    AreaLevel,
    Department,
    Household,
    Member,
    Resident,
    ResidentTag,
    town_of,
)
from zhenwu.workdays.calendar import unknown_schedule_years, workday_overrides

HOUSEHOLD_ROLES = AREA_SCOPED
MEMBER_ROLES = ORG_SCOPED
TOWN_OVERVIEW_ROLES = (Role.TOWN_ADMIN, Role.LEADER)
CONCERN_ROLES = (Role.TOWN_ADMIN, Role.LEADER, Role.DISPATCHER, Role.HANDLER, Role.SECRETARY, Role.GRID_WORKER)
ATTENTION_LIMIT = 8


def _needs_home_study(prefix=""):
    """Members who get their lessons at home (Member.needs_home_study), as a Q; `prefix` reaches
    them through a relation ("members__")."""
    return Q(**{f"{prefix}is_elderly": True}) | Q(**{f"{prefix}is_ill": True}) | Q(**{f"{prefix}is_migrant": True})


def home_context(user):
    cards = []
    role = user.role
    own_member = Member.objects.filter(user=user).select_related("party_org").first() if role == Role.MEMBER else None
    context = {"scope_label": scope_label(user, own_member=own_member), "cards": cards}

    if role in HOUSEHOLD_ROLES:
        residents = Resident.objects.visible_to(user)
        cards.append({"label": "住户", "value": Household.objects.visible_to(user).count(), "unit": "户"})
        cards.append({"label": "居民", "value": residents.count(), "unit": "人"})
        if role in (Role.GRID_WORKER, Role.SECRETARY):
            living_alone = _living_alone(residents)
            cards.append({"label": "独居老人", "value": living_alone.count(), "unit": "人"})
            context["living_alone"] = _with_age(living_alone[:ATTENTION_LIMIT])

    if role in MEMBER_ROLES:
        members = Member.objects.visible_to(user).filter(is_active=True)
        counts = members.aggregate(
            total=Count("id"),
            home=Count("id", filter=_needs_home_study()),
            migrant=Count("id", filter=Q(is_migrant=True)),
        )
        cards.append({"label": "党员", "value": counts["total"], "unit": "名"})
        cards.append({"label": "需送学上门", "value": counts["home"], "unit": "名"})
        cards.append({"label": "流动党员", "value": counts["migrant"], "unit": "名"})
        context["home_study"] = list(members.filter(_needs_home_study()).select_related("party_org").order_by("birth_date", "name")[:ATTENTION_LIMIT])
        if role in (Role.INSTRUCTOR, Role.SECRETARY):
            context["branches"] = _branch_table(user)

    if role in TOWN_OVERVIEW_ROLES:
        context["villages"] = _village_table(user)
        town = town_of(user)
        if town is not None:
            cards.append({
                "label": "职能部门",
                "value": Department.objects.filter(town=town, is_active=True).count(),
                "unit": "个",
            })

    if role in CONCERN_ROLES:
        context["concern_cards"] = _concern_cards(user)

    if role == Role.TOWN_ADMIN:  # who can enter the year's holidays
        context["calendar_years_unknown"] = unknown_schedule_years(timezone.localdate(), workday_overrides())

    if role == Role.MEMBER:
        context["own_member"] = own_member
    if role == Role.HANDLER:
        context["department"] = user.department
    return context


def _concern_cards(user):
    """The concern figures each role works from (one aggregate over the user's scope), each
    linked to the list that shows them."""
    now = timezone.now()
    is_open = Q(status__in=OPEN_STATUSES)
    # Every card counts open or resolved concerns: the aggregate reads only those (an index on
    # status), not the town's whole history, most of which is closed.
    active = (*OPEN_STATUSES, Status.RESOLVED)
    counts = Concern.objects.visible_to(user).filter(status__in=active).aggregate(
        open=Count("id", filter=is_open),
        overdue=Count("id", filter=Q(status__in=CLOCK_STATUSES, resolution_due__lt=now)),
        inbox=Count("id", filter=Q(status__in=(Status.RECEIVED, Status.ACCEPTED, Status.RETURNED))),
        queue=Count("id", filter=Q(status__in=(Status.DISPATCHED, Status.IN_PROGRESS))),
        supervised=Count("id", filter=is_open & Q(is_supervised=True)),
        call_back=Count("id", filter=Q(status=Status.RESOLVED)),
    )
    listing = reverse("concerns:concern_list")
    overdue_url = f"{listing}?status=open&overdue=on"
    role = user.role
    if role in (Role.TOWN_ADMIN, Role.DISPATCHER):
        cards = [
            ("待受理派单", counts["inbox"], reverse("concerns:inbox")),
            ("未办结", counts["open"], f"{listing}?status=open"),
            ("超期", counts["overdue"], overdue_url),
            ("待回访", counts["call_back"], reverse("concerns:callback_list")),
        ]
    elif role == Role.HANDLER:
        cards = [
            ("待办", counts["queue"], reverse("concerns:queue")),
            ("超期", counts["overdue"], overdue_url),
            ("待回访", counts["call_back"], f"{listing}?status=resolved"),
        ]
    elif role == Role.LEADER:
        cards = [
            ("未办结", counts["open"], f"{listing}?status=open"),
            ("超期", counts["overdue"], reverse("concerns:supervision")),
            ("督办中", counts["supervised"], reverse("concerns:supervision")),
            ("待回访", counts["call_back"], f"{listing}?status=resolved"),
        ]
    else:
        cards = [
            ("未办结", counts["open"], f"{listing}?status=open"),
            ("超期", counts["overdue"], overdue_url),
            ("待回访", counts["call_back"], f"{listing}?status=resolved"),
        ]
    return [{"label": label, "value": value, "url": url} for label, value, url in cards]


def _living_alone(residents):
    """Residents tagged 独居老人 (an ordinary, unencrypted tag), oldest first. Tags come from a fixed
    vocabulary stored as a JSON list, so matching the quoted value in the JSON text is exact and
    runs in the database on SQLite and PostgreSQL alike (no per-resident work in Python)."""
    tag = f'"{ResidentTag.LIVING_ALONE_ELDERLY.value}"'
    return (
        residents.filter(tags__icontains=tag)
        .select_related("household")
        .only("id", "name", "birth_date", "tags", "household__id", "household__number", "household__address")
        .order_by(F("birth_date").asc(nulls_last=True), "name")
    )


def _with_age(residents):
    today = timezone.localdate()
    rows = list(residents)
    for r in rows:
        r.age = _age(r.birth_date, today)
    return rows


def _age(birth, today):
    if birth is None:
        return None
    return today.year - birth.year - ((today.month, today.day) < (birth.month, birth.day))


def _village_table(user):
    """Per village/community: households, residents and members (three grouped queries)."""
    town = town_of(user)
    if town is None or town.level != AreaLevel.TOWN:
        return []
    villages = list(
        Area.objects.filter(path__startswith=town.path, level__in=(AreaLevel.VILLAGE, AreaLevel.COMMUNITY))
        .order_by("path")
    )
    if not villages:
        return []
    village_len = len(villages[0].path)
    by_prefix = {v.path: v for v in villages}
    for v in villages:
        v.household_count = v.resident_count = v.member_count = v.home_count = 0

    def village_for(path):
        return by_prefix.get((path or "")[:village_len]) if path and len(path) >= village_len else None

    for path, n in (
        Household.objects.visible_to(user).values_list("grid__path").annotate(n=Count("id")).order_by()
    ):
        v = village_for(path)
        if v:
            v.household_count += n
    for path, n in (
        Resident.objects.visible_to(user).values_list("household__grid__path").annotate(n=Count("id")).order_by()
    ):
        v = village_for(path)
        if v:
            v.resident_count += n
    member_rows = (
        Member.objects.visible_to(user).filter(is_active=True)
        .values_list("party_org__area__path")
        .annotate(n=Count("id"), home=Count("id", filter=_needs_home_study()))
        .order_by()
    )
    for path, n, home in member_rows:
        v = village_for(path)
        if v:
            v.member_count += n
            v.home_count += home
    return villages


def _branch_table(user):
    """The party organisations under the user's own, with active member counts."""
    orgs = list(
        visible_party_orgs(user)
        .annotate(
            member_count=Count("members", filter=Q(members__is_active=True)),
            home_count=Count(
                "members",
                filter=Q(members__is_active=True) & _needs_home_study("members__"),
            ),
        )
        .order_by("path")
    )
    if orgs:
        base = orgs[0].depth
        for org in orgs:
            org.indent = org.depth - base
    return orgs


def scope_label(user, *, own_member=None):
    """What the home page says the user's scope is; a member's is the organisation of
    `own_member`, their member record."""
    if user.role == Role.HANDLER:
        return user.department.name if user.department_id else "未设置部门"
    if user.role in (Role.INSTRUCTOR,):
        return user.party_org.name if user.party_org_id else "未分配支部"
    if user.role == Role.MEMBER:
        return own_member.party_org.name if own_member else "未关联党员档案"
    return user.area.name if user.area_id else "未设置区域"
