"""Hostile input, answered as issue 16 says: zip bombs, a 20 MB upload, pixel bombs, invalid UTF-8,
forged X-Forwarded-For, a burst of anonymous POSTs, secrets in requests and logs. Each refusal is
a clear Chinese answer, with the process's memory measured under a fixed ceiling and nothing
half-written."""

import datetime
import io
import logging
import re
import resource
import tracemalloc
from types import SimpleNamespace

import pytest
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import RequestFactory

from tests import hostile_files as h
from zhenwu.audit.models import AuditAction, AuditEntry
from zhenwu.concerns.models import Concern
from zhenwu.concerns.tests.conftest import submit, world  # noqa: F401  (fixtures)
from zhenwu.jobs.models import Job, JobStatus
from zhenwu.jobs.services import enqueue_job, job_handler, run_pending_jobs
from zhenwu.lib.photos import clean_photo
from zhenwu.lib.request_context import client_ip
from zhenwu.org.models import Household, Resident
from zhenwu.org.roster.errors import RosterFileError
from zhenwu.org.roster.jobs import start_roster_import
from zhenwu.org.roster.layouts import RESIDENTS

REPORT = "/concerns/report/"
MEMORY_CEILING = 64 * 1024 * 1024  # bytes of Python allocations a refusal may peak at
RSS_CEILING_MB = 200


@pytest.fixture(autouse=True)
def isolated(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.STORAGES = {**settings.STORAGES, "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"}}
    cache.clear()
    yield
    cache.clear()


class Measured:
    """Peak Python allocations (tracemalloc) and growth of the process's peak RSS around a block."""

    def __enter__(self):
        self.rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        tracemalloc.start()
        return self

    def __exit__(self, *exc):
        _, self.peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        self.rss_growth_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024 - self.rss_before

    def assert_flat(self):
        assert self.peak < MEMORY_CEILING, f"peak {self.peak / 1e6:.1f} MB"
        assert self.rss_growth_mb < RSS_CEILING_MB, f"RSS grew {self.rss_growth_mb:.0f} MB"


def _import(cast, data):
    """A roster upload as the page queues it, then the validation job the worker runs."""
    upload = SimpleUploadedFile("住户花名册.xlsx", data)
    with Measured() as measured:
        try:
            job = start_roster_import(kind=RESIDENTS, upload=upload, by=cast.users.town_admin)
        except RosterFileError as exc:
            return SimpleNamespace(refused=str(exc), job=None, measured=measured)
        run_pending_jobs()
    return SimpleNamespace(refused="", job=Job.objects.get(pk=job.pk), measured=measured)


def _assert_nothing_written():
    assert not Resident.objects.filter(name="甄测试").exists()
    assert not Household.objects.filter(number__startswith="HB-").exists()


# --- spreadsheets --------------------------------------------------------------------------------------


def test_a_300_mb_shared_string_is_refused_at_upload_by_its_claimed_size(cast):
    outcome = _import(cast, h.shared_strings_bomb(megabytes=300))
    assert "文件解压后过大" in outcome.refused and "最大256MB" in outcome.refused
    outcome.measured.assert_flat()
    assert not Job.objects.exists()
    _assert_nothing_written()


@pytest.mark.parametrize(
    ("build", "expected"),
    [
        (lambda: h.shared_strings_bomb(megabytes=30), "超过32767个字符"),
        (lambda: h.sheet_bomb(megabytes=30), "超过1MB的连续空白"),
        (lambda: h.lying_sizes(megabytes=30), "文件已损坏"),
        (lambda: h.far_cell(row=60_000, column="ZZ"), "表格超过200列"),
        (lambda: h.far_cell(row=500_000, column="A"), "表格超过110000行"),
        (lambda: h.long_cell(characters=40_000), "第2行第D列的内容超过32767个字符"),
    ],
    ids=["shared-strings", "whitespace-sheet", "lying-directory", "far-column", "far-row", "long-cell"],
)
def test_a_bomb_under_the_claimed_limits_fails_its_job_with_the_limit_named_and_a_small_result(cast, build, expected):
    outcome = _import(cast, build())
    assert outcome.refused == ""
    job = outcome.job
    assert job.status == JobStatus.FAILED
    assert expected in job.message
    assert len(str(job.result)) < 2000  # no cell content stored with the job
    outcome.measured.assert_flat()
    _assert_nothing_written()


def test_a_workbook_of_twenty_thousand_members_is_refused_at_upload(cast):
    outcome = _import(cast, h.many_members(count=20_000))
    assert "部件过多" in outcome.refused and "最多1000个" in outcome.refused
    outcome.measured.assert_flat()


def test_a_correct_roster_still_imports_after_all_the_checks(cast):
    outcome = _import(cast, h.valid_roster(rows=3))
    assert outcome.job.status == JobStatus.DONE, outcome.job.message
    assert outcome.job.result["error_count"] == 0 and outcome.job.result["rows"] == 3


def test_a_long_cell_is_quoted_shortly_in_the_errors_of_a_job(cast):
    phone = "1" * 5000  # within Excel's limit, wrong as a phone: the error quotes 60 characters
    outcome = _import(cast, h.valid_roster(rows=1, phone=phone))
    job = outcome.job
    assert job.status == JobStatus.DONE
    reasons = [e["reason"] for e in job.result["errors"]]
    assert reasons and all(len(r) <= 301 for r in reasons)
    assert "1" * 61 not in str(job.result)
    assert all(len(c) <= 61 for row in job.result["preview"] for c in row["cells"])


def test_a_job_result_too_large_to_store_fails_the_job_instead(cast):
    @job_handler("hostile_test_huge")
    def huge(job, report):
        return {"rows": ["x" * 1000] * 5000}

    job = enqueue_job(kind="hostile_test_huge", created_by=cast.users.town_admin)
    run_pending_jobs()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and "任务结果过大" in job.message and job.result == {}


def test_a_twenty_megabyte_roster_upload_gets_the_chinese_413_page(client, cast, login):
    login(cast.users.town_admin)
    data = b"PK\x03\x04" + b"\0" * (21 * 1024 * 1024)
    response = client.post("/org/roster/import/", {"kind": "residents", "file": SimpleUploadedFile("a.xlsx", data)})
    assert response.status_code == 413
    assert "文件过大" in response.content.decode()
    assert not Job.objects.exists()


# --- photos --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("build", [h.png_pixel_bomb, h.jpeg_claiming], ids=["png", "jpeg"])
def test_a_20000_by_20000_image_gets_the_precise_pixel_message(build):
    upload = SimpleUploadedFile("大图.png", build())
    with Measured() as measured, pytest.raises(ValidationError) as refused:
        clean_photo(upload, max_bytes=10 * 1024 * 1024)
    assert "图片像素过大（最大5000万像素）" in refused.value.messages[0]
    measured.assert_flat()


def _form_data(client, world, **overrides):  # noqa: F811
    page = client.get(REPORT).content.decode()
    data = {
        "text": "九龙村学校门口污水横流，学生上学要绕道走。",
        "category": world.sanitation.pk,
        "area": world.cast.jiulong_grid.pk,
        "reporter_name": "",
        "reporter_phone": "",
        "key": re.search(r'name="key" value="([^"]+)"', page).group(1),
    }
    data.update(overrides)
    return data


def test_a_pixel_bomb_on_the_residents_form_is_refused_and_nothing_is_stored(client, world):  # noqa: F811
    data = _form_data(client, world, photos=SimpleUploadedFile("bomb.png", h.png_pixel_bomb(), content_type="image/png"))
    response = client.post(REPORT, data)
    page = response.content.decode()
    assert response.status_code == 200 and "图片像素过大" in page and "污水横流" in page
    assert not Concern.objects.exists()


def test_a_twenty_megabyte_photo_on_the_residents_form_is_refused_with_the_limit_named(client, world):  # noqa: F811
    big = SimpleUploadedFile("big.jpg", b"\xff\xd8" + b"\0" * (20 * 1024 * 1024), content_type="image/jpeg")
    response = client.post(REPORT, _form_data(client, world, photos=big))
    assert response.status_code == 200 and "超过10MB" in response.content.decode()
    assert not Concern.objects.exists()


def test_a_ten_megabyte_body_on_the_residents_form_gets_the_chinese_413_page(client, world):  # noqa: F811
    body = "text=" + "a" * (10 * 1024 * 1024)
    response = client.post(REPORT, body, content_type="application/x-www-form-urlencoded")
    page = response.content.decode()
    assert response.status_code == 413
    assert "提交的内容过大" in page and "Bad Request" not in page
    assert not Concern.objects.exists()


def test_a_body_over_the_request_limit_is_refused_before_it_is_read(client, world, settings):  # noqa: F811
    settings.ZHENWU_MAX_REQUEST_BYTES = 1024 * 1024
    big = SimpleUploadedFile("a.png", b"\0" * (2 * 1024 * 1024), content_type="image/png")
    response = client.post(REPORT, {"text": "x", "photos": big})
    assert response.status_code == 413 and "提交的内容过大" in response.content.decode()


# --- invalid UTF-8 -------------------------------------------------------------------------------------


def test_invalid_utf8_in_the_report_text_is_refused_and_the_form_kept(client, world):  # noqa: F811
    data = _form_data(client, world)
    from urllib.parse import urlencode

    body = urlencode({k: v for k, v in data.items() if k != "text"}) + "&text=%E8%B7%AF%E7%81%AF%FF%FE%E5%9D%8F%E4%BA%86"
    response = client.post(REPORT, body, content_type="application/x-www-form-urlencoded")
    page = response.content.decode()
    assert response.status_code == 400
    assert "无法识别的字符" in page
    assert "路灯" in page and "坏了" in page  # what was typed comes back in the form
    assert not Concern.objects.exists()


# --- one client address --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("proxies", "forwarded", "expected"),
    [
        (0, "6.6.6.6", "10.0.0.1"),  # no proxy: the header is ignored
        (0, "", "10.0.0.1"),
        (1, "8.8.8.8", "8.8.8.8"),  # one proxy: the last hop's value
        (1, "6.6.6.6, 8.8.8.8", "8.8.8.8"),  # forged values left of it change nothing
        (2, "6.6.6.6, 7.7.7.7, 8.8.8.8, 10.0.0.2", "8.8.8.8"),  # more values than proxies: the right one
        (2, "8.8.8.8", "10.0.0.1"),  # fewer values than proxies: not through every proxy
        (1, "not-an-address", "10.0.0.1"),
    ],
)
def test_the_client_address_comes_from_the_configured_number_of_proxies(settings, proxies, forwarded, expected):
    settings.ZHENWU_PROXY_COUNT = proxies
    meta = {"REMOTE_ADDR": "10.0.0.1"}
    if forwarded:
        meta["HTTP_X_FORWARDED_FOR"] = forwarded
    request = RequestFactory().get("/", **meta)
    assert client_ip(request) == expected
    from axes.helpers import get_client_ip_address

    assert get_client_ip_address(request) == expected  # axes asks the same function


def test_a_forged_forwarded_header_does_not_reach_the_audit_log(client, world):  # noqa: F811
    client.post(REPORT, _form_data(client, world), HTTP_X_FORWARDED_FOR="6.6.6.6", REMOTE_ADDR="10.9.9.9")
    entry = AuditEntry.objects.filter(object_type="concerns.Concern", action=AuditAction.CREATE).get()
    assert entry.ip == "10.9.9.9"


def test_a_forged_forwarded_header_does_not_escape_the_form_limit(client, world, settings):  # noqa: F811
    settings.ZHENWU_ANONYMOUS_WRITE_RATES = {"address": "3/10m", "browser": "1000/10m"}
    statuses = [
        client.post(REPORT, _form_data(client, world), HTTP_X_FORWARDED_FOR=f"6.6.6.{i}").status_code
        for i in range(5)
    ]
    assert statuses == [200, 200, 200, 429, 429]


# --- a burst of anonymous POSTs --------------------------------------------------------------------------


def test_300_anonymous_posts_in_a_burst_are_cut_off_with_a_chinese_429_that_keeps_the_text(
    client, world, settings  # noqa: F811
):
    settings.ZHENWU_HOTLINE = "0731-83611234"
    data = _form_data(client, world, text="路灯坏了一个月，晚上出行很不安全，请尽快修理。")
    statuses = []
    last = None
    for i in range(300):
        data["key"] = f"burst-key-{i:04d}-" + "x" * 24
        last = client.post(REPORT, data)
        statuses.append(last.status_code)
    assert statuses[:8] == [200] * 8  # the per-browser limit (8 in ten minutes) lets a resident file
    assert set(statuses[8:]) == {429}
    assert Concern.objects.count() == 8
    page = last.content.decode()
    assert "提交太频繁" in page and "0731-83611234" in page
    assert "路灯坏了一个月，晚上出行很不安全，请尽快修理。" in page  # what was typed is handed back
    assert last["Retry-After"] == "600"


def test_many_browsers_from_one_address_meet_the_address_limit(world, settings):  # noqa: F811
    from django.test import Client

    statuses = []
    for i in range(25):
        browser = Client()
        statuses.append(browser.post(REPORT, _form_data(browser, world, key=f"k-{i:03d}-" + "y" * 30)).status_code)
    assert statuses.count(200) == 20 and statuses[20:] == [429] * 5


def test_the_overall_ceiling_holds_against_many_addresses(world, settings):  # noqa: F811
    settings.ZHENWU_ANONYMOUS_WRITE_RATES = {"all": "10/10m"}
    from django.test import Client

    statuses = []
    for i in range(15):
        browser = Client(REMOTE_ADDR=f"10.1.{i}.1")
        statuses.append(browser.post(REPORT, _form_data(browser, world, key=f"g-{i:03d}-" + "z" * 30)).status_code)
    assert statuses.count(200) == 10 and statuses[10:] == [429] * 5


def test_follow_page_additions_are_limited_too(client, world, submit, settings):  # noqa: F811
    settings.ZHENWU_ANONYMOUS_WRITE_RATES = {"address": "5/10m"}
    result = submit()
    url = f"/concerns/follow/{result.concern.reference}/{result.follow_token}/add/"
    statuses = [client.post(url, {"text": f"补充第{i}次"}).status_code for i in range(8)]
    assert statuses[:5] == [302] * 5 and set(statuses[5:]) == {429}


def test_staff_registering_for_residents_are_never_limited(client, login, world, settings):  # noqa: F811
    settings.ZHENWU_ANONYMOUS_WRITE_RATES = {"address": "1/10m", "browser": "1/10m", "all": "1/10m"}
    login(world.cast.users.dispatcher)
    for i in range(15):
        response = client.post("/concerns/register/", {
            "channel": "hotline", "text": f"来电反映第{i}件事：路灯不亮。", "title": "", "category": world.road.pk,
            "area": world.cast.jizhen.pk, "address": "", "urgency": "normal", "reporter_name": "",
            "reporter_phone": "", "submission_key": f"staff-{i}",
        })
        assert response.status_code == 302
    assert Concern.objects.count() == 15


# --- secrets in logs -----------------------------------------------------------------------------------


def _console_handler():
    from zhenwu.lib.log_redaction import RedactSecretsFilter

    for handler in logging.getLogger().handlers:
        if any(isinstance(f, RedactSecretsFilter) for f in handler.filters):
            return handler
    raise AssertionError("the console handler of settings.LOGGING is not installed")


def test_follow_tokens_and_api_keys_never_reach_the_application_log(client, world, submit):  # noqa: F811
    result = submit()
    handler = _console_handler()
    stream = io.StringIO()
    old = handler.setStream(stream)
    try:
        client.get(f"/concerns/follow/{result.concern.reference}/{result.follow_token}/photos/999/")
        client.get(f"/concerns/follow/{result.concern.reference}/{result.follow_token}x/nothing/")
        client.get("/open311/v2/requests.json?api_key=SEKRET-KEY-123&status=open")
        client.get("/open311/v2/nowhere.json?api_key=SEKRET-KEY-456")
        logging.getLogger("zhenwu.test").warning("visited %s", f"/concerns/follow/GQ-1/{result.follow_token}/")
    finally:
        handler.setStream(old)
    log = stream.getvalue()
    assert "Not Found" in log and "[已隐藏]" in log
    assert result.follow_token not in log
    assert "SEKRET-KEY" not in log


def test_follow_tokens_and_api_keys_never_reach_the_access_log(tmp_path):
    from gunicorn.config import Config

    from zhenwu.lib.access_log import AccessLogger

    path = tmp_path / "access.log"
    cfg = Config()
    cfg.set("accesslog", str(path))
    logger = AccessLogger(cfg)
    token = "Zr3vQ9k_SECRET_TOKEN_abcdefghijklmnopqrstuv"
    for uri, referer in (
        (f"/concerns/follow/GQ-2026-000001/{token}/photos/3/", f"https://zw.example/concerns/follow/GQ-2026-000001/{token}/"),
        ("/open311/v2/requests.json?api_key=SEKRET-KEY-789&status=open", "-"),
    ):
        path_info, _, query = uri.partition("?")
        environ = {"REQUEST_METHOD": "GET", "RAW_URI": uri, "SERVER_PROTOCOL": "HTTP/1.1", "PATH_INFO": path_info,
                   "QUERY_STRING": query, "HTTP_REFERER": referer, "REMOTE_ADDR": "127.0.0.1"}
        response = SimpleNamespace(status="200 OK", sent=10, headers=[])
        request = SimpleNamespace(headers=[("REFERER", referer)])
        logger.access(response, request, environ, datetime.timedelta(milliseconds=5))
    for handler in logger.access_log.handlers:
        handler.flush()
    log = path.read_text()
    assert "/concerns/follow/GQ-2026-000001/[已隐藏]/photos/3/" in log and "api_key=[已隐藏]" in log
    assert token not in log and "SEKRET-KEY" not in log


# --- Chinese answers and no-store -------------------------------------------------------------------------


def test_bad_requests_get_chinese_pages_in_both_looks(client, cast, login):
    anonymous = client.get("/no/such/page/")
    assert anonymous.status_code == 404 and "页面不存在" in anonymous.content.decode()
    assert "民情直通车" in anonymous.content.decode()
    login(cast.users.grid_worker)
    staff = client.get("/no/such/page/")
    assert staff.status_code == 404 and "页面不存在" in staff.content.decode()
    assert "回到首页" in staff.content.decode() and "Not Found" not in staff.content.decode()
    denied = client.get("/org/roster/import/")
    assert denied.status_code == 403 and "只有镇管理员和村(社区)支部书记" in denied.content.decode()
    client.logout()
    many = client.post(REPORT, "&".join(f"f{i}=1" for i in range(1200)), content_type="application/x-www-form-urlencoded")
    assert many.status_code == 400 and "表单项或文件过多" in many.content.decode()


def test_staff_pages_and_downloads_are_never_stored_but_public_pages_may_be(client, cast, login):
    assert "no-store" not in client.get("/concerns/board/").get("Cache-Control", "")
    login(cast.users.town_admin)
    assert "no-store" in client.get("/").get("Cache-Control", "")
    assert "no-store" in client.get("/org/roster/samples/residents/").get("Cache-Control", "")


# --- numbers in titles, the browser policy, CSRF ---------------------------------------------------------


def test_a_number_typed_into_the_first_sentence_is_masked_in_every_staff_list(client, login, world, submit):  # noqa: F811
    result = submit(text="我家电话13912345678，身份证430181199001011234，门口路灯坏了")
    assert "13912345678" not in result.concern.title and "139****5678" in result.concern.title
    login(world.cast.users.dispatcher)
    for path in ("/concerns/inbox/", "/concerns/list/"):
        page = client.get(path).content.decode()
        assert "139****5678" in page, path
        assert "13912345678" not in page and "430181199001011234" not in page, path


def test_every_page_carries_a_content_security_policy_without_unsafe_inline(client, cast, login):
    for path in ("/accounts/login/", "/concerns/report/", "/concerns/board/"):
        policy = client.get(path).headers["Content-Security-Policy"]
        assert "default-src 'self'" in policy and "style-src 'self'" in policy and "script-src 'self'" in policy
        assert "unsafe-inline" not in policy and "unsafe-eval" not in policy
    login(cast.users.leader)
    assert "frame-ancestors 'none'" in client.get("/").headers["Content-Security-Policy"]


def test_no_template_carries_a_style_attribute_or_an_inline_handler():
    from pathlib import Path

    root = Path(__file__).resolve().parent.parent / "zhenwu"
    offending = []
    for template in root.rglob("templates/**/*.html"):
        if template.name == "briefing_pdf.html":  # rendered to PDF on the server, never served as a page
            continue
        text = template.read_text(encoding="utf-8")
        if re.search(r'\sstyle="|\son[a-z]+="|<script>(?!\s*</script>)', text):
            offending.append(str(template.relative_to(root)))
    assert offending == []


def test_a_csp_report_is_logged_and_an_oversized_or_broken_one_refused(client, caplog):
    report = {"csp-report": {"document-uri": "http://x/concerns/follow/GQ-1/SECRETTOKEN/", "violated-directive":
                             "style-src-attr", "blocked-uri": "inline", "script-sample": "<b>ignored</b>"}}
    import json

    with caplog.at_level(logging.WARNING, logger="zhenwu.csp"):
        response = client.post("/csp-report/", json.dumps(report), content_type="application/csp-report")
    assert response.status_code == 204
    assert "style-src-attr" in caplog.text and "SECRETTOKEN" not in caplog.text and "ignored" not in caplog.text
    assert client.post("/csp-report/", "x" * 20000, content_type="application/csp-report").status_code == 413
    assert client.post("/csp-report/", "{not json", content_type="application/csp-report").status_code == 400


def test_a_form_posted_without_its_csrf_token_gets_a_chinese_page(cast):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/concerns/report/", {"text": "路灯坏了"})
    assert response.status_code == 403
    page = response.content.decode()
    assert "Forbidden" not in page and "CSRF verification failed" not in page
    assert re.search(r"[\u4e00-\u9fff]{4,}", page)
