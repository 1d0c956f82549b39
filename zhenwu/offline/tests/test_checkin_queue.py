"""A sign-in scanned without signal, queued on the member's phone and sent later (POST
/offline/queue/, kind "checkin"): taken once within the window, refused with the reason after."""

import datetime
import uuid

import pytest
import time_machine

from zhenwu.offline.models import SentRecord
from zhenwu.study import services
from zhenwu.study.models import Attendance, SignInMethod
from zhenwu.study.tests.conftest import build_study, local

pytestmark = pytest.mark.django_db


@pytest.fixture
def session(cast):
    build_study(cast)
    campaign = services.create_campaign(
        name="2026年党纪学习", starts_on=datetime.date(2026, 11, 1), ends_on=datetime.date(2026, 12, 31),
        party_orgs=[cast.committee], by=cast.users.town_admin,
    )
    item = services.add_campaign_item(campaign, kind="optional", title="主题党日", by=cast.users.town_admin)
    return services.create_session(
        campaign=campaign, kind="party_day", title="十一月主题党日", starts_at=local(2026, 11, 20, 10),
        ends_at=local(2026, 11, 20, 11, 30), party_orgs=[cast.jiulong_org], items=[item], by=cast.users.secretary,
    )


def _checkin(session, code):
    return {"key": str(uuid.uuid4()), "kind": "checkin", "target": str(session.pk), "base": "",
            "recorded_at": local(2026, 11, 20, 10, 5).isoformat(), "code": code}


def test_a_checkin_scanned_offline_reaches_the_server_in_time_and_is_taken_once(cast, login, session):
    code = services.signin_code(session, at=local(2026, 11, 20, 10, 5))
    client = login(cast.users.member)
    data = _checkin(session, code)
    with time_machine.travel(local(2026, 11, 20, 12, 0), tick=False):
        response = client.post("/offline/queue/", data)
        again = client.post("/offline/queue/", data)
    assert response.status_code == 201, response.content.decode()
    assert "已签到《十一月主题党日》（扫码时间10:05）" == response.json()["message"]
    assert again.status_code == 200
    attendance = Attendance.objects.get(session=session)
    assert attendance.member == cast.members.jiulong and attendance.method == SignInMethod.QR_OFFLINE
    assert SentRecord.objects.get().object_id == attendance.pk


def test_a_checkin_arriving_too_late_or_forged_comes_back_with_the_reason(cast, login, session):
    code = services.signin_code(session, at=local(2026, 11, 20, 10, 5))
    client = login(cast.users.member)
    with time_machine.travel(local(2026, 11, 21, 9, 0), tick=False):
        late = client.post("/offline/queue/", _checkin(session, code))
        forged = client.post("/offline/queue/", _checkin(session, code[:-1] + ("0" if code[-1] != "0" else "1")))
    assert late.status_code == 409 and "离线签到须在11月20日13:30前联网送达" in late.json()["message"]
    assert forged.status_code == 409 and "签到码无效" in forged.json()["message"]
    assert not Attendance.objects.filter(session=session).exists() and not SentRecord.objects.exists()
