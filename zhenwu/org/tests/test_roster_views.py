"""The roster import pages through the client: upload, background check, preview, commit."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse

from zhenwu.audit.models import AuditAction, AuditEntry
from zhenwu.jobs.models import Job, JobStatus
from zhenwu.jobs.services import run_pending_jobs
from zhenwu.org.models import Household, Resident
from zhenwu.org.roster.jobs import COMMIT_JOB, VALIDATE_JOB
from zhenwu.org.roster.stage import Stage

from .roster_files import good_residents, resident_row, xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def upload(client, rows=None, *, kind="residents", data=None, name="住户花名册.xlsx"):
    content = data if data is not None else xlsx(rows if rows is not None else good_residents(4)).getvalue()
    return client.post(
        reverse("org:roster_import"),
        {"kind": kind, "file": SimpleUploadedFile(name, content, content_type=XLSX)},
    )


def latest_job():
    return Job.objects.order_by("-id").first()


# --- permissions --------------------------------------------------------------------------------

ROSTER_URLS = [
    ("get", "org:roster_import", ()),
    ("get", "org:roster_job", (1,)),
    ("post", "org:roster_commit", (1,)),
    ("get", "org:roster_export", ("residents",)),
    ("post", "org:roster_export", ("members",)),
    ("get", "org:roster_sample", ("members",)),
]


@pytest.mark.parametrize("who", ["member", "handler", "grid_worker", "leader"])
@pytest.mark.parametrize(("method", "name", "args"), ROSTER_URLS)
def test_accounts_without_roster_rights_get_403(client, cast, login, who, method, name, args):
    login(getattr(cast.users, who))
    response = getattr(client, method)(reverse(name, args=args))
    assert response.status_code == 403


def test_an_anonymous_visitor_is_sent_to_the_login_page(client, db):
    response = client.post(reverse("org:roster_import"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_a_secretary_reaches_the_import_page(client, cast, login):
    login(cast.users.secretary)
    page = client.get(reverse("org:roster_import")).content.decode()
    assert "上传并检查" in page and "导出完整" not in page


# --- the whole flow -------------------------------------------------------------------------------


def test_upload_check_preview_and_commit_through_the_pages(client, cast, login):
    admin = cast.users.town_admin
    login(admin)
    rows = good_residents(4)
    rows[0][8] = "13800138000"

    response = upload(client, rows)

    job = latest_job()
    assert response.status_code == 302 and response["Location"] == reverse("org:roster_job", args=[job.pk])
    assert job.kind == VALIDATE_JOB and job.status == JobStatus.PENDING
    assert job.payload["filename"] == "住户花名册.xlsx" and len(job.payload["sha256"]) == 64
    page = client.get(response["Location"]).content.decode()
    assert 'hx-get="/jobs/' in page and "排队中" in page
    assert Resident.objects.count() == 3

    run_pending_jobs()

    page = client.get(reverse("org:roster_job", args=[job.pk])).content.decode()
    assert "确认导入" in page and "全部 4 行检查无误" in page
    assert "138****8000" in page and "13800138000" not in page  # the preview is masked
    assert rows[1][7] not in page and f"{rows[1][7][:6]}********{rows[1][7][-4:]}" in page
    assert 'hx-get="/jobs/' not in page  # finished: no more polling
    assert Resident.objects.count() == 3

    response = client.post(reverse("org:roster_commit", args=[job.pk]))
    commit_job = latest_job()
    assert commit_job.kind == COMMIT_JOB
    assert response["Location"] == reverse("org:roster_job", args=[commit_job.pk])
    run_pending_jobs()

    commit_job.refresh_from_db()
    assert commit_job.status == JobStatus.DONE, commit_job.message
    assert Resident.objects.count() == 7 and Household.objects.count() == 5
    page = client.get(reverse("org:roster_job", args=[commit_job.pk])).content.decode()
    assert "导入完成：新增2户、4人" in page
    event = AuditEntry.objects.get(action=AuditAction.IMPORT)
    assert event.actor == admin and event.changes["sha256"] == job.payload["sha256"]
    assert AuditEntry.objects.filter(action=AuditAction.CREATE, object_type="org.Resident", actor=admin).count() == 4

    # A second commit of the same file is refused.
    response = client.post(reverse("org:roster_commit", args=[job.pk]), follow=True)
    assert "该文件已经提交导入，请勿重复提交" in response.content.decode()
    assert Job.objects.filter(kind=COMMIT_JOB).count() == 1


def test_the_commit_job_writes_the_rows_its_check_staged_encrypted_and_never_downloadable(client, cast, login, monkeypatch):
    login(cast.users.town_admin)
    rows = good_residents(4)
    upload(client, rows)
    run_pending_jobs()
    job = latest_job()
    assert job.stage_file and not job.output_file
    raw = job.stage_file.read()
    assert rows[0][7].encode() not in raw and "居民1".encode() not in raw  # encrypted at rest
    assert client.get(reverse("jobs:job_download", args=[job.pk])).status_code == 404

    read = []
    original = Stage.read
    monkeypatch.setattr(Stage, "read", classmethod(lambda cls, f: read.append(1) or original(f)))
    client.post(reverse("org:roster_commit", args=[job.pk]))
    run_pending_jobs()
    commit_job = latest_job()
    assert commit_job.status == JobStatus.DONE, commit_job.message
    assert read == [1] and Resident.objects.filter(name__startswith="居民").count() == 4


def test_a_commit_reads_the_file_again_when_the_checkers_scope_changed(client, cast, login, monkeypatch):
    secretary = cast.users.secretary
    login(secretary)
    upload(client, good_residents(2))
    run_pending_jobs()
    job = latest_job()
    assert job.stage_file
    secretary.area = cast.jiulong_grid  # moved to a narrower post after the check
    secretary.save(update_fields=["area"])
    monkeypatch.setattr(Stage, "read", classmethod(lambda cls, f: pytest.fail("stage used")))
    client.post(reverse("org:roster_commit", args=[job.pk]))
    run_pending_jobs()
    commit_job = latest_job()
    assert commit_job.status == JobStatus.DONE, commit_job.message


def test_the_user_can_leave_and_come_back_to_a_running_check(client, cast, login):
    login(cast.users.secretary)
    upload(client, good_residents(3), name="九龙村.xlsx")
    job = latest_job()
    # The worker is half-way through.
    Job.objects.filter(pk=job.pk).update(status=JobStatus.RUNNING, progress=50, total=200, message="已检查 50 行")

    client.get(reverse("reports:home"))  # the user goes elsewhere
    page = client.get(reverse("org:roster_import")).content.decode()
    assert "九龙村.xlsx" in page and reverse("org:roster_job", args=[job.pk]) in page

    page = client.get(reverse("org:roster_job", args=[job.pk])).content.decode()
    assert "50 / 200（25%）" in page and "已检查 50 行" in page
    fragment = client.get(reverse("jobs:job_status", args=[job.pk]), headers={"HX-Request": "true"})
    assert "25%" in fragment.content.decode() and "HX-Refresh" not in fragment

    Job.objects.filter(pk=job.pk).update(status=JobStatus.PENDING)
    run_pending_jobs()
    fragment = client.get(reverse("jobs:job_status", args=[job.pk]), headers={"HX-Request": "true"})
    assert fragment["HX-Refresh"] == "true"
    assert "3行全部正确" in client.get(reverse("org:roster_job", args=[job.pk])).content.decode()


def test_errors_are_listed_on_the_page_with_a_download_of_the_full_list(client, cast, login):
    login(cast.users.town_admin)
    rows = good_residents(3) + [resident_row("错号", household="JL-7", id_no="430181198001010010")]
    upload(client, rows)
    run_pending_jobs()
    job = latest_job()
    page = client.get(reverse("org:roster_job", args=[job.pk])).content.decode()
    assert "有错误，未导入任何数据" in page
    assert "<td>5</td><td>身份证号</td><td>身份证号校验位错误</td>" in page
    assert "确认导入</button>" not in page
    download = client.get(reverse("jobs:job_download", args=[job.pk]))
    assert download.status_code == 200
    assert "attachment" in download["Content-Disposition"]
    response = client.post(reverse("org:roster_commit", args=[job.pk]), follow=True)
    assert "文件中还有错误" in response.content.decode()


def test_only_the_uploader_may_commit(client, cast, login):
    login(cast.users.secretary)
    upload(client, good_residents(2))
    run_pending_jobs()
    job = latest_job()
    client.logout()
    login(cast.users.town_admin)
    assert client.get(reverse("org:roster_job", args=[job.pk])).status_code == 200  # may look
    response = client.post(reverse("org:roster_commit", args=[job.pk]), follow=True)
    assert "只有上传该文件的人可以确认导入" in response.content.decode()
    assert not Job.objects.filter(kind=COMMIT_JOB).exists()


def test_another_secretarys_job_is_not_found(client, cast, login):
    from zhenwu.accounts.models import Role, User

    login(cast.users.secretary)
    upload(client, good_residents(2))
    job = latest_job()
    client.logout()
    other = User.objects.create_user("secretary2", password="Zhenwu#2026", role=Role.SECRETARY, area=cast.jizhen,
                                     party_org=cast.jizhen_org)
    login(other)
    assert client.get(reverse("org:roster_job", args=[job.pk])).status_code == 404
    assert client.post(reverse("org:roster_commit", args=[job.pk])).status_code == 404


# --- bad files through the page ---------------------------------------------------------------------


def test_a_50_mb_upload_gets_a_friendly_page_and_is_never_stored(client, cast, login):
    login(cast.users.town_admin)
    big = b"PK\x03\x04" + b"\0" * (50 * 1024 * 1024)
    response = upload(client, data=big, name="很大的花名册.xlsx")
    assert response.status_code == 413
    page = response.content.decode()
    assert "文件过大（约50.0 MB），最大允许20 MB" in page and "上传并检查" in page
    assert not Job.objects.exists()


def test_a_file_just_over_the_limit_is_refused_by_the_form(client, cast, login, settings):
    settings.ZHENWU_MAX_UPLOAD_BYTES = 100 * 1024
    login(cast.users.town_admin)
    response = upload(client, data=b"PK\x03\x04" + b"\0" * (110 * 1024))
    assert response.status_code == 413 and "文件过大" in response.content.decode()
    assert not Job.objects.exists()


@pytest.mark.parametrize(
    ("data", "name", "message"),
    [
        (b"\x89PNG\r\n\x1a\n" + b"\0" * 100, "照片.xlsx", "这不是 Excel(.xlsx) 文件"),
        (b"PK\x03\x04broken", "坏文件.xlsx", "文件已损坏（.xlsx 不完整）"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "老表格.xls", "不支持旧版 .xls 文件"),
        ("姓名,身份证号\n".encode(), "名单.csv", "请上传 Excel(.xlsx) 文件"),
    ],
)
def test_files_that_are_not_xlsx_get_a_chinese_message_on_the_form(client, cast, login, data, name, message):
    login(cast.users.town_admin)
    response = upload(client, data=data, name=name)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert not Job.objects.exists()


def test_a_damaged_workbook_fails_its_job_with_a_chinese_message(client, cast, login):
    from .test_roster_import import _damaged_workbook

    login(cast.users.town_admin)
    upload(client, data=_damaged_workbook().getvalue())
    run_pending_jobs()
    job = latest_job()
    assert job.status == JobStatus.FAILED
    page = client.get(reverse("org:roster_job", args=[job.pk])).content.decode()
    assert "已损坏" in page and "重新上传" in page  # calamine finds the fault on opening, openpyxl while reading


def test_a_header_only_sheet_fails_its_job_with_a_chinese_message(client, cast, login):
    login(cast.users.town_admin)
    upload(client, [])
    run_pending_jobs()
    job = latest_job()
    assert job.status == JobStatus.FAILED and job.message == "表格只有表头，没有数据行"


def test_a_missing_kind_is_reported_on_the_form(client, cast, login):
    login(cast.users.town_admin)
    response = client.post(
        reverse("org:roster_import"),
        {"file": SimpleUploadedFile("a.xlsx", xlsx(good_residents(1)).getvalue())},
    )
    assert "请选择花名册类型" in response.content.decode()


def test_the_upload_form_still_checks_the_csrf_token(cast, login):
    from django.test import Client

    client = Client(enforce_csrf_checks=True)
    client.force_login(cast.users.secretary)
    response = client.post(
        reverse("org:roster_import"),
        {"kind": "residents", "file": io.BytesIO(xlsx(good_residents(1)).getvalue())},
    )
    assert response.status_code == 403
    assert not Job.objects.exists()


def test_the_import_page_lists_recent_jobs_in_a_bounded_number_of_queries(client, cast, login,
                                                                          django_assert_max_num_queries):
    login(cast.users.secretary)
    for _ in range(12):
        upload(client, good_residents(1))
    with django_assert_max_num_queries(12):
        page = client.get(reverse("org:roster_import")).content.decode()
    assert page.count("住户花名册.xlsx") == 10
