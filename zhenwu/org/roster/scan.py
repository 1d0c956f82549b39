"""One pass over a roster file: the sheet opened (bounded, see zhenwu.lib.excel), the header
found, the rows parsed and checked in batches of BATCH_SIZE, against the file itself and then
the database; errors kept by Excel row and column. `validate_roster` is the check without
writing; the commit (commit.py) runs the same scan and writes each clean batch."""

import datetime
import json
import re
import tempfile
import zipfile
import zlib

from django.utils import timezone

from zhenwu.lib.excel import NoSheetError, SpreadsheetError, open_sheet
from zhenwu.lib.idnumber import InvalidIdNumber, gender_from_id_number
from zhenwu.lib.phone import normalise_phone
from zhenwu.lib.uploads import FileLimitExceeded, XlsxDamaged, check_xlsx, echo

from ..models import Gender, Household, Member, MemberStatus, Resident, ResidentTag
from ..services import id_number_hash, split_tags
from .cells import cell_text, mask_cell, parse_date_cell, parse_id_cell, parse_yes_no
from .errors import RosterFileError
from .layouts import (
    KIND_LABELS,
    MEMBER_COLUMNS,
    MEMBERS,
    RESIDENT_COLUMNS,
    RESIDENTS,
    TAG_LABELS,
    header_lookup,
    norm_header,
)
from .scope import AreaScope, OrgScope
from .stage import Stage

ERROR_CAP = 1000  # errors kept in the job result; the downloadable list has all of them
WARNING_CAP = 100
MESSAGE_CHARS = 300  # an error's text as kept (results, the error list); cells are quoted shorter
PREVIEW_ROWS = 10
BATCH_SIZE = 1000
MAX_ROWS = 100_000
HEADER_SEARCH_ROWS = 5  # a title row ("官桥镇党员花名册") above the header is common

_TAG_SPLIT_RE = re.compile(r"[、,，;；/\s]+")
_GENDERS = {"男": Gender.MALE, "女": Gender.FEMALE}
_STATUSES = {
    "": MemberStatus.FULL,
    "正式党员": MemberStatus.FULL,
    "正式": MemberStatus.FULL,
    "预备党员": MemberStatus.PROBATIONARY,
    "预备": MemberStatus.PROBATIONARY,
}
_TAGS_BY_LABEL = {t.label: t.value for t in ResidentTag}


def sniff_xlsx(fileobj):
    """Cheap checks before a job is queued: raise RosterFileError unless this looks like an .xlsx."""
    fileobj.seek(0)
    head = fileobj.read(8)
    fileobj.seek(0)
    if not head:
        raise RosterFileError("文件是空的")
    if head.startswith(b"\xd0\xcf\x11\xe0"):
        raise RosterFileError("这是旧版 .xls 文件或设置了密码的文件，请在 Excel/WPS 中“另存为” .xlsx（不设密码）后再上传")
    if not head.startswith(b"PK\x03\x04"):
        raise RosterFileError("这不是 Excel(.xlsx) 文件，请上传用 Excel 或 WPS 保存的 .xlsx 文件")
    try:
        check_xlsx(fileobj, inflate=False)  # what the zip claims; the job inflates every member
        with zipfile.ZipFile(fileobj) as archive:
            names = set(archive.namelist())
    except FileLimitExceeded as exc:
        raise RosterFileError(exc.message) from None
    except (XlsxDamaged, zipfile.BadZipFile, OSError, ValueError, EOFError):
        raise RosterFileError("文件已损坏（.xlsx 不完整），请用 Excel/WPS 重新保存后上传") from None
    finally:
        fileobj.seek(0)
    if "xl/workbook.xml" not in names:
        raise RosterFileError("这不是 Excel(.xlsx) 工作簿，请上传用 Excel 或 WPS 保存的 .xlsx 文件")


def _open_sheet(fileobj, kind):
    try:
        return open_sheet(fileobj, preferred_title=KIND_LABELS[kind])
    except FileLimitExceeded as exc:
        raise RosterFileError(exc.message) from None
    except NoSheetError:
        raise RosterFileError("工作簿中没有工作表") from None
    except SpreadsheetError:
        raise RosterFileError("文件已损坏或不是有效的 Excel(.xlsx) 文件，请用 Excel/WPS 打开后另存为 .xlsx 再上传") from None


def _guarded(rows):
    """A sheet's row iterator, with a damaged sheet reported to the user instead of crashing."""
    try:
        yield from rows
    except FileLimitExceeded as exc:
        raise RosterFileError(exc.message) from None
    except SpreadsheetError:
        raise RosterFileError("工作表内容已损坏，无法读取，请用 Excel/WPS 打开后另存为 .xlsx 再上传") from None


class _ErrorList:
    """The first ERROR_CAP errors are kept for the page; every error is also spooled to a
    temporary file so the full list can be offered as a download."""

    def __init__(self):
        self.items = []
        self.count = 0
        self._spool = None

    def add(self, row, column, reason):
        # Messages quote cells through uploads.echo; these caps hold whatever else a file sends.
        column, reason = echo(column, 40), echo(reason, MESSAGE_CHARS)
        self.count += 1
        if len(self.items) < ERROR_CAP:
            self.items.append({"row": row, "column": column, "reason": reason})
        if self._spool is None:
            self._spool = tempfile.TemporaryFile(mode="w+", encoding="utf-8")
        self._spool.write(json.dumps([row, column, reason], ensure_ascii=False) + "\n")

    def save(self):
        """A temporary .xlsx holding the full list (or None when there are no errors)."""
        if self._spool is None:
            return None
        from openpyxl import Workbook  # heavy: see docs/architecture.md

        workbook = Workbook(write_only=True)
        sheet = workbook.create_sheet("错误清单")
        sheet.append(["行号", "列", "问题"])
        self._spool.seek(0)
        for line in self._spool:
            sheet.append(json.loads(line))
        self.close()
        out = tempfile.TemporaryFile(suffix=".xlsx")
        workbook.save(out)
        out.seek(0)
        return out

    def close(self):
        if self._spool is not None:
            self._spool.close()
            self._spool = None


class _Scan:
    """One pass over a roster: header, rows in batches, every check. Subclasses know the layout.

    `on_batch(rows)` receives the clean rows of each batch (the commit writes them); a batch
    holds at most BATCH_SIZE rows, and nothing else grows with the file except the ID hash map.
    """

    kind = None
    columns = ()

    def __init__(self, *, user, progress=None, today=None):
        self.user = user
        self.progress = progress
        self.today = today or timezone.localdate()
        self.errors = _ErrorList()
        self.warnings = []
        self.preview = []
        self.rows = 0
        self.error_rows = 0
        self.header_row = None
        self.headers = {}  # key -> header text as written in the file
        self.sheet_title = ""
        self.seen_ids = {}  # id-number hash (as an int) -> first Excel row
        self._present = []
        self._row_bad = False
        self.stage = None  # a Stage that keeps the parsed rows for the commit (validation only)

    # errors ---------------------------------------------------------------------------------
    def error(self, row, key, reason):
        column = self.headers.get(key) or next((c.header for c in self.columns if c.key == key), key)
        self.errors.add(row, column, reason)
        self._row_bad = True

    # the pass -------------------------------------------------------------------------------
    def run(self, fileobj, on_batch=None):
        sheet = _open_sheet(fileobj, self.kind)
        estimate = sheet.estimated_rows
        try:
            self.sheet_title = sheet.title
            indexes = self._read_header(sheet)
            if indexes is None:
                return self
            width = max(indexes.values()) + 1
            total = max(estimate - self.header_row, 0)
            batch = []
            number = self.header_row
            for values in _guarded(sheet.iter_rows(min_row=self.header_row + 1, max_col=width)):
                number += 1
                if not any(v is not None and (not isinstance(v, str) or v.strip()) for v in values):
                    continue
                self.rows += 1
                if self.rows > MAX_ROWS:
                    raise RosterFileError(f"一次最多导入{MAX_ROWS}行，请把文件拆分后分别导入")
                cells = {key: values[i] for key, i in indexes.items()}
                if len(self.preview) < PREVIEW_ROWS:
                    self.preview.append(
                        {"row": number,
                         "cells": [echo(mask_cell(c.key, cell_text(cells.get(c.key)))) for c in self._present]}
                    )
                batch.append((number, cells))
                if len(batch) >= BATCH_SIZE:
                    self._run_batch(batch, on_batch)
                    batch = []
                    if self.progress:
                        self.progress(self.rows, max(total, self.rows), f"已检查 {self.rows} 行")
            if batch:
                self._run_batch(batch, on_batch)
            if self.rows == 0:
                raise RosterFileError("表格只有表头，没有数据行")
            if self.progress:
                self.progress(self.rows, self.rows, f"已检查 {self.rows} 行")
        finally:
            sheet.close()
        return self

    def run_staged(self, rows, on_batch):
        """The commit's pass over rows a validation parsed and staged (the file is unchanged, so
        only what depends on the database is checked again): each row's grid or party
        organisation must still exist within the user's scope, then the batch checks."""
        batch = []
        for row in rows:
            self.rows += 1
            batch.append(row)
            if len(batch) >= BATCH_SIZE:
                self._run_staged_batch(batch, on_batch)
                batch = []
        if batch:
            self._run_staged_batch(batch, on_batch)
        return self

    def _run_staged_batch(self, rows, on_batch):
        context = self.batch_context(rows)
        clean = []
        for row in rows:
            self._row_bad = False
            self.recheck_scope(row)
            self.check_row(row["row"], row, context)
            if self._row_bad:
                self.error_rows += 1
            else:
                clean.append(row)
        if on_batch is not None and not self.errors.count:
            on_batch(clean)

    def recheck_scope(self, row):
        raise NotImplementedError

    def staged(self):
        """The staged rows as a compressed file object, or None (no stage, or errors found)."""
        if self.stage is None or self.errors.count or self.stage.rows != self.rows:
            return None
        return self.stage.finish()

    def _read_header(self, sheet):
        lookup = header_lookup(self.columns)
        first_rows = list(_guarded(sheet.iter_rows(min_row=1, max_row=HEADER_SEARCH_ROWS, max_col=200)))
        nonblank = [r for r in first_rows if any(cell_text(v) for v in r)]
        if not nonblank:
            raise RosterFileError("工作表是空的：第1行应为表头（列名），下面每行一条记录")
        header_index = 0
        for i, row in enumerate(first_rows):
            if sum(1 for v in row if norm_header(v) in lookup) >= 2:
                header_index = i
                break
        else:
            header_index = next(i for i, r in enumerate(first_rows) if any(cell_text(v) for v in r))
        self.header_row = header_index + 1
        indexes = {}
        for i, value in enumerate(first_rows[header_index]):
            text = cell_text(value)
            if not text:
                continue
            col = lookup.get(norm_header(text))
            if col is None:
                if len(self.warnings) < WARNING_CAP:
                    self.warnings.append({"row": self.header_row, "column": echo(text, 40), "reason": "未识别的列，已忽略"})
            elif col.key in indexes:
                from openpyxl.utils import get_column_letter  # heavy: see docs/architecture.md

                self.errors.add(
                    self.header_row, text,
                    f"列“{col.header}”出现了两次（第{get_column_letter(indexes[col.key] + 1)}列和第{get_column_letter(i + 1)}列）",
                )
            else:
                indexes[col.key] = i
                self.headers[col.key] = echo(text, 40)
        missing = [c.header for c in self.columns if c.required and c.key not in indexes]
        for header in missing:
            self.errors.add(self.header_row, header, f"缺少必填列“{header}”")
        self._present = [c for c in self.columns if c.key in indexes]
        if missing or self.errors.count:
            return None
        return indexes

    def _run_batch(self, batch, on_batch):
        parsed = []
        for number, cells in batch:
            self._row_bad = False
            row = self.parse_row(number, cells)
            parsed.append((number, row, self._row_bad))
        if self.stage is not None and not self.errors.count:
            self.stage.write(row for _, row, _ in parsed)
        context = self.batch_context([row for _, row, _ in parsed])
        clean = []
        for number, row, bad in parsed:
            self._row_bad = bad
            self.check_row(number, row, context)
            if self._row_bad:
                self.error_rows += 1
            else:
                clean.append(row)
        if on_batch is not None and not self.errors.count:
            on_batch(clean)

    # shared cell checks ------------------------------------------------------------------------
    def _name(self, number, cells):
        name = cell_text(cells.get("name"))
        if not name:
            self.error(number, "name", "姓名不能为空")
        elif len(name) > 50:
            self.error(number, "name", "姓名不能超过50个字")
        return name

    def _id_number(self, number, cells, *, required):
        raw = cells.get("id_number")
        if raw is None or cell_text(raw) == "":
            if required:
                self.error(number, "id_number", "身份证号不能为空")
            return "", None, ""
        try:
            value, birth = parse_id_cell(raw, today=self.today)
        except InvalidIdNumber as exc:
            self.error(number, "id_number", str(exc))
            return "", None, ""
        digest = id_number_hash(value)
        key = int(digest[:32], 16)  # 128 bits of the hash: a third of the memory of the hex string
        first = self.seen_ids.get(key)
        if first is None:
            self.seen_ids[key] = number
        else:
            self.error(number, "id_number", f"与第{first}行的身份证号重复")
        return value, birth, digest

    def _gender(self, number, cells, id_value):
        text = cell_text(cells.get("gender"))
        from_id = gender_from_id_number(id_value) if id_value else ""
        if not text:
            return from_id
        gender = _GENDERS.get(text)
        if gender is None:
            self.error(number, "gender", "性别应填写“男”或“女”")
            return from_id
        if from_id and gender != from_id:
            self.error(number, "gender", f"性别“{echo(text)}”与身份证号不符")
        return gender

    def _phone(self, number, cells):
        raw = cells.get("phone")
        if raw is None or cell_text(raw) == "":
            return ""
        try:
            return normalise_phone(cell_text(raw), mobile_only=True)
        except ValueError as exc:
            self.error(number, "phone", f"联系电话“{echo(cell_text(raw))}”有误：{exc}")
            return ""

    def _limited(self, number, cells, key, limit, label):
        text = cell_text(cells.get(key))
        if len(text) > limit:
            self.error(number, key, f"{label}不能超过{limit}个字")
        return text

    # summary ---------------------------------------------------------------------------------
    def summary(self):
        return {
            "kind": self.kind,
            "kind_label": KIND_LABELS[self.kind],
            "sheet": echo(self.sheet_title, 40),
            "header_row": self.header_row,
            "columns": [c.header for c in self._present],
            "rows": self.rows,
            "valid_rows": self.rows - self.error_rows,
            "error_rows": self.error_rows,
            "error_count": self.errors.count,
            "errors": self.errors.items,
            "errors_truncated": self.errors.count > len(self.errors.items),
            "warnings": self.warnings,
            "preview": self.preview,
        }


class ResidentScan(_Scan):
    kind = RESIDENTS
    columns = RESIDENT_COLUMNS

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.scope = AreaScope(self.user)
        # household number -> (grid id, crc of address or 0, existed before, first Excel row)
        self.households = {}

    def parse_row(self, number, cells):
        row = {"row": number}
        village_name = cell_text(cells.get("village"))
        grid_name = cell_text(cells.get("grid"))
        grid = None
        if not village_name:
            self.error(number, "village", "村(社区)不能为空")
        else:
            villages = self.scope.villages.get(village_name, [])
            if not villages:
                self.error(number, "village", f"村(社区)“{echo(village_name)}”不存在")
            elif len(villages) > 1:
                self.error(number, "village", f"村(社区)名称“{echo(village_name)}”不唯一，请联系管理员")
            elif not grid_name:
                self.error(number, "grid", "网格不能为空")
            else:
                grid = self.scope.grids.get((villages[0].id, grid_name))
                if grid is None:
                    self.error(number, "grid", f"“{echo(village_name)}”下没有网格“{echo(grid_name)}”")
                elif not self.scope.in_scope(grid):
                    self.error(number, "village", f"“{village_name}{grid_name}”不在您的管辖范围内")
                    grid = None
        row["grid_id"] = grid.id if grid else None
        household = cell_text(cells.get("household"))
        if not household:
            self.error(number, "household", "户编号不能为空")
        elif len(household) > 30:
            self.error(number, "household", "户编号不能超过30个字符")
        row["household"] = household
        row["address"] = self._limited(number, cells, "address", 120, "地址")
        row["name"] = self._name(number, cells)
        id_value, birth, digest = self._id_number(number, cells, required=False)
        row["id_number"], row["birth_date"], row["id_hash"] = id_value, birth, digest
        row["gender"] = self._gender(number, cells, id_value)
        row["relation"] = self._limited(number, cells, "relation", 20, "与户主关系")
        row["phone"] = self._phone(number, cells)
        values = []
        for label in _TAG_SPLIT_RE.split(cell_text(cells.get("tags"))):
            if not label:
                continue
            value = _TAGS_BY_LABEL.get(label)
            if value is None:
                self.error(number, "tags", f"未知标签“{echo(label)}”（可选：{TAG_LABELS}）")
            else:
                values.append(value)
        row["tags"], row["sensitive_tags"] = split_tags(values)
        return row

    def recheck_scope(self, row):
        grid = self.scope.grid_by_id.get(row["grid_id"])
        if grid is None or not self.scope.in_scope(grid):
            self.error(row["row"], "grid", "该网格已被删除或不在您的管辖范围内")

    def batch_context(self, rows):
        hashes = {r["id_hash"] for r in rows if r["id_hash"]}
        taken = {}
        if hashes:
            for digest, hh_number, grid_path in Resident.objects.filter(id_number_hash__in=hashes).values_list(
                "id_number_hash", "household__number", "household__grid__path"
            ):
                taken[digest] = hh_number if grid_path.startswith(self.scope.path) else None
        numbers = {r["household"] for r in rows if r["household"] and r["household"] not in self.households}
        existing = {}
        if numbers:
            for hh_number, grid_id, grid_path in Household.objects.filter(number__in=numbers).values_list(
                "number", "grid_id", "grid__path"
            ):
                existing[hh_number] = (grid_id, grid_path)
        return {"taken": taken, "existing": existing}

    def check_row(self, number, row, context):
        digest = row["id_hash"]
        if digest and digest in context["taken"]:
            where = context["taken"][digest]
            self.error(
                number, "id_number",
                f"该身份证号已登记（户编号{where}）" if where else "该身份证号已在其他村(社区)登记",
            )
        household = row["household"]
        if not household:
            return
        grid_id = row["grid_id"]
        crc = zlib.crc32(row["address"].encode()) if row["address"] else 0
        known = self.households.get(household)
        if known is not None:
            known_grid, known_crc, existed, first = known
            if grid_id and known_grid and grid_id != known_grid:
                self.error(
                    number, "grid",
                    f"户编号“{echo(household)}”在第{first}行属于“{self.scope.grid_by_id[known_grid].name}”，与本行不一致",
                )
            if crc and known_crc and crc != known_crc and not existed:
                self.error(number, "address", f"户编号“{echo(household)}”的地址与第{first}行不一致")
            elif crc and not known_crc:
                self.households[household] = (known_grid, crc, existed, first)
            row["new_household"] = False
            return
        found = context["existing"].get(household)
        if found is not None:
            found_grid, found_path = found
            if not found_path.startswith(self.scope.path):
                self.error(number, "household", f"户编号“{echo(household)}”已被不在您管辖范围内的户使用")
            elif grid_id and found_grid != grid_id:
                grid = self.scope.grid_by_id.get(found_grid)
                self.error(
                    number, "grid",
                    f"户编号“{echo(household)}”已登记在“{grid.name if grid else '其他网格'}”，与本行网格不一致",
                )
            self.households[household] = (found_grid, crc, True, number)
            row["new_household"] = False
            return
        if not row["address"]:
            self.error(number, "address", f"户编号“{echo(household)}”是新户，须填写地址")
        self.households[household] = (grid_id, crc, False, number)
        row["new_household"] = True

    def summary(self):
        data = super().summary()
        new = sum(1 for v in self.households.values() if not v[2])
        data.update(households_new=new, households_existing=len(self.households) - new)
        return data


class MemberScan(_Scan):
    kind = MEMBERS
    columns = MEMBER_COLUMNS

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.scope = OrgScope(self.user)
        self.area_path = self.user.area.path if self.user.area_id else None
        self.linked = 0

    def parse_row(self, number, cells):
        row = {"row": number}
        row["name"] = self._name(number, cells)
        id_value, birth, digest = self._id_number(number, cells, required=True)
        row["id_number"], row["birth_date"], row["id_hash"] = id_value, birth, digest
        row["gender"] = self._gender(number, cells, id_value)
        row["phone"] = self._phone(number, cells)
        org_name = cell_text(cells.get("party_org"))
        row["party_org_id"] = None
        if not org_name:
            self.error(number, "party_org", "所在党组织不能为空")
        else:
            try:
                org = self.scope.lookup(org_name)
            except ValueError as exc:
                self.error(number, "party_org", str(exc))
            else:
                if self.scope.in_scope(org):
                    row["party_org_id"] = org.id
                else:
                    self.error(number, "party_org", f"党组织“{echo(org_name)}”不在您的管辖范围内")
        row["joined_on"] = None
        raw = cells.get("joined_on")
        if raw is not None and cell_text(raw):
            try:
                joined = parse_date_cell(raw)
            except ValueError as exc:
                self.error(number, "joined_on", str(exc))
            else:
                if joined > self.today:
                    self.error(number, "joined_on", "入党日期不能晚于今天")
                elif joined < datetime.date(1921, 7, 1):
                    self.error(number, "joined_on", "入党日期不能早于1921年7月1日")
                elif birth and joined < _add_years(birth, 18):
                    self.error(number, "joined_on", "入党日期早于年满18周岁的日期，请核对")
                else:
                    row["joined_on"] = joined
        status_text = cell_text(cells.get("status"))
        row["status"] = _STATUSES.get(status_text, MemberStatus.FULL)
        if status_text not in _STATUSES:
            self.error(number, "status", "党员类型应填写“正式党员”或“预备党员”")
        for key in ("is_migrant", "is_elderly", "is_ill"):
            try:
                row[key] = parse_yes_no(cells.get(key))
            except ValueError as exc:
                row[key] = False
                self.error(number, key, str(exc))
        row["migrant_location"] = self._limited(number, cells, "migrant_location", 80, "流出地")
        if row["is_migrant"] and not row["migrant_location"]:
            self.error(number, "migrant_location", "流动党员须填写流出地")
        row["household"] = cell_text(cells.get("household"))
        return row

    def recheck_scope(self, row):
        org = self.scope.by_id.get(row["party_org_id"])
        if org is None or not self.scope.in_scope(org):
            self.error(row["row"], "party_org", "该党组织已被删除或不在您的管辖范围内")

    def batch_context(self, rows):
        hashes = {r["id_hash"] for r in rows if r["id_hash"]}
        taken, residents = {}, {}
        if hashes:
            for digest, org_id in Member.objects.filter(id_number_hash__in=hashes).values_list(
                "id_number_hash", "party_org_id"
            ):
                org = self.scope.by_id.get(org_id)
                taken[digest] = self.scope.labels[org_id] if org is not None and self.scope.in_scope(org) else None
            for digest, pk, hh_number, grid_path, member_id in Resident.objects.filter(
                id_number_hash__in=hashes
            ).values_list("id_number_hash", "pk", "household__number", "household__grid__path", "member__id"):
                visible = self.area_path is not None and grid_path.startswith(self.area_path)
                residents[digest] = (pk, hh_number, visible, member_id)
        numbers = {r["household"] for r in rows if r["household"]}
        households = {}
        if numbers:
            for hh_number, grid_path in Household.objects.filter(number__in=numbers).values_list(
                "number", "grid__path"
            ):
                households[hh_number] = self.area_path is not None and grid_path.startswith(self.area_path)
        return {"taken": taken, "residents": residents, "households": households}

    def check_row(self, number, row, context):
        digest = row["id_hash"]
        if digest and digest in context["taken"]:
            where = context["taken"][digest]
            self.error(
                number, "id_number", f"该党员已登记在“{where}”" if where else "该身份证号已在其他党组织登记为党员"
            )
        resident = context["residents"].get(digest) if digest else None
        household = row["household"]
        row["resident_id"] = None
        if household:
            if household not in context["households"]:
                self.error(number, "household", f"户编号“{echo(household)}”不存在")
            elif not context["households"][household]:
                self.error(number, "household", f"户编号“{echo(household)}”不在您的管辖范围内")
            elif resident is None or resident[1] != household:
                self.error(number, "household", f"户编号“{echo(household)}”中没有身份证号相同的居民，无法关联")
            elif resident[3] is not None:
                self.error(number, "household", "该居民已关联其他党员档案")
            else:
                row["resident_id"] = resident[0]
        elif resident is not None and resident[2] and resident[3] is None:
            row["resident_id"] = resident[0]
        if row["resident_id"] and not self._row_bad:
            self.linked += 1

    def summary(self):
        data = super().summary()
        data.update(linked_residents=self.linked)
        return data


def _add_years(day, years):
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


SCANS = {RESIDENTS: ResidentScan, MEMBERS: MemberScan}


def validate_roster(*, kind, fileobj, user, progress=None, today=None, stage=False):
    """Check a roster without writing anything. Returns the scan (`.summary()`, `.errors`).
    With `stage=True` the parsed rows are kept: `scan.staged()` gives them as a file for the
    commit (None when the file has errors)."""
    scan = SCANS[kind](user=user, progress=progress, today=today)
    if stage:
        scan.stage = Stage()
    return scan.run(fileobj)

