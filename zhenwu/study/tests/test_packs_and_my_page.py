"""Study packs (初心大礼包) with receipts, and the member's own page."""

import datetime

from zhenwu.audit.models import AuditEntry
from zhenwu.study import services
from zhenwu.study.models import PackHandout


def test_a_pack_is_handed_out_once_per_member_and_receipted(client, login, cast, study):
    pack = services.create_study_pack(name="初心大礼包", contents="《习近平新时代中国特色社会主义思想学习纲要》、党章、笔记本",
                                      campaign=study.campaign)
    login(cast.users.secretary)
    response = client.post(f"/study/packs/{pack.pk}/", {
        "members": [study.zhao.pk, study.wang.pk], "handed_on": "2019-09-05", "receipt": "signed",
    })
    assert response.status_code == 302
    created, skipped = services.hand_out_pack(pack, members=[study.zhao, study.li], handed_on=datetime.date(2019, 9, 5),
                                              receipt="signed")
    assert len(created) == 1 and skipped == 1
    assert PackHandout.objects.filter(pack=pack).count() == 3
    assert all(h.received_at for h in PackHandout.objects.all())
    assert AuditEntry.objects.filter(object_type="study.PackHandout").count() == 3
    body = client.get("/study/packs/").content.decode()
    assert "已发放 3 份" in body and "已签收 3 份" in body


def test_a_member_signs_for_a_pack_on_the_phone(client, login, cast, study):
    pack = services.create_study_pack(name="初心大礼包", contents="学习资料")
    services.hand_out_pack(pack, members=[study.lgl], handed_on=datetime.date(2019, 9, 5), receipt="app")
    handout = PackHandout.objects.get()
    assert handout.received_at is None
    login(cast.users.member)
    assert "确认签收" in client.get("/study/me/").content.decode()
    client.post(f"/study/handouts/{handout.pk}/confirm/")
    handout.refresh_from_db()
    assert handout.received_at is not None
    client.logout()
    login(cast.users.secretary)
    assert client.post(f"/study/handouts/{handout.pk}/confirm/").status_code == 404


def test_the_member_page_shows_my_sessions_items_and_mentor(client, login, cast, study):
    services.create_mentorship(mentor=study.zhao, mentees=[study.lgl], started_on=datetime.date(2019, 9, 20))
    login(cast.users.member)
    body = client.get("/study/me/").content.decode()
    items = body.split('data-testid="my-items"')[1].split("</ul>")[0]
    assert "第三期学习班" in items and "已补学" in items
    sessions = body.split('data-testid="my-sessions"')[1].split("</ul>")[0]
    assert "第三期主题教育学习班" in sessions and "未参加" in sessions
    assert sessions.count("未参加") == 2 and "初心故事会" in sessions
    services.tick_roster(study.lesson, member=study.lgl, by=cast.users.secretary, reason="会后核实")
    sessions = client.get("/study/me/").content.decode().split('data-testid="my-sessions"')[1].split("</ul>")[0]
    assert sessions.count("未参加") == 1 and sessions.count("已签到") == 1
    assert "我的帮学人" in body and "赵六" in body


def test_a_member_without_a_record_is_told_to_ask_the_secretary(client, cast, db):
    from conftest import PASSWORD
    from zhenwu.accounts.models import Role, User

    user = User(username="newbie", role=Role.MEMBER)
    user.set_password(PASSWORD)
    user.save()
    client.post("/accounts/login/", {"username": "newbie", "password": PASSWORD})
    assert "尚未关联党员档案" in client.get("/study/me/").content.decode()
