import datetime
import zoneinfo

import pytest
import time_machine
from django.core.management import CommandError, call_command

from zhenwu.audit.models import AuditAction, AuditAnchor, AuditEntry
from zhenwu.audit.services import RetentionTooShort, prune_entries, record_event, verify_chain

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
START = datetime.datetime(2026, 1, 1, 9, 0, tzinfo=SHANGHAI)


def _entries_on(day, n, note):
    with time_machine.travel(day, tick=False):
        return [record_event(action=AuditAction.SECURITY, note=f"{note}{i}") for i in range(n)]


@pytest.fixture
def aged_log():
    """10 entries 200 days before `now`, 5 entries 100 days before it."""
    old = _entries_on(START, 10, "旧")
    recent = _entries_on(START + datetime.timedelta(days=100), 5, "新")
    return old, recent, START + datetime.timedelta(days=200)


def test_pruning_deletes_old_entries_and_the_chain_still_verifies(aged_log):
    old, recent, now = aged_log
    with time_machine.travel(now, tick=False):
        deleted = prune_entries(older_than_days=180)

    assert deleted == 10
    assert not AuditEntry.objects.filter(pk__in=[e.pk for e in old]).exists()
    anchor = AuditAnchor.objects.get()
    assert (anchor.pruned_before_id, anchor.prev_hash) == (old[-1].pk, old[-1].hash)
    prune_entry = AuditEntry.objects.get(action=AuditAction.PRUNE)
    assert "10条" in prune_entry.note and prune_entry.actor_label == "系统"
    report = verify_chain()
    assert report.ok, report
    assert report.checked == 5 + 1


def test_the_chain_keeps_verifying_after_later_writes_and_a_second_prune(aged_log):
    _, recent, now = aged_log
    with time_machine.travel(now, tick=False):
        prune_entries(older_than_days=180)
    _entries_on(now + datetime.timedelta(days=1), 3, "后")
    with time_machine.travel(now + datetime.timedelta(days=90), tick=False):
        assert prune_entries(older_than_days=180) == 5
    _entries_on(now + datetime.timedelta(days=91), 2, "再后")

    report = verify_chain()

    assert report.ok, report
    assert AuditAnchor.objects.count() == 2
    assert report.checked == AuditEntry.objects.count()


def test_after_pruning_deleting_the_first_kept_entry_is_still_detected(aged_log):
    _, recent, now = aged_log
    with time_machine.travel(now, tick=False):
        prune_entries(older_than_days=180)

    AuditEntry.objects.filter(pk=recent[0].pk).delete()

    assert verify_chain().first_bad_id == recent[1].pk


def test_after_pruning_tampering_with_a_kept_entry_is_still_detected(aged_log):
    _, recent, now = aged_log
    with time_machine.travel(now, tick=False):
        prune_entries(older_than_days=180)

    AuditEntry.objects.filter(pk=recent[2].pk).update(note="改")

    assert verify_chain().first_bad_id == recent[2].pk


def test_pruning_nothing_old_enough_writes_no_anchor(aged_log):
    _, _, now = aged_log
    with time_machine.travel(now, tick=False):
        assert prune_entries(older_than_days=365) == 0

    assert not AuditAnchor.objects.exists()
    assert AuditEntry.objects.count() == 15


@pytest.mark.parametrize("days", [179, 30, 0, -5])
def test_pruning_refuses_to_keep_less_than_180_days(aged_log, days):
    _, _, now = aged_log
    with time_machine.travel(now, tick=False), pytest.raises(RetentionTooShort, match="至少保留180天"):
        prune_entries(older_than_days=days)

    assert AuditEntry.objects.count() == 15
    assert not AuditAnchor.objects.exists()


def test_the_prune_command_refuses_fewer_than_180_days(aged_log):
    _, _, now = aged_log
    with time_machine.travel(now, tick=False), pytest.raises(CommandError, match="至少保留180天"):
        call_command("prune_audit", "--days", "179")

    assert AuditEntry.objects.count() == 15


def test_the_prune_command_prunes_and_reports_the_count(aged_log, capsys):
    _, _, now = aged_log
    with time_machine.travel(now, tick=False):
        call_command("prune_audit", "--days", "180")

    assert "已清理 180 天前的审计日志 10 条" in capsys.readouterr().out
    assert verify_chain().ok


def test_the_prune_command_keeps_the_configured_retention_by_default(aged_log, settings, capsys):
    _, _, now = aged_log
    settings.AUDIT_RETENTION_DAYS = 365
    with time_machine.travel(now, tick=False):
        call_command("prune_audit")

    assert "已清理 365 天前的审计日志 0 条" in capsys.readouterr().out
    assert AuditEntry.objects.filter(action=AuditAction.SECURITY).count() == 15
