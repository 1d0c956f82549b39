"""热点: open concerns that many residents raise at once, alike in text and place.

Similarity is the intake duplicate finder's (zhenwu.concerns.similar: content words of the shared
segmenter and their Ochiai coefficient), so "alike" means the same here as when a resident is
offered a likely duplicate; the grouping rule (same category and village, near-identical text
across villages, average linkage so weak chains never join) and the labels are in
zhenwu.routing.grouping. The town's place names are taught to the segmenter and never count as
shared words. Groups need at least `min_residents` distinct residents (a resident = a reporter
phone; concerns without one count one each); at most MAX_CONCERNS of the newest open concerns are
read.

What a person decided about the groups (merge, split, dismiss: zhenwu.routing.hot_decisions) is
applied on top of the computed grouping each time; a group someone merged or split is shown
whatever its count.

Actions on a group go through zhenwu.concerns.services: one project for all (立项 on the first,
the others join it) or one coordinated dispatch of all to one department.
"""

from dataclasses import dataclass, field
from datetime import timedelta

from django.db import transaction
from django.utils import timezone

from zhenwu.concerns import access as concern_access
from zhenwu.concerns import services as concern_services
from zhenwu.concerns.models import OPEN_STATUSES, Concern
from zhenwu.concerns.similar import teach_words
from zhenwu.org.models import Area

from . import grouping, hot_decisions
from .access import can_act_on_hot_issues, can_see_hot_issues
from .models import RouterWord, WordKind
from .services import RoutingError

MAX_CONCERNS = 2000


@dataclass
class HotIssue:
    concerns: list
    residents: int
    villages: list
    since: object
    latest: object
    words: list = field(default_factory=list)
    categories: list = field(default_factory=list)
    label: str = ""
    adjustments: list = field(default_factory=list)  # HotIssueDecisions (merge, split) that shaped it
    dismissed: list = field(default_factory=list)  # (concern, HotIssueDecision) taken out of it

    @property
    def key(self):
        return min(c.pk for c in self.concerns)

    @property
    def ids(self):
        return [c.pk for c in self.concerns]

    @property
    def id_text(self):
        return ",".join(str(pk) for pk in self.ids)


@dataclass
class HotIssuePage:
    groups: list
    # Decisions in force in the window that no listed group shows (their group fell apart or
    # below the bar): listed apart so each can still be revoked.
    other_adjustments: list = field(default_factory=list)


def hot_issue_page(user, *, days=14, min_residents=3, now=None, limit=50):
    """The hot issues in `user`'s scope over the last `days` days, most residents first, with the
    people's decisions on them (zhenwu.routing.hot_decisions) applied."""
    if not can_see_hot_issues(user):
        return HotIssuePage(groups=[])
    now = now or timezone.now()
    since = now - timedelta(days=days)
    rows = list(
        Concern.objects.visible_to(user)
        .filter(status__in=OPEN_STATUSES, received_at__gte=since)
        .select_related("village", "category", "department")
        .only(
            "id", "reference", "title", "text", "status", "received_at", "town_id", "village_id",
            "reporter_phone_hash", "reopen_count", "category__name", "village__name", "department__name",
            "category_id", "department_id",
        )
        .order_by("-received_at", "-id")[:MAX_CONCERNS]
    )
    decisions = hot_decisions.decisions_in_force(rows, since=since)
    groups = group_concerns(rows, min_residents=min_residents, decisions=decisions)[:limit]
    shown = {d.pk for g in groups for d in g.adjustments} | {d.pk for g in groups for _, d in g.dismissed}
    return HotIssuePage(groups=groups, other_adjustments=[d for d, _ in decisions if d.pk not in shown])


def hot_issue_groups(user, **kwargs):
    """The groups of hot_issue_page."""
    return hot_issue_page(user, **kwargs).groups


def town_places():
    """The place words of the towns' areas (villages, communities, grids) and the dictionary's
    place words, taught to the shared segmenter once per set so each stays one word."""
    return town_places_and_landmarks()[0]


def town_places_and_landmarks():
    """(town_places(), the dictionary's place words that are not areas: the town's named roads,
    companies and estates, landmarks for grouping.landmarks)."""
    global _taught
    areas = grouping.place_words(Area.objects.values_list("name", flat=True))
    words = list(RouterWord.objects.filter(kind=WordKind.PLACE).values_list("word", flat=True))
    places = frozenset(areas | grouping.place_words(words))
    if places != _taught:
        teach_words(sorted(places))
        _taught = places
    return places, frozenset(w for w in words if w not in areas and len(w) >= 2)


_taught = frozenset()


def group_concerns(rows, *, min_residents=3, places=None, decisions=()):
    """Hot issues of `rows` (concerns with village and category loaded): groups of one matter
    (zhenwu.routing.grouping) with at least `min_residents` distinct residents, most first.
    `decisions` are (HotIssueDecision, [concern pks it still binds]), oldest first; a group a
    person merged or split is shown whatever its count."""
    known = frozenset()
    if places is None:
        places, known = town_places_and_landmarks()
    position = {c.pk: i for i, c in enumerate(rows)}
    by_key = {d.pk: d for d, _ in decisions}
    plain = [
        grouping.Decision(key=d.pk, kind=d.kind, members=tuple(position[pk] for pk in pks if pk in position))
        for d, pks in decisions
    ]
    issues = []
    for group in grouping.group_rows(rows, places=places, decisions=plain, known_landmarks=known):
        concerns = sorted((rows[i] for i in group.members), key=lambda c: (c.received_at, c.pk))
        phones = {c.reporter_phone_hash for c in concerns if c.reporter_phone_hash}
        residents = len(phones) + sum(1 for c in concerns if not c.reporter_phone_hash)
        if residents < min_residents and not group.decisions:
            continue
        villages = sorted({c.village.name for c in concerns if c.village_id})
        categories = sorted({c.category.name for c in concerns})
        title = rows[group.representative].title
        issues.append(HotIssue(
            concerns=concerns, residents=residents, villages=villages, since=concerns[0].received_at,
            latest=concerns[-1].received_at, words=group.words, categories=categories,
            label=grouping.strip_places(title, places) if len(villages) > 1 else title,
            adjustments=[by_key[k] for k in group.decisions],
            dismissed=[(rows[i], by_key[k]) for i, k in group.dismissed],
        ))
    issues.sort(key=lambda h: (-h.residents, -len(h.concerns), -h.latest.timestamp()))
    return issues


@dataclass
class GroupActionResult:
    done: list = field(default_factory=list)  # references
    refused: list = field(default_factory=list)  # (reference, message)
    project: object = None


def _group_concerns(user, ids):
    if not can_act_on_hot_issues(user):
        raise RoutingError("只有民情受理员可以处理热点")
    try:
        ids = sorted({int(i) for i in ids})
    except (TypeError, ValueError):
        raise RoutingError("所选诉求不正确") from None
    if len(ids) < 2:
        raise RoutingError("热点至少包含两件诉求")
    concerns = list(
        Concern.objects.visible_to(user).filter(pk__in=ids, status__in=OPEN_STATUSES)
        .select_related("category", "department", "town").order_by("received_at", "id")
    )
    if len(concerns) != len(ids):
        raise RoutingError("部分诉求已办结或不在您的范围内，请刷新热点列表")
    return concerns


def dispatch_group(user, ids, *, department):
    """One coordinated dispatch: every concern of the group to `department` (each in its own
    transaction; concerns already with a department or in another state are reported)."""
    concerns = _group_concerns(user, ids)
    if department is None:
        raise RoutingError("请选择承办部门", field="department")
    result = GroupActionResult()
    bulk = concern_services.dispatch_concerns(concerns, by=user, department=department)
    result.done = [c.reference for c in bulk.dispatched]
    result.refused = list(bulk.refused)
    return result


@transaction.atomic
def group_to_project(user, ids, *, name, department=None, description=""):
    """One project for the whole group: started from the first concern that may become one, the
    others joining it. All or nothing: a concern that cannot join stops the whole action."""
    concerns = _group_concerns(user, ids)
    result = GroupActionResult()
    project = None
    for concern in concerns:
        if not concern_access.can_dispatch(user, concern) and not concern_access.can_handle(user, concern):
            raise RoutingError(f"{concern.reference}：没有为此诉求立项的权限")
        try:
            if project is None:
                project = concern_services.start_or_join_project(
                    concern, by=user, name=name, description=description,
                    department=department
                    or concern.department
                    or concern_services.category_setting_for(
                        concern.category, town_id=concern.town_id
                    ).default_department,
                )
            else:
                concern_services.start_or_join_project(concern, by=user, project=project)
        except concern_services.ConcernError as exc:
            raise RoutingError(f"{concern.reference}：{exc.message}", field=exc.field) from exc
        result.done.append(concern.reference)
    result.project = project
    return result
