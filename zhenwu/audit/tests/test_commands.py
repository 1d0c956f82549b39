import pytest
from django.core.management import CommandError, call_command

from zhenwu.audit.models import AuditAction, AuditEntry
from zhenwu.audit.services import record_event

pytestmark = pytest.mark.django_db


@pytest.fixture
def entries():
    return [record_event(action=AuditAction.SECURITY, note=f"第{i}条") for i in range(12)]


def test_verify_command_prints_the_count_and_ok_for_an_intact_chain(entries, capsys):
    call_command("verify_audit_chain")

    assert capsys.readouterr().out.strip() == "已校验 12 条记录，审计链完整 OK"


def test_verify_command_names_the_first_bad_entry_and_exits_with_code_1(entries):
    AuditEntry.objects.filter(pk=entries[7].pk).update(note="被改了")

    with pytest.raises(CommandError) as failure:
        call_command("verify_audit_chain")

    assert failure.value.returncode == 1
    message = str(failure.value)
    assert message == f"审计链校验失败：编号 {entries[7].pk} 内容与哈希不符（记录被篡改）（此前 7 条完好）"


def test_verify_command_reports_a_deleted_entry(entries):
    AuditEntry.objects.filter(pk=entries[4].pk).delete()

    with pytest.raises(CommandError, match=f"编号 {entries[5].pk} 与前一条记录的链接断开"):
        call_command("verify_audit_chain")


def test_verify_command_on_an_empty_log_is_ok(capsys, db):
    call_command("verify_audit_chain")

    assert "已校验 0 条记录" in capsys.readouterr().out
