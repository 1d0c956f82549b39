"""交办单: the paper a dispatch sends with a concern, one per dispatch, as an A4 PDF and a Word file.

A department that takes concerns on paper (a 村 or 站所 without a screen at the counter, a file kept
for the year's 督查) signs the sheet on receipt and writes its result on it. The sheet is generated
from the records, never typed: the concern as registered, the dispatch (when, by whom, to which
department, the dispatcher's note) and the deadlines the concern carries when it is printed.

Personal data stays masked on paper as on screen (name and phone as `mask_name` / `mask_phone`
show them): the handler reveals the full number in the system, where the reveal is audited. Every
print is written to the audit log as an export of the concern.

Who may print: staff who can see the concern (``concerns.access.get_concern_for_user``), for any of
its dispatches. The link is offered on the concern's page (the slot ``concerns.concern_detail_cards``,
connected in ReportsConfig.ready) once the concern has been dispatched.
"""

import io
from dataclasses import dataclass

from django.template.loader import render_to_string
from django.utils import timezone

from zhenwu.audit.models import AuditAction
from zhenwu.audit.services import record_event
from zhenwu.concerns.models import ConcernEvent, EventKind
from zhenwu.core.errors import DomainError


class DispatchSheetError(DomainError):
    pass


class SheetFormat:
    PDF = "pdf"
    DOCX = "docx"
    ALL = (PDF, DOCX)


CONTENT_TYPES = {
    SheetFormat.PDF: "application/pdf",
    SheetFormat.DOCX: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
}

# Room left on the sheet for the department's handwritten result (lines of the 办理情况 box).
RESULT_LINES = 6


@dataclass(frozen=True)
class DispatchSheet:
    """What one 交办单 says, already formatted as text (both renderers print these strings)."""

    title: str
    issuing_unit: str
    reference: str
    sheet_number: str  # the reference and the dispatch's ordinal: GQ-2026-000123-2 for the 2nd
    dispatched_at: str
    dispatcher: str
    department: str
    channel: str
    received_at: str
    reporter_name: str
    reporter_phone: str
    category: str
    urgency: str
    place: str
    concern_title: str
    text: str
    note: str
    response_due: str
    resolution_due: str
    is_current: bool  # False for an earlier dispatch the concern has since left
    printed_at: str

    @property
    def footer(self):
        return (
            f"{self.issuing_unit} · 打印于{self.printed_at}。诉求人信息已按规定遮挡，完整联系方式请在镇务通中查看（查看留痕）；"
            "请在时限内于系统中签收并反馈办理结果。"
        )

    def rows(self):
        """The label/value pairs of the sheet's table, two per line, in the order printed."""
        return [
            (("诉求编号", self.reference), ("来源渠道", self.channel)),
            (("登记时间", self.received_at), ("紧急程度", self.urgency)),
            (("诉求人", self.reporter_name), ("联系电话", self.reporter_phone)),
            (("诉求类别", self.category), ("所在地点", self.place)),
            (("承办单位", self.department), ("交办人", self.dispatcher)),
            (("响应时限", self.response_due), ("办结时限", self.resolution_due)),
        ]


def dispatch_events(concern):
    """The concern's dispatches, oldest first (a concern returned and sent again has several)."""
    return list(
        ConcernEvent.objects.filter(concern=concern, kind=EventKind.DISPATCHED)
        .select_related("department", "actor")
        .order_by("at", "id")
    )


def _day(value):
    return f"{timezone.localtime(value):%Y年%m月%d日}" if value else "—"


def _minute(value):
    return f"{timezone.localtime(value):%Y年%m月%d日 %H:%M}" if value else "—"


def build_dispatch_sheet(concern, event, *, now=None):
    """The sheet of `event` (a DISPATCHED event of `concern`). The deadlines are the concern's own
    while that dispatch is the current one; an earlier dispatch's sheet says the concern has moved
    on and prints no deadline (they belonged to a department that no longer holds it)."""
    if event.concern_id != concern.pk or event.kind != EventKind.DISPATCHED:
        raise DispatchSheetError("这条记录不是该诉求的派单，不能生成交办单")
    events = dispatch_events(concern)
    ordinal = next(i for i, e in enumerate(events, start=1) if e.pk == event.pk)
    is_current = ordinal == len(events) and concern.department_id == event.department_id
    town = concern.town.name if concern.town_id else ""
    village = concern.village.name if concern.village_id else ""
    place = "，".join(part for part in (village, concern.address) if part) or concern.area.name
    return DispatchSheet(
        title=f"{town}民情诉求交办单",
        issuing_unit=f"{town}民情受理中心",
        reference=concern.reference,
        sheet_number=concern.reference if len(events) == 1 else f"{concern.reference}-{ordinal}",
        dispatched_at=_minute(event.at),
        dispatcher=event.actor_label or (event.actor.display_name if event.actor_id else "系统"),
        department=event.department.name if event.department_id else "—",
        channel=concern.get_channel_display(),
        received_at=_minute(concern.received_at),
        reporter_name=concern.reporter_name_masked or "（未留姓名）",
        reporter_phone=concern.reporter_phone_masked or "（未留电话）",
        category=concern.category.name,
        urgency=concern.get_urgency_display(),
        place=place,
        concern_title=concern.title,
        text=concern.text,
        note=event.internal_note or "请按时限办理，并在系统中签收、反馈办理结果。",
        response_due=_day(concern.response_due) if is_current else "（已改派，以现行交办单为准）",
        resolution_due=_day(concern.resolution_due) if is_current else "（已改派，以现行交办单为准）",
        is_current=is_current,
        printed_at=_minute(now or timezone.now()),
    )


def render_pdf(sheet):
    from weasyprint import HTML

    html = render_to_string("reports/dispatch_sheet_pdf.html", {"sheet": sheet, "result_lines": range(RESULT_LINES)})
    # The page names no external resource: fetching anything is refused.
    return HTML(string=html, url_fetcher=_refuse_fetch).write_pdf()


def _refuse_fetch(url, *args, **kwargs):
    raise ValueError(f"交办单不引用外部资源：{url}")


def render_docx(sheet):
    from docx import Document
    from docx.enum.table import WD_TABLE_ALIGNMENT
    from docx.enum.text import WD_ALIGN_PARAGRAPH
    from docx.oxml.ns import qn
    from docx.shared import Mm, Pt

    doc = Document()
    section = doc.sections[0]
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.left_margin = section.right_margin = Mm(20)
    section.top_margin = section.bottom_margin = Mm(18)

    def run(paragraph, text, *, size=12, bold=False, font="仿宋"):
        r = paragraph.add_run(text)
        r.font.size = Pt(size)
        r.bold = bold
        r.font.name = font
        r.element.get_or_add_rPr().get_or_add_rFonts().set(qn("w:eastAsia"), font)
        return r

    title = doc.add_paragraph()
    title.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run(title, sheet.title, size=20, bold=True, font="黑体")
    head = doc.add_paragraph()
    run(head, f"交办单号：{sheet.sheet_number}    交办时间：{sheet.dispatched_at}", size=11)

    table = doc.add_table(rows=0, cols=4)
    table.style = "Table Grid"
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    for pair in sheet.rows():
        cells = table.add_row().cells
        for i, (label, value) in enumerate(pair):
            run(cells[2 * i].paragraphs[0], label, bold=True)
            run(cells[2 * i + 1].paragraphs[0], value)

    def wide_row(label, lines):
        cells = table.add_row().cells
        merged = cells[1].merge(cells[3])
        run(cells[0].paragraphs[0], label, bold=True)
        first = True
        for line in lines:
            paragraph = merged.paragraphs[0] if first else merged.add_paragraph()
            run(paragraph, line)
            first = False

    wide_row("诉求标题", [sheet.concern_title])
    wide_row("诉求内容", sheet.text.splitlines() or [""])
    wide_row("交办意见", [sheet.note])
    wide_row("办理情况", ["" for _ in range(RESULT_LINES)])
    for row in table.rows:
        row.cells[0].width = Mm(26)
        row.cells[2].width = Mm(26)

    doc.add_paragraph()
    for line in (
        "承办单位签收人：____________    签收时间：______年____月____日____时",
        "承办单位负责人（签字/盖章）：____________    日期：______年____月____日",
    ):
        run(doc.add_paragraph(), line)
    foot = doc.add_paragraph()
    run(foot, sheet.footer, size=9)
    buffer = io.BytesIO()
    doc.save(buffer)
    return buffer.getvalue()


def export_dispatch_sheet(concern, event, *, fmt, now=None):
    """The file (bytes, filename, content type) of `event`'s 交办单 in `fmt`; the print is audited
    as an export of the concern by the acting user (the request's actor)."""
    if fmt not in SheetFormat.ALL:
        raise DispatchSheetError("交办单只能导出为PDF或Word", field="format")
    sheet = build_dispatch_sheet(concern, event, now=now)
    data = render_pdf(sheet) if fmt == SheetFormat.PDF else render_docx(sheet)
    record_event(
        action=AuditAction.EXPORT,
        obj=concern,
        note=f"打印交办单{sheet.sheet_number}（{fmt.upper()}）",
    )
    filename = f"交办单-{sheet.sheet_number}.{fmt}"
    return data, filename, CONTENT_TYPES[fmt]

