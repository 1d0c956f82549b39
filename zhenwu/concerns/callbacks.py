"""回访 as a 12345 centre practises it: unanswered attempts are recorded, and a call-back that cannot
reach the resident ends as 联系不上 instead of waiting in the list for ever.

- Every try that does not get through (no answer, switched off, nobody home on a visit) is a
  CallBackAttempt of the current round (办理轮次 = reopen_count + 1: a reopened concern starts
  counting afresh): when, how, who and what happened.
- 联系不上 may be recorded once the round's attempts fall on settings.ZHENWU_CALLBACK_ATTEMPTS
  (default 3) **different working days** (zhenwu.workdays.calendar, holidays and 调休 included). Working
  days rather than calendar days because every other clock of the loop counts working days (the
  norms' 办理 and 答复 limits, "回访 the day after 办结"), the centre's staff call on working days,
  and three calls across one weekend or the 国庆 week would write off a resident who is simply
  away. An attempt on a rest day is recorded and shown, but does not add a day.
- A concern without any phone (no reporter phone and no follower who left one) cannot be called
  back at all: 联系不上 is recorded at once, with the reason.
- 联系不上 closes the concern (回访结果 联系不上, 问题是否解决 unknown). The rates count it on its own
  and leave it out of the 解决率 and 满意率 denominators (zhenwu.concerns.rates).

The resident's verdicts (满意 / 基本满意 / 不满意) stay with services.record_call_back; 不满意 needs
its reason there and reopens the concern with a fresh 重办 deadline.
"""

from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from zhenwu.audit.models import AuditAction
from zhenwu.audit.services import record_event, snapshot
from zhenwu.workdays import calendar as workdays

from . import access
from .models import (
    AttemptChannel,
    CallBack,
    CallBackAttempt,
    CallBackChannel,
    CallBackResult,
    ConcernFollower,
    EventKind,
    Status,
)
from .services import (
    MAX_REASON_LENGTH,
    ConcernError,
    TransitionNotAllowed,
    _actor,
    _audit,
    _check_state,
    _clean_text,
    _close,
    _event,
    _lock,
    _require,
    workday_overrides,
)

MAX_ATTEMPT_NOTE_LENGTH = 200


def attempts_needed():
    return settings.ZHENWU_CALLBACK_ATTEMPTS


def has_phone(concern):
    """Whether anyone can be called back: the reporter's phone, or a follower's."""
    if concern.reporter_phone:
        return True
    # The phone is encrypted (no SQL comparison): a concern has a few followers at most.
    return any(ConcernFollower.objects.filter(concern=concern).values_list("phone", flat=True))


@dataclass(frozen=True)
class CallBackProgress:
    """The current round's unanswered attempts and what they allow."""

    attempts: tuple
    days: int  # different working days with an attempt
    needed: int
    has_phone: bool

    @property
    def may_record_unreachable(self):
        return not self.has_phone or self.days >= self.needed

    @property
    def days_left(self):
        return max(0, self.needed - self.days) if self.has_phone else 0

    def refusal(self):
        """Why 联系不上 may not be recorded yet (Chinese), or None."""
        if self.may_record_unreachable:
            return None
        return (
            f"须在{self.needed}个不同工作日回访均未联系上后才能登记联系不上"
            f"（目前在{self.days}个工作日尝试过，还需{self.days_left}个工作日）"
        )


def attempt_days(attempts, overrides=None):
    """The number of different working days (local dates) among the attempts."""
    days = {workdays.local_date(a.at) for a in attempts}
    return sum(1 for day in days if workdays.is_workday(day, overrides))


def call_back_progress(concern, *, attempts=None, phone=None, overrides=None):
    """The concern's call-back progress in its current round. `attempts` (all of the concern's,
    e.g. prefetched for a list), `phone` (has_phone) and `overrides` may be passed to save queries."""
    current = concern.reopen_count + 1
    if attempts is None:
        attempts = CallBackAttempt.objects.filter(concern=concern, round=current)
    attempts = tuple(a for a in attempts if a.round == current)
    if overrides is None:
        overrides = workday_overrides()
    return CallBackProgress(
        attempts=attempts,
        days=attempt_days(attempts, overrides),
        needed=attempts_needed(),
        has_phone=has_phone(concern) if phone is None else phone,
    )


def progress_by_concern(concerns):
    """{concern id: CallBackProgress} for a page of concerns, in three queries whatever their number."""
    concerns = list(concerns)
    ids = [c.pk for c in concerns]
    attempts = {}
    for attempt in CallBackAttempt.objects.filter(concern_id__in=ids).order_by("at", "id"):
        attempts.setdefault(attempt.concern_id, []).append(attempt)
    followed = {
        concern_id
        for concern_id, phone in ConcernFollower.objects.filter(concern_id__in=ids).values_list(
            "concern_id", "phone"
        )
        if phone
    }
    overrides = workday_overrides()
    return {
        c.pk: call_back_progress(
            c,
            attempts=attempts.get(c.pk, ()),
            phone=bool(c.reporter_phone) or c.pk in followed,
            overrides=overrides,
        )
        for c in concerns
    }


@transaction.atomic
def record_call_back_attempt(concern, *, by, channel=AttemptChannel.PHONE, note="", now=None):
    """A call-back try that did not reach the resident, in the current round."""
    concern = _lock(concern)
    _require(access.can_call_back(by, concern), "只有民情受理员可以登记回访")
    _check_state(concern, (Status.RESOLVED,), "登记回访")
    if channel not in AttemptChannel.values:
        raise ConcernError("请选择回访方式", field="channel")
    note = _clean_text(note, label="情况", required=False, max_length=MAX_ATTEMPT_NOTE_LENGTH, field="note")
    now = now or timezone.now()
    current = concern.reopen_count + 1
    attempt = CallBackAttempt.objects.create(
        concern=concern, round=current, at=now, channel=channel, by=by, note=note
    )
    number = CallBackAttempt.objects.filter(concern=concern, round=current).count()
    _event(
        concern,
        kind=EventKind.CALL_ATTEMPT,
        by=by,
        at=now,
        from_status=Status.RESOLVED,
        to_status=Status.RESOLVED,
        internal_note=note,
        is_public=False,
        data={"channel": channel, "round": current, "attempt": number},
    )
    record_event(
        action=AuditAction.CREATE,
        obj=attempt,
        changes={},
        note=f"回访未联系上（第{number}次，{AttemptChannel(channel).label}）",
        actor=_actor(by),
    )
    return attempt


@transaction.atomic
def record_unreachable(concern, *, by, reason="", now=None):
    """联系不上: ends the call-back and closes the concern. Allowed after the set number of
    attempts on different working days, or at once (with a reason) when there is no phone."""
    concern = _lock(concern)
    _require(access.can_call_back(by, concern), "只有民情受理员可以登记联系不上")
    _check_state(concern, (Status.RESOLVED,), "登记联系不上")
    progress = call_back_progress(concern)
    refusal = progress.refusal()
    if refusal:
        raise TransitionNotAllowed(refusal)
    if progress.has_phone:
        reason = _clean_text(
            reason, label="说明", required=False, max_length=MAX_REASON_LENGTH, field="reason"
        )
        reason = reason or f"{progress.days}个工作日共{len(progress.attempts)}次回访均未联系上"
        public = f"回访结果：联系不上（{progress.days}个工作日多次回访未接通）"
    else:
        reason = _clean_text(reason, label="无法回访的原因", max_length=MAX_REASON_LENGTH, field="reason")
        public = "回访结果：联系不上（诉求人未留联系电话，无法回访）"
    before = snapshot(concern)
    now = now or timezone.now()
    CallBack.objects.create(
        concern=concern,
        result=CallBackResult.UNREACHABLE,
        solved=None,
        channel=CallBackChannel.PHONE,
        by=by,
        at=now,
        note=reason,
        round=concern.reopen_count + 1,
    )
    concern.callback_result = CallBackResult.UNREACHABLE
    concern.callback_solved = None
    concern.callback_at = now
    _event(
        concern,
        kind=EventKind.CALLED_BACK,
        by=by,
        at=now,
        from_status=Status.RESOLVED,
        to_status=Status.RESOLVED,
        public_text=public,
        internal_note=reason,
        is_public=True,
        data={
            "result": CallBackResult.UNREACHABLE,
            "attempts": len(progress.attempts),
            "days": progress.days,
            "has_phone": progress.has_phone,
        },
    )
    _close(concern, by=by, now=now, reason=reason, public_text="诉求已办结关闭。")
    _audit(concern, before, by=by, note=f"回访联系不上，关闭：{reason}")
    return concern
