"""The briefing as a document: 期号 per area and year, the issuing unit and 报送/抄送, an A4 Word file
with page-number fields and an A4 PDF with page numbers, justified Chinese lines and no closing
punctuation at a line start; photos from the records."""

import datetime
import io
import re
import shutil
import subprocess
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from docx import Document
from docx.shared import Mm
from PIL import Image

from zhenwu.activities import services as activity_services
from zhenwu.activities.models import ActivityKind
from zhenwu.concerns import services as concern_services
from zhenwu.concerns.models import Category, Channel, Outcome
from zhenwu.jobs.models import JobStatus
from zhenwu.jobs.services import run_pending_jobs
from zhenwu.reports import briefing, briefing_render, briefing_services
from zhenwu.reports.models import BriefingExport, BriefingIssueCounter, ExportFormat

SH = ZoneInfo("Asia/Shanghai")
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


@pytest.fixture(autouse=True)
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def at(year, month, day, hour=10):
    return datetime.datetime(year, month, day, hour, tzinfo=SH)


def jpeg(width=1200, height=800, colour=(90, 140, 200)):
    out = io.BytesIO()
    Image.new("RGB", (width, height), colour).save(out, "JPEG")
    return SimpleUploadedFile("photo.jpg", out.getvalue(), content_type="image/jpeg")


def care_visit(cast, *, day=3, month=10, year=2019, photo=True):
    visit = activity_services.create_activity(
        kind=ActivityKind.CARE_VISIT, title="“岁岁重阳暖人心”慰问活动", starts_at=at(year, month, day),
        place="九龙村党群服务中心", area=cast.jiulong, party_org=cast.jiulong_org, summary="送去长寿餐及牛奶等慰问品")
    activity_services.set_beneficiaries(visit, count=216, description="老人")
    if photo:
        activity_services.add_activity_photo(visit, upload=jpeg(), caption="九龙村重阳慰问老人", by=cast.users.town_admin)
    return visit


def publish(cast, *, area=None, year=2019, month=10, on=None):
    if not briefing.build_sections(area or cast.town, year, month):
        care_visit(cast, year=year, month=month, photo=False)
    b, _job = briefing_services.start_briefing(area=area or cast.town, year=year, month=month, by=cast.users.leader)
    briefing_services.regenerate_briefing(b, by=cast.users.leader)
    with time_machine.travel(on or at(2026, 12, 4), tick=False):
        version = briefing_services.publish_briefing(b, by=cast.users.leader)
    b.refresh_from_db()
    return b, version


def pdf_pages(data, tmp_path):
    """The text of each page of a PDF, as pdftotext reads it (form feeds between pages)."""
    assert shutil.which("pdftotext"), "poppler-utils (pdftotext) is needed to check the PDF"
    path = tmp_path / "briefing.pdf"
    path.write_bytes(data)
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True,
                          timeout=120).stdout.decode()
    return [page for page in text.split("\f") if page.strip()]


# --- 期号 -----------------------------------------------------------------------------------------


def test_issue_numbers_count_up_per_area_and_year_and_a_correction_keeps_its_number(cast):
    care_visit(cast)
    october, v1 = publish(cast, month=10)
    november, _ = publish(cast, month=11)
    village, _ = publish(cast, area=cast.jiulong, month=10)
    assert (october.issue_year, october.issue_number) == (2026, 1) and v1.issue_label == "2026年第1期"
    assert november.issue_number == 2
    assert village.issue_number == 1  # numbered in 九龙村's own series

    with time_machine.travel(at(2026, 12, 20), tick=False):
        correction = briefing_services.publish_briefing(october, by=cast.users.town_admin)
    assert correction.version == 2 and correction.issue_number == 1  # the same issue, corrected

    next_year, _ = publish(cast, month=12, on=at(2027, 1, 5))
    assert (next_year.issue_year, next_year.issue_number) == (2027, 1)
    assert BriefingIssueCounter.objects.get(area=cast.town, year=2026).last_number == 2


def test_a_number_taken_by_a_publication_whose_files_failed_is_not_given_again(cast, monkeypatch, tmp_path):
    import weasyprint

    care_visit(cast)
    october, version = publish(cast, month=10)
    job = briefing_services.queue_version_files(version, by=cast.users.leader)

    def broken(self, *args, **kwargs):
        raise OSError("磁盘已满")

    with monkeypatch.context() as patch:
        patch.setattr(weasyprint.HTML, "write_pdf", broken)
        run_pending_jobs()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED
    october.refresh_from_db()
    assert october.issue_number == 1  # the failed rendering did not give the number back

    november, _ = publish(cast, month=11)
    assert november.issue_number == 2
    retry = briefing_services.queue_version_files(version, by=cast.users.leader)
    run_pending_jobs()
    retry.refresh_from_db()
    assert retry.status == JobStatus.DONE
    pdf = BriefingExport.objects.filter(version=version, format=ExportFormat.PDF).latest("id")
    with pdf.file.open("rb") as handle:
        assert "第1期" in pdf_pages(handle.read(), tmp_path)[0]


def test_a_publication_that_fails_takes_no_number(cast):
    b, _job = briefing_services.start_briefing(area=cast.town, year=2019, month=10, by=cast.users.leader)
    with pytest.raises(briefing_services.BriefingError):
        briefing_services.publish_briefing(b, by=cast.users.leader)  # nothing generated: empty text
    b.refresh_from_db()
    assert b.issue_number is None and not BriefingIssueCounter.objects.filter(area=cast.town).exists()


# --- settings and recipients ----------------------------------------------------------------------


def test_the_town_sets_its_unit_and_recipients_each_issue_may_change_them_and_publication_freezes_them(cast):
    default = briefing_services.default_settings(cast.town)
    assert default.issuing_unit == "中共官桥镇委员会办公室" and default.masthead == "工作简报"
    assert default.report_to == "镇党委、政府领导，浏阳市委组织部"
    briefing_services.save_briefing_settings(cast.town, masthead="主题教育简报", issuing_unit="官桥镇党政办",
                                             report_to="浏阳市委组织部", copy_to="各村（社区）党组织",
                                             copies="40", by=cast.users.town_admin)
    b, _job = briefing_services.start_briefing(area=cast.town, year=2019, month=10, by=cast.users.leader)
    assert (b.report_to, b.copy_to, b.copies) == ("浏阳市委组织部", "各村（社区）党组织", 40)
    briefing_services.edit_issue(b, report_to="浏阳市委组织部，市委宣传部", copy_to="镇直各部门", copies=25,
                                 by=cast.users.leader)
    care_visit(cast)
    briefing_services.regenerate_briefing(b, by=cast.users.leader)
    version = briefing_services.publish_briefing(b, by=cast.users.leader)
    assert (version.masthead, version.issuing_unit, version.report_to, version.copy_to, version.copies) == (
        "主题教育简报", "官桥镇党政办", "浏阳市委组织部，市委宣传部", "镇直各部门", 25)

    briefing_services.save_briefing_settings(cast.town, masthead="工作简报", issuing_unit="别的单位", report_to="",
                                             copy_to="", copies=10, by=cast.users.town_admin)
    meta = briefing_services.document_meta(b, version)
    assert meta.issuing_unit == "官桥镇党政办" and meta.masthead == "主题教育简报"
    with pytest.raises(briefing_services.BriefingError, match="印数须在1到9999份之间"):
        briefing_services.edit_issue(b, report_to="", copy_to="", copies=0, by=cast.users.leader)
    with pytest.raises(briefing_services.BriefingError, match="请填写编发单位"):
        briefing_services.save_briefing_settings(cast.town, masthead="工作简报", issuing_unit=" ", report_to="",
                                                 copy_to="", copies=30, by=cast.users.town_admin)


# --- Word -----------------------------------------------------------------------------------------


def test_the_word_file_is_a4_with_page_number_fields_the_issue_number_and_the_recipients(cast):
    care_visit(cast)
    b, version = publish(cast)
    export = briefing_services.export_briefing(b, fmt=ExportFormat.DOCX, version=version)
    with export.file.open("rb") as handle:
        document = Document(io.BytesIO(handle.read()))

    section = document.sections[0]
    assert abs(section.page_width - Mm(210)) < Mm(0.1) and abs(section.page_height - Mm(297)) < Mm(0.1)
    assert abs(section.top_margin - Mm(37)) < Mm(0.1) and abs(section.left_margin - Mm(28)) < Mm(0.1)
    footer = section.footer._element
    assert [t.text.strip() for t in footer.iter(f"{W}instrText")] == ["PAGE"]
    assert [f.get(f"{W}fldCharType") for f in footer.iter(f"{W}fldChar")] == ["begin", "separate", "end"]

    lines = [p.text for p in document.paragraphs]
    assert lines[0] == "工作简报" and lines[1] == "第1期"
    assert lines[2] == "中共官桥镇委员会办公室\t2026年12月4日"
    assert lines[3] == "官桥镇2019年10月工作简报"
    assert lines[4] == "本月要闻" and any(line.startswith("一、") for line in lines)
    colophon = document.tables[-1]  # 版记: ruled above and below, a thinner rule between its rows
    assert [p.text for p in colophon.rows[0].cells[0].paragraphs] == ["报送：镇党委、政府领导，浏阳市委组织部",
                                                                     "抄送：各村（社区）党组织，镇直各部门"]
    assert colophon.rows[1].cells[0].text == "（共印30份）"
    rules = {edge.tag.split("}")[1]: edge.get(f"{W}sz") for edge in colophon._tbl.tblPr.find(f"{W}tblBorders")}
    assert rules == {"top": "8", "bottom": "8", "insideH": "4"}
    masthead = document.paragraphs[0].runs[0]
    assert masthead.font.color.rgb == briefing_render.RGBColor(*briefing_render.RED)
    assert masthead._element.rPr.rFonts.get(f"{W}eastAsia") == "方正小标宋简体"
    # The font table names a substitute for 方正小标宋简体 where it is not installed.
    table = next(p for p in document.part.package.iter_parts() if p.partname.endswith("fontTable.xml")).blob
    assert '<w:font w:name="方正小标宋简体"><w:altName w:val="宋体"/>'.encode() in table
    assert len(document.inline_shapes) == 1  # the activity's photo


def test_a_draft_says_so_where_the_issue_number_will_be(cast):
    care_visit(cast)
    b, _job = briefing_services.start_briefing(area=cast.town, year=2019, month=10, by=cast.users.leader)
    briefing_services.regenerate_briefing(b, by=cast.users.leader)
    export = briefing_services.export_briefing(b, fmt=ExportFormat.DOCX)
    with export.file.open("rb") as handle:
        document = Document(io.BytesIO(handle.read()))
    assert document.paragraphs[1].text == "（草稿，发布时编号）"


# --- PDF ------------------------------------------------------------------------------------------


def long_month(cast, activities=14):
    """A month with enough to report to fill several pages."""
    for day in range(1, activities + 1):
        activity_services.create_activity(
            kind=ActivityKind.PATROL, title=f"第{day}次秸秆禁烧、森林防火宣讲巡逻", starts_at=at(2019, 10, day),
            place="全镇主要道路和林区沿线", area=cast.town, department=cast.urban,
            summary="镇村党员争做秸秆禁烧、森林防火工作中遵规守约户，带头宣讲、沿线巡逻，力求实现全域“无火点”，"
                    "并向沿线农户发放宣传资料，讲解野外用火的危害和相关法律法规，提醒群众文明祭扫、安全用火")


def test_the_pdf_is_a4_and_numbers_every_page_and_states_the_issue_and_its_recipients(cast, tmp_path):
    care_visit(cast)
    long_month(cast)
    b, version = publish(cast)
    export = briefing_services.export_briefing(b, fmt=ExportFormat.PDF, version=version)
    with export.file.open("rb") as handle:
        data = handle.read()
    path = tmp_path / "b.pdf"
    path.write_bytes(data)
    info = subprocess.run(["pdfinfo", str(path)], capture_output=True, check=True, timeout=60).stdout.decode()
    count = int(re.search(r"Pages:\s+(\d+)", info).group(1))
    assert re.search(r"Page size:\s+595.27\d x 841.89 pts \(A4\)", info)

    pages = pdf_pages(data, tmp_path)
    assert len(pages) == count >= 2
    for number, page in enumerate(pages, start=1):
        assert "".join(page.strip().splitlines()[-1].split()) == f"—{number}—"
    text = "".join("".join(pages).split())
    for expected in ("工作简报", "第1期", "中共官桥镇委员会办公室", "2026年12月4日", "官桥镇2019年10月工作简报", "本月要闻",
                     "报送：镇党委、政府领导，浏阳市委组织部", "抄送：各村（社区）党组织，镇直各部门", "（共印30份）"):
        assert expected in text, expected
    assert text.index("本月要闻") < text.index("一、") < text.index("报送：")


def test_a_short_briefing_is_one_page(cast, tmp_path):
    care_visit(cast, photo=False)
    b, version = publish(cast)
    export = briefing_services.export_briefing(b, fmt=ExportFormat.PDF, version=version)
    with export.file.open("rb") as handle:
        pages = pdf_pages(handle.read(), tmp_path)
    assert len(pages) == 1 and "".join(pages[0].split()).endswith("（共印30份）—1—")


def test_pdf_lines_are_justified_and_none_starts_with_closing_punctuation(cast, tmp_path):
    long_month(cast, activities=6)
    b, version = publish(cast)
    export = briefing_services.export_briefing(b, fmt=ExportFormat.PDF, version=version)
    path = tmp_path / "b.pdf"
    with export.file.open("rb") as handle:
        path.write_bytes(handle.read())
    xml = subprocess.run(["pdftotext", "-bbox-layout", str(path), "-"], capture_output=True, check=True,
                         timeout=120).stdout.decode()
    left_edge = briefing_render.MARGIN_LEFT / 25.4 * 72
    right_edge = (210 - briefing_render.MARGIN_RIGHT) / 25.4 * 72
    checked = 0
    for page in re.findall(r"<page [^>]*>(.*?)</page>", xml, flags=re.S):
        lines = [(float(x_min), float(x_max), "".join(re.findall(r">([^<]*)</word>", body)))
                 for x_min, x_max, body in re.findall(r'<line xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"[^>]*>'
                                                     r"(.*?)</line>", page, flags=re.S)]
        indent = 2 * briefing_render.BODY_SIZE
        for (x_min, x_max, text), (next_min, _, _) in zip(lines, lines[1:], strict=False):
            body = min(abs(x_min - left_edge), abs(x_min - left_edge - indent)) < 0.5
            if body and abs(next_min - left_edge) < 0.5:  # the paragraph goes on: this line must be full
                assert abs(x_max - right_edge) < 1.5, (text, x_max, right_edge)
                checked += 1
        for _, _, text in lines:
            assert not text or text[0] not in "，。、；：？！）》”’", text
    assert checked >= 10


# --- photos ---------------------------------------------------------------------------------------


def test_work_photos_of_resolved_concerns_and_project_images_join_the_concerns_section(cast):
    road = Category.objects.create(code="road", name="道路交通", default_department=cast.urban, response_limit_days=1,
                                   resolution_limit_days=10, may_become_project=True)
    with time_machine.travel(at(2026, 11, 2), tick=False):
        c = concern_services.submit_concern(text="梅园至杨梅道路破损严重。", title="梅园至杨梅道路破损严重",
                                            category=road, area=cast.jiulong_grid, channel=Channel.HOTLINE,
                                            by=cast.users.dispatcher, photos=[jpeg(colour=(200, 0, 0))]).concern
        c = concern_services.dispatch_concern(c, by=cast.users.dispatcher)
    with time_machine.travel(at(2026, 11, 6), tick=False):
        concern_services.add_photos(c, photos=[jpeg(colour=(0, 200, 0))], by=cast.users.handler)
        concern_services.resolve_concern(c, by=cast.users.handler, outcome=Outcome.FIXED, text="已修补。")
        other = concern_services.dispatch_concern(
            concern_services.submit_concern(text="岸山路是断头路。", title="岸山路是断头路", category=road,
                                            area=cast.jiulong_grid, channel=Channel.WALK_IN,
                                            by=cast.users.dispatcher).concern, by=cast.users.dispatcher)
        project = concern_services.start_or_join_project(other, by=cast.users.handler, name="岸山路拉通",
                                                         on_date=datetime.date(2026, 10, 1))
        stage = project.stages.get(kind="initiation")
        concern_services.add_project_document(stage, by=cast.users.handler, title="立项批复", file=jpeg())
        concern_services.advance_project_stage(project, by=cast.users.handler, on_date=datetime.date(2026, 11, 5))

    sections = {s["key"]: s for s in briefing.build_sections(cast.town, 2026, 11)}
    photos = sections["concerns"]["photos"]
    assert [p["caption"] for p in photos] == ["“梅园至杨梅道路破损严重”办理现场", "岸山路拉通立项：立项批复"]
    assert all(not p["name"].startswith("concerns/") or c.photos.get(file=p["name"]).uploaded_by_id
               for p in photos)  # the resident's intake photo is not among them
    assert "岸山路拉通项目，11月5日完成立项" in " ".join(sections["concerns"]["paragraphs"])


def test_photos_print_large_enough_but_are_not_blown_up_past_their_resolution():
    assert briefing_render.photo_size((2400, 1600), max_width=120, max_height=85) == (120, 80)
    assert briefing_render.photo_size((1600, 2400), max_width=120, max_height=85) == (56.7, 85)
    small = briefing_render.photo_size((400, 300), max_width=120, max_height=85)
    assert small == (67.7, 50.8)  # 150 dpi would be 67.7 mm: printed so, not stretched to 120 mm
    assert briefing_render.photo_size((100, 75), max_width=120, max_height=85) == (50, 37.5)  # at least 50 mm
