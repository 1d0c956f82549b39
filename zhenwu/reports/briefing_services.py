"""Writes of the monthly briefing: start (queue the generation job), regenerate, edit, publish and
export. Each runs in one transaction and writes the audit log.

A briefing's working copy may be regenerated and edited at will; publishing writes a new immutable
version (PublishedBriefing) with who and when. Regenerating or editing afterwards changes only the
working copy, which turns back into a draft.
"""

import datetime

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from zhenwu.audit.services import record_create, record_update, snapshot
from zhenwu.jobs.services import JobError, enqueue_job, job_handler

from . import briefing as builder
from .models import Briefing, BriefingExport, BriefingStatus, ExportFormat, PublishedBriefing

JOB_KIND = "reports.briefing"
MAX_TEXT = 20000


class BriefingError(ValidationError):
    def __init__(self, message, field=None):
        super().__init__({field: [message]} if field else message)
        self.field = field
        self.text = message


def _month(year, month):
    try:
        return datetime.date(int(year), int(month), 1)
    except (TypeError, ValueError):
        raise BriefingError("请选择正确的年份和月份", "month") from None


@transaction.atomic
def start_briefing(*, area, year, month, by, regenerate=True):
    """The area's briefing of the month (created if new) and a queued job that (re)generates its
    draft from the records and renders the Word and PDF files. A published briefing is only
    re-rendered unless `regenerate`."""
    first = _month(year, month)
    if area is None:
        raise BriefingError("请选择区域", "area")
    if first > timezone.localdate().replace(day=1):
        raise BriefingError("不能生成未来月份的简报", "month")
    briefing, created = Briefing.objects.get_or_create(
        area=area, month=first, defaults={"title": builder.briefing_title(area, first.year, first.month)})
    if created:
        record_create(briefing)
    job = enqueue_job(kind=JOB_KIND, created_by=by,
                      payload={"briefing": briefing.pk, "regenerate": bool(regenerate), "by": getattr(by, "pk", None)})
    return briefing, job


@transaction.atomic
def regenerate_briefing(briefing, *, by=None, report=None, now=None):
    """Write the working copy again from the records (sections and text). Published versions are
    not touched."""
    sections = builder.build_sections(briefing.area, briefing.month.year, briefing.month.month, report=report)
    before = snapshot(briefing)
    briefing.sections = sections
    briefing.text = builder.to_text(sections)
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
        raise BriefingError("请填写标题", "title")
    if len(title) > 120:
        raise BriefingError("标题不能超过120字", "title")
    if not text:
        raise BriefingError("请填写正文", "text")
    if len(text) > MAX_TEXT:
        raise BriefingError(f"正文不能超过{MAX_TEXT}字", "text")
    before = snapshot(briefing)
    changed = title != briefing.title or text != briefing.text.strip()
    briefing.title, briefing.text = title, text + "\n"
    if changed:
        briefing.status = BriefingStatus.DRAFT
        briefing.edited_at, briefing.edited_by = now or timezone.now(), by
    briefing.save()
    record_update(briefing, before, note="修改简报正文")
    return briefing


@transaction.atomic
def publish_briefing(briefing, *, by, now=None):
    """Publish the working copy as a new version (its text, title and photos as they are now)."""
    briefing = Briefing.objects.select_for_update().get(pk=briefing.pk)
    if not briefing.text.strip():
        raise BriefingError("简报正文为空，请先生成或填写正文", "text")
    number = (briefing.versions.aggregate(n=Max("version"))["n"] or 0) + 1
    version = PublishedBriefing(briefing=briefing, version=number, title=briefing.title, text=briefing.text,
                                sections=builder.parse_text(briefing.text, briefing.sections),
                                published_at=now or timezone.now(), published_by=by)
    version.save(force_insert=True)
    record_create(version, note=f"发布第{number}版")
    before = snapshot(briefing)
    briefing.status = BriefingStatus.PUBLISHED
    briefing.save(update_fields=["status"])
    record_update(briefing, before)
    return version


@transaction.atomic
def export_briefing(briefing, *, fmt, version=None, job=None):
    """Render the working copy (or a published version) to Word or PDF and keep the file."""
    from . import briefing_render

    if fmt not in ExportFormat.values:
        raise BriefingError("不支持的文件格式", "format")
    title = version.title if version else briefing.title
    sections = version.sections if version else builder.parse_text(briefing.text, briefing.sections)
    meta = briefing_render.Meta(title=title, area=briefing.area.name, month=briefing.month_label,
                                version=version.version if version else None,
                                date=(timezone.localtime(version.published_at).date() if version
                                      else timezone.localdate()))
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
        regenerate_briefing(briefing, by=by, report=lambda done, total, msg: report(done, steps, msg))
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
