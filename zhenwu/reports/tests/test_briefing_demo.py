"""Acceptance: the demo town's October 2019 briefing, generated as a job, states the reference
story's figures in its text, its Word file and its PDF, which renders to a non-blank page."""

import io
import shutil
import subprocess

import pytest
from django.core.management import call_command
from docx import Document
from PIL import Image, ImageStat

from zhenwu.accounts.models import User
from zhenwu.jobs.models import JobStatus
from zhenwu.jobs.services import run_pending_jobs
from zhenwu.org.demo import TOWN_CODE
from zhenwu.org.models import Area
from zhenwu.reports.briefing_services import start_briefing
from zhenwu.reports.models import BriefingExport

STORY_FIGURES = [
    "特色党课专场8次",
    "“民情茶室”“您说我做民情收集”“初心故事会”“草根宣讲”",
    "将党课带到文化广场、农家院落",
    "10月14日，举办官桥镇第三期主题教育学习班",
    "送学上门",
    "潘虎等本土革命先烈事迹及移风易俗黎干亮、最美乡贤彭镇铭、见义勇为尹东辉、精准扶贫李孟其等“身边榜样”故事",
    "10月1日，镇党建办组织20余名“返巢”流动党员开展回望初心、唱红歌、与国旗合影、观看阅兵仪式等活动",
    "10月3日，镇农业线组织40余名党员志愿者",
    "秸秆禁烧、森林防火",
    "10月3日，九龙村党总支开展“岁岁重阳暖人心”慰问活动，为200余名老人送去文艺节目汇演、长寿餐及牛奶等慰问品",
    "10月12日，镇文明办组织30余名党群志愿者，在集里桥社区开展“文明浏阳”卫生清理义务劳动并参观党群服务中心",
    "镇文联举办“给祖国的一份红色情书”征文",
    "“不忘初心、牢记使命”主题演讲比赛",
    "“不忘初心、牢记使命”书画摄影作品展",
    "除杂草、清水渠，讲解垃圾分类",
]


@pytest.fixture
def media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    return tmp_path


@pytest.mark.django_db
def test_the_demo_october_briefing_states_the_storys_figures_in_text_word_and_pdf(media):
    call_command("load_demo", stdout=io.StringIO())
    town = Area.objects.get(code=TOWN_CODE)
    briefing, job = start_briefing(area=town, year=2019, month=10, by=User.objects.get(username="gq_leader"))
    assert run_pending_jobs() == 1
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.message
    briefing.refresh_from_db()
    for figure in STORY_FIGURES:
        assert figure in briefing.text, figure

    docx = BriefingExport.objects.get(briefing=briefing, format="docx")
    with docx.file.open("rb") as handle:
        document = Document(io.BytesIO(handle.read()))
    word_text = "\n".join(p.text for p in document.paragraphs)
    for figure in STORY_FIGURES:
        assert figure in word_text, figure
    assert len(document.inline_shapes) >= 5  # the activities' photos
    body_fonts = {r._element.rPr.rFonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia")
                  for p in document.paragraphs for r in p.runs if r.text}
    assert body_fonts <= {"宋体", "黑体"} and "宋体" in body_fonts

    pdf = BriefingExport.objects.get(briefing=briefing, format="pdf")
    path = media / "briefing.pdf"
    with pdf.file.open("rb") as handle:
        path.write_bytes(handle.read())
    assert path.read_bytes().startswith(b"%PDF")
    assert shutil.which("pdftoppm"), "poppler-utils (pdftoppm) is needed to check the PDF"
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(path), str(media / "page")],
                   check=True, timeout=120)
    pages = sorted(media.glob("page*.png"))
    assert len(pages) == 1
    with Image.open(pages[0]) as image:
        stat = ImageStat.Stat(image.convert("L"))
    assert stat.var[0] > 100, f"page 1 looks blank (variance {stat.var[0]:.1f})"
    assert stat.mean[0] > 150  # mostly white paper with text on it
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True,
                          timeout=120).stdout.decode()
    squeezed = "".join(text.split())
    for figure in ("特色党课专场8次", "30余名党群志愿者", "为200余名老人"):
        assert figure in squeezed, figure
