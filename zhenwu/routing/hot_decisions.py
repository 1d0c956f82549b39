"""A person's decisions on the 热点 groups, remembered: merge two groups, split members out of a
group into a new one, dismiss a member from its group, and restore (revoke any of them).

The grouping stays computed (zhenwu.routing.grouping); a decision is applied on top of it each
time the page is drawn (grouping.apply_decisions), oldest first. It names concerns, not groups, so
it holds while the groups around it change: a merged group keeps the concerns that join either
half later. It lapses on its own, member by member: a concern that closes leaves the window, and a
concern whose text changed or that was reopened (办结 and back, reopen_count) since the decision is
no longer bound by it (the person judged a text, or a state of the matter, that is no longer
there). A decision none of whose concerns is still bound is never loaded again.

Every write is audited; the permission is the page's (access.can_adjust_hot_issues), checked again
here, and each concern must be open and in the person's scope.
"""

import hashlib

from django.db import transaction
from django.utils import timezone

from zhenwu.audit.models import AuditAction
from zhenwu.audit.services import diff, record_event, snapshot
from zhenwu.concerns.models import OPEN_STATUSES, Concern
from zhenwu.lib.request_context import Actor, current_actor

from .access import can_adjust_hot_issues
from .models import DecisionKind, HotIssueDecision, HotIssueDecisionMember
from .services import RoutingError, towns_for

MAX_MEMBERS = 2000


def fingerprint(concern):
    """A short digest of what the concern says (title and text)."""
    return hashlib.sha256(f"{concern.title}\n{concern.text}".encode()).hexdigest()[:16]


def decisions_in_force(rows, *, since=None):
    """The decisions that bind concerns of `rows` (open concerns with title, text and
    reopen_count loaded): [(HotIssueDecision, [pks of rows it still binds])], oldest first. One
    query; `since` (the window's start) narrows it to decisions with a member received since."""
    by_pk = {c.pk: c for c in rows}
    if not by_pk:
        return []
    members = HotIssueDecisionMember.objects.filter(
        decision__revoked_at__isnull=True, concern__status__in=OPEN_STATUSES
    ).select_related("decision", "decision__created_by")
    if since is not None:
        members = members.filter(concern__received_at__gte=since)
    found = {}
    for m in members.order_by("decision__created_at", "decision_id", "concern_id"):
        concern = by_pk.get(m.concern_id)
        if concern is None or m.reopen_count != concern.reopen_count or m.fingerprint != fingerprint(concern):
            continue
        found.setdefault(m.decision_id, (m.decision, []))[1].append(m.concern_id)
    return list(found.values())


def _parse_ids(value, *, field):
    """Concern ids from a list of strings or one comma-separated string."""
    if isinstance(value, str):
        value = value.split(",")
    try:
        ids = {int(str(v).strip()) for v in value or () if str(v).strip()}
    except ValueError:
        raise RoutingError("所选诉求不正确", field=field) from None
    if len(ids) > MAX_MEMBERS:
        raise RoutingError(f"一次最多调整{MAX_MEMBERS}件诉求", field=field)
    return ids


def _open_concerns(by, ids):
    """The concerns of `ids`, open and in `by`'s scope, oldest first; refused otherwise."""
    if not can_adjust_hot_issues(by):
        raise RoutingError("只有镇领导、镇管理员和民情受理员可以调整热点")
    concerns = list(
        Concern.objects.visible_to(by).filter(pk__in=ids, status__in=OPEN_STATUSES)
        .only("id", "reference", "title", "text", "town_id", "reopen_count", "received_at")
        .order_by("received_at", "id")
    )
    if len(concerns) != len(ids):
        raise RoutingError("部分诉求已办结或不在您的范围内，请刷新热点列表")
    if len({c.town_id for c in concerns}) > 1:
        raise RoutingError("不同镇的诉求不能调整为一组")
    return concerns


def _actor(by):
    """The audit actor: the request's (with address and request id) when it is the same user."""
    current = current_actor()
    if current is not None and current.user_id == by.pk:
        return current
    return Actor(user_id=by.pk, label=by.get_username())


def _describe(concerns):
    first = concerns[0].title or concerns[0].reference
    return f"“{first[:30]}”" + (f"等{len(concerns)}件" if len(concerns) > 1 else "")


def _record(*, kind, concerns, summary, by):
    decision = HotIssueDecision.objects.create(
        kind=kind, town_id=concerns[0].town_id, summary=summary[:200], created_by=by
    )
    HotIssueDecisionMember.objects.bulk_create([
        HotIssueDecisionMember(decision=decision, concern=c, fingerprint=fingerprint(c), reopen_count=c.reopen_count)
        for c in concerns
    ])
    changes = diff({}, snapshot(decision))
    changes["concerns"] = [None, [c.reference for c in concerns]]
    record_event(
        action=AuditAction.CREATE, obj=decision, changes=changes, actor=_actor(by),
        note=f"热点{decision.get_kind_display()}：{summary}",
    )
    return decision


@transaction.atomic
def merge_hot_issues(*, ids, other_ids, by):
    """One group of two: `ids` (a group's concerns) and `other_ids` (another group's)."""
    ids, other_ids = _parse_ids(ids, field="ids"), _parse_ids(other_ids, field="other")
    if not ids or not other_ids:
        raise RoutingError("请选择要合并的另一组热点", field="other")
    if ids & other_ids:
        raise RoutingError("不能与同一组热点合并", field="other")
    concerns = _open_concerns(by, ids | other_ids)
    first = [c for c in concerns if c.pk in ids]
    second = [c for c in concerns if c.pk in other_ids]
    return _record(
        kind=DecisionKind.MERGE, concerns=concerns, by=by,
        summary=f"{_describe(first)}与{_describe(second)}合并为一组",
    )


@transaction.atomic
def split_hot_issue(*, ids, picked, by):
    """The `picked` concerns of a group (`ids`) leave it and make a group of their own."""
    ids, picked = _parse_ids(ids, field="ids"), _parse_ids(picked, field="picked")
    if not picked:
        raise RoutingError("请勾选要拆分出去的诉求", field="picked")
    if not picked < ids:
        raise RoutingError("拆分须留下至少一件诉求，且只能勾选本组的诉求", field="picked")
    concerns = _open_concerns(by, picked)
    return _record(
        kind=DecisionKind.SPLIT, concerns=concerns, by=by, summary=f"{_describe(concerns)}拆分为新的一组",
    )


@transaction.atomic
def dismiss_hot_issue_members(*, ids, picked, by):
    """Each `picked` concern leaves its group (`ids`) and stands alone: one decision each, so each
    can be restored on its own."""
    ids, picked = _parse_ids(ids, field="ids"), _parse_ids(picked, field="picked")
    if not picked:
        raise RoutingError("请勾选要移出的诉求", field="picked")
    if not picked <= ids:
        raise RoutingError("只能移出本组的诉求", field="picked")
    if len(ids - picked) < 1:
        raise RoutingError("不能移出本组的全部诉求", field="picked")
    return [
        _record(kind=DecisionKind.DISMISS, concerns=[c], by=by, summary=f"{c.reference}“{c.title[:30]}”移出热点")
        for c in _open_concerns(by, picked)
    ]


def decision_for_user(user, pk):
    """The decision `pk` of a town in `user`'s scope (or RoutingError)."""
    if not can_adjust_hot_issues(user):
        raise RoutingError("只有镇领导、镇管理员和民情受理员可以调整热点")
    decision = HotIssueDecision.objects.filter(pk=pk, town__in=towns_for(user)).first()
    if decision is None:
        raise RoutingError("该调整不存在或不在您的范围内")
    return decision


@transaction.atomic
def restore_hot_issue_decision(decision, *, by):
    """Revoke a decision: the groups are again as computed (and as the other decisions make them)."""
    decision = decision_for_user(by, decision.pk)
    decision = HotIssueDecision.objects.select_for_update().get(pk=decision.pk)
    if decision.revoked_at is not None:
        raise RoutingError("该调整已撤销")
    before = snapshot(decision)
    decision.revoked_at = timezone.now()
    decision.revoked_by = by
    decision.save(update_fields=["revoked_at", "revoked_by"])
    record_event(
        action=AuditAction.UPDATE, obj=decision, changes=diff(before, snapshot(decision)), actor=_actor(by),
        note=f"撤销热点{decision.get_kind_display()}：{decision.summary}",
    )
    return decision
