"""台账: Excel ledgers with stable column layouts, streamed so a county's year exports in constant
memory, produced as background jobs and downloaded by whoever asked for them.

Each ledger is data: a title, its columns (key, Chinese header, width, format) and a function that
yields one tuple of values per record, in column order, from `values_list(...).iterator()` and
small lookup tables (names of areas, departments, categories) read once — never a query per row.
tests/test_ledgers.py fixes every header row, so a town's filing system can rely on the layout.

Files: one sheet, a title line in row 1 (plain, not merged), the header in row 2, panes frozen
under it, column widths set, an auto-filter over the table, dates and times as real date cells
(yyyy-mm-dd / yyyy-mm-dd hh:mm), every text (reference numbers, masked phones) as a text cell
so nothing is read as a number or a formula. Written with XlsxWriter in constant-memory mode
(`write_ledger`); the files are read back with openpyxl in the tests.
"""

import datetime
import re
import tempfile
from dataclasses import dataclass

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import (
    Count,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    Subquery,
    TextField,
)
from django.db.models.functions import Cast, Coalesce
from django.utils import timezone

from zhenwu.audit.models import AuditAction
from zhenwu.audit.services import record_event
from zhenwu.core.errors import DomainError
from zhenwu.jobs.models import Job
from zhenwu.jobs.services import JobError, enqueue_job, job_handler, save_job_output
from zhenwu.lib.crypto import decrypt_text
from zhenwu.lib.masking import mask_numbers, mask_phone
from zhenwu.lib.request_context import Actor, acting_as, current_actor
from zhenwu.workdays import calendar as workdays

from .filters import REPORT_ROLES, Filter, area_choices

# --- column layouts ------------------------------------------------------------------------------

TEXT, INT, DECIMAL, DATE, DATETIME = "text", "int", "decimal", "date", "datetime"
NUMBER_FORMATS = {DECIMAL: "0.0", DATE: "yyyy-mm-dd", DATETIME: "yyyy-mm-dd hh:mm"}


@dataclass(frozen=True)
class Column:
    key: str
    header: str
    width: float
    fmt: str = TEXT  # how the value is written: text cell, integer, decimal (0.0), date, date-time


@dataclass(frozen=True)
class Ledger:
    key: str
    title: str
    columns: tuple
    rows: object  # rows(user, flt) -> (count, iterator of tuples in column order)
    frozen_columns: int = 2

    @property
    def headers(self):
        return [c.header for c in self.columns]


LEDGERS = {}


def register(ledger):
    LEDGERS[ledger.key] = ledger
    return ledger


def available_ledgers():
    return list(LEDGERS.values())


# --- the sheet writer --------------------------------------------------------------------------

_ILLEGAL = re.compile(r"[\000-\010]|[\013-\014]|[\016-\037]|[\ud800-\udfff]|[\ufffe\uffff]")
_EXCEL_EPOCH = datetime.date(1899, 12, 30).toordinal()
# Column widths as openpyxl wrote them (in characters of the default font): XlsxWriter converts a
# width to pixels and back, so the width in pixels (7 per character of Calibri 11) keeps it as given.
_PIXELS_PER_CHARACTER = 7


def excel_date(value):
    """Serial day number of a date (1900 date system, as Excel and WPS use by default)."""
    return value.toordinal() - _EXCEL_EPOCH


def excel_datetime(value, zone):
    """Serial number of an aware datetime in local time, to the second."""
    local = value.astimezone(zone)
    seconds = local.hour * 3600 + local.minute * 60 + local.second
    return local.toordinal() - _EXCEL_EPOCH + seconds / 86400


def datetime_serial(zone):
    """A function giving the local serial number of a moment read by `raw_time`: an aware datetime
    (PostgreSQL) or SQLite's UTC text. The text is parsed with fromisoformat and shifted by the
    zone's offset, looked up once per UTC hour (zones change offset on the hour), which is several
    times cheaper than Django's parser and a time-zone conversion per cell."""
    offsets = {}
    utc = datetime.UTC
    fromisoformat = datetime.datetime.fromisoformat

    def serial(value):
        if value.__class__ is not str:
            return excel_datetime(value, zone)
        value = fromisoformat(value)
        day = value.toordinal()
        hour = day * 24 + value.hour
        offset = offsets.get(hour)
        if offset is None:
            offset = offsets[hour] = value.replace(tzinfo=utc).astimezone(zone).utcoffset().total_seconds()
        seconds = value.hour * 3600 + value.minute * 60 + value.second + offset
        return day - _EXCEL_EPOCH + seconds / 86400

    return serial


def clean_text(value):
    """A text column's value as written: the text without the characters XML cannot hold, or None
    for nothing. It is always written as a text cell (`write_string`), so text that looks like a
    formula ("=...") or an error ("#N/A") is never evaluated."""
    if value is None:
        return None
    if value.__class__ is not str:
        value = str(value)
    if _ILLEGAL.search(value):
        value = _ILLEGAL.sub("", value)
    return value or None


def cell_writers(sheet, workbook, columns, zone):
    """One function per column, `put(row, col, value)`, writing a value of the column's format:
    text as a text cell, integers as numbers, decimals, dates and date-times as serial numbers with
    the column's number format; None (and empty text) leaves the cell empty."""
    write_string, write_number = sheet.write_string, sheet.write_number
    stamp = datetime_serial(zone)
    formats = {fmt: workbook.add_format({"num_format": code}) for fmt, code in NUMBER_FORMATS.items()}

    def text(r, c, v):
        v = clean_text(v)
        if v is not None:
            write_string(r, c, v)

    def integer(r, c, v):
        if v is not None:
            write_number(r, c, v)

    def number_of(convert, cell_format):
        def put(r, c, v):
            if v is not None:
                write_number(r, c, convert(v), cell_format)

        return put

    converters = {DECIMAL: float, DATE: excel_date, DATETIME: stamp}
    writers = []
    for column in columns:
        fmt = column.fmt
        if fmt == TEXT:
            writers.append(text)
        elif fmt == INT:
            writers.append(integer)
        elif fmt in NUMBER_FORMATS:
            writers.append(number_of(converters[fmt], formats[fmt]))
        else:
            raise ValueError(f"unknown column format {fmt!r}")
    return writers


def write_ledger(ledger, rows, *, subtitle="", progress=None, total=0, every=5000):
    """Write `rows` (tuples in column order; dates as dates, times as aware datetimes) as the
    ledger's .xlsx into a temporary file, positioned at 0. Returns (file, row count).
    `progress(done, total)` is called every `every` rows.

    XlsxWriter in constant-memory mode: each row goes to the sheet's temporary file once the next
    one starts and text is written inline (no shared-strings table), so memory does not grow with
    the rows. It is imported here, not with the module: web workers list ledgers and queue exports
    but never write one (docs/architecture.md, "What a web worker loads")."""
    import xlsxwriter

    zone = workdays.local_zone()
    out = tempfile.TemporaryFile(suffix=".xlsx")
    wb = xlsxwriter.Workbook(out, {"constant_memory": True})
    columns = ledger.columns
    last = len(columns) - 1
    ws = wb.add_worksheet(ledger.title)
    for index, column in enumerate(columns):
        ws.set_column_pixels(index, index, round(column.width * _PIXELS_PER_CHARACTER))
    ws.freeze_panes(2, ledger.frozen_columns)
    ws.repeat_rows(1)
    ws.set_landscape()
    ws.set_paper(9)  # A4
    ws.fit_to_pages(1, 0)

    title = f"{ledger.title}（{subtitle}，导出时间 {timezone.localtime():%Y-%m-%d %H:%M}）"
    ws.write_string(0, 0, clean_text(title), wb.add_format({"bold": True, "font_size": 14}))
    header = wb.add_format({"bold": True, "bg_color": "#F3E3E3", "align": "center", "valign": "vcenter",
                            "text_wrap": True})
    for index, text in enumerate(ledger.headers):
        ws.write_string(1, index, text, header)
    puts = list(enumerate(cell_writers(ws, wb, columns, zone)))
    count = 0
    r = 1
    for row in rows:
        r += 1
        for c, put in puts:
            put(r, c, row[c])
        count += 1
        if progress is not None and count % every == 0:
            progress(count, total)
    ws.autofilter(1, 0, count + 1, last)
    wb.close()
    out.seek(0)
    if progress is not None:
        progress(count, total)
    return out, count


def raw(field):
    """The column as the database driver returns it, without Django's converter: encrypted text
    stays a token, decrypted by the caller with zhenwu.lib.crypto (saves a call chain per cell
    on large exports)."""
    return ExpressionWrapper(F(field), output_field=TextField())


def raw_time(field):
    """A timestamp column for a DATETIME cell: PostgreSQL's driver gives aware datetimes; from
    SQLite the stored UTC text is read as text (see `datetime_serial`)."""
    if connection.vendor == "sqlite":
        return Cast(field, TextField())
    return raw(field)


def _yes_no(flag):
    return "是" if flag else "否"


# --- 民情办理台账 --------------------------------------------------------------------------------

CONCERN_COLUMNS = (
    Column("seq", "序号", 7, INT),
    Column("reference", "诉求编号", 17),
    Column("received_at", "登记时间", 17, DATETIME),
    Column("channel", "来源渠道", 10),
    Column("village", "村(社区)", 12),
    Column("area", "网格", 18),
    Column("category", "诉求类别", 12),
    Column("title", "诉求标题", 32),
    Column("reporter_phone", "联系电话", 14),
    Column("department", "承办部门", 18),
    Column("status", "办理状态", 10),
    Column("dispatched_at", "派单时间", 17, DATETIME),
    Column("responded_at", "首次响应时间", 17, DATETIME),
    Column("resolved_at", "办结时间", 17, DATETIME),
    Column("resolution_workdays", "办结用时(工作日)", 10, INT),
    Column("outcome", "办理结果", 12),
    Column("callback_result", "回访结果", 10),
    Column("callback_at", "回访时间", 17, DATETIME),
    Column("is_supervised", "督办件", 8),
    Column("reopen_count", "重办次数", 9, INT),
)


def _concern_rows(user, flt):
    from zhenwu.concerns.models import CallBackResult, Category, Channel, Concern, Outcome, Status
    from zhenwu.concerns.querysets import area_scope_q
    from zhenwu.org.models import Area, Department

    qs = (
        Concern.objects.visible_to(user)
        .filter(area_scope_q(flt.area))
        .exclude(status=Status.DUPLICATE)  # as the three rates: the original carries the matter
        .filter(received_at__gte=workdays.start_of_day(flt.start), received_at__lte=workdays.end_of_day(flt.end))
    )
    count = qs.count()
    areas = dict(Area.objects.filter(path__startswith=flt.area.path).values_list("pk", "name"))
    departments = dict(Department.objects.values_list("pk", "name"))
    categories = dict(Category.objects.values_list("pk", "name"))
    channels, statuses = dict(Channel.choices), dict(Status.choices)
    outcomes, results = dict(Outcome.choices), dict(CallBackResult.choices)

    time_fields = ("received_at", "dispatched_at", "responded_at", "resolved_at", "callback_at")

    def rows():
        values = qs.order_by("received_at", "id").annotate(
            **{f"raw_{f}": raw_time(f) for f in time_fields}, raw_reporter_phone=raw("reporter_phone")).values_list(
            "reference", "raw_received_at", "channel", "village_id", "area_id", "category_id", "title",
            "raw_reporter_phone", "department_id", "status", "raw_dispatched_at",
            "raw_responded_at", "raw_resolved_at", "resolution_workdays", "outcome", "callback_result",
            "raw_callback_at", "is_supervised", "reopen_count",
        )
        for seq, (reference, received, channel, village, area, category, title, phone, department,
                  status, dispatched, responded, resolved, days, outcome, result, called, supervised,
                  reopened) in enumerate(values.iterator(chunk_size=5000), start=1):
            yield (
                seq, reference, received, channels.get(channel, channel), areas.get(village, ""),
                areas.get(area, ""), categories.get(category, ""), mask_numbers(title),
                mask_phone(decrypt_text(phone)) if phone else "",
                departments.get(department, "") if department else "", statuses.get(status, status),
                dispatched, responded, resolved, days, outcomes.get(outcome, ""),
                results.get(result, ""), called, _yes_no(supervised), reopened,
            )

    return count, rows()


CONCERNS = register(Ledger(key="concerns", title="民情办理台账", columns=CONCERN_COLUMNS, rows=_concern_rows))


# --- 三会一课/学习台账 ----------------------------------------------------------------------------

STUDY_COLUMNS = (
    Column("seq", "序号", 7, INT),
    Column("date", "日期", 12, DATE),
    Column("time", "时间", 13),
    Column("kind", "形式", 12),
    Column("title", "名称", 28),
    Column("topic", "主题", 28),
    Column("speaker", "主讲人", 10),
    Column("venue", "地点", 20),
    Column("party_orgs", "参加党组织", 28),
    Column("level", "组织层级", 9),
    Column("campaign", "主题教育", 20),
    Column("items", "对应学习项目", 24),
    Column("attended", "实到人数", 9, INT),
    Column("excused", "请假人数", 9, INT),
    Column("featured", "特色党课专场", 10),
    Column("summary", "学习情况", 40),
)


def _count_of(model, **filters):
    return Coalesce(
        Subquery(
            model.objects.filter(session_id=OuterRef("pk"), **filters)
            .order_by()
            .values("session_id")
            .annotate(n=Count("id"))
            .values("n")[:1],
            output_field=IntegerField(),
        ),
        0,
    )


# 组织层级 of a session: the level of the highest place among its organisations.
SESSION_LEVELS = {"county": "县级", "town": "镇级", "village": "村级", "community": "社区级", "grid": "网格级"}


def _study_rows(user, flt, *, batch=500):
    """Sessions of the organisations placed in the area, and sessions held above it (a town-wide
    class, say) that members of the area's organisations attended or were excused from: those are
    marked by their 组织层级 (镇级) and count the area's members only (实到, 请假), as coverage credits
    them to their branch. Sessions of the area count everyone who came."""
    from zhenwu.study.access import visible_sessions
    from zhenwu.study.models import (
        Attendance,
        LeaveRequest,
        LeaveStatus,
        SessionItem,
        SessionKind,
        StudySession,
        VenueKind,
    )

    zone = workdays.local_zone()
    path = flt.area.path
    in_area = StudySession.party_orgs.through.objects.filter(partyorg__area__path__startswith=path)
    local_member = {"member__party_org__area__path__startswith": path}
    approved = {"status": LeaveStatus.APPROVED}
    came = Attendance.objects.filter(session_id=OuterRef("pk"), **local_member)
    excused = LeaveRequest.objects.filter(session_id=OuterRef("pk"), **approved, **local_member)
    qs = visible_sessions(user).filter(
        starts_at__gte=workdays.start_of_day(flt.start),
        starts_at__lte=workdays.end_of_day(flt.end),
    ).annotate(
        own=Exists(in_area.filter(studysession_id=OuterRef("pk"))), came_here=Exists(came),
        excused_here_any=Exists(excused),
    ).filter(Q(own=True) | Q(came_here=True) | Q(excused_here_any=True))
    count = qs.count()
    kinds, venues = dict(SessionKind.choices), dict(VenueKind.choices)

    def names_by_session(ids):
        orgs, items, levels = {}, {}, {}
        through = StudySession.party_orgs.through.objects.filter(studysession_id__in=ids)
        for session_id, name, level, depth in (through.order_by("partyorg__path")
                                               .values_list("studysession_id", "partyorg__name",
                                                            "partyorg__area__level", "partyorg__area__depth")):
            orgs.setdefault(session_id, []).append(name)
            if level and (session_id not in levels or depth < levels[session_id][1]):
                levels[session_id] = (level, depth)
        for session_id, title in (SessionItem.objects.filter(session_id__in=ids)
                                  .order_by("item__position", "item_id").values_list("session_id", "item__title")):
            items.setdefault(session_id, []).append(title)
        return orgs, items, {pk: SESSION_LEVELS.get(level, "") for pk, (level, _depth) in levels.items()}

    def emit(chunk, seq):
        orgs, items, levels = names_by_session([r[0] for r in chunk])
        for (pk, starts, ends, kind, title, topic, speaker, venue_kind, venue, campaign, own, attended,
             attended_here, excused_all, excused_here, featured, summary) in chunk:
            seq += 1
            start, end = starts.astimezone(zone), ends.astimezone(zone)
            venue_label = venues.get(venue_kind, "") + (f"·{venue}" if venue else "")
            yield (
                seq, start.date(), f"{start:%H:%M}-{end:%H:%M}", kinds.get(kind, kind), title, topic, speaker,
                venue_label, "、".join(orgs.get(pk, ())), levels.get(pk, ""), campaign or "",
                "、".join(items.get(pk, ())), attended if own else attended_here,
                excused_all if own else excused_here, _yes_no(featured), summary,
            )

    def rows():
        values = (
            qs.order_by("starts_at", "id")
            .annotate(
                attended=_count_of(Attendance),
                attended_here=_count_of(Attendance, **local_member),
                excused_all=_count_of(LeaveRequest, **approved),
                excused_here=_count_of(LeaveRequest, **approved, **local_member),
            )
            .values_list("pk", "starts_at", "ends_at", "kind", "title", "topic", "speaker", "venue_kind", "venue",
                         "campaign__name", "own", "attended", "attended_here", "excused_all", "excused_here",
                         "is_featured", "summary")
        )
        chunk, seq = [], 0
        for row in values.iterator(chunk_size=batch):
            chunk.append(row)
            if len(chunk) >= batch:
                yield from emit(chunk, seq)
                seq += len(chunk)
                chunk = []
        if chunk:
            yield from emit(chunk, seq)

    return count, rows()


STUDY = register(Ledger(key="study", title="三会一课学习台账", columns=STUDY_COLUMNS, rows=_study_rows))


# --- 走访台账 ------------------------------------------------------------------------------------

VISIT_COLUMNS = (
    Column("seq", "序号", 7, INT),
    Column("visited_on", "走访日期", 12, DATE),
    Column("village", "村(社区)", 12),
    Column("grid", "网格", 18),
    Column("household", "户编号", 14),
    Column("address", "住址", 28),
    Column("member", "走访党员", 10),
    Column("way", "走访方式", 9),
    Column("notes", "走访情况", 40),
    Column("concern", "反映诉求编号", 17),
    Column("recorded_by", "登记人", 10),
    Column("created_at", "登记时间", 17, DATETIME),
)


def _visit_rows(user, flt):
    from zhenwu.grid.access import visible_households
    from zhenwu.grid.models import Visit, VisitWay
    from zhenwu.org.models import Area

    qs = Visit.objects.filter(
        household__in=visible_households(user).values("pk"),
        household__grid__path__startswith=flt.area.path,
        visited_on__gte=flt.start,
        visited_on__lte=flt.end,
    )
    count = qs.count()
    areas = dict(Area.objects.filter(path__startswith=flt.area.path).values_list("path", "name"))
    ways = dict(VisitWay.choices)
    steplen = Area.steplen

    def village_of(grid_path):
        for i in range(len(grid_path), 0, -steplen):
            name = areas.get(grid_path[:i])
            if name is not None and i < len(grid_path):
                return name
        return ""

    def rows():
        values = qs.order_by("visited_on", "id").annotate(raw_created_at=raw_time("created_at")).values_list(
            "visited_on", "household__grid__path", "household__grid__name", "household__number", "household__address",
            "member__name", "way", "notes", "concern__reference", "recorded_by__full_name",
            "recorded_by__username", "raw_created_at",
        )
        for seq, (day, grid_path, grid, number, address, member, way, notes, concern, recorder, username,
                  created) in enumerate(values.iterator(chunk_size=5000), start=1):
            yield (seq, day, village_of(grid_path), grid, number, address, member, ways.get(way, way), notes, concern,
                   recorder or username, created)

    return count, rows()


VISITS = register(Ledger(key="visits", title="走访台账", columns=VISIT_COLUMNS, rows=_visit_rows))


# --- 活动台账 / 志愿服务台账 ------------------------------------------------------------------------

ACTIVITY_COLUMNS = (
    Column("seq", "序号", 7, INT),
    Column("starts_at", "活动时间", 17, DATETIME),
    Column("kind", "活动类型", 10),
    Column("title", "活动名称", 28),
    Column("place", "地点", 18),
    Column("area", "所属区域", 14),
    Column("organiser", "组织单位", 22),
    Column("campaign", "服务的主题教育", 20),
    Column("participants", "参与人数", 9, INT),
    Column("volunteers", "志愿者人数", 10, INT),
    Column("hours", "确认志愿时长(小时)", 12, DECIMAL),
    Column("beneficiaries", "受益人数", 9, INT),
    Column("beneficiary_description", "受益对象", 16),
    Column("photos", "照片(张)", 8, INT),
    Column("summary", "活动情况", 40),
)


def _activities_in_scope(user, flt):
    """The activities the dashboard and the briefing count for the period (those ending in it;
    zhenwu.activities.figures), among the user's visible ones."""
    from zhenwu.activities.access import visible_activities
    from zhenwu.activities.figures import counted_activities

    return counted_activities(activities=visible_activities(user), area=flt.area, start=flt.start, end=flt.end)


def _activity_rows(user, flt):
    """Each activity with its own figures from zhenwu.activities.figures.with_activity_figures
    (participants: everyone recorded; hours: confirmed only; beneficiaries: the beneficiary rule)."""
    from zhenwu.activities.figures import with_activity_figures
    from zhenwu.activities.models import ActivityKind, ActivityPhoto
    from zhenwu.org.models import Area, Department, PartyOrg

    qs = _activities_in_scope(user, flt)
    count = qs.count()
    kinds = dict(ActivityKind.choices)
    areas = dict(Area.objects.filter(path__startswith=flt.area.path).values_list("pk", "name"))
    photos_of = ActivityPhoto.objects.filter(activity_id=OuterRef("pk")).order_by().values("activity_id")

    def rows():
        departments = dict(Department.objects.values_list("pk", "name"))
        orgs = dict(PartyOrg.objects.values_list("pk", "name"))
        values = with_activity_figures(qs).order_by("starts_at", "id").annotate(
            raw_starts_at=raw_time("starts_at"), photo_count=_count(photos_of),
        ).values_list(
            "raw_starts_at", "kind", "title", "place", "area_id", "department_id", "party_org_id", "campaign__name",
            "people", "volunteers", "hours", "beneficiaries_served", "beneficiary_description", "photo_count",
            "summary",
        )
        for seq, (starts, kind, title, place, area, department, org, campaign, participants, volunteers, hours,
                  beneficiaries, description, photos, summary) in enumerate(values.iterator(chunk_size=2000), start=1):
            organiser = "、".join(x for x in (departments.get(department), orgs.get(org)) if x)
            yield (seq, starts, kinds.get(kind, kind), title, place, areas.get(area, ""), organiser, campaign,
                   participants, volunteers, hours if hours is not None else 0, beneficiaries, description, photos,
                   summary)

    return count, rows()


def _count(queryset):
    return Coalesce(Subquery(queryset.annotate(n=Count("id")).values("n")[:1], output_field=IntegerField()), 0)


ACTIVITIES = register(Ledger(key="activities", title="活动台账", columns=ACTIVITY_COLUMNS, rows=_activity_rows))


VOLUNTEER_COLUMNS = (
    Column("seq", "序号", 7, INT),
    Column("name", "姓名", 10),
    Column("identity", "身份", 8),
    Column("party_org", "所在党组织", 22),
    Column("starts_at", "活动时间", 17, DATETIME),
    Column("activity", "活动名称", 28),
    Column("kind", "活动类型", 10),
    Column("area", "所属区域", 14),
    Column("hours", "服务时长(小时)", 11, DECIMAL),
    Column("status", "确认状态", 9),
    Column("confirmed_by", "确认人", 10),
    Column("confirmed_at", "确认时间", 17, DATETIME),
)


def _volunteer_rows(user, flt):
    from zhenwu.activities.models import ActivityKind, Participation, ParticipationRole
    from zhenwu.org.models import Area

    qs = Participation.objects.filter(
        role=ParticipationRole.VOLUNTEER, activity__in=_activities_in_scope(user, flt).values("pk")
    )
    count = qs.count()
    kinds = dict(ActivityKind.choices)
    areas = dict(Area.objects.filter(path__startswith=flt.area.path).values_list("pk", "name"))

    def rows():
        values = qs.order_by("activity__starts_at", "activity_id", "id").annotate(
            raw_starts_at=raw_time("activity__starts_at"), raw_confirmed_at=raw_time("hours_confirmed_at"),
        ).values_list(
            "member__name", "resident__name", "person_name", "member__party_org__name", "raw_starts_at",
            "activity__title", "activity__kind", "activity__area_id", "hours", "raw_confirmed_at",
            "hours_confirmed_by__full_name", "hours_confirmed_by__username",
        )
        for seq, (member, resident, person, org, starts, title, kind, area, hours, confirmed, by_name,
                  by_username) in enumerate(values.iterator(chunk_size=5000), start=1):
            if member:
                name, identity = member, "党员"
            elif resident:
                name, identity = resident, "居民"
            else:
                name, identity = person, "其他"
            yield (seq, name, identity, org, starts, title, kinds.get(kind, kind), areas.get(area, ""), hours,
                   "已确认" if confirmed else "待确认", (by_name or by_username) if confirmed else "", confirmed)

    return count, rows()


VOLUNTEERS = register(Ledger(key="volunteers", title="志愿服务台账", columns=VOLUNTEER_COLUMNS,
                             rows=_volunteer_rows))


# --- jobs: export in the background, download by the one who asked ------------------------------

LEDGER_JOB = "reports.ledger"


class LedgerError(DomainError):
    """A refused ledger request, with a message for the user (Chinese)."""


def can_export(user):
    return getattr(user, "is_authenticated", False) and user.role in REPORT_ROLES


def _check_area(user, area_id):
    for area in area_choices(user):
        if area.pk == area_id:
            return area
    raise PermissionDenied("所选区域不在您的管辖范围内")


def start_ledger_export(*, ledger_key, flt, by):
    """Queue the export of a ledger for a period and an area; returns the job."""
    ledger = LEDGERS.get(ledger_key)
    if ledger is None:
        raise LedgerError("请选择台账类型")
    if not can_export(by):
        raise PermissionDenied("您没有导出台账的权限")
    _check_area(by, flt.area.pk)
    actor = current_actor()
    return enqueue_job(
        kind=LEDGER_JOB,
        created_by=by,
        payload={
            "ledger": ledger.key,
            "start": flt.start.isoformat(),
            "end": flt.end.isoformat(),
            "area": flt.area.pk,
            "label": f"{ledger.title}（{flt.label}）",
            "ip": actor.ip if actor else "",
            "request_id": actor.request_id if actor else "",
        },
    )


def export_ledger(*, ledger_key, user, flt, progress=None):
    """The ledger as an .xlsx temporary file for `user` (scope checked): (file, rows). The
    background job and bench/ledgers.py both call this."""
    ledger = LEDGERS[ledger_key]
    if not can_export(user):
        raise PermissionDenied("您没有导出台账的权限")
    total, rows = ledger.rows(user, flt)
    if progress is not None:
        progress(0, total)
    return write_ledger(ledger, rows, subtitle=flt.label, progress=progress, total=total)


def ledger_filename(job):
    payload = job.payload
    ledger = LEDGERS.get(payload.get("ledger"))
    title = ledger.title if ledger else "台账"
    return f"{title}_{payload.get('start', '')}_{payload.get('end', '')}.xlsx"


@job_handler(LEDGER_JOB)
def run_ledger_job(job, report):
    from zhenwu.org.models import Area

    user = job.created_by
    if user is None or not user.is_active:
        raise JobError("发起导出的账号已不存在或已停用")
    payload = job.payload
    ledger = LEDGERS.get(payload.get("ledger"))
    if ledger is None:
        raise JobError("未知的台账类型")
    try:
        area = _check_area(user, payload["area"])
    except PermissionDenied:
        raise JobError("所选区域已不在您的管辖范围内") from None
    area = Area.objects.get(pk=area.pk)
    flt = Filter(
        start=datetime.date.fromisoformat(payload["start"]), end=datetime.date.fromisoformat(payload["end"]),
        area=area,
    )

    def progress(done, total):
        report(done, total, f"正在写入第{done}条，共{total}条")

    actor = Actor(user_id=user.pk, label=user.get_username(), ip=payload.get("ip", ""),
                  request_id=payload.get("request_id", ""))
    with acting_as(actor):
        out, count = export_ledger(ledger_key=ledger.key, user=user, flt=flt, progress=progress)
        with out:
            save_job_output(job, name=f"ledger-{job.pk}.xlsx", fileobj=out)
        record_event(
            action=AuditAction.EXPORT,
            object_type="reports.Ledger",
            object_id=ledger.key,
            object_repr=ledger.title,
            changes={"rows": count, "start": payload["start"], "end": payload["end"], "area": area.pk},
            note=f"导出{ledger.title}{count}条（{flt.label}，脱敏）",
        )
    return {"rows": count, "output_name": ledger_filename(job), "message": f"已生成：共{count}条记录"}


def ledger_jobs_for(user, *, limit=10):
    return Job.objects.filter(created_by=user, kind=LEDGER_JOB).order_by("-id")[:limit]


def ledger_job_for(user, pk):
    """A ledger job its creator may see and download; 404 for anything else."""
    from django.http import Http404

    job = Job.objects.filter(pk=pk, kind=LEDGER_JOB, created_by=user).first()
    if job is None:
        raise Http404("没有找到该台账任务")
    return job
