"""The county centre (县级受理中心): a town hands a concern up (上报) and the county centre holds
it (Concern.held_at_county) until it dispatches it to one of the county's departments (县住建局 …)
or hands it back down (下派) to the town, which then dispatches inside as usual.

While the county holds a concern its town's staff see it but do not act on it (access.holds):
the county's dispatchers accept, dispatch, call back, suspend and approve extensions instead.
Both hand-overs need a reason, are recorded in the concern's history (上报 / 下派 events) and the
audit log, and tell the dispatchers who now hold the concern.
"""

from django.db import transaction
from django.utils import timezone

from zhenwu.audit.services import snapshot
from zhenwu.org.models import Area, AreaLevel, Department

from .. import access, notify
from ..models import EventKind
from .common import (
    MAX_REASON_LENGTH,
    ConcernError,
    _audit,
    _check_state,
    _clean_text,
    _event,
    _lock,
    _require,
)


def county_of(town):
    """The county (县/市) above `town`, or None for a town without one."""
    if town is None:
        return None
    return Area.objects.get_ancestors(town).filter(level=AreaLevel.COUNTY).order_by("-depth").first()


def dispatch_departments(concern):
    """The departments a dispatch of `concern` may go to: its town's own while the town holds it,
    the county's departments (Department.town is the county) while the county centre does."""
    if concern.held_at_county:
        county = county_of(concern.town)
        if county is None:
            return Department.objects.none()
        return Department.objects.filter(town=county, is_active=True)
    return Department.objects.filter(town_id=concern.town_id, is_active=True)


def _hand_over(concern, *, to_county, by, kind, reason, data, note, recipients, text, now):
    """Move `concern` between its town and the county centre (held_at_county = `to_county`), with
    its history event, audit entry and the notice to those who now hold it."""
    before = snapshot(concern)
    concern.held_at_county = to_county
    concern.save()
    _event(concern, kind=kind, by=by, at=now or timezone.now(), from_status=concern.status,
           to_status=concern.status, reason=reason, data=data)
    _audit(concern, before, by=by, note=note)
    notify.notify_users(recipients, text=text, concern=concern, exclude=by)
    return concern


@transaction.atomic
def escalate_concern_to_county(concern, *, by, reason, now=None):
    """上报: the town hands a concern that waits for its dispatch (待受理, 已受理 or 已退回) up to
    the county centre, with its reason; the county's dispatchers are told."""
    concern = _lock(concern)
    _require(access.can_refer_up(by, concern), "只有本镇的民情受理员、镇领导或镇管理员可以上报县级受理中心")
    _check_state(concern, access.REFERRAL_STATES, "上报")
    reason = _clean_text(reason, label="上报理由", max_length=MAX_REASON_LENGTH, field="reason")
    county = county_of(concern.town)
    if county is None:
        raise ConcernError("本镇没有上级县(市)，不能上报")
    return _hand_over(
        concern, to_county=True, by=by, kind=EventKind.REFERRED_UP, reason=reason,
        data={"from": concern.town.name, "to": county.name},
        note=f"上报{county.name}县级受理中心：{reason}",
        recipients=notify.county_dispatchers(concern),
        text=f"{concern.town.name}上报诉求{concern.reference}：{reason[:80]}",
        now=now,
    )


@transaction.atomic
def hand_down_concern(concern, *, by, reason, now=None):
    """下派: the county centre hands a concern it holds, not yet with a county department, back
    down to its town, with its reason; the town's dispatchers are told."""
    concern = _lock(concern)
    _require(access.can_hand_down(by, concern), "只有县级受理员可以下派县级受理中心的诉求")
    _check_state(concern, access.REFERRAL_STATES, "下派")
    reason = _clean_text(reason, label="下派理由", max_length=MAX_REASON_LENGTH, field="reason")
    return _hand_over(
        concern, to_county=False, by=by, kind=EventKind.HANDED_DOWN, reason=reason,
        data={"to": concern.town.name},
        note=f"下派{concern.town.name}：{reason}",
        recipients=notify.own_town_dispatchers(concern),
        text=f"县级受理中心下派诉求{concern.reference}：{reason[:80]}",
        now=now,
    )
