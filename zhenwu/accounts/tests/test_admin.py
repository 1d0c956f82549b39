"""The configuration admin (superusers): accounts are scope-checked, audited, never deleted."""

import pytest

from zhenwu.accounts.models import User
from zhenwu.audit.models import AuditAction, AuditEntry


@pytest.fixture
def superuser(cast):
    user = cast.users.town_admin
    user.is_staff = user.is_superuser = True
    user.save()
    return user


def _change_form(user, **overrides):
    data = {
        "username": user.username, "full_name": user.full_name, "email": "", "role": user.role,
        "area": user.area_id or "", "party_org": user.party_org_id or "", "department": user.department_id or "",
        "is_active": "on", "date_joined_0": "2026-01-01", "date_joined_1": "08:00:00",
    }
    data.update(overrides)
    return {k: v for k, v in data.items() if v is not None}


def test_the_admin_lists_accounts_with_role_and_scope(client, cast, login, superuser):
    login(superuser)
    response = client.get("/admin/accounts/user/?role__exact=grid_worker")
    body = response.content.decode()
    assert response.status_code == 200
    assert "grid1" in body and "grid2" in body and "secretary1" not in body


def test_an_admin_change_is_scope_checked(client, cast, login, superuser):
    login(superuser)
    worker = cast.users.grid_worker
    response = client.post(f"/admin/accounts/user/{worker.pk}/change/", _change_form(worker, area=cast.jiulong.pk))
    assert response.status_code == 200
    assert "网格员的所辖区域须为网格" in response.content.decode()
    worker.refresh_from_db()
    assert worker.area == cast.jiulong_grid


def test_an_admin_change_is_audited(client, cast, login, superuser):
    login(superuser)
    worker = cast.users.grid_worker
    response = client.post(f"/admin/accounts/user/{worker.pk}/change/",
                           _change_form(worker, area=cast.jiulong_grid2.pk))
    assert response.status_code == 302
    entry = AuditEntry.objects.filter(action=AuditAction.UPDATE, object_id=str(worker.pk)).latest("id")
    assert entry.note == "配置管理中修改账号"
    assert entry.changes["area_id"] == [cast.jiulong_grid.pk, cast.jiulong_grid2.pk]


def test_accounts_cannot_be_deleted_in_the_admin(client, cast, login, superuser):
    login(superuser)
    worker = cast.users.grid_worker
    assert client.get(f"/admin/accounts/user/{worker.pk}/delete/").status_code == 403
    assert User.objects.filter(pk=worker.pk).exists()


def test_a_password_set_in_the_admin_is_audited(client, cast, login, superuser):
    login(superuser)
    worker = cast.users.grid_worker
    response = client.post(f"/admin/accounts/user/{worker.pk}/password/", {
        "password1": "Wangge#2027", "password2": "Wangge#2027", "usable_password": "true",
    })
    assert response.status_code == 302
    worker.refresh_from_db()
    assert worker.check_password("Wangge#2027")
    assert AuditEntry.objects.filter(action=AuditAction.SECURITY, object_id=str(worker.pk),
                                     note="配置管理中修改密码").exists()
