"""Rosters written out: the import templates (with example rows and the names a user may write)
and the export of the records a user can see, masked unless a town admin asks for full values
(audited). openpyxl write-only, so an export's memory does not grow with its rows; openpyxl is
imported inside the functions that write, so web workers load it only when a file is written
(docs/architecture.md, "What a web worker loads")."""

from zhenwu.audit.models import AuditAction
from zhenwu.audit.services import record_event
from zhenwu.core.roles import Role
from zhenwu.lib.masking import mask_id_number, mask_phone

from ..models import Member, Resident, ResidentTag
from .errors import RosterError
from .layouts import KIND_LABELS, KINDS, LAYOUTS, RESIDENTS
from .scope import AreaScope, OrgScope


def _write_header(sheet, columns, *, write_only):
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font, PatternFill
    from openpyxl.utils import get_column_letter

    header_font, header_fill = Font(bold=True), PatternFill("solid", fgColor="F3E3E3")
    if write_only:
        cells = []
        for col in columns:
            cell = WriteOnlyCell(sheet, value=col.header)
            cell.font = header_font
            cell.fill = header_fill
            cells.append(cell)
        sheet.append(cells)
    else:
        sheet.append([c.header for c in columns])
        for cell in sheet[1]:
            cell.font = header_font
            cell.fill = header_fill
    for i, col in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = col.width


def _append_styled(sheet, values, *, write_only, bold=False, size=None):
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Alignment, Font

    alignment = Alignment(wrap_text=True, vertical="top")
    font = Font(bold=bold, size=size) if bold or size else None
    if write_only:
        cells = []
        for value in values:
            cell = WriteOnlyCell(sheet, value=value)
            cell.alignment = alignment
            if font is not None:
                cell.font = font
            cells.append(cell)
        sheet.append(cells)
        return
    sheet.append(list(values))
    for cell in sheet[sheet.max_row]:
        cell.alignment = alignment
        if font is not None:
            cell.font = font


def _write_instructions(workbook, kind, *, choices=None, masked=False):
    write_only = workbook.write_only
    sheet = workbook.create_sheet("填写说明")
    sheet.column_dimensions["A"].width = 14
    sheet.column_dimensions["B"].width = 10
    sheet.column_dimensions["C"].width = 90

    def line(*values, **style):
        _append_styled(sheet, values, write_only=write_only, **style)

    line(f"{KIND_LABELS[kind]}填写说明", bold=True, size=13)
    line("第1行为表头（列名），第2行起每行一条记录；列的顺序可以调整，未识别的列会被忽略。")
    line("导入时先检查全部行：只要有一处错误，就不会导入任何数据；请按错误清单中的行号和列名修改后重新上传。")
    if kind == RESIDENTS:
        line("户编号相同的行属于同一户；户编号在系统中已存在时，本行居民加入该户（网格须一致）。")
    else:
        line("身份证号与系统中已有居民相同时，党员档案自动关联到该居民（可用“户编号”列指定）。")
    if masked:
        line("注意：本文件中的身份证号和电话已脱敏、敏感标签未导出，不能直接用于导入。", bold=True)
    line()
    line("列名", "是否必有", "填写要求", bold=True)
    for col in LAYOUTS[kind]:
        line(col.header, "必有列" if col.required else "可选列", col.help)
    if choices:
        line()
        if kind == RESIDENTS:
            line("可填写的村(社区)和网格", bold=True)
            for village, grids in choices:
                line(village, "", "、".join(grids))
        else:
            line("可填写的党组织", bold=True)
            for label in choices:
                line(label)


def write_template(kind, out, *, rows=(), choices=None):
    """A roster template: the layout with example `rows` (lists in layout order) and a
    “填写说明” sheet; ID and phone columns are formatted as text so Excel keeps every digit."""
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    columns = LAYOUTS[kind]
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = KIND_LABELS[kind]
    _write_header(sheet, columns, write_only=False)
    for row in rows:
        sheet.append(list(row))
    for i, col in enumerate(columns, start=1):
        if col.text:
            letter = get_column_letter(i)
            for (cell,) in sheet.iter_rows(min_row=2, max_row=500, min_col=i, max_col=i):
                cell.number_format = "@"
            sheet.column_dimensions[letter].width = col.width
    sheet.freeze_panes = "A2"
    _write_instructions(workbook, kind, choices=choices)
    workbook.save(out)


def sample_rows(kind, *, choices=None):
    """Example rows for a template, using the user's own names when given."""
    if kind == RESIDENTS:
        village, grids = (choices or [("九龙村", ["九龙村第一网格"])])[0]
        grid = grids[0] if grids else ""
        return [
            [village, grid, "JL-1001", f"{village}一组12号", "李建国", "男", "户主", "430181195203150014",
             "13807310001", "独居老人、退役军人"],
            [village, grid, "JL-1001", "", "王秀英", "女", "配偶", "430181195408220047", "", "低保"],
            [village, grid, "JL-1002", f"{village}二组3号", "张伟", "男", "户主", "430181198001010033",
             "13912345678", ""],
        ]
    org = (choices or ["九龙村第一党支部"])[0]
    return [
        ["黎干亮", "男", "430181194806060013", "13607310001", org, "1975-07-01", "正式党员", "否", "", "是",
         "否", ""],
        ["彭镇铭", "男", "43018119880909003X", "13607310002", org, "2015/6/30", "正式党员", "是",
         "广东省东莞市", "否", "否", ""],
        ["刘小红", "女", "430181199503030020", "", org, "2024年6月28日", "预备党员", "否", "", "否", "否", ""],
    ]


def export_roster(*, kind, user, out, full=False, reason=""):
    """Write the user's visible records in the import layout to `out`; returns the row count.

    Masked unless `full` (town admins only, with the stated `reason`); every export is audited.
    """
    if kind not in KINDS:
        raise RosterError("未知的花名册类型")
    if full and user.role != Role.TOWN_ADMIN:
        raise RosterError("只有镇管理员可以导出完整号码")
    from openpyxl import Workbook

    columns = LAYOUTS[kind]
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(KIND_LABELS[kind])
    _write_header(sheet, columns, write_only=True)
    count = 0
    if kind == RESIDENTS:
        rows = _resident_export_rows(user, full=full)
    else:
        rows = _member_export_rows(user, full=full)
    for row in rows:
        sheet.append(row)
        count += 1
    _write_instructions(workbook, kind, masked=not full)
    workbook.save(out)
    record_event(
        action=AuditAction.EXPORT,
        object_type="org.Resident" if kind == RESIDENTS else "org.Member",
        object_repr=KIND_LABELS[kind],
        changes={"rows": count, "full": full},
        note=(f"导出{KIND_LABELS[kind]}{count}条（含完整身份证号、电话和敏感标签），用途：{reason}" if full
              else f"导出{KIND_LABELS[kind]}{count}条（脱敏）"),
    )
    return count


def _resident_export_rows(user, *, full):
    scope = AreaScope(user)
    qs = (
        Resident.objects.visible_to(user)
        .select_related("household")
        .order_by("household__grid__path", "household__number", "id")
    )
    for r in qs.iterator(chunk_size=2000):
        hh = r.household
        grid = scope.grid_by_id.get(hh.grid_id)
        village = scope.village_of_grid.get(hh.grid_id)
        labels = [ResidentTag(t).label for t in r.tags if t in ResidentTag.values]
        if full:
            labels += [ResidentTag(t).label for t in r.sensitive_tags if t in ResidentTag.values]
        yield [
            village.name if village else "",
            grid.name if grid else "",
            hh.number,
            hh.address,
            r.name,
            r.get_gender_display() if r.gender else "",
            r.relation,
            r.id_number if full else mask_id_number(r.id_number),
            r.phone if full else mask_phone(r.phone),
            "、".join(labels),
        ]


def _member_export_rows(user, *, full):
    scope = OrgScope(user)
    qs = (
        Member.objects.visible_to(user)
        .filter(is_active=True)
        .select_related("resident__household")
        .order_by("party_org__path", "name", "id")
    )

    def yes(flag):
        return "是" if flag else "否"

    for m in qs.iterator(chunk_size=2000):
        yield [
            m.name,
            m.get_gender_display() if m.gender else "",
            m.id_number if full else mask_id_number(m.id_number),
            m.phone if full else mask_phone(m.phone),
            scope.labels.get(m.party_org_id, ""),
            m.joined_on.isoformat() if m.joined_on else "",
            m.get_status_display(),
            yes(m.is_migrant),
            m.migrant_location,
            yes(m.is_elderly),
            yes(m.is_ill),
            m.resident.household.number if m.resident_id else "",
        ]


