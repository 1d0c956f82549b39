"""热点: open concerns that many residents raise at once, alike in text and place.

Similarity is the intake duplicate finder's (zhenwu.concerns.similar: content words and
their Ochiai coefficient), so "alike" means the same here as when a resident is offered a likely
duplicate. Two open concerns of the same town received within the window are linked when
- they are in the same village and their similarity reaches SAME_VILLAGE_SCORE, or
- they are in different villages and it reaches the stricter CROSS_VILLAGE_SCORE
  (a road or a market shared by several villages);
groups are the connected sets of links with at least `min_residents` distinct residents (a
resident = a reporter phone; concerns without one count one each). Only pairs sharing a word are
compared (an inverted index), and at most MAX_CONCERNS of the newest open concerns are read.

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
from zhenwu.concerns.similar import content_words, similarity
from zhenwu.core.roles import Role

from .services import RoutingError

SAME_VILLAGE_SCORE = 0.3
CROSS_VILLAGE_SCORE = 0.45
MAX_CONCERNS = 2000
# A word in more than this share of the window's concerns (and more than 50 of them) links
# nothing by itself: comparing every pair sharing it would be quadratic.
COMMON_WORD_SHARE = 0.2
HOT_ROLES = (Role.TOWN_ADMIN, Role.LEADER, Role.DISPATCHER)
ACTION_ROLES = (Role.TOWN_ADMIN, Role.DISPATCHER)


@dataclass
class HotIssue:
    concerns: list
    residents: int
    villages: list
    since: object
    latest: object
    words: list = field(default_factory=list)
    categories: list = field(default_factory=list)

    @property
    def key(self):
        return min(c.pk for c in self.concerns)

    @property
    def ids(self):
        return [c.pk for c in self.concerns]


def can_see_hot_issues(user):
    return getattr(user, "is_authenticated", False) and user.role in HOT_ROLES


def can_act_on_hot_issues(user):
    return getattr(user, "is_authenticated", False) and user.role in ACTION_ROLES


def hot_issue_groups(user, *, days=14, min_residents=3, now=None, limit=50):
    """The hot issues in `user`'s scope over the last `days` days, most residents first."""
    if not can_see_hot_issues(user):
        return []
    now = now or timezone.now()
    rows = list(
        Concern.objects.visible_to(user)
        .filter(status__in=OPEN_STATUSES, received_at__gte=now - timedelta(days=days))
        .select_related("village", "category", "department")
        .only(
            "id", "reference", "title", "text", "status", "received_at", "town_id", "village_id",
            "reporter_phone_hash", "category__name", "village__name", "department__name",
            "category_id", "department_id",
        )
        .order_by("-received_at", "-id")[:MAX_CONCERNS]
    )
    return group_concerns(rows, min_residents=min_residents)[:limit]


def group_concerns(rows, *, min_residents=3):
    words = [content_words(f"{c.title} {c.text}") for c in rows]
    index = {}
    for i, ws in enumerate(words):
        for w in ws:
            index.setdefault(w, []).append(i)
    common = max(50, int(len(rows) * COMMON_WORD_SHARE))
    parent = list(range(len(rows)))

    def find(i):
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    compared = set()
    for members in index.values():
        if len(members) > common:
            continue
        for a_pos, a in enumerate(members):
            for b in members[a_pos + 1 :]:
                if (a, b) in compared:
                    continue
                compared.add((a, b))
                ca, cb = rows[a], rows[b]
                if ca.town_id != cb.town_id:
                    continue
                needed = SAME_VILLAGE_SCORE if ca.village_id == cb.village_id else CROSS_VILLAGE_SCORE
                if similarity(words[a], words[b]) >= needed:
                    parent[find(a)] = find(b)
    groups = {}
    for i in range(len(rows)):
        groups.setdefault(find(i), []).append(i)
    issues = []
    for members in groups.values():
        if len(members) < 2:
            continue
        concerns = sorted((rows[i] for i in members), key=lambda c: (c.received_at, c.pk))
        phones = {c.reporter_phone_hash for c in concerns if c.reporter_phone_hash}
        residents = len(phones) + sum(1 for c in concerns if not c.reporter_phone_hash)
        if residents < min_residents:
            continue
        shared = {}
        for i in members:
            for w in words[i]:
                shared[w] = shared.get(w, 0) + 1
        top = sorted((w for w, n in shared.items() if n >= 2), key=lambda w: (-shared[w], w))[:5]
        villages = sorted({c.village.name for c in concerns if c.village_id})
        categories = sorted({c.category.name for c in concerns})
        issues.append(HotIssue(
            concerns=concerns, residents=residents, villages=villages, since=concerns[0].received_at,
            latest=concerns[-1].received_at, words=top, categories=categories,
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
                    department=department or concern.department or concern.category.default_department,
                )
            else:
                concern_services.start_or_join_project(concern, by=user, project=project)
        except concern_services.ConcernError as exc:
            raise RoutingError(f"{concern.reference}：{exc.message}", field=exc.field) from exc
        result.done.append(concern.reference)
    result.project = project
    return result
