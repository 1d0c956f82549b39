import pytest
from django.contrib import admin
from django.db.models import ProtectedError

from conftest import PASSWORD
from zhenwu.accounts.models import User
from zhenwu.audit.admin import AuditedModelAdmin, AuditEntryAdmin
from zhenwu.audit.models import AuditAction, AuditAnchor, AuditEntry
from zhenwu.audit.services import record_event, verify_chain
from zhenwu.org.models import Department

from .admin_urls import site

pytestmark = [pytest.mark.django_db, pytest.mark.urls("zhenwu.audit.tests.admin_urls")]

BASE = "/test-admin/org/department/"


@pytest.fixture
def superuser(cast, client, login):
    user = User.objects.create_superuser("root1", password=PASSWORD, role="town_admin", area=cast.town)
    login(user)
    return user


def _form(department, **changes):
    data = {"name": department.name, "town": department.town_id, "description": department.description}
    if department.is_active:
        data["is_active"] = "on"
    data.update(changes)
    return data


def test_adding_through_the_admin_is_logged_with_the_new_values_and_the_admin_user(client, cast, superuser):
    response = client.post(
        f"{BASE}add/", {"name": "文联", "town": cast.town.pk, "description": "文艺", "is_active": "on"}
    )

    assert response.status_code == 302
    department = Department.objects.get(name="文联")
    entry = AuditEntry.objects.get(action=AuditAction.CREATE, object_type="org.Department")
    assert entry.object_id == str(department.pk)
    assert entry.changes["name"] == [None, "文联"] and entry.changes["description"] == [None, "文艺"]
    assert (entry.actor_id, entry.actor_label) == (superuser.pk, "root1")
    assert entry.note == "配置管理后台"


def test_changing_through_the_admin_logs_before_and_after_of_the_changed_fields_only(client, cast, superuser):
    department = cast.urban

    response = client.post(
        f"{BASE}{department.pk}/change/", _form(department, name="城建办（新）", description="城乡建设")
    )

    assert response.status_code == 302
    entry = AuditEntry.objects.get(action=AuditAction.UPDATE, object_type="org.Department")
    assert entry.changes == {"name": ["城建办", "城建办（新）"], "description": ["", "城乡建设"]}
    assert entry.object_repr == "城建办（新）"


def test_saving_without_changes_through_the_admin_logs_nothing(client, cast, superuser):
    department = cast.urban

    client.post(f"{BASE}{department.pk}/change/", _form(department))

    assert not AuditEntry.objects.filter(object_type="org.Department").exists()


def test_deleting_through_the_admin_logs_the_values_before_deletion(client, cast, superuser):
    department = Department.objects.get(name="党建办")

    response = client.post(f"{BASE}{department.pk}/delete/", {"post": "yes"})

    assert response.status_code == 302
    assert not Department.objects.filter(pk=department.pk).exists()
    entry = AuditEntry.objects.get(action=AuditAction.DELETE)
    assert (entry.object_type, entry.object_id) == ("org.Department", str(department.pk))
    assert entry.changes["name"] == ["党建办", None]
    assert verify_chain().ok


def test_bulk_deleting_through_the_admin_logs_each_row(client, cast, superuser):
    extra = [Department.objects.create(name=f"临时{i}", town=cast.town) for i in range(3)]

    response = client.post(
        BASE, {"action": "delete_selected", "_selected_action": [d.pk for d in extra], "post": "yes"}
    )

    assert response.status_code == 302
    assert not Department.objects.filter(name__startswith="临时").exists()
    logged = AuditEntry.objects.filter(action=AuditAction.DELETE).values_list("object_id", flat=True)
    assert sorted(logged) == sorted(str(d.pk) for d in extra)


def test_a_delete_the_database_refuses_leaves_no_entry(rf, cast):
    model_admin = AuditedModelAdmin(Department, site)

    with pytest.raises(ProtectedError):
        model_admin.delete_model(rf.post("/"), cast.urban)  # a handler's department: protected

    assert Department.objects.filter(pk=cast.urban.pk).exists()
    assert not AuditEntry.objects.filter(action=AuditAction.DELETE).exists()


def test_the_audit_log_is_read_only_in_the_admin_even_for_a_superuser(client, cast, superuser):
    entry = record_event(action=AuditAction.SECURITY, note="只读")
    url = f"/admin/audit/auditentry/{entry.pk}/change/"

    assert client.get("/admin/audit/auditentry/").status_code == 200
    assert client.get(url).status_code == 200  # view only
    assert client.get("/admin/audit/auditentry/add/").status_code == 403
    assert client.post(url, {"note": "改"}).status_code == 403
    assert client.post(f"/admin/audit/auditentry/{entry.pk}/delete/", {"post": "yes"}).status_code == 403
    assert AuditEntry.objects.get(pk=entry.pk).note == "只读"
    assert client.get("/admin/audit/auditanchor/add/").status_code == 403


def test_no_one_has_add_change_or_delete_permission_on_the_audit_log(rf, cast):
    request = rf.get("/")
    request.user = User(is_superuser=True, is_staff=True, is_active=True)
    entry_admin = admin.site._registry[AuditEntry]
    anchor_admin = admin.site._registry[AuditAnchor]

    assert isinstance(entry_admin, AuditEntryAdmin)
    for model_admin in (entry_admin, anchor_admin):
        assert not model_admin.has_add_permission(request)
        assert not model_admin.has_change_permission(request)
        assert not model_admin.has_delete_permission(request)
    assert "delete_selected" not in entry_admin.get_actions(request)
