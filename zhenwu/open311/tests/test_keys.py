"""Issuing and revoking Open311 keys: the page, the command, audit, hashing."""

from io import StringIO

import pytest
from django.core.management import call_command

from zhenwu.audit.models import AuditEntry
from zhenwu.lib.crypto import hash_token
from zhenwu.open311.keys import authenticate_api_key, create_api_key
from zhenwu.open311.models import ApiKey


def test_a_town_admin_creates_a_key_sees_it_once_and_revokes_it(client, world, login):
    admin = login(world.users.town_admin)
    response = admin.post("/api/keys/", {"name": "市12345热线", "rate_limit_per_minute": "120", "queued": "on"})
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"]
    plain = response.context["plain"]
    key = ApiKey.objects.get()
    assert key.key_hash == hash_token(plain) and plain not in (key.prefix, key.key_hash)
    assert key.rate_limit_per_minute == 120 and key.queued and key.created_by == world.users.town_admin
    assert plain.encode() in response.content
    listing = admin.get("/api/keys/")
    assert plain.encode() not in listing.content and key.prefix.encode() in listing.content
    assert authenticate_api_key(plain) == key
    assert admin.post(f"/api/keys/{key.pk}/revoke/").status_code == 302
    assert authenticate_api_key(plain) is None
    notes = set(AuditEntry.objects.filter(object_type="open311.ApiKey").values_list("note", flat=True))
    assert notes == {"创建接口密钥“市12345热线”", "吊销接口密钥“市12345热线”"}


def test_key_form_errors_are_chinese_and_create_nothing(client, world, login):
    admin = login(world.users.town_admin)
    response = admin.post("/api/keys/", {"name": "", "rate_limit_per_minute": "0"})
    assert "请填写名称" in response.content.decode() and "每分钟请求上限至少为1" in response.content.decode()
    assert not ApiKey.objects.exists()


@pytest.mark.parametrize("role", ["dispatcher", "leader", "handler", "grid_worker"])
def test_only_town_admins_manage_keys(client, world, login, role):
    key, _ = create_api_key(name="热线")
    session = login(getattr(world.users, role))
    assert session.get("/api/keys/").status_code == 403
    assert session.post(f"/api/keys/{key.pk}/revoke/").status_code == 403
    key.refresh_from_db()
    assert key.revoked_at is None


def test_the_command_prints_a_working_key(world):
    out = StringIO()
    call_command("open311_key", "巡查App", "--rate", "30", stdout=out)
    plain = out.getvalue().strip()
    key = authenticate_api_key(plain)
    assert key.name == "巡查App" and key.rate_limit_per_minute == 30 and key.created_by is None
