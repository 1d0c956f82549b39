"""查看计入的记录: every figure on the dashboard and in the briefing editor opens the list of the
records it counts ("where does 216 come from?" — the 216, in one click), so a figure is checked
before it is sent upward.

Each `FigureList` names a figure by key and gives, over the user's visible records for a `Filter`
(period and area): `count` — the figure as the dashboard and the briefing compute it, through the
same counting function of zhenwu/<app>/figures.py — and `records`, that function's sibling returning
what it counts. A record adds 1 to the figure, or its `weight` (the hours of a participation, the
people an activity served, a meeting's unnamed guests). tests/test_figures_properties.py checks
count == the records added up for every key.
"""

from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from zhenwu.lib.numbers import one_decimal


@dataclass(frozen=True)
class FigureList:
    key: str
    title: str
    columns: tuple
    count: object  # count(user, flt) -> the figure
    records: object  # records(user, flt) -> queryset or list
    cells: object  # cells(record) -> tuple in column order
    weight: object = None  # weight(record) -> what the record adds to the figure (1 when None)
    unit: str = ""
    # summary(user, flt) -> the sentence deriving a rate or a median from these records and a
    # sibling figure ("响应率 87.5% = 按时响应 35 件 ÷ 应响应 40 件"), or None
    summary: object = None

    @property
    def rule(self):
        """The counting rule as users read it (Chinese, RULES); the counting function's docstring
        states the same rule for engineers (docs/figures.md)."""
        return RULES[self.key]

    def total(self, records):
        if self.weight is None:
            return len(records) if isinstance(records, list) else records.count()
        total = sum((Decimal(str(self.weight(r))) for r in records), Decimal("0"))
        return total if self.unit == "小时" else int(total)


FIGURES = {}

# The rule of each figure as the drill-down page states it (计数口径), in the words of docs/figures.md.
RULES = {
    "concerns_received": "期间内登记受理的诉求，已合并的重复件不计。",
    "concerns_resolved_of_received": "期间内受理的诉求中，至今已办结的。",
    "concerns_resolved": "期间内办结（以最近一次办结时间为准）且目前仍为办结或已关闭的诉求。",
    "response_due": "响应率的分母：期间内受理、已派到部门（未被退回）的诉求中，已响应或已过响应期限的。",
    "responded_in_time": "响应率的分子：应响应的诉求中，在响应期限（当日下班）前首次公开答复或办结的。",
    "assessed": "解决率和满意率的分母：期间内受理的诉求中，群众作出回访评价（满意、基本满意或不满意）的（以最近一次回访为准）；联系不上的不计入。",
    "unreachable": "期间内受理的诉求中，最近一次回访联系不上的（多个工作日回访未接通，或未留联系电话）；单独计数，不计入解决率和满意率。",
    "solved": "解决率的分子：回访时居民确认问题已解决的。",
    "satisfied": "满意率的分子：最近一次回访结果为满意或基本满意的。",
    "resolution_time": "办结用时的统计对象：期间内受理、目前已办结的诉求，用时按登记到最近一次办结的工作日数计。",
    "linked_households": "截至今天有党员联系的户（一户多名联系党员只计一次）；在走访周期内走访过的为已覆盖。",
    "sessions": "本区域党组织开展的学习活动，加上本区域党员参加或请假的上级学习活动；按开始日期计入。",
    "featured_sessions": "计入的学习活动中标为特色党课专场的。",
    "attendance": "本区域自己开展的学习活动的全部签到，加上本区域党员在上级学习活动的签到；按人次计。",
    "home_lessons": "期间内为本区域党组织党员送学上门的次数。",
    "mentorships": "期间内有效的帮学结对（由本区域党员帮学）：帮1人为1+1结对，帮多人为1+N小组。",
    "meetings": "本区域各村（社区）期间内召开的民情茶室。",
    "meeting_attendance": "每场茶室的参加党员、点名的群众和其他来宾之和，每人每场只计一次。",
    "meeting_concerns": "计入的民情茶室上收集并登记的诉求。",
    "visits": "期间内对本区域网格内住户的走访次数。",
    "visited_households": "上述走访涉及的不同户数。",
    "activities": "本区域期间内结束的活动（跨月活动只计入结束的月份）。",
    "beneficiaries": "每项活动取申报受益人数与点名受益人数中较大者，再相加。",
    "volunteer_turnout": "计入活动的志愿者参与人次（含待确认）。",
    "volunteer_hours": "计入活动中经组织者确认的志愿时长，保留一位小数。",
    "volunteers": "在计入活动中有确认时长的不同志愿者人数。",
    "contests": "本区域的比赛，按最后一次评奖日期计入（未评奖的按举办日期）。",
    "entries": "计入比赛的参赛作品件数。",
}


def _register(figure):
    FIGURES[figure.key] = figure
    return figure


def _scope(flt):
    return {"area": flt.area, "start": flt.start, "end": flt.end}


def _local(dt):
    return f"{timezone.localtime(dt):%Y-%m-%d %H:%M}" if dt else ""


# --- 民情 -----------------------------------------------------------------------------------------


def _concerns(user):
    from zhenwu.concerns.models import Concern

    return Concern.objects.visible_to(user)


def _concern_cells(c):
    return (c.reference, _local(c.received_at), c.title, c.get_status_display(), _local(c.resolved_at))


CONCERN_COLUMNS = ("编号", "登记时间", "诉求", "状态", "办结时间")


def _concern_figures():
    from zhenwu.concerns import figures as f
    from zhenwu.concerns.rates import median_from_histogram, percent

    def records(fn):
        return lambda user, flt: fn(concerns=_concerns(user), **_scope(flt)).order_by("received_at", "id")

    def count(fn):
        return lambda user, flt: fn(concerns=_concerns(user), **_scope(flt))

    _register(FigureList("concerns_received", "受理诉求(件)", CONCERN_COLUMNS, count(f.received_count),
                         records(f.received_records), _concern_cells, unit="件"))
    _register(FigureList("concerns_resolved_of_received", "已办结(件)", CONCERN_COLUMNS,
                         count(f.resolved_of_received_count), records(f.resolved_of_received_records),
                         _concern_cells, unit="件"))
    _register(FigureList("concerns_resolved", "本期办结(件)", CONCERN_COLUMNS, count(f.resolved_count),
                         records(f.resolved_records), _concern_cells, unit="件"))

    # The concerns behind the three rates and the median: the denominator's list states the rate.
    def part(name, fn=None):
        fn = fn or (lambda **scope: f.rate_records(name, **scope))
        return (lambda user, flt: fn(concerns=_concerns(user), **_scope(flt)).count(),
                lambda user, flt: fn(concerns=_concerns(user), **_scope(flt)).order_by("received_at", "id"))

    def ratio(rate, numerator, denominator):
        def summary(user, flt):
            top, bottom = FIGURES[numerator].count(user, flt), FIGURES[denominator].count(user, flt)
            value = percent(top, bottom)
            shown = "—（无分母）" if value is None else f"{value}%"
            return (f"{rate} {shown} = {FIGURES[numerator].title.removesuffix('(件)')} {top} 件 ÷ "
                    f"{FIGURES[denominator].title.removesuffix('(件)')} {bottom} 件")
        return summary

    def yes(flag):
        return "是" if flag else "否"

    response_columns = ("编号", "派单时间", "响应期限", "首次响应", "按时")

    def response_cells(c):
        on_time = c.responded_at is not None and c.responded_at <= c.response_due
        return (c.reference, _local(c.dispatched_at), _local(c.response_due), _local(c.responded_at), yes(on_time))

    callback_columns = ("编号", "诉求", "回访时间", "回访结果", "确认解决")

    def callback_cells(c):
        return (c.reference, c.title, _local(c.callback_at), c.get_callback_result_display() or "—",
                "—" if c.callback_solved is None else yes(c.callback_solved))

    _register(FigureList("response_due", "应响应(件)", response_columns, *part("due_for_response"), response_cells,
                         unit="件", summary=ratio("响应率", "responded_in_time", "response_due")))
    _register(FigureList("responded_in_time", "按时响应(件)", response_columns, *part("responded_in_time"),
                         response_cells, unit="件", summary=ratio("响应率", "responded_in_time", "response_due")))
    _register(FigureList("assessed", "已回访(件)", callback_columns, *part("assessed"), callback_cells, unit="件",
                         summary=ratio("解决率", "solved", "assessed")))
    _register(FigureList("solved", "确认解决(件)", callback_columns, *part("solved"), callback_cells, unit="件",
                         summary=ratio("解决率", "solved", "assessed")))
    _register(FigureList("unreachable", "联系不上(件)", callback_columns, *part("unreachable"), callback_cells,
                         unit="件"))
    _register(FigureList("satisfied", "满意和基本满意(件)", callback_columns, *part("satisfied", f.satisfied_records),
                         callback_cells, unit="件", summary=ratio("满意率", "satisfied", "assessed")))

    def median_summary(user, flt):
        histogram = {}
        for days in f.resolution_time_records(concerns=_concerns(user), **_scope(flt)).values_list(
                "resolution_workdays", flat=True):
            histogram[days] = histogram.get(days, 0) + 1
        median = median_from_histogram(histogram)
        if median is None:
            return "期间内受理的诉求尚无办结，没有办结用时。"
        shown = str(int(median)) if median == int(median) else f"{median:.1f}"
        return f"办结用时中位数 {shown} 个工作日（下列 {sum(histogram.values())} 件按用时排序，居中者即中位数）"

    _register(FigureList(
        "resolution_time", "已办结并计用时(件)", ("编号", "诉求", "登记时间", "办结时间", "用时(工作日)"),
        lambda user, flt: f.resolution_time_records(concerns=_concerns(user), **_scope(flt)).count(),
        lambda user, flt: f.resolution_time_records(concerns=_concerns(user), **_scope(flt)).order_by(
            "resolution_workdays", "received_at", "id"),
        lambda c: (c.reference, c.title, _local(c.received_at), _local(c.resolved_at), c.resolution_workdays),
        unit="件", summary=median_summary))


# --- 学习 -----------------------------------------------------------------------------------------


def _study_figures():
    from zhenwu.study import figures as f
    from zhenwu.study.access import visible_sessions

    def scope(user, flt):
        return {"sessions": visible_sessions(user), **_scope(flt)}

    session_columns = ("开始时间", "名称", "形式", "层级")

    def session_cells(s):
        return (_local(s.starts_at), s.title, s.get_kind_display(), "本级" if s.own else "上级（本区域党员参加）")

    _register(FigureList(
        "sessions", "学习活动(场)", session_columns, lambda user, flt: f.session_count(**scope(user, flt)),
        lambda user, flt: f.counted_sessions(**scope(user, flt)).order_by("starts_at", "id"), session_cells,
        unit="场"))
    _register(FigureList(
        "featured_sessions", "特色党课专场(次)", session_columns,
        lambda user, flt: f.counted_sessions(**scope(user, flt)).filter(is_featured=True).count(),
        lambda user, flt: f.counted_sessions(**scope(user, flt)).filter(is_featured=True).order_by("starts_at", "id"),
        session_cells, unit="次"))
    _register(FigureList(
        "attendance", "签到(人次)", ("学习活动", "开始时间", "党员", "所在党组织"),
        lambda user, flt: f.attendance_count(**scope(user, flt)),
        lambda user, flt: f.attendance_records(**scope(user, flt)).select_related(
            "session", "member__party_org").order_by("session__starts_at", "session_id", "member__name"),
        lambda a: (a.session.title, _local(a.session.starts_at), a.member.name, a.member.party_org.name),
        unit="人次"))
    _register(FigureList(
        "home_lessons", "送学上门(次)", ("送学日期", "党员", "所在党组织"),
        lambda user, flt: f.home_lesson_count(**_scope(flt)),
        lambda user, flt: f.home_lesson_records(**_scope(flt)).select_related("member__party_org").order_by(
            "given_on", "id"),
        lambda h: (f"{h.given_on:%Y-%m-%d}", h.member.name, h.member.party_org.name), unit="次"))
    _register(FigureList(
        "mentorships", "帮学结对(对/组)", ("结对日期", "帮学人", "帮学对象(人)", "形式"),
        lambda user, flt: sum(f.pair_counts(**_scope(flt))),
        lambda user, flt: list(f.mentorship_records(**_scope(flt)).filter(mentee_count__gt=0)
                               .select_related("mentor").order_by("started_on", "id")),
        lambda m: (f"{m.started_on:%Y-%m-%d}", m.mentor.name, m.mentee_count, "1+1" if m.mentee_count == 1 else "1+N"),
        unit="对/组"))


# --- 茶室与走访 -------------------------------------------------------------------------------------


def _grid_figures():
    from zhenwu.grid import cadence
    from zhenwu.grid import figures as f
    from zhenwu.grid.access import visible_households, visible_meetings
    from zhenwu.grid.models import Visit

    def meetings(user, flt):
        return {"meetings": visible_meetings(user), **_scope(flt)}

    def visits(user, flt):
        return {"visits": Visit.objects.filter(household__in=visible_households(user).values("pk")), **_scope(flt)}

    _register(FigureList(
        "meetings", "民情茶室(场)", ("日期", "主题", "地点", "党员", "群众", "其他群众", "合计"),
        lambda user, flt: f.meeting_count(**meetings(user, flt)),
        lambda user, flt: f.with_attendance(f.counted_meetings(**meetings(user, flt))).order_by("held_on", "id"),
        lambda m: (f"{m.held_on:%Y-%m-%d}", m.title, m.place, m.member_count, m.resident_count, m.guest_count,
                   m.attendees), unit="场"))
    _register(FigureList(
        "meeting_attendance", "民情茶室参加(人次)", ("日期", "民情茶室", "身份", "姓名", "人数"),
        lambda user, flt: f.meeting_attendance(**meetings(user, flt)),
        lambda user, flt: f.meeting_attendance_records(**meetings(user, flt)),
        lambda r: (f"{r['held_on']:%Y-%m-%d}", r["meeting"], r["who"], r["name"], r["count"]),
        weight=lambda r: r["count"], unit="人次"))
    _register(FigureList(
        "meeting_concerns", "茶室收集诉求(件)", CONCERN_COLUMNS,
        lambda user, flt: f.meeting_concern_records(**meetings(user, flt)).filter(
            pk__in=_concerns(user).values("pk")).count(),
        lambda user, flt: f.meeting_concern_records(**meetings(user, flt)).filter(
            pk__in=_concerns(user).values("pk")).order_by("received_at", "id"),
        _concern_cells, unit="件"))
    _register(FigureList(
        "visits", "走访(次)", ("走访日期", "户编号", "住址", "走访党员", "方式"),
        lambda user, flt: f.visit_count(**visits(user, flt)),
        lambda user, flt: f.counted_visits(**visits(user, flt)).select_related("household", "member").order_by(
            "visited_on", "id"),
        lambda v: (f"{v.visited_on:%Y-%m-%d}", v.household.number, v.household.address,
                   v.member.name if v.member_id else "", v.get_way_display()), unit="次"))
    def linked_summary(user, flt):
        rows = cadence.coverage(flt.area, depth=0)
        root = rows[0] if rows else None
        if root is None or not root.linked:
            return "没有党员联系的户，覆盖率无从计算。"
        return (f"联系户覆盖率 {root.percent}% = 周期内走访过 {root.covered} 户 ÷ 联系户 {root.linked} 户"
                f"（截至今天，不随上面的期间变化）")

    _register(FigureList(
        "linked_households", "联系户(户)", ("户编号", "网格", "住址", "最近走访", "下次应访", "周期内已走访"),
        lambda user, flt: sum(row.linked for row in cadence.coverage(flt.area, depth=0)),
        lambda user, flt: cadence.coverage_records(flt.area),
        lambda r: (r.household.number, r.household.grid.name, r.household.address,
                   f"{r.last:%Y-%m-%d}" if r.last else "从未走访", f"{r.due:%Y-%m-%d}" if r.due else "",
                   ("是" if r.covered else "否") + ("（已逾期）" if r.overdue else "")),
        unit="户", summary=linked_summary))
    _register(FigureList(
        "visited_households", "走访户数", ("户编号", "住址"),
        lambda user, flt: f.visited_households(**visits(user, flt)),
        lambda user, flt: f.visited_household_records(**visits(user, flt)).order_by("number", "id"),
        lambda h: (h.number, h.address), unit="户"))


# --- 活动与志愿 -----------------------------------------------------------------------------------


def _activity_figures():
    from zhenwu.activities import figures as f
    from zhenwu.activities.access import visible_activities, visible_contests

    def scope(user, flt):
        return {"activities": visible_activities(user), **_scope(flt)}

    def activity_cells(a):
        return (_local(a.starts_at), _local(a.ends_at), a.title, a.place, a.get_kind_display())

    activity_columns = ("开始时间", "结束时间", "活动", "地点", "类型")
    _register(FigureList(
        "activities", "活动(次)", activity_columns, lambda user, flt: f.activity_count(**scope(user, flt)),
        lambda user, flt: f.counted_activities(**scope(user, flt)).order_by("counted_at", "id"), activity_cells,
        unit="次"))
    _register(FigureList(
        "beneficiaries", "受益(人次)", (*activity_columns, "申报人数", "具名人数", "计入"),
        lambda user, flt: f.beneficiaries_served(**scope(user, flt)),
        lambda user, flt: f.beneficiary_records(**scope(user, flt)).order_by("counted_at", "id"),
        lambda a: (*activity_cells(a), a.beneficiary_count, a.beneficiaries_named, a.beneficiaries_served),
        weight=lambda a: a.beneficiaries_served, unit="人次"))
    _register(FigureList(
        "volunteer_turnout", "志愿服务(人次)", ("活动", "结束时间", "志愿者", "时长(小时)", "确认"),
        lambda user, flt: f.volunteer_turnout(**scope(user, flt)),
        lambda user, flt: f.volunteer_records(**scope(user, flt)).select_related("activity", "member", "resident")
        .order_by("activity__starts_at", "activity_id", "id"),
        lambda p: (p.activity.title, _local(p.activity.ends_at or p.activity.starts_at), p.person_label,
                   p.hours if p.hours is not None else "", "已确认" if p.hours_confirmed_at else "待确认"),
        unit="人次"))
    _register(FigureList(
        "volunteer_hours", "志愿时长(小时)", ("活动", "结束时间", "志愿者", "时长(小时)"),
        lambda user, flt: f.confirmed_hours(**scope(user, flt)),
        lambda user, flt: f.confirmed_hours_records(**scope(user, flt)).select_related(
            "activity", "member", "resident").order_by("activity__starts_at", "activity_id", "id"),
        lambda p: (p.activity.title, _local(p.activity.ends_at or p.activity.starts_at), p.person_label,
                   one_decimal(p.hours)),
        weight=lambda p: p.hours, unit="小时"))
    _register(FigureList(
        "volunteers", "志愿者(人)", ("姓名", "身份", "确认时长(小时)", "活动(次)"),
        lambda user, flt: f.volunteer_people(**scope(user, flt)),
        lambda user, flt: f.volunteer_people_records(**scope(user, flt)),
        lambda r: (r["name"], "党员" if r["member_id"] else "居民" if r["resident_id"] else "其他", r["hours"],
                   r["activities"]), unit="人"))

    def contests(user, flt):
        return {"contests": visible_contests(user), **_scope(flt)}

    _register(FigureList(
        "contests", "比赛(场)", ("举办日期", "评奖时间", "名称", "类型"),
        lambda user, flt: f.contest_count(**contests(user, flt)),
        lambda user, flt: f.counted_contests(**contests(user, flt)).order_by("held_on", "id"),
        lambda c: (f"{c.held_on:%Y-%m-%d}", _local(c.awarded_at), c.title, c.get_kind_display()), unit="场"))
    _register(FigureList(
        "entries", "参赛作品(件)", ("比赛", "作品", "作者", "奖项"),
        lambda user, flt: f.entry_count(**contests(user, flt)),
        lambda user, flt: f.entry_records(**contests(user, flt)).select_related(
            "contest", "author_member", "author_resident").order_by("contest_id", "id"),
        lambda e: (e.contest.title, e.title, e.author_label, e.get_award_display()), unit="件"))


_concern_figures()
_study_figures()
_grid_figures()
_activity_figures()


def figure_list(key):
    return FIGURES.get(key)


# What the briefing editor offers to check, in the order the briefing tells it.
BRIEFING_FIGURES = ("sessions", "attendance", "home_lessons", "mentorships", "featured_sessions", "meetings",
                    "meeting_attendance", "meeting_concerns", "visits", "visited_households", "activities",
                    "volunteer_turnout", "volunteer_hours", "beneficiaries", "contests", "entries",
                    "concerns_received", "concerns_resolved")


def briefing_figures(user, flt):
    """[(FigureList, figure)] of a briefing's area and month, for the editor's check list."""
    return [(FIGURES[key], FIGURES[key].count(user, flt)) for key in BRIEFING_FIGURES]


def briefing_check_list(user, briefing):
    """The month's figures for the editor to check against the text, each opening its records; none
    for an editor who may not open the reports of the briefing's area."""
    from .briefing import month_bounds
    from .filters import REPORT_ROLES, Filter, area_choices

    if user.role not in REPORT_ROLES or all(a.pk != briefing.area_id for a in area_choices(user)):
        return []
    start, end = month_bounds(briefing.month.year, briefing.month.month)
    flt = Filter(start=start, end=end, area=briefing.area)
    return [{"figure": figure, "value": value, "start": start, "end": end}
            for figure, value in briefing_figures(user, flt) if value]
