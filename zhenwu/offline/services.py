"""Taking a queued record once (keyword-only, atomic; the domain services audit what they create)."""

import datetime
from dataclasses import dataclass

from django.contrib.contenttypes.models import ContentType
from django.db import IntegrityError, transaction
from django.utils import timezone

from .errors import QueueConflict
from .models import QueueSummary, SentRecord


@dataclass
class Outcome:
    """What a kind's handler made: the object, the message for the phone and where to see it."""

    obj: object
    message: str
    url: str


def receive_record(*, user, key, kind, send, recorded_at=None):
    """Run `send()` (the kind's handler: form, access check, domain service) once per `key`.

    Returns (SentRecord, created). A key already received answers with its first receipt and runs
    nothing; two requests with one key at once store one receipt (the loser's work rolls back).
    """
    existing = SentRecord.objects.filter(key=key).first()
    if existing is not None:
        return _repeat(existing, user), False
    try:
        with transaction.atomic():
            outcome = send()
            record = SentRecord.objects.create(
                key=key, user=user, kind=kind,
                content_type=ContentType.objects.get_for_model(type(outcome.obj)), object_id=outcome.obj.pk,
                message=outcome.message[:200], url=outcome.url[:200], recorded_at=recorded_at,
            )
    except IntegrityError:
        existing = SentRecord.objects.filter(key=key).first()
        if existing is None:
            raise
        return _repeat(existing, user), False
    return record, True


def _repeat(record, user):
    if record.user_id != user.pk:
        raise QueueConflict("这条记录已由其他账号提交过，不能再次发送")
    return record


MAX_REPORTED = 10_000
STALE_AFTER = datetime.timedelta(hours=24)


def report_queue(*, user, waiting, oldest_at, now=None):
    """Keep what a phone reports of its queue: `waiting` records, the oldest made at `oldest_at`
    (the phone's clock: a time in the future is taken as now). None when there is nothing to keep
    track of any more is stored as 0 / None."""
    now = now or timezone.now()
    waiting = max(0, min(int(waiting), MAX_REPORTED))
    if not waiting:
        oldest_at = None
    elif oldest_at is None or oldest_at > now:
        oldest_at = now
    summary, _ = QueueSummary.objects.update_or_create(
        user=user, defaults={"waiting": waiting, "oldest_at": oldest_at, "reported_at": now},
    )
    return summary


def stale_queues(users, *, now=None):
    """The reports of `users` (a queryset of accounts) with records waiting more than a day, the
    longest waiting first."""
    now = now or timezone.now()
    return (QueueSummary.objects.filter(user__in=users, waiting__gt=0, oldest_at__lte=now - STALE_AFTER)
            .select_related("user").order_by("oldest_at"))
