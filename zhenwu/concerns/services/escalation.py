"""督办: a leader supervises a concern; the nightly escalation marks concerns past their response or
resolution deadline (escalate_overdue_concerns)."""

from dataclasses import dataclass, field

from django.db import IntegrityError, transaction
from django.db.models import Exists, OuterRef
from django.utils import timezone

from zhenwu.audit.services import snapshot

from .. import access, notify
from ..models import (
    OPEN_STATUSES,
    Concern,
    EventKind,
    Supervision,
    SupervisionKind,
)
from .common import _audit, _check_state, _clean_text, _event, _lock, _require


@dataclass
class EscalationReport:
    supervisions: int = 0
    notifications: int = 0
    references: list = field(default_factory=list)


@transaction.atomic
def supervise_concern(concern, *, by, note, now=None):
    """A leader's 督办 on an open concern."""
    concern = _lock(concern)
    _require(access.can_supervise(by, concern), "只有镇领导可以督办")
    _check_state(concern, OPEN_STATUSES, "督办")
    note = _clean_text(note, label="督办意见", max_length=300, field="note")
    before = snapshot(concern)
    now = now or timezone.now()
    Supervision.objects.create(
        concern=concern, kind=SupervisionKind.LEADER, note=note, created_by=by, created_at=now
    )
    concern.is_supervised = True
    concern.save()
    _event(
        concern,
        kind=EventKind.SUPERVISED,
        by=by,
        at=now,
        from_status=concern.status,
        to_status=concern.status,
        internal_note=note,
        data={"kind": SupervisionKind.LEADER},
    )
    _audit(concern, before, by=by, note=f"领导督办：{note}")
    recipients = notify.concern_handlers(concern)
    notify.notify_users(recipients, text=f"督办：诉求{concern.reference}，{note[:80]}", concern=concern)
    return concern


def escalate_overdue_concerns(*, now=None, concern_ids=None):
    """Raise 督办 on every open concern past its response or resolution deadline that has not
    been escalated for that deadline yet, and notify its handlers (or the dispatchers when no
    department holds it) and the town's leaders. Safe to run as often as wanted. (`concern_ids`:
    only those concerns, for loaders replaying one concern's history at `now`.)"""
    now = now or timezone.now()
    report = EscalationReport()
    candidates = []
    for kind, queryset, due_field in (
        (SupervisionKind.OVERDUE_RESPONSE, Concern.objects.response_overdue(now), "response_due"),
        (SupervisionKind.OVERDUE_RESOLUTION, Concern.objects.overdue(now), "resolution_due"),
    ):
        done = Supervision.objects.filter(concern=OuterRef("pk"), kind=kind, due_at=OuterRef(due_field))
        if concern_ids is not None:
            queryset = queryset.filter(pk__in=concern_ids)
        ids = queryset.exclude(Exists(done)).order_by("id").values_list("id", flat=True)
        candidates.extend((concern_id, kind) for concern_id in ids)
    for concern_id, kind in candidates:
        created, sent, reference = _escalate_one(concern_id, kind, now)
        if created:
            report.supervisions += 1
            report.notifications += sent
            report.references.append(reference)
    return report


@transaction.atomic
def _escalate_one(concern_id, kind, now):
    concern = _lock(Concern(pk=concern_id))
    if kind == SupervisionKind.OVERDUE_RESPONSE:
        due_at, still = concern.response_due, concern.is_response_overdue(now)
        label = "超期未响应"
    else:
        due_at, still = concern.resolution_due, concern.is_overdue(now)
        label = "超期未办结"
    if not still:
        return False, 0, concern.reference
    try:
        with transaction.atomic():
            Supervision.objects.create(concern=concern, kind=kind, due_at=due_at, created_at=now)
    except IntegrityError:
        return False, 0, concern.reference  # another run escalated it a moment ago
    before = snapshot(concern)
    concern.is_supervised = True
    concern.save()
    due_text = f"{timezone.localtime(due_at):%m月%d日}"
    _event(
        concern,
        kind=EventKind.SUPERVISED,
        by=None,
        at=now,
        from_status=concern.status,
        to_status=concern.status,
        internal_note=f"{label}（截止{due_text}），系统自动督办",
        data={"kind": kind},
    )
    _audit(concern, before, by=None, note=f"自动督办：{label}")
    handlers = notify.concern_handlers(concern)
    text = f"督办：诉求{concern.reference}{label}（截止{due_text}）"
    sent = notify.notify_users(handlers + list(notify.town_leaders(concern)), text=text, concern=concern)
    return True, sent, concern.reference
