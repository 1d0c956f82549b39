"""The audit log as an .xlsx file, written in constant memory by a background job.

The administrator's filters are checked in the request and queued (`start_export`); the worker
(`run_export_job`) reads the entries in chunks into openpyxl's write-only workbook, which spools
rows to a temporary file, reports its progress on the job's page, stores the file encrypted as
the job's output and records the export as an audit entry of its own. A town's log holds tens of
thousands of entries (the demo's 50,000 take about 15 s), longer than a request should run.
openpyxl is imported when a file is written, not with the module, so web workers do not hold it
(docs/architecture.md, "What a web worker loads").
"""

import tempfile
from urllib.parse import urlencode

from django.urls import reverse
from django.utils import timezone

from zhenwu.jobs.services import JobError, enqueue_job, job_handler, save_job_output
from zhenwu.lib.request_context import Actor, acting_as, current_actor

from .display import mask_numbers
from .models import AuditAction, AuditEntry
from .services import record_event

EXPORT_JOB = "audit.export"
PROGRESS_EVERY = 500

COLUMNS = [
    ("编号", 10),
    ("时间", 20),
    ("操作人", 14),
    ("IP地址", 16),
    ("操作", 12),
    ("对象类型", 16),
    ("对象编号", 10),
    ("对象", 24),
    ("变更（前 → 后）", 60),
    ("说明", 30),
    ("请求编号", 18),
    ("前一条哈希", 20),
    ("哈希", 20),
]


def _cells_of(ws):
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    def cell_of(value):
        if isinstance(value, str):
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell = WriteOnlyCell(ws, value=value)
        if isinstance(value, str):
            # Stored as text: a value like "=HYPERLINK(...)" typed by a resident is never a formula.
            cell.data_type = "s"
        return cell

    return cell_of


def _changes_text(entry):
    return "\n".join(f"{label}：{before} → {after}" for label, before, after in entry.change_rows())


def write_entries(queryset, *, chunk_size=500, progress=None):
    """Write the entries to a new temporary file; return (file positioned at 0, row count).
    `progress(done)` is called every PROGRESS_EVERY rows."""
    from openpyxl import Workbook

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("审计日志")
    cell = _cells_of(ws)
    for index, (_, width) in enumerate(COLUMNS):
        ws.column_dimensions[chr(ord("A") + index)].width = width
    ws.freeze_panes = "A2"
    ws.append([cell(title) for title, _ in COLUMNS])
    action_labels = dict(AuditAction.choices)
    count = 0
    for entry in queryset.order_by("-id").iterator(chunk_size=chunk_size):
        ws.append(
            [
                cell(value)
                for value in (
                    entry.id,
                    timezone.localtime(entry.at).strftime("%Y-%m-%d %H:%M:%S"),
                    entry.actor_label,
                    entry.ip,
                    action_labels.get(entry.action, entry.action),
                    entry.object_type_label,
                    entry.object_id,
                    mask_numbers(entry.object_repr),
                    mask_numbers(_changes_text(entry)),
                    mask_numbers(entry.note),
                    entry.request_id,
                    entry.prev_hash,
                    entry.hash,
                )
            ]
        )
        count += 1
        if progress is not None and count % PROGRESS_EVERY == 0:
            progress(count)
    out = tempfile.TemporaryFile(suffix=".xlsx")
    wb.save(out)
    out.seek(0)
    return out, count


def export_filename(job):
    return f"审计日志-{timezone.localtime(job.created_at):%Y%m%d-%H%M}.xlsx"


def start_export(*, form, by):
    """Queue the export of the entries a valid EntryFilterForm selects; returns the job. The
    filters travel as the form's data, so the worker applies exactly what the page showed."""
    actor = current_actor()
    data = {name: form.data.get(name, "") for name in form.fields}
    return enqueue_job(
        kind=EXPORT_JOB,
        created_by=by,
        payload={
            "filters": data,
            "summary": form.summary(),
            "title": "导出审计日志",
            "back_url": f"{reverse('audit:entry_list')}?{urlencode({k: v for k, v in data.items() if v})}".rstrip("?"),
            "ip": actor.ip if actor else "",
            "request_id": actor.request_id if actor else "",
        },
    )


@job_handler(EXPORT_JOB)
def run_export_job(job, report):
    from zhenwu.core.roles import Role

    from .forms import EntryFilterForm

    user = job.created_by
    if user is None or not user.is_active or user.role != Role.TOWN_ADMIN:
        raise JobError("发起导出的账号已不存在、已停用或不再是镇管理员")
    payload = job.payload
    form = EntryFilterForm(payload.get("filters") or {})
    if not form.is_valid():
        raise JobError("筛选条件有误，请回到审计日志修改后再导出")
    entries = form.filter(AuditEntry.objects.all())
    total = entries.count()
    report(0, total, f"共{total}条，正在写入")
    out, count = write_entries(entries, progress=lambda done: report(done, total, f"正在写入第{done}条，共{total}条"))
    report(count, max(total, count), "正在保存文件")
    actor = Actor(user_id=user.pk, label=user.get_username(), ip=payload.get("ip", ""),
                  request_id=payload.get("request_id", ""))
    with out:
        save_job_output(job, name=f"audit-{job.pk}.xlsx", fileobj=out)
    with acting_as(actor):
        record_event(
            action=AuditAction.EXPORT,
            object_type=AuditEntry._meta.label,
            object_repr="审计日志",
            note=f"导出审计日志{count}条；筛选：{payload.get('summary') or form.summary()}",
        )
    return {"rows": count, "output_name": export_filename(job), "message": f"已生成：共{count}条记录"}
