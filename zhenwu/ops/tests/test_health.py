"""/healthz for load balancers, the periodic-command tracking behind it, and the status page."""

import datetime
from unittest import mock

import pytest
import time_machine
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import OperationalError, connections
from django.db.migrations.loader import MigrationLoader
from django.utils import timezone

from zhenwu.audit.models import AuditEntry
from zhenwu.audit.services import record_event
from zhenwu.ops.backup import app_version
from zhenwu.ops.command_runs import installed_at
from zhenwu.ops.models import CommandRun

pytestmark = pytest.mark.django_db


def test_healthy_installation_answers_200_with_every_check_and_the_version(client):
    response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 200, body
    assert body["status"] == "ok" and body["version"] == app_version() != "unknown"
    assert body["database"] and body["migrations"] and body["media"] and body["periodic"]
    assert body["overdue"] == [] and "errors" not in body
    assert response["Cache-Control"] == "no-store"


def test_unreachable_database_turns_health_503(client):
    broken = OperationalError('connection failed: connection to server at "10.0.0.5", port 5432 failed')
    with mock.patch.object(connections["default"], "cursor", side_effect=broken):
        response = client.get("/healthz")
    body = response.json()
    assert response.status_code == 503
    assert body["status"] == "error" and body["database"] is False
    assert any(e.startswith("database: OperationalError") for e in body["errors"])
    assert body["version"] == app_version()


def test_unapplied_migrations_turn_health_503(client, monkeypatch):
    import zhenwu.ops.health as health

    monkeypatch.setattr(health, "_migrations_applied", False)
    on_disk = health.disk_migration_names()
    with mock.patch("zhenwu.ops.health.disk_migration_names", return_value=on_disk | {("concerns", "0099_new")}):
        response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["migrations"] is False and "migrations: 1 unapplied" in response.json()["errors"]


def test_disk_migration_names_are_the_loaders_without_importing_them():
    """The health check's names are exactly what Django's own loader reads from disk, and
    reading them imports no migration module."""
    import json
    import subprocess
    import sys

    import zhenwu.ops.health as health

    names = health.disk_migration_names()
    assert names == set(MigrationLoader(None, ignore_no_migrations=True).disk_migrations)
    # In a fresh process (this one imported every migration to build the test database).
    script = (
        "import django, json, sys; django.setup();"
        "from zhenwu.ops.health import disk_migration_names;"
        "n = len(disk_migration_names());"
        "print(json.dumps([n, [m for m in sys.modules if '.migrations.0' in m]]))"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True)
    count, imported = json.loads(out.stdout.strip().splitlines()[-1])
    assert count == len(names) and imported == []
    assert ("concerns", "0026_concern_map_micro_index") in names


def test_a_migration_recorded_as_unapplied_turns_health_503(client, monkeypatch):
    """Against the real table: remove one applied record and the check counts it waiting."""
    from django.db import connection
    from django.db.migrations.recorder import MigrationRecorder

    import zhenwu.ops.health as health

    monkeypatch.setattr(health, "_migrations_applied", False)
    assert health.check_migrations() == (True, 0)
    monkeypatch.setattr(health, "_migrations_applied", False)
    MigrationRecorder(connection).record_unapplied("concerns", "0026_concern_map_micro_index")
    assert health.check_migrations() == (False, 1)
    response = client.get("/healthz")
    assert response.status_code == 503 and "migrations: 1 unapplied" in response.json()["errors"]


def test_unwritable_media_turns_health_503(client, settings, tmp_path):
    media = tmp_path / "media"
    media.mkdir()
    media.chmod(0o500)
    settings.MEDIA_ROOT = str(media)
    try:
        import os

        if os.geteuid() == 0:  # root writes anywhere: make the media root a file instead
            media.chmod(0o700)
            media.rmdir()
            media.write_text("not a directory")
        response = client.get("/healthz")
    finally:
        if media.is_dir():
            media.chmod(0o700)
    assert response.status_code == 503
    assert response.json()["media"] is False


def test_overdue_periodic_command_turns_health_503_until_it_runs_again(client):
    start = installed_at()
    assert start is not None
    # 26 minutes after installation: escalation (every 15 minutes, 10 minutes' grace) is overdue.
    with time_machine.travel(start + datetime.timedelta(minutes=26), tick=False):
        response = client.get("/healthz")
        assert response.status_code == 503
        assert response.json()["overdue"] == ["escalate_overdue_concerns"]
        assert response.json()["periodic"] is False

        call_command("escalate_overdue_concerns", stdout=mock.MagicMock())
        run = CommandRun.objects.get(name="escalate_overdue_concerns")
        assert run.ok is True and run.finished == timezone.now() and run.duration is not None
        assert client.get("/healthz").status_code == 200

    # Two days on, the daily commands are overdue too, escalation again.
    with time_machine.travel(start + datetime.timedelta(days=2), tick=False):
        overdue = client.get("/healthz").json()["overdue"]
        assert "escalate_overdue_concerns" in overdue and "backup" in overdue and "verify_audit_chain" in overdue
        assert "prune_audit" not in overdue and "send_missing_lists" not in overdue


def test_failed_run_is_recorded_with_its_error_and_does_not_count_as_on_time(client):
    record_event(action="create", object_type="test.Thing", object_id="1")
    AuditEntry.objects.update(note="改过")  # tampering breaks the chain
    with pytest.raises(CommandError):
        call_command("verify_audit_chain")
    run = CommandRun.objects.get(name="verify_audit_chain")
    assert run.ok is False and "审计链校验失败" in run.error and run.finished is not None
    with time_machine.travel(installed_at() + datetime.timedelta(days=2), tick=False):
        body = client.get("/healthz").json()
    assert "verify_audit_chain" in body["overdue"] and "verify_audit_chain" in body["failing"]


def test_periodic_check_can_be_switched_off(client, settings):
    settings.ZHENWU_PERIODIC_CHECK = False
    with time_machine.travel(installed_at() + datetime.timedelta(days=40), tick=False):
        response = client.get("/healthz")
    assert response.status_code == 200 and response.json()["periodic_checked"] is False


def test_status_page_shows_runs_and_failures_to_the_town_admin_only(client, cast, login, django_assert_max_num_queries):
    call_command("escalate_overdue_concerns", stdout=mock.MagicMock())
    CommandRun.objects.create(name="backup", started=timezone.now(), finished=timezone.now(), ok=False,
                              error="pg_dump 失败：磁盘已满")
    login(cast.users.leader)
    assert client.get("/ops/").status_code == 403
    client.logout()
    login(cast.users.town_admin)
    with django_assert_max_num_queries(20):
        response = client.get("/ops/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "超期诉求督办" in page and "数据备份" in page and "pg_dump 失败：磁盘已满" in page
    assert "从未运行" in page  # e.g. prune_audit
    assert f"版本 {app_version()}" in page  # the footer


def test_footer_shows_the_version_on_public_pages(client):
    page = client.get("/concerns/report/").content.decode()
    assert f"版本 {app_version()}" in page


def test_json_log_lines_carry_the_request_id():
    import json
    import logging

    from zhenwu.lib.request_context import RequestIdFilter
    from zhenwu.ops.jsonlog import JsonFormatter

    record = logging.LogRecord("zhenwu.x", logging.WARNING, __file__, 1, "诉求 %s 已受理", ("MQ-1",), None)
    request = mock.Mock(request_id="abc123")
    with mock.patch("zhenwu.lib.request_context._current") as current:
        current.get.return_value = request
        RequestIdFilter().filter(record)
    record.reference = "MQ-1"
    line = json.loads(JsonFormatter().format(record))
    assert line["request_id"] == "abc123" and line["message"] == "诉求 MQ-1 已受理"
    assert line["level"] == "WARNING" and line["logger"] == "zhenwu.x" and line["reference"] == "MQ-1"


def test_the_browsers_own_favicon_request_gets_the_sites_icon(client):
    response = client.get("/favicon.ico")
    assert response.status_code == 301 and response["Location"].endswith("img/favicon.png")
    assert client.get(response["Location"]).status_code == 200
