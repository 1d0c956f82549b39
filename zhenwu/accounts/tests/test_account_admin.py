import datetime

import pytest
import time_machine
from django_otp.plugins.otp_totp.models import TOTPDevice

from conftest import PASSWORD
from zhenwu.accounts import services
from zhenwu.accounts.models import Role, User
from zhenwu.audit.models import AuditAction, AuditEntry

from .conftest import LOGIN_URL, MONDAY_9AM, token_for

NON_ADMIN_ROLES = ["leader", "dispatcher", "handler", "secretary", "grid_worker", "instructor", "member"]


def _pages(pk):
    return [("get", "/accounts/users/"), ("get", "/accounts/users/new/"), ("post", "/accounts/users/new/"),
            ("get", f"/accounts/users/{pk}/"), ("get", f"/accounts/users/{pk}/edit/"),
            ("post", f"/accounts/users/{pk}/edit/")] + [
        ("post", f"/accounts/users/{pk}/{action}/")
        for action in ("deactivate", "reactivate", "reset-password", "unlock", "reset-otp")
    ]


@pytest.mark.parametrize("role", NON_ADMIN_ROLES)
def test_every_account_page_is_forbidden_to_other_roles(client, cast, login, role):
    login(getattr(cast.users, role))
    target = cast.users.other_grid_worker
    for method, url in _pages(target.pk):
        response = getattr(client, method)(url)
        assert response.status_code == 403, (method, url)
    target.refresh_from_db()
    assert target.is_active and not target.must_change_password
    assert not AuditEntry.objects.filter(object_type="accounts.User", object_id=str(target.pk)).exists()


def test_account_pages_are_closed_to_anonymous_visitors(client, cast):
    for method, url in _pages(cast.users.grid_worker.pk):
        response = getattr(client, method)(url)
        assert response.status_code == 302
        assert response.url.startswith("/accounts/login/")


def test_the_account_list_shows_status_with_a_bounded_number_of_queries(
    client, cast, login, django_assert_max_num_queries
):
    login(cast.users.town_admin)
    for _ in range(5):
        client.post(LOGIN_URL, {"username": "grid2", "password": "Wrong#pass1"})
    login(cast.users.town_admin)
    for i in range(20):
        User.objects.create(username=f"extra{i}", role=Role.GRID_WORKER, area=cast.jiulong_grid)

    with django_assert_max_num_queries(10):
        response = client.get("/accounts/users/")

    body = response.content.decode()
    assert response.status_code == 200
    assert "extra19" in body and "secretary1" in body
    assert body.count("已锁定") == 1


# --- creating accounts ------------------------------------------------------------------------


def _create(client, **data):
    form = {"username": "", "full_name": "", "role": "", "area": "", "party_org": "", "department": ""}
    form.update({k: (v.pk if hasattr(v, "pk") else v) for k, v in data.items()})
    return client.post("/accounts/users/new/", form)


def test_creating_a_handler_needs_a_department(client, cast, login):
    login(cast.users.town_admin)

    response = _create(client, username="liuwei", full_name="刘伟", role="handler")

    assert response.status_code == 200
    assert response.context["form"].errors["department"] == ["职能部门办理人须选择所属部门"]
    assert not User.objects.filter(username="liuwei").exists()


def test_creating_a_handler_with_a_department_shows_a_temporary_password_once(client, cast, login):
    login(cast.users.town_admin)

    response = _create(client, username="liuwei", full_name="刘伟", role="handler", department=cast.urban,
                       area=cast.jiulong)

    assert response.status_code == 200
    password = response.context["password"]
    assert password in response.content.decode()
    assert response["Cache-Control"].startswith("max-age=0")
    user = User.objects.get(username="liuwei")
    assert (user.role, user.full_name, user.department, user.area) == ("handler", "刘伟", cast.urban, None)
    assert user.must_change_password
    entry = AuditEntry.objects.get(action=AuditAction.CREATE, object_type="accounts.User", object_id=str(user.pk))
    assert entry.actor == cast.users.town_admin
    assert password not in str(entry.changes)

    # The holder logs in with it and must change it first.
    client.post("/accounts/logout/")
    response = client.post(LOGIN_URL, {"username": "liuwei", "password": password})
    assert response.url == "/accounts/password/"
    assert client.get("/").url == "/accounts/password/"


def test_a_grid_worker_needs_an_area_of_grid_level(client, cast, login):
    login(cast.users.town_admin)

    response = _create(client, username="grid9", full_name="周敏", role="grid_worker", area=cast.jiulong)

    assert response.context["form"].errors["area"] == ["网格员的所辖区域须为网格，“九龙村”是村"]
    response = _create(client, username="grid9", full_name="周敏", role="grid_worker", area=cast.jiulong_grid2)
    assert User.objects.get(username="grid9").area == cast.jiulong_grid2


def test_a_secretary_needs_a_village_and_a_party_org_of_that_village(client, cast, login):
    login(cast.users.town_admin)

    response = _create(client, username="sec9", full_name="陈静", role="secretary", area=cast.jiulong_grid)
    errors = response.context["form"].errors
    assert errors["area"] == ["村(社区)支部书记的所辖区域须为村或社区，“九龙村第一网格”是网格"]
    assert errors["party_org"] == ["村(社区)支部书记须选择所属党组织"]

    response = _create(client, username="sec9", full_name="陈静", role="secretary", area=cast.jiulong,
                       party_org=cast.jizhen_org)
    assert response.context["form"].errors["party_org"] == ["党组织“集镇村党总支”不属于“九龙村”"]

    _create(client, username="sec9", full_name="陈静", role="secretary", area=cast.jiulong,
            party_org=cast.jiulong_org)
    user = User.objects.get(username="sec9")
    assert (user.area, user.party_org) == (cast.jiulong, cast.jiulong_org)


def test_a_username_already_taken_in_any_letter_case_is_refused(client, cast, login):
    login(cast.users.town_admin)
    response = _create(client, username="Secretary1", full_name="重复", role="member")
    assert response.context["form"].errors["username"] == ["账号“Secretary1”已存在"]


def test_a_username_with_spaces_or_slashes_is_refused(client, cast, login):
    login(cast.users.town_admin)
    response = _create(client, username="li wei/2", full_name="李伟", role="member")
    assert response.context["form"].errors["username"] == ["账号只能包含字母、数字和 @ . + - _"]


def test_an_unknown_role_is_refused(client, cast, login):
    login(cast.users.town_admin)
    response = _create(client, username="x1", full_name="某", role="mayor")
    assert "role" in response.context["form"].errors
    assert not User.objects.filter(username="x1").exists()


# --- changing, deactivating, reactivating ---------------------------------------------------


def test_an_administrator_moves_a_grid_worker_to_another_grid(client, cast, login):
    login(cast.users.town_admin)
    worker = cast.users.grid_worker

    response = client.post(f"/accounts/users/{worker.pk}/edit/", {
        "full_name": "网格员甲", "role": "grid_worker", "area": cast.jiulong_grid2.pk,
    })

    assert response.url == f"/accounts/users/{worker.pk}/"
    worker.refresh_from_db()
    assert worker.area == cast.jiulong_grid2
    entry = AuditEntry.objects.filter(action=AuditAction.UPDATE, object_id=str(worker.pk)).latest("id")
    assert entry.changes["area_id"] == [cast.jiulong_grid.pk, cast.jiulong_grid2.pk]


def test_an_administrator_cannot_change_their_own_role(client, cast, login):
    admin = cast.users.town_admin
    login(admin)
    response = client.post(f"/accounts/users/{admin.pk}/edit/", {
        "full_name": "admin1", "role": "leader", "area": cast.town.pk, "party_org": cast.committee.pk,
    })
    assert response.context["form"].errors["role"] == ["不能修改自己的角色"]
    admin.refresh_from_db()
    assert admin.role == Role.TOWN_ADMIN


def test_the_last_active_town_administrator_cannot_be_demoted_or_deactivated(cast):
    admin = cast.users.town_admin
    other = services.create_account(username="admin2", password=PASSWORD, role=Role.TOWN_ADMIN,
                                    area=cast.town, party_org=cast.committee)
    services.deactivate_account(other, by=admin)
    with pytest.raises(services.ValidationError, match="唯一启用的镇管理员"):
        services.update_account(admin, full_name="", role=Role.LEADER, area=cast.town,
                                party_org=cast.committee, by=other)
    with pytest.raises(services.ValidationError, match="唯一启用的镇管理员"):
        services.deactivate_account(admin, by=other)


def test_a_deactivated_account_loses_its_session_and_cannot_log_in_until_reactivated(cast, login, client,
                                                                                      client_factory):
    worker = cast.users.grid_worker
    worker_client = client_factory()
    worker_client.post(LOGIN_URL, {"username": worker.username, "password": PASSWORD})
    assert worker_client.get("/").status_code == 200
    login(cast.users.town_admin)

    response = client.post(f"/accounts/users/{worker.pk}/deactivate/")

    assert response.url == f"/accounts/users/{worker.pk}/"
    assert "已停用账号" in client.get(response.url).content.decode()
    assert worker_client.get("/").status_code == 302
    assert worker_client.post(LOGIN_URL, {"username": worker.username, "password": PASSWORD}).status_code == 200

    client.post(f"/accounts/users/{worker.pk}/reactivate/")

    assert worker_client.post(LOGIN_URL, {"username": worker.username, "password": PASSWORD}).status_code == 302
    notes = list(AuditEntry.objects.filter(action=AuditAction.UPDATE, object_id=str(worker.pk))
                 .order_by("id").values_list("note", flat=True))
    assert notes == ["停用账号", "启用账号"]


def test_an_administrator_cannot_deactivate_themselves(client, cast, login):
    admin = cast.users.town_admin
    login(admin)
    response = client.post(f"/accounts/users/{admin.pk}/deactivate/", follow=True)
    assert "不能停用自己的账号" in response.content.decode()
    admin.refresh_from_db()
    assert admin.is_active


# --- passwords, lockouts, second factor -------------------------------------------------------


def test_resetting_a_password_gives_a_temporary_one_and_ends_the_old(client, cast, login, client_factory):
    secretary = cast.users.secretary
    old_session = client_factory()
    old_session.post(LOGIN_URL, {"username": secretary.username, "password": PASSWORD})
    login(cast.users.town_admin)

    response = client.post(f"/accounts/users/{secretary.pk}/reset-password/")

    temporary = response.context["password"]
    assert temporary in response.content.decode()
    secretary.refresh_from_db()
    assert secretary.must_change_password
    assert old_session.get("/").status_code == 302  # the old session was signed with the old password
    fresh = client_factory()
    assert fresh.post(LOGIN_URL, {"username": secretary.username, "password": PASSWORD}).status_code == 200
    assert fresh.post(LOGIN_URL, {"username": secretary.username, "password": temporary}).url == \
        "/accounts/password/"
    entry = AuditEntry.objects.filter(action=AuditAction.UPDATE, object_id=str(secretary.pk)).latest("id")
    assert entry.note == "管理员重置密码"
    assert entry.actor == cast.users.town_admin


def test_an_administrator_unlocks_a_locked_out_account(client, cast, login, client_factory):
    secretary = cast.users.secretary
    with time_machine.travel(MONDAY_9AM, tick=False) as traveller:
        victim = client_factory()
        for _ in range(5):
            victim.post(LOGIN_URL, {"username": secretary.username, "password": "Wrong#pass1"})
        assert victim.post(LOGIN_URL, {"username": secretary.username, "password": PASSWORD}).status_code == 429
        traveller.shift(datetime.timedelta(minutes=3))
        login(cast.users.town_admin)
        assert "登录已锁定" in client.get(f"/accounts/users/{secretary.pk}/").content.decode()

        response = client.post(f"/accounts/users/{secretary.pk}/unlock/")

        assert response.status_code == 302
        assert "登录已锁定" not in client.get(f"/accounts/users/{secretary.pk}/").content.decode()
        assert victim.post(LOGIN_URL, {"username": secretary.username, "password": PASSWORD}).status_code == 302
    entry = AuditEntry.objects.get(action=AuditAction.SECURITY, object_id=str(secretary.pk))
    assert entry.note.startswith("解除登录锁定")
    assert entry.actor == cast.users.town_admin


def test_unlocking_one_account_leaves_another_locked(client, cast, login, client_factory):
    with time_machine.travel(MONDAY_9AM, tick=False):
        other = client_factory()
        for username in ("secretary1", "grid2"):
            for _ in range(5):
                other.post(LOGIN_URL, {"username": username, "password": "Wrong#pass1"})
        login(cast.users.town_admin)
        client.post(f"/accounts/users/{cast.users.secretary.pk}/unlock/")
        assert services.locked_out_usernames() == {"grid2"}


def test_resetting_the_second_factor_makes_the_administrator_enrol_again(client, cast, login, client_factory):
    colleague = services.create_account(username="admin2", password=PASSWORD, role=Role.TOWN_ADMIN,
                                        area=cast.town, party_org=cast.committee, must_change_password=False)
    device = TOTPDevice.objects.create(user=colleague, name="旧手机", confirmed=True)
    colleague_client = client_factory()
    colleague_client.post(LOGIN_URL, {"username": "admin2", "password": PASSWORD})
    colleague_client.post("/accounts/otp/verify/", {"token": token_for(device)})
    assert colleague_client.get("/org/households/").status_code == 200
    login(cast.users.town_admin)

    client.post(f"/accounts/users/{colleague.pk}/reset-otp/")

    assert not TOTPDevice.objects.filter(user=colleague).exists()
    response = colleague_client.get("/org/households/")
    assert response.url.startswith("/accounts/otp/verify/")
    assert colleague_client.get(response.url).url.startswith("/accounts/otp/setup/")
    entry = AuditEntry.objects.get(action=AuditAction.SECURITY, object_id=str(colleague.pk),
                                   note__startswith="重置动态口令")
    assert entry.actor == cast.users.town_admin


def test_account_actions_refuse_get(client, cast, login):
    login(cast.users.town_admin)
    for action in ("deactivate", "reactivate", "reset-password", "unlock", "reset-otp"):
        assert client.get(f"/accounts/users/{cast.users.grid_worker.pk}/{action}/").status_code == 405


def test_an_unknown_account_is_a_404(client, cast, login):
    login(cast.users.town_admin)
    assert client.get("/accounts/users/999999/").status_code == 404
