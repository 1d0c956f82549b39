"""Signing in by the rotating QR code, ticking the roster, late sign-in and its reason."""

import datetime
import re

import pytest
import time_machine
from django.utils import timezone

from zhenwu.audit.models import AuditEntry
from zhenwu.study import services
from zhenwu.study.models import Attendance, SessionKind, SignInMethod

from .conftest import local


@pytest.fixture
def live_session(cast, study):
    """A session for 九龙村党总支 running from 10:00 to 11:30 on 2026-11-20, serving an item of a
    2026 campaign (a session takes place within its campaign's period)."""
    campaign = services.create_campaign(
        name="2026年党纪学习", starts_on=datetime.date(2026, 11, 1), ends_on=datetime.date(2026, 12, 31),
        party_orgs=[cast.committee], by=cast.users.town_admin,
    )
    optional = services.add_campaign_item(campaign, kind="optional", title="主题党日", by=cast.users.town_admin)
    return services.create_session(
        campaign=campaign, kind=SessionKind.PARTY_DAY, title="十一月主题党日", starts_at=local(2026, 11, 20, 10),
        ends_at=local(2026, 11, 20, 11, 30), party_orgs=[cast.jiulong_org], items=[optional],
        by=cast.users.secretary,
    )


DURING = local(2026, 11, 20, 10, 15, 7)


def test_a_code_is_accepted_in_its_own_slot_and_the_next_but_not_after(live_session, cast):
    code = services.signin_code(live_session, at=DURING)
    slot = services.slot_seconds()
    services.check_signin_code(live_session, code, now=DURING)
    services.check_signin_code(live_session, code, now=DURING + datetime.timedelta(seconds=slot))
    with pytest.raises(services.SignInRefused) as refused:
        services.check_signin_code(live_session, code, now=DURING + datetime.timedelta(seconds=2 * slot))
    assert refused.value.code == "stale"
    assert "二维码已过期" in refused.value.message


def test_a_forged_or_foreign_code_is_invalid(live_session, study):
    good = services.signin_code(live_session, at=DURING)
    slot, token = good.split("-")
    for code in (f"{slot}-{'0' * 20}", "garbage", f"{int(slot) + 5}-{token}",
                 services.signin_code(study.study_class, at=DURING)):
        with pytest.raises(services.SignInRefused) as refused:
            services.check_signin_code(live_session, code, now=DURING)
        assert refused.value.code == "invalid", code


def test_the_code_changes_from_one_slot_to_the_next(live_session):
    slot = services.slot_seconds()
    assert services.signin_code(live_session, at=DURING) != services.signin_code(
        live_session, at=DURING + datetime.timedelta(seconds=slot))


@time_machine.travel(DURING, tick=False)
def test_a_member_signs_in_by_the_link_once_and_a_second_scan_says_already_signed(client, login, cast, live_session):
    login(cast.users.member)
    path = services.signin_path(live_session)
    response = client.get(path)
    assert response.status_code == 200
    assert "签到成功" in response.content.decode()
    attendance = Attendance.objects.get(session=live_session, member=cast.members.jiulong)
    assert attendance.method == SignInMethod.QR and attendance.recorded_by == cast.users.member
    assert AuditEntry.objects.filter(object_type="study.Attendance", object_id=str(attendance.pk)).exists()

    again = client.get(services.signin_path(live_session))
    assert "您已签到" in again.content.decode()
    assert Attendance.objects.filter(session=live_session).count() == 1


def test_a_stale_link_is_refused_with_a_clear_message(client, login, cast, live_session):
    path = services.signin_path(live_session, at=DURING - datetime.timedelta(minutes=3))
    with time_machine.travel(DURING, tick=False):
        login(cast.users.member)
        response = client.get(path)
    assert response.status_code == 410
    body = response.content.decode()
    assert "二维码已过期" in body and "重新扫描" in body
    assert not Attendance.objects.filter(session=live_session).exists()


@time_machine.travel(DURING, tick=False)
def test_a_member_of_another_branch_cannot_sign_in_with_a_forwarded_code(client, cast, live_session):
    from conftest import PASSWORD
    from zhenwu.accounts.models import Role, User

    user = User(username="peng", role=Role.MEMBER)
    user.set_password(PASSWORD)
    user.save()
    cast.members.jizhen.user = user
    cast.members.jizhen.save()
    client.post("/accounts/login/", {"username": "peng", "password": PASSWORD})
    response = client.get(services.signin_path(live_session))
    assert response.status_code == 403
    assert "不在本次学习的参加范围内" in response.content.decode()
    assert not Attendance.objects.filter(session=live_session).exists()


@time_machine.travel(DURING, tick=False)
def test_a_staff_account_without_a_member_record_is_told_so(client, login, cast, live_session):
    login(cast.users.grid_worker)
    response = client.get(services.signin_path(live_session))
    assert response.status_code == 403
    assert "尚未关联党员档案" in response.content.decode()


def test_a_member_who_scans_before_logging_in_is_signed_in_right_after_login(client, cast, live_session):
    from conftest import PASSWORD

    with time_machine.travel(DURING, tick=False):
        response = client.get(services.signin_path(live_session))
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
        assert not Attendance.objects.filter(session=live_session).exists()
    # Logging in takes two minutes: the code on the screen has changed twice since the scan.
    with time_machine.travel(DURING + datetime.timedelta(minutes=2), tick=False):
        next_url = re.search(r"next=([^&]+)", response["Location"]).group(1)
        login = client.post(f"/accounts/login/?next={next_url}",
                            {"username": "member1", "password": PASSWORD, "next": next_url.replace("%2F", "/")})
        assert login.status_code == 302
        done = client.get(login["Location"])
    assert "签到成功" in done.content.decode()
    # The time of the scan is kept, not the time of the login.
    assert Attendance.objects.get(session=live_session).signed_at == DURING


def test_a_scan_left_waiting_more_than_ten_minutes_before_login_is_refused(live_session, cast):
    code = services.signin_code(live_session, at=DURING)
    with pytest.raises(services.SignInRefused) as refused:
        services.sign_in_by_qr(live_session, member=cast.members.jiulong, code=code, by=cast.users.member,
                               scanned_at=DURING, now=DURING + datetime.timedelta(minutes=11))
    assert refused.value.code == "stale"


def test_scanning_after_the_session_ended_points_to_the_secretary(live_session, cast):
    after = local(2026, 11, 20, 11, 45)
    with pytest.raises(services.SignInRefused) as refused:
        services.sign_in_by_qr(live_session, member=cast.members.jiulong,
                               code=services.signin_code(live_session, at=after), by=cast.users.member, now=after)
    assert refused.value.code == "ended" and "联系支部书记" in refused.value.message


def test_scanning_long_before_the_start_is_not_open_yet(live_session, cast):
    early = local(2026, 11, 20, 8, 0)
    with pytest.raises(services.SignInRefused) as refused:
        services.check_signin_code(live_session, services.signin_code(live_session, at=early), now=early)
    assert refused.value.code == "not_open"


# --- roster and late sign-in ------------------------------------------------------------------


def test_the_secretary_ticks_a_member_during_the_session_without_a_reason(live_session, cast):
    attendance, created = services.tick_roster(live_session, member=cast.members.jiulong, by=cast.users.secretary,
                                               now=DURING)
    assert created and attendance.method == SignInMethod.ROSTER and attendance.reason == ""
    again, created = services.tick_roster(live_session, member=cast.members.jiulong, by=cast.users.secretary,
                                          now=DURING)
    assert not created and again.pk == attendance.pk


def test_a_sign_in_after_the_session_needs_a_reason_and_is_marked_late(live_session, cast):
    after = local(2026, 11, 21, 9, 0)
    with pytest.raises(services.StudyError) as error:
        services.tick_roster(live_session, member=cast.members.jiulong, by=cast.users.secretary, now=after)
    assert "补签原因" in error.value.message
    attendance, _ = services.tick_roster(live_session, member=cast.members.jiulong, by=cast.users.secretary,
                                         reason="到会未扫码，经核实", now=after)
    assert attendance.method == SignInMethod.LATE and attendance.reason == "到会未扫码，经核实"


def test_the_roster_page_late_form_shows_the_missing_reason_error(client, login, cast, study):
    login(cast.users.secretary)
    url = f"/study/sessions/{study.study_class.pk}/late/"
    response = client.post(url, {"member": study.wang.pk, "reason": ""})
    assert response.status_code == 422
    assert "补签原因" in response.content.decode()
    response = client.post(url, {"member": study.wang.pk, "reason": "参加了学习但忘记签到，本人说明"})
    assert response.status_code == 302
    assert Attendance.objects.get(session=study.study_class, member=study.wang).method == SignInMethod.LATE


def test_a_member_cannot_be_ticked_into_a_session_of_another_branch(live_session, cast):
    with pytest.raises(services.StudyError):
        services.tick_roster(live_session, member=cast.members.jizhen, by=cast.users.town_admin, now=DURING)


@time_machine.travel(DURING, tick=False)
def test_ticking_by_htmx_returns_the_row_and_untick_removes_it(client, login, cast, live_session):
    login(cast.users.secretary)
    member = cast.members.jiulong
    response = client.post(f"/study/sessions/{live_session.pk}/roster/{member.pk}/tick/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    body = response.content.decode()
    assert f'id="member-{member.pk}"' in body and "点名签到" in body and "<html" not in body
    response = client.post(f"/study/sessions/{live_session.pk}/roster/{member.pk}/untick/", HTTP_HX_REQUEST="true")
    assert response.status_code == 200 and "为黎干亮签到" in response.content.decode()
    assert not Attendance.objects.filter(session=live_session).exists()
    assert AuditEntry.objects.filter(object_type="study.Attendance", action="delete").count() == 1


@time_machine.travel(DURING, tick=False)
def test_the_qr_screen_is_for_the_secretary_and_shows_a_code_that_opens_the_sign_in(client, login, cast, live_session):
    login(cast.users.secretary)
    response = client.get(f"/study/sessions/{live_session.pk}/qr/")
    assert response.status_code == 200
    body = response.content.decode()
    assert "<svg" in body and "已签到 0 / 4 人" in body
    fragment = client.get(f"/study/sessions/{live_session.pk}/qr/", HTTP_HX_REQUEST="true").content.decode()
    assert fragment.lstrip().startswith('<div id="qr-code"') and "<html" not in fragment
    client.logout()
    login(cast.users.member)
    assert client.get(f"/study/sessions/{live_session.pk}/qr/").status_code == 403


def test_now_is_the_default_clock(live_session):
    assert services.signin_slot(timezone.now()) == services.signin_slot(timezone.now())
