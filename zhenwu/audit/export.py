"""The audit log as an .xlsx file, written in constant memory.

openpyxl's write-only workbook spools rows to a temporary file; the entries are read from the
database in chunks; the finished workbook is a temporary file the response streams and closes.
openpyxl is imported when a file is written, not with the module, so web workers do not hold it
(docs/architecture.md, "What a web worker loads").
"""

import tempfile

from django.utils import timezone

from .display import mask_numbers
from .models import AuditAction

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


def write_entries(queryset, *, chunk_size=500):
    """Write the entries to a new temporary file; return (file positioned at 0, row count)."""
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
    out = tempfile.TemporaryFile(suffix=".xlsx")
    wb.save(out)
    out.seek(0)
    return out, count
