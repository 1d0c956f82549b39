"""交办单: one sheet per dispatch, generated from the records, personal data masked, every print
audited, offered on the concern page to the staff who can see the concern."""

import io
import re
import shutil
import subprocess

import pytest
from docx import Document

from zhenwu.audit.models import AuditAction, AuditEntry
from zhenwu.concerns import services
from zhenwu.concerns.models import Category, Channel, ConcernEvent, EventKind
from zhenwu.org.models import Department
from zhenwu.reports.dispatch_sheet import build_dispatch_sheet, dispatch_events, render_docx, render_pdf


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def road(cast):
    return Category.objects.create(
        code="road", name="道路交通", default_department=cast.urban, response_limit_days=1, resolution_limit_days=5
    )


@pytest.fixture
def dispatched(cast, road):
    concern = services.submit_concern(
        text="九龙村学校门口污水横流，学生上学要绕道走。",
        category=road,
        area=cast.jiulong_grid,
        channel=Channel.WEB,
        reporter_name="李四",
        reporter_phone="13800138000",
    ).concern
    return services.dispatch_concern(concern, by=cast.users.dispatcher, note="请三日内到现场核实")


def pdf_text(data, tmp_path):
    assert shutil.which("pdftotext"), "poppler-utils (pdftotext) is needed to check the PDF"
    path = tmp_path / "sheet.pdf"
    path.write_bytes(data)
    out = subprocess.run(["pdftotext", str(path), "-"], capture_output=True, check=True, timeout=120).stdout
    return re.sub(r"\s+", "", out.decode())


def docx_text(data):
    doc = Document(io.BytesIO(data))
    parts = [p.text for p in doc.paragraphs]
    parts += [cell.text for table in doc.tables for row in table.rows for cell in row.cells]
    return "".join(parts)


def test_the_sheet_tells_the_concern_the_dispatch_and_the_deadlines_with_the_reporter_masked(cast, dispatched):
    (event,) = dispatch_events(dispatched)
    sheet = build_dispatch_sheet(dispatched, event)
    assert sheet.title == f"{cast.town.name}民情诉求交办单"
    assert sheet.sheet_number == dispatched.reference
    assert sheet.department == "城建办"
    assert sheet.dispatcher == cast.users.dispatcher.display_name
    assert sheet.note == "请三日内到现场核实"
    assert sheet.reporter_phone == "138****8000"
    assert sheet.reporter_name == "李*"
    assert sheet.is_current
    assert sheet.response_due == f"{dispatched.response_due.astimezone(_tz()):%Y年%m月%d日}"
    assert sheet.resolution_due == f"{dispatched.resolution_due.astimezone(_tz()):%Y年%m月%d日}"


def _tz():
    from zoneinfo import ZoneInfo

    return ZoneInfo("Asia/Shanghai")


def test_a_concern_sent_again_has_one_sheet_per_dispatch_and_the_old_one_says_it_is_superseded(cast, dispatched):
    env = Department.objects.create(name="环保办", town=cast.town)
    services.return_concern(dispatched, by=cast.users.handler, reason="不属本部门职责")
    services.dispatch_concern(dispatched, by=cast.users.dispatcher, department=env)
    dispatched.refresh_from_db()
    first, second = dispatch_events(dispatched)
    old, new = build_dispatch_sheet(dispatched, first), build_dispatch_sheet(dispatched, second)
    assert (old.sheet_number, new.sheet_number) == (f"{dispatched.reference}-1", f"{dispatched.reference}-2")
    assert (old.department, new.department) == ("城建办", "环保办")
    assert not old.is_current and "已改派" in old.resolution_due
    assert new.is_current and new.resolution_due.endswith("日")


def test_another_event_is_not_a_dispatch(cast, dispatched):
    from zhenwu.reports.dispatch_sheet import DispatchSheetError

    received = ConcernEvent.objects.get(concern=dispatched, kind=EventKind.SUBMITTED)
    with pytest.raises(DispatchSheetError):
        build_dispatch_sheet(dispatched, received)


def test_the_pdf_and_the_word_file_carry_the_sheet_and_never_the_full_name_or_number(cast, dispatched, tmp_path):
    (event,) = dispatch_events(dispatched)
    sheet = build_dispatch_sheet(dispatched, event)
    for text in (pdf_text(render_pdf(sheet), tmp_path), docx_text(render_docx(sheet))):
        for expected in ("民情诉求交办单", dispatched.reference, "城建办", "138****8000", "请三日内到现场核实",
                         "污水横流", "承办单位签收人", "签字/盖章", sheet.resolution_due):
            assert expected in text, expected
        assert "13800138000" not in text and "李四" not in text


def test_the_handler_downloads_the_sheet_and_the_print_is_audited(cast, dispatched, client, login):
    (event,) = dispatch_events(dispatched)
    login(cast.users.handler)
    response = client.get(f"/reports/dispatch-sheets/{dispatched.pk}/{event.pk}.docx")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    assert dispatched.reference in docx_text(response.content)
    entry = AuditEntry.objects.filter(action=AuditAction.EXPORT, object_id=str(dispatched.pk)).get()
    assert entry.actor_id == cast.users.handler.pk and "交办单" in entry.note
    pdf = client.get(f"/reports/dispatch-sheets/{dispatched.pk}/{event.pk}.pdf")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def test_outside_scope_another_event_or_another_format_is_not_found(cast, dispatched, client, login):
    (event,) = dispatch_events(dispatched)
    received = ConcernEvent.objects.get(concern=dispatched, kind=EventKind.SUBMITTED)
    login(cast.users.dispatcher)
    assert client.get(f"/reports/dispatch-sheets/{dispatched.pk}/{received.pk}.pdf").status_code == 404
    assert client.get(f"/reports/dispatch-sheets/{dispatched.pk}/{event.pk}.txt").status_code == 404
    client.logout()
    other = Department.objects.create(name="环保办", town=cast.town)
    cast.users.handler.department = other
    cast.users.handler.save()
    login(cast.users.handler)
    assert client.get(f"/reports/dispatch-sheets/{dispatched.pk}/{event.pk}.pdf").status_code == 404
    assert not AuditEntry.objects.filter(action=AuditAction.EXPORT).exists()


def test_the_concern_page_offers_the_sheets_once_dispatched(cast, road, client, login):
    concern = services.submit_concern(
        text="路灯坏了", category=road, area=cast.jiulong_grid, channel=Channel.HOTLINE, reporter_phone="13800138000",
        by=cast.users.dispatcher,
    ).concern
    login(cast.users.dispatcher)
    page = client.get(f"/concerns/{concern.pk}/").content.decode()
    assert "交办单" not in page
    services.dispatch_concern(concern, by=cast.users.dispatcher)
    (event,) = dispatch_events(concern)
    page = client.get(f"/concerns/{concern.pk}/").content.decode()
    assert f"/reports/dispatch-sheets/{concern.pk}/{event.pk}.pdf" in page
    assert f"/reports/dispatch-sheets/{concern.pk}/{event.pk}.docx" in page
