"""The demo's two ways of writing a concern's history cannot drift apart: the bulk rows
(zhenwu.concerns.demo.write_bulk, used for the ~3,000 generated concerns) and the same steps
replayed through the concerns services at their historic times (demo.replay, used for the story
and a sample at load). A seeded sample of the generated histories, one of every kind among them,
is written both ways on an empty concerns table and the rows compared: the concern's fields,
its events, call-backs, call-back attempts and 督办."""

import pytest
from django.db import transaction
from django.utils import timezone

from zhenwu.concerns import demo
from zhenwu.concerns.models import CallBack, CallBackAttempt, Concern, Status, Supervision
from zhenwu.org.demo import TOWN_CODE, load_demo_town
from zhenwu.org.models import Area

pytestmark = pytest.mark.django_db

SAMPLE = 30
NOT_COMPARED = {"id", "reference", "follow_token_hash", "intake_pending", "created_at", "updated_at"}


def history(concern):
    """Everything the workflow wrote for `concern`, with its reference number (the one thing the
    two paths number differently) written as {reference}."""
    concern = Concern.objects.get(pk=concern.pk)
    ref = concern.reference
    fields = {f.attname: getattr(concern, f.attname) for f in Concern._meta.concrete_fields
              if f.attname not in NOT_COMPARED}
    events = [
        (e.at, e.kind, e.actor_id, e.actor_label, e.from_status, e.to_status, e.department_id,
         e.public_text.replace(ref, "{reference}"), e.internal_note, e.reason, e.is_public, e.data)
        for e in concern.events.order_by("at", "id")
    ]
    call_backs = list(CallBack.objects.filter(concern=concern).order_by("at", "id").values_list(
        "at", "round", "result", "solved", "channel", "by_id", "note"))
    attempts = list(CallBackAttempt.objects.filter(concern=concern).order_by("at", "id").values_list(
        "at", "round", "channel", "by_id", "note"))
    supervisions = list(Supervision.objects.filter(concern=concern).order_by("created_at", "id").values_list(
        "kind", "due_at", "created_at", "closed_at", "created_by_id", "note"))
    return {"concern": fields, "events": events, "call_backs": call_backs, "attempts": attempts,
            "supervisions": supervisions}


def test_the_bulk_rows_are_what_the_services_write_for_the_same_history(settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    load_demo_town()
    town = Area.objects.get(code=TOWN_CODE)
    now = timezone.now()
    plans = demo.generated_plans(demo.demo_town(town, now=now))
    sample = demo.sample_histories(plans, SAMPLE, seed=demo.SEED + 1)
    # The sample has every kind of history the generator makes, and every status it reaches.
    kinds = {demo.history_kind(p) for p in plans}
    assert {demo.history_kind(p) for p in sample} == kinds
    statuses = {p.fields["status"] for p in sample}
    assert statuses == {p.fields["status"] for p in plans}
    assert {Status.DECLINED, Status.IN_PROGRESS, Status.RESOLVED, Status.CLOSED} <= statuses
    assert len(sample) == max(SAMPLE, len(kinds))

    savepoint = transaction.savepoint()
    bulk = [history(c) for c in demo.write_bulk(sample)]
    transaction.savepoint_rollback(savepoint)
    assert not Concern.objects.exists()

    replayed = [history(demo.replay(plan, now=now)) for plan in sample]
    for plan, written, made in zip(sample, bulk, replayed, strict=True):
        for part in written:  # the first differing rows of the first differing part, on failure
            pairs = zip(written[part], made[part], strict=False)  # the lengths may differ too
            differing = [pair for pair in pairs if pair[0] != pair[1]][:2]
            assert written[part] == made[part], (demo.history_kind(plan), part, differing)
    # Not a vacuous comparison: the sample went through the whole loop, with 督办 and reopenings.
    assert sum(len(h["events"]) for h in replayed) > 5 * SAMPLE
    assert any(h["supervisions"] for h in replayed) and any(h["concern"]["reopen_count"] for h in replayed)
    assert any(h["attempts"] for h in replayed)
    assert any(h["concern"]["callback_result"] == "unreachable" for h in replayed)


# Staff act in office hours (8:30–17:30 local) on working days. The demo's history is generated
# back from the moment it is loaded, so the rule is checked for loads at several moments, not only
# the one a test run happens to start at. A load on 2026-02-24 had a handler answer at 17:39: ten
# minutes after a dispatch at 17:29.
STAFF_KINDS = {"accepted", "dispatched", "updated", "resolved", "closed", "merged", "project_stage",
               "called_back"}
LOAD_MOMENTS = ["2026-02-24 07:50", "2026-02-24 17:45", "2026-10-09 12:10", "2026-12-07 23:30"]


def test_the_generated_history_keeps_staff_in_office_hours_whenever_it_is_loaded(settings, tmp_path):
    import dataclasses
    import datetime

    from zhenwu.workdays import calendar as workdays

    settings.MEDIA_ROOT = str(tmp_path)
    load_demo_town()
    town = Area.objects.get(code=TOWN_CODE)
    base = demo.demo_town(town, now=timezone.now())
    outside, checked = [], 0
    for moment in LOAD_MOMENTS:
        now = datetime.datetime.fromisoformat(moment).replace(tzinfo=workdays.local_zone())
        overrides = demo._calendar(demo.workday_overrides(), workdays.local_date(now))
        plans = demo.generated_plans(dataclasses.replace(base, now=now, overrides=overrides), count=1000)
        for plan in plans:
            for event in plan.events:
                if event["kind"] not in STAFF_KINDS or event["actor"] is None:
                    continue
                checked += 1
                local = event["at"].astimezone(workdays.local_zone())
                if not (datetime.time(8, 30) <= local.time() <= datetime.time(17, 30)
                        and workdays.is_workday(local.date(), overrides)):
                    outside.append((moment, event["kind"], local))
    assert checked > 10_000
    assert outside == []
