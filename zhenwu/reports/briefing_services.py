"""Writes of the monthly briefing: start (queue the generation job), regenerate, edit (text,
highlights, recipients), publish and export, and the area's briefing settings. Each runs in one
transaction and writes the audit log.

A briefing's working copy may be regenerated and edited at will; publishing writes a new immutable
version (PublishedBriefing) with who and when. Regenerating or editing afterwards changes only the
working copy, which turns back into a draft.

期号: a briefing is numbered when it is first published — the next number of its area's counter
for the year of publication (第N期, from 1 each year). The number is taken in the publication's
transaction, so it exists exactly when the version does; rendering the files happens afterwards in a
job and cannot give the number back, whether it succeeds or fails. Later versions of the same
briefing (corrections) keep its number; the next briefing gets the next one.
"""

import datetime
import hashlib
import json

from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from zhenwu.audit.services import record_create, record_update, snapshot
from zhenwu.core.errors import DomainError
from zhenwu.jobs.services import JobError, enqueue_job, job_handler
from zhenwu.org.models import Area, AreaLevel, PartyOrg, PartyOrgKind

from . import briefing as builder
from . import highlights as highlight_rules
from .models import (
    Briefing,
    BriefingExport,
    BriefingIssueCounter,
    BriefingSettings,
    BriefingStatus,
    ExportFormat,
    PublishedBriefing,
)

JOB_KIND = "reports.briefing"
MAX_TEXT = 20000
MAX_HIGHLIGHTS = 8
MAX_HEADLINE = 40
MAX_HIGHLIGHT_TEXT = 300
MAX_RECIPIENTS = 300
MAX_COPIES = 9999


class BriefingError(DomainError):
    """A refused briefing request; the message is shown to the user as it is."""


def _month(year, month):
    try:
        return datetime.date(int(year), int(month), 1)
    except (TypeError, ValueError):
        raise BriefingError("请选择正确的年份和月份", field="month") from None


def default_settings(area):
    """An area's briefing settings as saved, or (unsaved) the defaults: the issuing unit is the
    office of the area's party committee (中共官桥镇委员会办公室) or its general branch."""
    saved = BriefingSettings.objects.filter(area=area).first()
    if saved is not None:
        return saved
    org = PartyOrg.objects.filter(area=area).order_by("depth", "path").first()
    if org is None:
        unit = area.name
    else:
        unit = f"{org.name}办公室" if org.kind == PartyOrgKind.COMMITTEE else org.name
    parent = Area.objects.filter(path=area.path[:-area.steplen]).first() if area.depth > 1 else None
    if area.level == AreaLevel.TOWN:
        report_to = "镇党委、政府领导" + (f"，{parent.name}委组织部" if parent is not None else "")
        copy_to = "各村（社区）党组织，镇直各部门"
    else:
        report_to = f"{parent.name}党委" if parent is not None else ""
        copy_to = "各党支部"
    return BriefingSettings(area=area, issuing_unit=unit, report_to=report_to, copy_to=copy_to)


def _clean(value, *, label, field, max_length, required=False):
    value = " ".join((value or "").split())
    if required and not value:
        raise BriefingError(f"请填写{label}", field=field)
    if len(value) > max_length:
        raise BriefingError(f"{label}不能超过{max_length}字", field=field)
    return value


def _copies(value):
    try:
        copies = int(value)
    except (TypeError, ValueError):
        raise BriefingError("印数须为整数", field="copies") from None
    if not 1 <= copies <= MAX_COPIES:
        raise BriefingError(f"印数须在1到{MAX_COPIES}份之间", field="copies")
    return copies


@transaction.atomic
def save_briefing_settings(area, *, masthead, issuing_unit, report_to, copy_to, copies, by):
    """How the area's briefings are headed and sent; the recipients are copied into briefings
    created afterwards (each briefing's own recipients may still be changed before publication)."""
    row = BriefingSettings.objects.select_for_update().filter(area=area).first()
    created = row is None
    row = row or default_settings(area)
    before = snapshot(row) if not created else None
    row.masthead = _clean(masthead, label="报头", field="masthead", max_length=30, required=True)
    row.issuing_unit = _clean(issuing_unit, label="编发单位", field="issuing_unit", max_length=60, required=True)
    row.report_to = _clean(report_to, label="报送", field="report_to", max_length=MAX_RECIPIENTS)
    row.copy_to = _clean(copy_to, label="抄送", field="copy_to", max_length=MAX_RECIPIENTS)
    row.copies = _copies(copies)
    row.updated_by, row.updated_at = by, timezone.now()
    row.save()
    if created:
        record_create(row, note="简报设置")
    else:
        record_update(row, before, note="修改简报设置")
    return row


@transaction.atomic
def start_briefing(*, area, year, month, by, regenerate=True):
    """The area's briefing of the month (created if new) and a queued job that (re)generates its
    draft from the records and renders the Word and PDF files. A published briefing is only
    re-rendered unless `regenerate`."""
    first = _month(year, month)
    if area is None:
        raise BriefingError("请选择区域", field="area")
    if first > timezone.localdate().replace(day=1):
        raise BriefingError("不能生成未来月份的简报", field="month")
    config = default_settings(area)
    briefing, created = Briefing.objects.get_or_create(
        area=area, month=first, defaults={"title": builder.briefing_title(area, first.year, first.month),
                                          "report_to": config.report_to, "copy_to": config.copy_to,
                                          "copies": config.copies})
    if created:
        record_create(briefing)
    job = enqueue_job(kind=JOB_KIND, created_by=by,
                      payload={"briefing": briefing.pk, "regenerate": bool(regenerate), "by": getattr(by, "pk", None)})
    return briefing, job


@transaction.atomic
def regenerate_briefing(briefing, *, by=None, report=None, now=None):
    """Write the working copy again from the records (sections, text and highlights). Published
    versions are not touched."""
    year, month = briefing.month.year, briefing.month.month
    sections = builder.build_sections(briefing.area, year, month, report=report)
    before = snapshot(briefing)
    briefing.sections = sections
    briefing.text = builder.to_text(sections)
    briefing.highlights = highlight_rules.choose_highlights(briefing.area, year, month)
    briefing.status = BriefingStatus.DRAFT
    briefing.generated_at = now or timezone.now()
    briefing.generated_by = by
    briefing.save()
    record_update(briefing, before, note="根据业务记录重新生成简报")
    return briefing


@transaction.atomic
def edit_briefing(briefing, *, title, text, by, now=None):
    title = (title or "").strip()
    text = (text or "").replace("\r\n", "\n").strip()
    if not title:
        raise BriefingError("请填写标题", field="title")
    if len(title) > 120:
        raise BriefingError("标题不能超过120字", field="title")
    if not text:
        raise BriefingError("请填写正文", field="text")
    if len(text) > MAX_TEXT:
        raise BriefingError(f"正文不能超过{MAX_TEXT}字", field="text")
    before = snapshot(briefing)
    changed = title != briefing.title or text != briefing.text.strip()
    briefing.title, briefing.text = title, text + "\n"
    if changed:
        briefing.status = BriefingStatus.DRAFT
        briefing.edited_at, briefing.edited_by = now or timezone.now(), by
    briefing.save()
    record_update(briefing, before, note="修改简报正文")
    return briefing


def highlights_basis(highlights):
    """A short fingerprint of a list of highlights: an edit names the list it was made on."""
    canonical = json.dumps(highlights or [], ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()[:16]


@transaction.atomic
def edit_highlights(briefing, *, highlights, by, basis=None, now=None):
    """Replace the working copy's highlights (本月要闻) with `highlights`, in that order: dicts with
    "headline", "text" and, for one kept from the generated list, "origin" (its index there), so
    that its kind, source and reason stay with it. An empty list removes them all.

    `basis` (highlights_basis of the list the editor saw) refuses an edit made on a list that has
    since been regenerated or edited by someone else: its "origin" indexes would point elsewhere."""
    briefing = Briefing.objects.select_for_update().get(pk=briefing.pk)
    current = list(briefing.highlights or [])
    if basis is not None and basis != highlights_basis(current):
        raise BriefingError("本月要闻已被重新生成或由他人修改，请在最新内容上重新修改", field="highlights")
    if len(highlights) > MAX_HIGHLIGHTS:
        raise BriefingError(f"本月要闻最多{MAX_HIGHLIGHTS}条", field="highlights")
    result = []
    for number, row in enumerate(highlights, start=1):
        headline = _clean(row.get("headline"), label=f"第{number}条要闻的标题", field="highlights",
                          max_length=MAX_HEADLINE, required=True).rstrip("。")
        text = _clean(row.get("text"), label=f"第{number}条要闻的内容", field="highlights",
                      max_length=MAX_HIGHLIGHT_TEXT)
        origin = row.get("origin")
        base = dict(current[origin]) if isinstance(origin, int) and 0 <= origin < len(current) else {
            "kind": "manual", "score": None, "reason": "编辑添加", "source": {}, "date": ""}
        if (base.get("headline"), base.get("text")) != (headline, text) and base["kind"] != "manual":
            base["edited"] = True
        base.update(headline=headline, text=text)
        result.append(base)
    before = snapshot(briefing)
    if result != current:
        briefing.highlights = result
        briefing.status = BriefingStatus.DRAFT
        briefing.edited_at, briefing.edited_by = now or timezone.now(), by
        briefing.save()
        record_update(briefing, before, note="修改本月要闻")
    return briefing


@transaction.atomic
def edit_issue(briefing, *, report_to, copy_to, copies, by, now=None):
    """The issue's recipients (报送, 抄送) and print run, before publication."""
    before = snapshot(briefing)
    values = (_clean(report_to, label="报送", field="report_to", max_length=MAX_RECIPIENTS),
              _clean(copy_to, label="抄送", field="copy_to", max_length=MAX_RECIPIENTS), _copies(copies))
    if values != (briefing.report_to, briefing.copy_to, briefing.copies):
        briefing.report_to, briefing.copy_to, briefing.copies = values
        briefing.status = BriefingStatus.DRAFT
        briefing.edited_at, briefing.edited_by = now or timezone.now(), by
        briefing.save()
        record_update(briefing, before, note="修改简报报送、抄送")
    return briefing


def _next_issue_number(area, year):
    """The next number of the area's counter for the year; the row stays locked until the
    publication commits, so two publications never take the same number."""
    counter, _ = BriefingIssueCounter.objects.select_for_update().get_or_create(area=area, year=year)
    counter.last_number += 1
    counter.save(update_fields=["last_number"])
    return counter.last_number


@transaction.atomic
def publish_briefing(briefing, *, by, now=None):
    """Publish the working copy as a new version (its text, title, highlights, recipients and
    photos as they are now); the first publication gives the briefing its issue number."""
    briefing = Briefing.objects.select_for_update().select_related("area").get(pk=briefing.pk)
    if not briefing.text.strip():
        raise BriefingError("简报正文为空，请先生成或填写正文", field="text")
    now = now or timezone.now()
    before = snapshot(briefing)
    if briefing.issue_number is None:
        briefing.issue_year = timezone.localtime(now).year
        briefing.issue_number = _next_issue_number(briefing.area, briefing.issue_year)
    config = default_settings(briefing.area)
    number = (briefing.versions.aggregate(n=Max("version"))["n"] or 0) + 1
    version = PublishedBriefing(briefing=briefing, version=number, title=briefing.title, text=briefing.text,
                                sections=builder.parse_text(briefing.text, briefing.sections),
                                highlights=briefing.highlights, issue_year=briefing.issue_year,
                                issue_number=briefing.issue_number, masthead=config.masthead,
                                issuing_unit=config.issuing_unit, report_to=briefing.report_to,
                                copy_to=briefing.copy_to, copies=briefing.copies,
                                published_at=now, published_by=by)
    version.save(force_insert=True)
    record_create(version, note=f"发布第{number}版（{briefing.issue_label}）")
    briefing.status = BriefingStatus.PUBLISHED
    briefing.save(update_fields=["status", "issue_year", "issue_number"])
    record_update(briefing, before)
    return version


def document_meta(briefing, version=None):
    """What the document's head and end say: of a published version as it was published, of the
    working copy as it would be published today (no number yet)."""
    from .briefing_render import Meta

    if version is not None:
        return Meta(title=version.title, area=briefing.area.name, month=briefing.month_label,
                    masthead=version.masthead or "工作简报", issuing_unit=version.issuing_unit or briefing.area.name,
                    issue_year=version.issue_year, issue_number=version.issue_number, version=version.version,
                    date=timezone.localtime(version.published_at).date(), highlights=version.highlights,
                    report_to=version.report_to, copy_to=version.copy_to, copies=version.copies)
    config = default_settings(briefing.area)
    return Meta(title=briefing.title, area=briefing.area.name, month=briefing.month_label, masthead=config.masthead,
                issuing_unit=config.issuing_unit, issue_year=briefing.issue_year, issue_number=None, version=None,
                date=timezone.localdate(), highlights=briefing.highlights, report_to=briefing.report_to,
                copy_to=briefing.copy_to, copies=briefing.copies)


@transaction.atomic
def export_briefing(briefing, *, fmt, version=None, job=None):
    """Render the working copy (or a published version) to Word or PDF and keep the file."""
    from . import briefing_render

    if fmt not in ExportFormat.values:
        raise BriefingError("不支持的文件格式", field="format")
    meta = document_meta(briefing, version)
    sections = version.sections if version else builder.parse_text(briefing.text, briefing.sections)
    data = (briefing_render.render_docx if fmt == ExportFormat.DOCX else briefing_render.render_pdf)(meta, sections)
    export = BriefingExport(briefing=briefing, version=version, format=fmt, size=len(data), job=job)
    export.file.save(f"briefing.{fmt}", ContentFile(data), save=False)
    export.save()
    record_create(export)
    return export


@job_handler(JOB_KIND)
def run_briefing_job(job, report):
    from zhenwu.accounts.models import User

    payload = job.payload or {}
    briefing = Briefing.objects.filter(pk=payload.get("briefing")).select_related("area").first()
    if briefing is None:
        raise JobError("简报不存在")
    by = User.objects.filter(pk=payload.get("by")).first()
    version = None
    if payload.get("version"):
        version = briefing.versions.filter(pk=payload["version"]).first()
        if version is None:
            raise JobError("简报版本不存在")
    steps = 6
    if payload.get("regenerate") and version is None:
        # Writing the text takes the first three steps, however many builders it has.
        regenerate_briefing(briefing, by=by, report=lambda done, total, msg: report(done * 3 // total, steps, msg))
    report(4, steps, "正在生成Word文件")
    docx = export_briefing(briefing, fmt=ExportFormat.DOCX, version=version, job=job)
    report(5, steps, "正在生成PDF文件")
    pdf = export_briefing(briefing, fmt=ExportFormat.PDF, version=version, job=job)
    report(6, steps, "已完成")
    which = f"第{version.version}版" if version else "草稿"
    return {"message": f"已生成《{briefing.title}》{which}的Word和PDF文件", "briefing": briefing.pk,
            "docx": docx.pk, "pdf": pdf.pk}


def queue_version_files(version, *, by):
    """A job rendering the Word and PDF files of a published version."""
    return enqueue_job(kind=JOB_KIND, created_by=by,
                       payload={"briefing": version.briefing_id, "version": version.pk, "regenerate": False,
                                "by": getattr(by, "pk", None)})


def queue_draft_files(briefing, *, by):
    """A job rendering the working copy's files as it is now (after an edit), without regenerating."""
    return enqueue_job(kind=JOB_KIND, created_by=by,
                       payload={"briefing": briefing.pk, "regenerate": False, "by": getattr(by, "pk", None)})
