"""Signing in without signal (离线扫码): the code the session's screen showed is signed with the
server's key and carries its time; the phone sends it later, and it is accepted when that time lies
in the session's sign-in window and it arrives by the grace after the end."""

import datetime

import pytest

from zhenwu.study import services
from zhenwu.study.models import Attendance, SignInMethod

from .test_signin import DURING, live_session  # noqa: F401  (the fixture)

AFTER_END = datetime.timedelta(minutes=30)


def test_a_code_scanned_offline_is_accepted_later_dated_when_the_screen_showed_it(live_session, cast):  # noqa: F811
    code = services.signin_code(live_session, at=DURING)
    arrives = live_session.ends_at + AFTER_END  # the member found signal after the session
    attendance, created = services.sign_in_offline(live_session, member=cast.members.jiulong, code=code,
                                                   by=cast.users.member, now=arrives)
    assert created and attendance.method == SignInMethod.QR_OFFLINE
    slot = services.slot_seconds()
    assert DURING - datetime.timedelta(seconds=slot) < attendance.signed_at <= DURING  # the code's time, signed
    again, created = services.sign_in_offline(live_session, member=cast.members.jiulong, code=code, now=arrives)
    assert again == attendance and not created and Attendance.objects.filter(session=live_session).count() == 1


def test_forged_out_of_window_late_and_unexpected_offline_signins_are_refused_in_chinese(
        live_session, cast, settings):  # noqa: F811
    member = cast.members.jiulong
    code = services.signin_code(live_session, at=DURING)
    slot, _, token = code.partition("-")
    forged = [f"{int(slot) + 100}-{token}", f"{slot}-{'0' * 20}", "", "abc", f"-1-{token}"]
    for bad in forged:
        with pytest.raises(services.SignInRefused) as refused:
            services.sign_in_offline(live_session, member=member, code=bad, now=DURING)
        assert refused.value.code == "invalid" and "签到码无效" in refused.value.message

    early = services.signin_code(live_session, at=live_session.starts_at - datetime.timedelta(hours=2))
    after = services.signin_code(live_session, at=live_session.ends_at + datetime.timedelta(minutes=1))
    for bad in (early, after):
        with pytest.raises(services.SignInRefused) as refused:
            services.sign_in_offline(live_session, member=member, code=bad, now=DURING)
        assert refused.value.code == "outside" and "不在《十一月主题党日》的签到时间内" in refused.value.message

    settings.ZHENWU_OFFLINE_SIGNIN_GRACE_MINUTES = 60
    with pytest.raises(services.SignInRefused) as refused:
        services.sign_in_offline(live_session, member=member, code=code,
                                 now=live_session.ends_at + datetime.timedelta(minutes=61))
    assert refused.value.code == "late" and "11月20日12:30前联网送达" in refused.value.message

    with pytest.raises(services.SignInRefused) as refused:
        services.sign_in_offline(live_session, member=cast.members.jizhen, code=code, now=DURING)
    assert refused.value.code == "not_expected"
    assert not Attendance.objects.filter(session=live_session).exists()
