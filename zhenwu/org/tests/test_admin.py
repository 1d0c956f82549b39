"""The configuration admin (areas, party organisations, departments) writes the audit log too."""

import pytest

from zhenwu.audit.models import AuditEntry
from zhenwu.audit.services import verify_chain
from zhenwu.org.models import Area, Department


@pytest.fixture
def admin_client(client, cast, login):
    admin = cast.users.town_admin
    admin.is_staff = admin.is_superuser = True
    admin.save()
    login(admin)
    return client


def test_adding_and_changing_a_department_in_the_admin_is_audited(admin_client, cast):
    response = admin_client.post("/admin/org/department/add/", {
        "name": "文联", "town": cast.town.pk, "description": "文艺志愿服务", "is_active": "on", "_save": "1",
    })
    assert response.status_code == 302, response.content[:500]
    department = Department.objects.get(name="文联")
    assert AuditEntry.objects.filter(action="create", object_type="org.Department",
                                     object_id=str(department.pk)).exists()

    response = admin_client.post(f"/admin/org/department/{department.pk}/change/", {
        "name": "文联", "town": cast.town.pk, "description": "文艺志愿服务、书画摄影展", "_save": "1",
    })
    assert response.status_code == 302
    entry = AuditEntry.objects.get(action="update", object_type="org.Department")
    assert entry.changes["is_active"] == [True, False]
    assert entry.changes["description"][1] == "文艺志愿服务、书画摄影展"
    assert verify_chain().ok


def test_adding_a_grid_in_the_area_tree_admin_is_audited(admin_client, cast):
    response = admin_client.post("/admin/org/area/add/", {
        "name": "集镇村第二网格", "level": "grid", "code": "430181110202-02",
        "treebeard_position": "sorted-child", "treebeard_ref_node": cast.jizhen.pk, "_save": "1",
    })
    assert response.status_code == 302, response.content[:800]
    grid = Area.objects.get(code="430181110202-02")
    assert grid.path.startswith(cast.jizhen.path) and grid.depth == cast.jizhen.depth + 1
    assert AuditEntry.objects.filter(action="create", object_type="org.Area", object_id=str(grid.pk)).exists()


def test_the_area_page_links_the_town_admin_to_the_configuration_admin(admin_client):
    body = admin_client.get("/org/areas/").content.decode()
    assert "/admin/org/area/" in body


def test_other_staff_get_no_admin_link_on_the_area_page(client, cast, login):
    login(cast.users.leader)
    assert "/admin/org/area/" not in client.get("/org/areas/").content.decode()
