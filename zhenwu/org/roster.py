"""花名册 import and export: the household roster (住户花名册) and the party member roster (党员花名册).

Import is two background jobs. `roster_validate` reads the uploaded .xlsx once (zhenwu.lib.excel:
calamine, or openpyxl streaming for very large sheets; rows handled in batches) and stores a
preview in the job's result: counts, the first rows with masked numbers and the errors by Excel
row, column and reason (the first ERROR_CAP kept in the result, every one of them in a
downloadable error list). A clean file's parsed rows are staged (encrypted, with the job) for the
commit. `roster_commit` works inside one transaction: from the staged rows it checks again only
what depends on the database (numbers registered meanwhile, households, grids and organisations
still in the user's scope); without a stage (or when the user's scope changed) it reads and checks
the file again. It writes with insert_many, one audit entry per created row plus one IMPORT event
for the job; any error rolls everything back.

Memory is bounded as files grow: rows are read and written in batches; what a scan keeps across
batches is a map of ID-number hashes (duplicates within the file) and, for households, a small
tuple per household number; the reader holds at most zhenwu.lib.excel.IN_MEMORY_LIMIT of sheet.

Export writes the same layouts (openpyxl write-only, through a temporary file) from the records the
user can see, masked unless a town admin asks for full values, which is audited.
"""

import datetime
import hashlib
import json
import re
import tempfile
import uuid
import zipfile
import zlib
from dataclasses import dataclass

from django.core.files import File
from django.db import IntegrityError, transaction
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.utils.datetime import from_excel

from zhenwu.audit.models import AuditAction
from zhenwu.audit.services import record_created_many, record_event
from zhenwu.core.errors import DomainError
from zhenwu.core.roles import Role
from zhenwu.jobs.models import Job, JobStatus
from zhenwu.jobs.services import (
    JobError,
    enqueue_job,
    job_handler,
    open_job_input,
    open_job_stage,
    save_job_output,
    save_job_stage,
)
from zhenwu.lib.bulk import insert_many
from zhenwu.lib.excel import NoSheetError, SpreadsheetError, open_sheet
from zhenwu.lib.idnumber import (
    InvalidIdNumber,
    gender_from_id_number,
    validate_id_number,
)
from zhenwu.lib.masking import mask_id_number, mask_phone
from zhenwu.lib.phone import normalise_phone
from zhenwu.lib.request_context import Actor, acting_as, current_actor
from zhenwu.lib.uploads import FileLimitExceeded, XlsxDamaged, check_xlsx, echo

from .models import (
    SENSITIVE_TAGS,
    Area,
    AreaLevel,
    Gender,
    Household,
    Member,
    MemberStatus,
    PartyOrg,
    Resident,
    ResidentTag,
    town_of,
)
from .services import id_number_hash, split_tags

RESIDENTS = "residents"
MEMBERS = "members"
KIND_LABELS = {RESIDENTS: "住户花名册", MEMBERS: "党员花名册"}
KINDS = tuple(KIND_LABELS)
ROSTER_ROLES = (Role.TOWN_ADMIN, Role.SECRETARY)

VALIDATE_JOB = "roster_validate"
COMMIT_JOB = "roster_commit"
JOB_KINDS = (VALIDATE_JOB, COMMIT_JOB)

ERROR_CAP = 1000  # errors kept in the job result; the downloadable list has all of them
WARNING_CAP = 100
MESSAGE_CHARS = 300  # an error's text as kept (results, the error list); cells are quoted shorter
PREVIEW_ROWS = 10
BATCH_SIZE = 1000
MAX_ROWS = 100_000
HEADER_SEARCH_ROWS = 5  # a title row ("官桥镇党员花名册") above the header is common


class RosterFileError(DomainError):
    """The file as a whole cannot be used; the message is for the user (Chinese)."""


class RosterError(DomainError):
    """A request about a roster job that cannot be granted; the message is for the user."""


# --- Layouts --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    required: bool  # the column must be present (its cells may still be optional, see help)
    help: str
    aliases: tuple = ()
    width: int = 14
    text: bool = False  # formatted as text in templates so Excel keeps every digit


_TAG_LABELS = "、".join(t.label for t in ResidentTag)
_SENSITIVE_LABELS = "、".join(ResidentTag(t).label for t in ResidentTag if t in SENSITIVE_TAGS)

RESIDENT_COLUMNS = (
    Column("village", "村(社区)", True, "必填。村或社区名称，与系统中的名称一致（见下方“可填写的村(社区)和网格”）",
           ("村", "社区", "村/社区", "村（社区）", "村居", "所在村(社区)"), 12),
    Column("grid", "网格", True, "必填。该村(社区)下的网格名称", ("所在网格", "网格名称"), 16),
    Column("household", "户编号", True,
           "必填。同一户的成员填写相同的户编号；系统中已有该户编号时，本行居民加入该户", ("户号",), 12, True),
    Column("address", "地址", False, "新户必填（同一户填写一次即可，多次填写须一致）", ("住址", "家庭住址"), 24),
    Column("name", "姓名", True, "必填", (), 10),
    Column("gender", "性别", False, "男 / 女；不填则按身份证号判断", (), 6),
    Column("relation", "与户主关系", False, "如 户主、配偶、子、女、父亲、母亲", ("关系",), 10),
    Column("id_number", "身份证号", True,
           "18位公民身份号码（末位可为X）；请把本列设为“文本”格式，否则 Excel 会丢失末尾数字；无证件可留空",
           ("身份证号码", "公民身份号码", "身份证"), 22, True),
    Column("phone", "联系电话", False, "11位手机号", ("电话", "手机", "手机号", "手机号码", "联系方式"), 14, True),
    Column("tags", "标签", False,
           f"可选，多个用“、”或逗号分隔：{_TAG_LABELS}。其中{_SENSITIVE_LABELS}为敏感信息，加密保存",
           ("人员标签", "特殊人群"), 20),
)

MEMBER_COLUMNS = (
    Column("name", "姓名", True, "必填", (), 10),
    Column("gender", "性别", False, "男 / 女；不填则按身份证号判断", (), 6),
    Column("id_number", "身份证号", True, "必填。18位公民身份号码；请把本列设为“文本”格式",
           ("身份证号码", "公民身份号码", "身份证"), 22, True),
    Column("phone", "联系电话", False, "11位手机号", ("电话", "手机", "手机号", "手机号码", "联系方式"), 14, True),
    Column("party_org", "所在党组织", True,
           "必填。党组织名称，与系统中的名称一致；名称重复时写“上级组织/本组织”",
           ("党组织", "所在支部", "所在党支部", "党支部"), 20),
    Column("joined_on", "入党日期", False, "如 2019-07-01、2019/7/1 或 2019年7月1日", ("入党时间",), 12),
    Column("status", "党员类型", False, "正式党员 / 预备党员；不填为正式党员", ("党员类别", "类型"), 10),
    Column("is_migrant", "流动党员", False, "是 / 否；填“是”时须填写流出地", (), 9),
    Column("migrant_location", "流出地", False, "流动党员外出所在地，如 广东省东莞市", ("外出地", "流入地"), 16),
    Column("is_elderly", "年老体弱", False, "是 / 否", (), 9),
    Column("is_ill", "患病/残疾", False, "是 / 否", ("患病残疾", "患病或残疾"), 9),
    Column("household", "户编号", False,
           "可选。填写时，本党员关联到该户中身份证号相同的居民；不填时按身份证号自动关联", ("户号",), 12, True),
)

LAYOUTS = {RESIDENTS: RESIDENT_COLUMNS, MEMBERS: MEMBER_COLUMNS}


def _norm_header(value):
    text = str(value or "").replace("（", "(").replace("）", ")").replace("＊", "*")
    text = re.sub(r"\s+", "", text).strip("*")
    return re.sub(r"\((必填|选填|可选|是/否|是或否)\)$", "", text)


def _header_lookup(columns):
    lookup = {}
    for col in columns:
        for name in (col.header, *col.aliases):
            lookup[_norm_header(name)] = col
    return lookup


# --- Cell values ----------------------------------------------------------------------------

_SCI_RE = re.compile(r"^\d(\.\d+)?[eE]\+?\d+$")
_DATE_RE = re.compile(r"^(\d{4})\s*[-/.年]\s*(\d{1,2})\s*[-/.月]\s*(\d{1,2})\s*日?$")
_COMPACT_DATE_RE = re.compile(r"^(\d{4})(\d{2})(\d{2})$")
_TAG_SPLIT_RE = re.compile(r"[、,，;；/\s]+")
_YES = frozenset({"是", "Y", "YES", "√", "✓", "1", "TRUE", "有"})
_NO = frozenset({"否", "N", "NO", "×", "0", "FALSE", "无", ""})
_GENDERS = {"男": Gender.MALE, "女": Gender.FEMALE}
_STATUSES = {
    "": MemberStatus.FULL,
    "正式党员": MemberStatus.FULL,
    "正式": MemberStatus.FULL,
    "预备党员": MemberStatus.PROBATIONARY,
    "预备": MemberStatus.PROBATIONARY,
}
_TAGS_BY_LABEL = {t.label: t.value for t in ResidentTag}
_LOST_DIGITS = "身份证号被 Excel 存成了数字，只保留15位有效数字，末尾几位已丢失；请把该列设为“文本”格式后重新填写"


def _text(value):
    """A cell as trimmed text; whole numbers lose Excel's '.0'."""
    if value is None:
        return ""
    if isinstance(value, str):
        return value.replace("\u00a0", " ").replace("\u3000", " ").strip()
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, datetime.datetime):
        return value.date().isoformat() if not (value.hour or value.minute or value.second) else str(value)
    if isinstance(value, datetime.date):
        return value.isoformat()
    return str(value).strip()


def parse_id_cell(value, *, today):
    """(normalised number, birth date) from a text or number cell, or InvalidIdNumber."""
    if isinstance(value, float):
        raise InvalidIdNumber(_LOST_DIGITS)
    text = _text(value)
    if _SCI_RE.match(text):
        raise InvalidIdNumber(_LOST_DIGITS)
    return validate_id_number(text, today=today)


def parse_date_cell(value):
    """A date from a date cell, an Excel serial number or text (2019-07-01 / 2019/7/1 / 2019年7月1日)."""
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        if float(value).is_integer() and 10000101 <= value <= 99991231:
            value = str(int(value))
        elif 1 <= value < 2958466:
            return from_excel(value).date()
        else:
            raise ValueError("日期格式应为 2019-07-01、2019/7/1 或 2019年7月1日")
    text = _text(value).split(" ")[0]
    match = _DATE_RE.match(text) or _COMPACT_DATE_RE.match(text)
    if not match:
        raise ValueError("日期格式应为 2019-07-01、2019/7/1 或 2019年7月1日")
    try:
        return datetime.date(int(match[1]), int(match[2]), int(match[3]))
    except ValueError:
        raise ValueError(f"日期“{echo(text)}”不存在") from None


def parse_yes_no(value):
    if isinstance(value, bool):
        return value
    text = _text(value).upper()
    if text in _YES:
        return True
    if text in _NO:
        return False
    raise ValueError("应填写“是”或“否”")


def _mask_cell(key, text):
    if key == "id_number":
        return mask_id_number(text)
    if key == "phone":
        return mask_phone(text)
    return text


# --- Scope: what names a user's rows may use ----------------------------------------------------


class AreaScope:
    """Villages and grids of the user's town, looked up by name; `path` is what the user may write."""

    def __init__(self, user):
        if user.area_id is None:
            raise RosterError("您的账号未设置所辖区域，不能导入或导出住户花名册")
        area = user.area
        town = town_of(user) or area
        self.path = area.path
        self.root = town
        step = Area.steplen
        villages, grids = [], []
        for node in Area.objects.filter(path__startswith=town.path).only("id", "path", "name", "level"):
            if node.level in (AreaLevel.VILLAGE, AreaLevel.COMMUNITY):
                villages.append(node)
            elif node.level == AreaLevel.GRID:
                grids.append(node)
        self.villages = {}
        by_path = {}
        for v in villages:
            self.villages.setdefault(v.name, []).append(v)
            by_path[v.path] = v
        self.grids = {}
        self.grid_by_id = {}
        self.village_of_grid = {}
        for g in grids:
            village = by_path.get(g.path[:-step])
            if village is None:
                continue
            self.grids[(village.id, g.name)] = g
            self.grid_by_id[g.id] = g
            self.village_of_grid[g.id] = village

    def in_scope(self, node):
        return node.path.startswith(self.path)

    def choices(self):
        """[(village name, [grid names])] inside the user's own scope, for templates."""
        out = {}
        for grid in sorted(self.grid_by_id.values(), key=lambda g: g.path):
            if self.in_scope(grid):
                out.setdefault(self.village_of_grid[grid.id].name, []).append(grid.name)
        return list(out.items())


class OrgScope:
    """Party organisations of the user's committee, by name (or "上级/本级" when a name repeats).

    Mirrors Member.objects.visible_to: an account's own organisation and everything under it; a
    town admin without one gets the organisations placed in the town's areas.
    """

    def __init__(self, user):
        step = PartyOrg.steplen
        if user.party_org_id is not None:
            self.path = user.party_org.path
            orgs = list(PartyOrg.objects.filter(path__startswith=self.path[:step]).only("id", "path", "name"))
            self._ids = None
        elif user.role == Role.TOWN_ADMIN and user.area_id is not None:
            self.path = None
            orgs = list(
                PartyOrg.objects.filter(area__path__startswith=user.area.path).only("id", "path", "name")
            )
            self._ids = {o.id for o in orgs}
        else:
            raise RosterError("您的账号未设置所属党组织，不能导入或导出党员花名册")
        by_path = {o.path: o for o in orgs}
        self.by_name = {}
        for o in orgs:
            self.by_name.setdefault(o.name, []).append(o)
        self.by_qualified = {}
        self.labels = {}
        for o in orgs:
            parent = by_path.get(o.path[:-step])
            qualified = f"{parent.name}/{o.name}" if parent else o.name
            self.by_qualified[qualified] = o
            self.labels[o.id] = o.name if len(self.by_name[o.name]) == 1 else qualified
        self.by_id = {o.id: o for o in orgs}

    def in_scope(self, org):
        return org.id in self._ids if self._ids is not None else org.path.startswith(self.path)

    def lookup(self, text):
        """The org named `text`, or ValueError with a Chinese reason."""
        text = text.replace("／", "/").replace(" ", "")
        if "/" in text:
            org = self.by_qualified.get(text)
            if org is None:
                raise ValueError(f"党组织“{echo(text)}”不存在")
            return org
        found = self.by_name.get(text, [])
        if not found:
            raise ValueError(f"党组织“{echo(text)}”不存在")
        if len(found) > 1:
            raise ValueError(f"党组织名称“{echo(text)}”不唯一，请写成“上级组织/{echo(text)}”")
        return found[0]

    def choices(self):
        return [self.labels[o.id] for o in sorted(self.by_id.values(), key=lambda o: o.path) if self.in_scope(o)]


# --- Scanning a file ------------------------------------------------------------------------


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


class Stage:
    """The rows a validation parsed, kept (zlib-compressed JSON lines in a temporary file) so the
    commit does not read and check the file again. Dates are written as ISO text and read back
    by key."""

    DATE_KEYS = ("birth_date", "joined_on")

    def __init__(self):
        self._file = tempfile.TemporaryFile()
        self._zip = zlib.compressobj(1)  # 2.5x faster than level 6, a sixth larger; it lives minutes
        self.rows = 0

    def write(self, rows):
        lines = []
        for row in rows:
            lines.append(json.dumps(row, ensure_ascii=False, default=_iso_date))
            self.rows += 1
        if lines:
            self._file.write(self._zip.compress(("\n".join(lines) + "\n").encode()))

    def finish(self):
        """The compressed stage as a file object at its start."""
        self._file.write(self._zip.flush())
        self._file.seek(0)
        return self._file

    @classmethod
    def read(cls, fileobj):
        """Iterate the rows of a stage written by `finish()`."""
        unzip = zlib.decompressobj()
        pending = b""
        with fileobj:
            while chunk := fileobj.read(1 << 16):  # 64 KiB: a few hundred KiB of lines at a time
                pending += unzip.decompress(chunk)
                *lines, pending = pending.split(b"\n")
                for line in lines:
                    yield cls._row(line)
        pending += unzip.flush()
        for line in pending.split(b"\n"):
            if line:
                yield cls._row(line)

    @classmethod
    def _row(cls, line):
        row = json.loads(line)
        for key in cls.DATE_KEYS:
            if row.get(key):
                row[key] = datetime.date.fromisoformat(row[key])
        return row


def _iso_date(value):
    if isinstance(value, datetime.date):
        return value.isoformat()
    raise TypeError(f"cannot stage {type(value).__name__}")


def scope_signature(user):
    """What a staged validation depends on besides the file: who checked it and their scope."""
    return f"{user.pk}:{user.role}:{user.area_id}:{user.party_org_id}:{user.department_id}"


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
                         "cells": [echo(_mask_cell(c.key, _text(cells.get(c.key)))) for c in self._present]}
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
        lookup = _header_lookup(self.columns)
        first_rows = list(_guarded(sheet.iter_rows(min_row=1, max_row=HEADER_SEARCH_ROWS, max_col=200)))
        nonblank = [r for r in first_rows if any(_text(v) for v in r)]
        if not nonblank:
            raise RosterFileError("工作表是空的：第1行应为表头（列名），下面每行一条记录")
        header_index = 0
        for i, row in enumerate(first_rows):
            if sum(1 for v in row if _norm_header(v) in lookup) >= 2:
                header_index = i
                break
        else:
            header_index = next(i for i, r in enumerate(first_rows) if any(_text(v) for v in r))
        self.header_row = header_index + 1
        indexes = {}
        for i, value in enumerate(first_rows[header_index]):
            text = _text(value)
            if not text:
                continue
            col = lookup.get(_norm_header(text))
            if col is None:
                if len(self.warnings) < WARNING_CAP:
                    self.warnings.append({"row": self.header_row, "column": echo(text, 40), "reason": "未识别的列，已忽略"})
            elif col.key in indexes:
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
        name = _text(cells.get("name"))
        if not name:
            self.error(number, "name", "姓名不能为空")
        elif len(name) > 50:
            self.error(number, "name", "姓名不能超过50个字")
        return name

    def _id_number(self, number, cells, *, required):
        raw = cells.get("id_number")
        if raw is None or _text(raw) == "":
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
        text = _text(cells.get("gender"))
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
        if raw is None or _text(raw) == "":
            return ""
        try:
            return normalise_phone(_text(raw), mobile_only=True)
        except ValueError as exc:
            self.error(number, "phone", f"联系电话“{echo(_text(raw))}”有误：{exc}")
            return ""

    def _limited(self, number, cells, key, limit, label):
        text = _text(cells.get(key))
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
        village_name = _text(cells.get("village"))
        grid_name = _text(cells.get("grid"))
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
        household = _text(cells.get("household"))
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
        for label in _TAG_SPLIT_RE.split(_text(cells.get("tags"))):
            if not label:
                continue
            value = _TAGS_BY_LABEL.get(label)
            if value is None:
                self.error(number, "tags", f"未知标签“{echo(label)}”（可选：{_TAG_LABELS}）")
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
        org_name = _text(cells.get("party_org"))
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
        if raw is not None and _text(raw):
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
        status_text = _text(cells.get("status"))
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
        row["household"] = _text(cells.get("household"))
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


class RosterRejected(Exception):
    """The commit found errors; nothing was written. Carries the scan."""

    def __init__(self, scan):
        super().__init__(f"发现{scan.errors.count}处错误")
        self.scan = scan


def commit_roster(*, kind, fileobj, user, filename="", sha256="", job=None, today=None, staged=None):
    """Check and write a whole roster in one transaction: all rows or none.

    `staged`: the rows of this file as its validation parsed them (`validate_roster(stage=True)`),
    so that only the checks that depend on the database run again; without it the file is read
    and checked again from the start. Returns a summary dict; raises RosterRejected (nothing
    written) when any row is wrong.
    """
    writer = _ResidentWriter() if kind == RESIDENTS else _MemberWriter()
    scan = SCANS[kind](user=user, today=today)
    note = f"导入{KIND_LABELS[kind]}" + (f"（任务#{job.pk}）" if job is not None else "")
    writer.note = note
    try:
        with transaction.atomic():
            if staged is not None:
                scan.run_staged(staged, on_batch=writer.write)
            else:
                scan.run(fileobj, on_batch=writer.write)
            if scan.errors.count:
                raise RosterRejected(scan)
            result = scan.summary()
            result.update(writer.counts)
            record_event(
                action=AuditAction.IMPORT,
                object_type="jobs.Job" if job is not None else "",
                object_id=str(job.pk) if job is not None else "",
                object_repr=f"{KIND_LABELS[kind]} {filename}"[:200],
                changes={"file": filename, "sha256": sha256, "rows": scan.rows, **writer.counts},
                note=writer.describe(),
            )
    except IntegrityError:
        # Someone wrote the same ID number or household number while this import ran.
        raise RosterFileError("导入时发现与刚刚登记的数据重复（可能有人同时在导入），未导入任何数据，请重新校验后再导入") from None
    return result


class _ResidentWriter:
    def __init__(self):
        self.counts = {"households_created": 0, "residents_created": 0}

    def write(self, rows):
        numbers = {r["household"] for r in rows}
        pks = dict(Household.objects.filter(number__in=numbers).values_list("number", "pk"))
        new = [
            Household(grid_id=r["grid_id"], number=r["household"], address=r["address"])
            for r in rows
            if r["new_household"] and r["household"] not in pks
        ]
        if new:
            insert_many(Household, new)
            record_created_many(new, note=self.note)
            pks.update((h.number, h.pk) for h in new)
            self.counts["households_created"] += len(new)
        residents = [
            Resident(
                household_id=pks[r["household"]],
                name=r["name"],
                gender=r["gender"],
                birth_date=r["birth_date"],
                relation=r["relation"],
                id_number=r["id_number"],
                id_number_hash=r["id_hash"],
                phone=r["phone"],
                tags=r["tags"],
                sensitive_tags=r["sensitive_tags"],
            )
            for r in rows
        ]
        insert_many(Resident, residents)
        record_created_many(residents, note=self.note)
        self.counts["residents_created"] += len(residents)

    def describe(self):
        return f"导入住户花名册：新增{self.counts['households_created']}户、{self.counts['residents_created']}人"


class _MemberWriter:
    def __init__(self):
        self.counts = {"members_created": 0, "residents_linked": 0}

    def write(self, rows):
        members = [
            Member(
                party_org_id=r["party_org_id"],
                resident_id=r["resident_id"],
                name=r["name"],
                gender=r["gender"],
                birth_date=r["birth_date"],
                id_number=r["id_number"],
                id_number_hash=r["id_hash"],
                phone=r["phone"],
                joined_on=r["joined_on"],
                status=r["status"],
                is_migrant=r["is_migrant"],
                migrant_location=r["migrant_location"],
                is_elderly=r["is_elderly"],
                is_ill=r["is_ill"],
            )
            for r in rows
        ]
        insert_many(Member, members)
        record_created_many(members, note=self.note)
        self.counts["members_created"] += len(members)
        self.counts["residents_linked"] += sum(1 for m in members if m.resident_id)

    def describe(self):
        return f"导入党员花名册：新增党员{self.counts['members_created']}名，关联居民档案{self.counts['residents_linked']}名"


# --- Jobs -----------------------------------------------------------------------------------


def file_sha256(fileobj):
    digest = hashlib.sha256()
    fileobj.seek(0)
    for chunk in iter(lambda: fileobj.read(1024 * 1024), b""):
        digest.update(chunk)
    fileobj.seek(0)
    return digest.hexdigest()


def can_import(user):
    return user.is_authenticated and user.role in ROSTER_ROLES


def start_roster_import(*, kind, upload, by):
    """Queue the validation of an uploaded roster; returns the job. Raises RosterFileError."""
    if kind not in KINDS:
        raise RosterError("请选择花名册类型")
    if not can_import(by):
        raise RosterError("您没有导入花名册的权限")
    sniff_xlsx(upload)
    actor = current_actor()
    payload = {
        "kind": kind,
        "filename": str(getattr(upload, "name", "") or "花名册.xlsx")[-120:],
        "size": getattr(upload, "size", 0),
        "sha256": file_sha256(upload),
        "ip": actor.ip if actor else "",
        "request_id": actor.request_id if actor else "",
    }
    return enqueue_job(
        kind=VALIDATE_JOB,
        created_by=by,
        payload=payload,
        input_file=File(upload, name=f"roster-{uuid.uuid4().hex}.xlsx"),
    )


@transaction.atomic
def start_roster_commit(job, *, by):
    """Queue the commit of a validated roster job; returns the commit job. Raises RosterError."""
    job = Job.objects.select_for_update().get(pk=job.pk)
    if job.kind != VALIDATE_JOB or job.created_by_id != by.pk:
        raise RosterError("只有上传该文件的人可以确认导入")
    if job.status != JobStatus.DONE:
        raise RosterError("文件还没有校验完成")
    if job.result.get("error_count"):
        raise RosterError("文件中还有错误，请修改后重新上传")
    previous = job.result.get("commit_job_id")
    if previous:
        earlier = Job.objects.filter(pk=previous).first()
        if earlier is not None and earlier.status != JobStatus.FAILED:
            raise RosterError("该文件已经提交导入，请勿重复提交")
    commit = Job.objects.create(
        kind=COMMIT_JOB,
        created_by=by,
        payload={**job.payload, "source_job_id": job.pk},
        message="排队中，请稍候",
        total=job.result.get("rows", 0),
    )
    job.result = {**job.result, "commit_job_id": commit.pk}
    job.save(update_fields=["result"])
    return commit


def _job_actor(job):
    user = job.created_by
    if user is None or not user.is_active:
        raise JobError("发起导入的账号已不存在或已停用")
    return user, Actor(
        user_id=user.pk,
        label=user.get_username(),
        ip=job.payload.get("ip", ""),
        request_id=job.payload.get("request_id", ""),
    )


def _previous_import(sha256):
    return (
        Job.objects.filter(kind=COMMIT_JOB, status=JobStatus.DONE, payload__sha256=sha256)
        .order_by("-id")
        .values_list("finished_at", flat=True)
        .first()
    )


@job_handler(VALIDATE_JOB)
def run_validate_job(job, report):
    user, _ = _job_actor(job)
    kind = job.payload.get("kind")
    if kind not in KINDS:
        raise JobError("未知的花名册类型")
    report(0, 0, "正在读取文件")
    try:
        with open_job_input(job) as fileobj:
            scan = validate_roster(kind=kind, fileobj=fileobj, user=user, progress=report, stage=True)
    except (RosterFileError, RosterError) as exc:
        raise JobError(str(exc)) from None
    result = scan.summary()
    staged = scan.staged()
    if staged is not None:
        with staged:
            save_job_stage(job, name=f"roster-stage-{job.pk}.jsonl.z", fileobj=staged)
        result["stage_scope"] = scope_signature(user)
    sha256 = job.payload.get("sha256", "")
    earlier = _previous_import(sha256) if sha256 else None
    if earlier:
        when = timezone.localtime(earlier).strftime("%Y-%m-%d %H:%M")
        result["warnings"].insert(0, {"row": None, "column": "", "reason": f"内容完全相同的文件已于{when}导入过"})
    error_file = scan.errors.save()
    if error_file is not None:
        with error_file:
            save_job_output(job, name=f"roster-errors-{job.pk}.xlsx", fileobj=error_file)
        result["output_name"] = f"{KIND_LABELS[kind]}错误清单.xlsx"
    if result["error_count"]:
        result["message"] = f"检查完成：{result['rows']}行中发现{result['error_count']}处错误"
    else:
        result["message"] = f"检查完成：{result['rows']}行全部正确，可以确认导入"
    return result


@job_handler(COMMIT_JOB)
def run_commit_job(job, report):
    user, actor = _job_actor(job)
    source = Job.objects.filter(pk=job.payload.get("source_job_id"), kind=VALIDATE_JOB).first()
    if source is None or not source.input_file:
        raise JobError("找不到要导入的文件，请重新上传")
    kind = source.payload["kind"]
    rows = source.result.get("rows", 0)
    report(0, rows, f"正在写入{rows}行数据，请稍候（完成前不会写入任何一行）")
    try:
        with acting_as(actor), open_job_input(source) as fileobj:
            sha256 = file_sha256(fileobj)
            if sha256 != source.payload.get("sha256"):
                raise JobError("上传的文件已发生变化，请重新上传")
            staged = None
            if source.stage_file and source.result.get("stage_scope") == scope_signature(user):
                staged = Stage.read(open_job_stage(source))
            result = commit_roster(
                kind=kind, fileobj=fileobj, user=user, filename=source.payload.get("filename", ""),
                sha256=sha256, job=job, staged=staged,
            )
    except RosterRejected as exc:
        summary = exc.scan.summary()
        Job.objects.filter(pk=job.pk).update(result=summary)
        raise JobError(f"导入前复核发现{exc.scan.errors.count}处错误（数据可能刚被他人修改），未导入任何数据，请重新上传校验") from None
    except (RosterFileError, RosterError) as exc:
        raise JobError(str(exc)) from None
    report(rows, rows)
    if kind == RESIDENTS:
        result["message"] = f"导入完成：新增{result['households_created']}户、{result['residents_created']}人"
    else:
        result["message"] = f"导入完成：新增党员{result['members_created']}名"
    result["source_job_id"] = source.pk
    return result


def roster_jobs_for(user, *, limit=10):
    """The user's recent roster jobs, newest first (to come back to a running import)."""
    return Job.objects.filter(created_by=user, kind__in=JOB_KINDS).order_by("-id")[:limit]


def roster_job_for(user, pk):
    """A roster job the user may look at (its creator, or a town admin), or None."""
    job = Job.objects.filter(pk=pk, kind__in=JOB_KINDS).select_related("created_by").first()
    if job is None:
        return None
    if job.created_by_id == user.pk or user.role == Role.TOWN_ADMIN:
        return job
    return None


# --- Export ---------------------------------------------------------------------------------

_HEADER_FONT = Font(bold=True)
_HEADER_FILL = PatternFill("solid", fgColor="F3E3E3")


def _write_header(sheet, columns, *, write_only):
    if write_only:
        from openpyxl.cell import WriteOnlyCell

        cells = []
        for col in columns:
            cell = WriteOnlyCell(sheet, value=col.header)
            cell.font = _HEADER_FONT
            cell.fill = _HEADER_FILL
            cells.append(cell)
        sheet.append(cells)
    else:
        sheet.append([c.header for c in columns])
        for cell in sheet[1]:
            cell.font = _HEADER_FONT
            cell.fill = _HEADER_FILL
    for i, col in enumerate(columns, start=1):
        sheet.column_dimensions[get_column_letter(i)].width = col.width


def _append_styled(sheet, values, *, write_only, bold=False, size=None):
    alignment = Alignment(wrap_text=True, vertical="top")
    font = Font(bold=bold, size=size) if bold or size else None
    if write_only:
        from openpyxl.cell import WriteOnlyCell

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


def roster_choices(kind, user):
    """Names the user may write in a roster (for the template's instructions), or None."""
    try:
        return AreaScope(user).choices() if kind == RESIDENTS else OrgScope(user).choices()
    except RosterError:
        return None
