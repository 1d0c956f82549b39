import io
import tracemalloc

import pytest
from django.utils import timezone
from openpyxl import load_workbook

from zhenwu.audit.export import EXPORT_JOB, write_entries
from zhenwu.audit.models import AuditAction, AuditEntry
from zhenwu.audit.services import record_create, record_event, record_reveal, record_update, snapshot
from zhenwu.jobs.models import Job, JobStatus
from zhenwu.jobs.services import run_pending_jobs
from zhenwu.lib.request_context import Actor, acting_as

pytestmark = pytest.mark.django_db

URL = "/audit/export/"


def _export(client, params=None):
    """Ask for the export as the page does (POST, filters in the query string), let the worker run
    it, and download the file from the job's page; returns (job, download response)."""
    response = client.post(URL, query_params=params or {})
    job = Job.objects.get(kind=EXPORT_JOB)
    assert response.status_code == 302 and response["Location"] == f"/jobs/{job.pk}/status/"
    run_pending_jobs()
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.message
    return job, client.get(f"/jobs/{job.pk}/download/")


def _rows(response):
    assert response.status_code == 200
    assert response.streaming
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    return [list(row) for row in book.active.iter_rows(values_only=True)]


@pytest.fixture
def personal_history(cast):
    resident = cast.residents.jiulong
    record_create(resident)
    before = snapshot(resident)
    resident.phone = "13911112222"
    resident.id_number = "430181195001011252"
    resident.save()
    record_update(resident, before)
    admin = cast.users.town_admin
    with acting_as(Actor(user_id=admin.pk, label=admin.username)):
        record_reveal(resident, field="身份证号")
    record_event(
        action=AuditAction.SECURITY, object_repr="430181195001011236", note="有人把 13800138000 写进了说明"
    )
    return resident


def test_the_export_holds_masked_numbers_only(client, cast, login, personal_history):
    login(cast.users.town_admin)

    job, download = _export(client)
    rows = _rows(download)

    assert 'filename*=utf-8\'\'%E5%AE%A1%E8%AE%A1%E6%97%A5%E5%BF%97-' in download["Content-Disposition"]
    assert job.result["rows"] == len(rows) - 1 and job.progress == job.total == len(rows) - 1
    text = "\n".join(str(cell) for row in rows for cell in row)
    for full in ("13800138000", "13911112222", "430181195001011236", "430181195001011252"):
        assert full not in text
    for masked in ("138****8000", "139****2222", "430181********1236", "430181********1252"):
        assert masked in text
    assert rows[0][:5] == ["编号", "时间", "操作人", "IP地址", "操作"]
    assert len(rows) == 1 + AuditEntry.objects.exclude(action=AuditAction.EXPORT).count()


def test_the_export_is_itself_an_audit_entry_naming_the_filters_and_count(
    client, cast, login, personal_history
):
    login(cast.users.town_admin)

    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()  # recorded when written
    rows = _rows(_export(client, {"action": "reveal", "object_type": "org.Resident"})[1])

    assert [row[4] for row in rows[1:]] == ["查看完整信息"]
    export = AuditEntry.objects.get(action=AuditAction.EXPORT)
    assert export.actor_label == "admin1" and export.actor_id == cast.users.town_admin.pk
    assert export.note == "导出审计日志1条；筛选：操作=查看完整信息；对象类型=org.Resident"
    assert export.object_type == "audit.AuditEntry"


def test_the_export_rows_follow_the_filters_newest_first(client, cast, login):
    entries = [record_event(action=AuditAction.SECURITY, note=f"批次{i}") for i in range(30)]
    login(cast.users.town_admin)

    rows = _rows(_export(client, {"q": "批次"})[1])

    assert [row[0] for row in rows[1:]] == [e.id for e in reversed(entries)]
    assert rows[1][9] == "批次29"


def test_text_that_looks_like_a_formula_or_holds_control_characters_is_exported_as_plain_text(
    client, cast, login
):
    record_event(
        action=AuditAction.SECURITY,
        object_repr='=HYPERLINK("http://evil.example","点我")',
        note="响铃\x07字符",
    )
    login(cast.users.town_admin)

    response = _export(client, {"action": "security"})[1]
    book = load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    row = list(book.active.iter_rows(min_row=2, max_row=2))[0]

    assert row[7].data_type == "s" and row[7].value.startswith("=HYPERLINK")
    assert row[9].value == "响铃字符"


def test_bad_filters_are_refused_with_a_message_and_nothing_is_exported(client, cast, login):
    login(cast.users.town_admin)

    response = client.post(URL + "?date_from=昨天", follow=True)

    assert "筛选条件有误，请修改后再导出" in response.content.decode()
    assert not Job.objects.filter(kind=EXPORT_JOB).exists()
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()


def test_the_export_is_asked_for_by_post_only_and_by_town_admins_only(client, cast, login):
    login(cast.users.town_admin)
    assert client.get(URL).status_code == 405
    login(cast.users.leader)
    assert client.post(URL).status_code == 403
    assert not Job.objects.filter(kind=EXPORT_JOB).exists()


def test_an_export_whose_admin_lost_the_role_before_it_ran_fails_with_a_message(client, cast, login):
    admin = cast.users.town_admin
    login(admin)
    client.post(URL)
    admin.role = cast.users.leader.role
    admin.save()

    run_pending_jobs()

    job = Job.objects.get(kind=EXPORT_JOB)
    assert job.status == JobStatus.FAILED and "不再是镇管理员" in job.message and not job.output_file
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()


def _add_rows(n, start):
    """Rows for size only, inserted in bulk (the export does not verify the chain)."""
    now = timezone.now()
    AuditEntry.objects.bulk_create(
        [
            AuditEntry(
                at=now,
                action=AuditAction.SECURITY,
                object_repr="对象" * 40,
                note="说明" * 60,
                changes={"name": ["旧名称" * 5, "新名称" * 5]},
                prev_hash=f"{start + i:064x}",
                hash=f"{start + i + 10**9:064x}",
            )
            for i in range(n)
        ],
        batch_size=1000,
    )


def _export_peak():
    tracemalloc.start()
    out, _ = write_entries(AuditEntry.objects.filter(action=AuditAction.SECURITY))
    out.close()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak


def test_export_memory_does_not_grow_with_the_number_of_rows(cast):
    _add_rows(1000, 1)
    small = _export_peak()
    _add_rows(1500, 1001)
    large = _export_peak()

    # 2.5 times the rows, both past the first chunks; holding them all would add about 2.5 MB.
    assert large < small + 300_000, (small, large)
