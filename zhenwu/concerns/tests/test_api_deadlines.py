"""延期 and 挂起 through the staff JSON API: the same services, rights and audit as the concern
page; a state that refuses the action answers 409 in Chinese; the detail shows an open
suspension and a pending extension. March 2026: Monday 2 to Friday 6 and Monday 9 to Friday 13
are working days."""

import datetime

import time_machine

from zhenwu.audit.models import AuditEntry
from zhenwu.concerns import services
from zhenwu.concerns.models import Concern, ConcernEvent, EventKind, Status
from zhenwu.workdays import calendar as workdays

from .conftest import local

D = datetime.date


def dispatched(submit, world):
    """A road concern received Monday 2 March, dispatched at once: resolution due Monday 9."""
    concern = submit(received_at=local(2026, 3, 2, 10, 0)).concern
    return services.dispatch_concern(concern, by=world.users.dispatcher, now=local(2026, 3, 2, 11, 0))


def audited(concern, text):
    entries = AuditEntry.objects.filter(note__contains=text)
    return [e for e in entries if e.object_id == str(concern.pk) or e.object_type == "concerns.DeadlineExtension"]


def test_an_extension_is_requested_refused_requested_again_and_approved_through_the_api(as_user, world, submit):
    u = world.users
    concern = dispatched(submit, world)
    path = f"/concerns/{concern.pk}"
    with time_machine.travel(local(2026, 3, 4, 9, 0), tick=False):
        asked = as_user(u.handler, "post", f"{path}/extend/", {"new_date": "2026-03-13", "reason": "等待电力公司迁改线杆"})
        assert asked.status_code == 200, asked.content
        pending = asked.json()["pending_extension"]
        assert pending["requested_date"] == "2026-03-13" and pending["reason"] == "等待电力公司迁改线杆"
        assert pending["requested_by"] == u.handler.display_name
        detail = as_user(u.dispatcher, "get", f"{path}/").json()
        assert detail["pending_extension"]["requested_date"] == "2026-03-13"
        assert "decide_extension" in detail["allowed_actions"]

        # The department cannot decide its own request; a refusal needs its reason.
        assert as_user(u.handler, "post", f"{path}/extension-approve/").status_code == 403
        no_note = as_user(u.dispatcher, "post", f"{path}/extension-refuse/", {})
        assert no_note.status_code == 400 and no_note.json() == {"detail": "请填写审批意见", "field": "note"}
        refused = as_user(u.dispatcher, "post", f"{path}/extension-refuse/", {"note": "可先临时处置，按期办结"})
        assert refused.status_code == 200 and refused.json()["pending_extension"] is None
        assert refused.json()["resolution_due"].startswith("2026-03-09T23:59:59")
        again = as_user(u.dispatcher, "post", f"{path}/extension-approve/", {"note": "同意"})
        assert again.status_code == 409 and again.json() == {"detail": "没有待审批的延期申请"}

        as_user(u.handler, "post", f"{path}/extend/", {"new_date": "2026-03-12", "reason": "线杆迁改排期到下周"})
        twice = as_user(u.handler, "post", f"{path}/extend/", {"new_date": "2026-03-13", "reason": "再申请"})
        assert twice.status_code == 409 and twice.json()["detail"] == "已有待审批的延期申请"
        approved = as_user(u.leader, "post", f"{path}/extension-approve/", {})
    assert approved.status_code == 200, approved.content
    body = approved.json()
    assert body["pending_extension"] is None
    assert body["resolution_due"] == workdays.end_of_day(D(2026, 3, 12)).isoformat()
    assert Concern.objects.get(pk=concern.pk).resolution_due == workdays.end_of_day(D(2026, 3, 12))
    assert [e["kind"] for e in body["events"]][-4:] == [
        EventKind.EXTENSION_REQUESTED, EventKind.EXTENSION_REFUSED, EventKind.EXTENSION_REQUESTED, EventKind.EXTENDED,
    ]
    # Audited as on the page, with the request's address.
    entries = audited(concern, "延期")
    assert len(entries) >= 5 and all(e.ip == "127.0.0.1" for e in entries)


def test_bad_extension_input_is_400_naming_the_field_and_a_late_request_is_409(as_user, world, submit):
    u = world.users
    concern = dispatched(submit, world)
    path = f"/concerns/{concern.pk}/extend/"
    with time_machine.travel(local(2026, 3, 4, 9, 0), tick=False):
        weekend = as_user(u.handler, "post", path, {"new_date": "2026-03-14", "reason": "等待"})
        assert weekend.status_code == 400
        assert weekend.json() == {"detail": "2026年3月14日不是工作日，可选2026年3月16日", "field": "new_date"}
        assert as_user(u.handler, "post", path, {"new_date": "下周", "reason": "等待"}).json()["detail"].startswith(
            "new_date："
        )
        assert as_user(u.dispatcher, "post", path, {"new_date": "2026-03-13", "reason": "等待"}).status_code == 403
    with time_machine.travel(local(2026, 3, 10, 9, 0), tick=False):
        late = as_user(u.handler, "post", path, {"new_date": "2026-03-13", "reason": "等待"})
    assert late.status_code == 409 and late.json()["detail"] == "已超过办结期限，不能再申请延期（延期须在期限内申请）"
    assert not ConcernEvent.objects.filter(concern=concern, kind=EventKind.EXTENSION_REQUESTED).exists()


def test_a_concern_is_suspended_and_resumed_through_the_api(as_user, world, submit):
    u = world.users
    concern = dispatched(submit, world)
    path = f"/concerns/{concern.pk}"
    with time_machine.travel(local(2026, 3, 3, 9, 0), tick=False):
        assert as_user(u.handler, "post", f"{path}/suspend/", {"reason": "等待判决", "expected_resume": "2026-03-20"}
                       ).status_code == 403
        missing = as_user(u.dispatcher, "post", f"{path}/suspend/", {"reason": "等待判决"})
        assert missing.status_code == 400 and missing.json()["detail"].startswith("expected_resume：")
        past = as_user(u.dispatcher, "post", f"{path}/suspend/", {"reason": "等待判决", "expected_resume": "2026-03-03"})
        assert past.json() == {"detail": "预计恢复日期须晚于今天", "field": "expected_resume"}
        suspended = as_user(
            u.dispatcher, "post", f"{path}/suspend/", {"reason": "等待法院判决", "expected_resume": "2026-03-20"}
        )
        assert suspended.status_code == 200, suspended.content
        body = suspended.json()
        assert body["status"] == Status.SUSPENDED and body["is_overdue"] is False
        assert body["suspension"]["reason"] == "等待法院判决"
        assert body["suspension"]["expected_resume"] == "2026-03-20"
        assert body["suspension"]["from_status"] == Status.DISPATCHED
        assert "resume" in body["allowed_actions"]
        twice = as_user(u.dispatcher, "post", f"{path}/suspend/", {"reason": "x", "expected_resume": "2026-03-20"})
        assert twice.status_code == 409 and twice.json() == {"detail": "当前状态为已挂起，不能挂起"}
        extend = as_user(u.handler, "post", f"{path}/extend/", {"new_date": "2026-03-13", "reason": "x"})
        assert extend.status_code == 409 and extend.json()["detail"] == "当前状态为已挂起，不能申请延期"
        listed = as_user(u.dispatcher, "get", "/concerns/", {"status": "suspended"}).json()
        assert [row["reference"] for row in listed["results"]] == [concern.reference]
    with time_machine.travel(local(2026, 3, 6, 9, 0), tick=False):
        resumed = as_user(u.dispatcher, "post", f"{path}/resume/", {"note": "判决已下达"})
        assert resumed.status_code == 200, resumed.content
        again = as_user(u.dispatcher, "post", f"{path}/resume/", {})
    body = resumed.json()
    assert body["status"] == Status.DISPATCHED and body["suspension"] is None
    # Suspended Tuesday 3 to Friday 6: three working days (3, 4, 5); Monday 9 becomes Thursday 12.
    assert body["resolution_due"] == workdays.end_of_day(D(2026, 3, 12)).isoformat()
    assert again.status_code == 409 and again.json() == {"detail": "当前状态为已派单，不能恢复办理"}
    assert audited(concern, "挂起") and audited(concern, "恢复办理")
