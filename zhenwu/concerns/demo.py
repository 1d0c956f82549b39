"""The demo town's 民情办理: categories routed to its departments, reply templates, the story's
three concerns and about a year of generated history, so that the board, the work lists and the
three rates mean something.

The story (PRODUCT.md): the sewage around the school (resolved by extending the 集镇 sewage
network), the badly damaged road from 梅园 to 杨梅 (repaired), and the dead-end 岸山路, whose
project 岸山路拉通 has passed 财政审批 and is heading to 招投标, to be finished in the first half of
next year. Dates are relative to the day of loading, so the rates page (the last twelve months)
and the board show them.

Runs after the org demo (`load_demo` finds `extend_demo_town` here). The story concerns carry
fixed keys; when they exist nothing is written, so a second run changes nothing.

Each concern's history is a Plan: the workflow steps (submit, accept, dispatch, update, resolve,
call back, close, decline, with the nightly 督办 escalation between them) at their historic
times, and the rows those steps end in. The story's three concerns and a sample of every kind of
generated history are made by replaying the steps through the concerns services (`now=` the
historic time, actors the demo staff of the right role); the rest of the ~3,000 generated
concerns are written with bulk_create for speed, reference numbers continuing the year counters
(services.allocate_references), one audit entry per row. tests/test_demo_replay.py replays a
seeded sample through the services and compares the rows with the bulk path's, so the two
cannot drift.
"""

import contextlib
import datetime
import random
import secrets
import time
from dataclasses import dataclass, field
from decimal import Decimal

import chinese_calendar
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from zhenwu.accounts.models import Role, User
from zhenwu.audit.services import record_created_many
from zhenwu.lib.crypto import blind_index, hash_token
from zhenwu.org.geo import outlines, random_point_in
from zhenwu.org.models import Area, AreaLevel, Department
from zhenwu.workdays import calendar as workdays
from zhenwu.workdays.calendar import workday_overrides

from . import callbacks, notify
from .models import (
    OPEN_STATUSES,
    PROJECT_STAGE_ORDER,
    VERDICT_RESULTS,
    AttemptChannel,
    CallBack,
    CallBackAttempt,
    CallBackChannel,
    CallBackResult,
    Category,
    Channel,
    Concern,
    ConcernEvent,
    EventKind,
    Outcome,
    ProjectStageKind,
    ReplyTemplate,
    Status,
    Supervision,
    SupervisionKind,
    Urgency,
)
from .services import (
    accept_concern,
    advance_project_stage,
    allocate_references,
    decline_concern,
    dispatch_concern,
    escalate_overdue_concerns,
    post_update,
    record_call_back,
    resolve_concern,
    response_limit_days,
    start_or_join_project,
    submit_concern,
    supervise_concern,
    update_project_stage,
)
from .services.workflow import unsatisfied_closing_text

SEED = 20191101
HISTORY_COUNT = 3000
HISTORY_DAYS = 365
REPLAYED = 30  # generated histories made through the services at load (every kind among them)
STORY_KEYS = ("demo-story-school-sewage", "demo-story-meiyuan-yangmei-road", "demo-story-anshan-road")
PROJECT_NAME = "岸山路拉通"

# code, name, group, department, response days, resolution days, may become a project, keywords, weight
CATEGORIES = [
    ("road", "道路交通", "城乡建设", "城建办", 1, 10, True, "道路 修路 路面 坑洼 断头路 桥梁 路灯", 16),
    ("sewage", "污水排放", "城乡建设", "城建办", 2, 15, True, "污水 排污 管网 化粪池 臭味 下水道", 8),
    ("sanitation", "环境卫生", "生态环境", "环保办", 1, 5, False, "垃圾 清扫 卫生 垃圾分类 水渠 焚烧", 15),
    ("water", "供水", "城乡建设", "城建办", 1, 5, True, "自来水 停水 水压 水管 漏水 水质", 9),
    ("power", "供电", "城乡建设", "党政办", 1, 5, False, "停电 电压 电线 电杆 变压器", 6),
    (
        "farming",
        "农业生产",
        "农业农村",
        "农业线",
        2,
        10,
        False,
        "农田 灌溉 水利 秸秆 病虫害 补贴 森林防火",
        9,
    ),
    ("welfare", "社会保障", "民生服务", "民政办", 2, 15, False, "低保 养老 医保 救助 残疾 五保", 9),
    ("dispute", "矛盾纠纷", "平安建设", "综治办", 1, 10, False, "纠纷 矛盾 邻里 宅基地 调解 噪音 治安", 9),
    ("education", "教育", "民生服务", "党政办", 2, 10, False, "学校 上学 校车 幼儿园 学生", 5),
    ("health", "医疗卫生", "民生服务", "民政办", 1, 10, False, "卫生院 看病 医生 疫苗 药店", 5),
    ("culture", "文化体育", "民生服务", "文联", 2, 15, True, "文化广场 健身器材 广场舞 图书室 球场", 4),
    ("other", "其他", "其他", "党政办", 2, 10, False, "", 5),
]

# Per category: (title, text) with {village} and {group} (村民小组) filled in.
TEXTS = {
    "road": [
        (
            "{village}{group}组通组公路坑洼",
            "{village}{group}组通组公路路面坑洼不平，下雨天积水严重，电动车经常打滑，请尽快修补。",
        ),
        (
            "{village}路口缺少减速带",
            "{village}主干道与通组路交叉口车速快，没有减速带和警示牌，已经发生过两次剐蹭。",
        ),
        ("{village}桥面护栏损坏", "{village}{group}组小桥护栏断了一截，小孩上学要经过，存在安全隐患。"),
        ("{village}路灯不亮", "{village}{group}组到村部的路灯坏了好几盏，晚上走路看不清。"),
    ],
    "sewage": [
        (
            "{village}{group}组生活污水直排",
            "{village}{group}组几户人家的生活污水直接排到门前水沟，夏天臭味很大。",
        ),
        ("{village}下水道堵塞", "{village}集中居住点下水道堵塞，污水漫到路面上，请安排疏通。"),
    ],
    "sanitation": [
        ("{village}垃圾站清运不及时", "{village}{group}组垃圾站已经三天没有清运，垃圾满出来了，气味难闻。"),
        ("{village}有人焚烧垃圾", "{village}{group}组有人在田边焚烧垃圾和塑料，烟很大，影响周边住户。"),
        ("{village}水渠漂浮垃圾", "{village}{group}组水渠里漂浮很多垃圾，水流不畅，请组织清理。"),
    ],
    "water": [
        ("{village}{group}组停水", "{village}{group}组从昨天起停水，没有接到通知，什么时候恢复供水？"),
        ("{village}自来水水压低", "{village}{group}组地势高，自来水水压太低，二楼以上用不了水。"),
        ("{village}水管漏水", "{village}路边自来水管爆裂漏水，已经流了一整天。"),
    ],
    "power": [
        ("{village}电压不稳", "{village}{group}组晚上电压低，空调和水泵带不动，请协调供电所检查。"),
        ("{village}电线杆倾斜", "{village}{group}组路边电线杆倾斜，电线垂得很低，担心出事。"),
    ],
    "farming": [
        ("{village}灌溉渠道淤塞", "{village}{group}组灌溉渠道淤塞，稻田放不进水，请帮忙协调清淤。"),
        ("{village}农业补贴咨询", "{village}村民咨询今年耕地地力保护补贴什么时候发放、发放标准是多少。"),
        ("{village}山塘渗漏", "{village}{group}组山塘坝体渗漏，蓄不住水，影响下游稻田灌溉。"),
    ],
    "welfare": [
        ("{village}低保申请咨询", "{village}{group}组一户家庭因病致贫，想了解低保申请条件和办理流程。"),
        ("{village}高龄补贴未到账", "{village}{group}组一位八十多岁老人的高龄补贴这几个月没有到账。"),
        ("{village}残疾人两项补贴", "{village}村民咨询残疾人生活补贴和护理补贴的申请办法。"),
    ],
    "dispute": [
        (
            "{village}{group}组宅基地边界纠纷",
            "{village}{group}组两户村民因宅基地边界发生争执，请村里和司法所帮忙调解。",
        ),
        ("{village}夜间噪音扰民", "{village}集镇上有店铺晚上十一点后还在大声放音乐，影响附近居民休息。"),
        ("{village}邻里排水纠纷", "{village}{group}组邻居改了排水沟走向，雨水都流到我家门口，协商不成。"),
    ],
    "education": [
        ("{village}学生上学路段不安全", "{village}学生上学要走一段没有人行道的公路，车多，家长很担心。"),
        ("{village}幼儿园收费咨询", "{village}家长咨询村里幼儿园的收费标准和普惠补助政策。"),
    ],
    "health": [
        ("{village}卫生室缺少常用药", "{village}卫生室常用的降压药经常断货，老人要跑到镇上去买。"),
        ("{village}家庭医生签约咨询", "{village}老人咨询家庭医生签约服务的内容和上门随访安排。"),
    ],
    "culture": [
        ("{village}健身器材损坏", "{village}文化广场的健身器材有几件坏了，存在安全隐患，请维修。"),
        ("{village}希望建农家书屋", "{village}村民希望在村部建一个农家书屋，方便孩子们放学后看书。"),
    ],
    "other": [
        ("{village}政策咨询", "{village}村民咨询新农合缴费时间和缴费方式。"),
        ("{village}流浪犬伤人隐患", "{village}{group}组有几只流浪犬经常追人，孩子们很害怕。"),
    ],
}

REPLY_TEMPLATES = [
    (
        Status.ACCEPTED,
        "受理告知",
        "您反映的诉求（编号{reference}）已受理，属于“{category}”类，我们将尽快转交承办部门办理。",
    ),
    (
        Status.DECLINED,
        "不予受理·不属本镇",
        "您反映的问题不属于本镇职责范围，建议向有关部门反映。感谢您的理解和支持。",
    ),
    (
        Status.DECLINED,
        "不予受理·信息不全",
        "您反映的问题缺少具体地点或情况说明，无法核实，欢迎补充后重新提交。",
    ),
    (Status.DISPATCHED, "派单说明", "请{department}于{due_date}前办结，办理中请及时发布进展。"),
    (Status.RETURNED, "退单理由", "经核实，该诉求不属于本部门职责，建议改派至相关部门办理。"),
    (
        Status.IN_PROGRESS,
        "已到现场",
        "{department}已到{village}现场查看，正在制定处理方案，将于{due_date}前办结。",
    ),
    (Status.IN_PROGRESS, "已协调处理", "{department}已联系相关单位协调处理，处理进展将及时在此公开。"),
    (Status.RESOLVED, "办结答复", "您反映的问题已由{department}处理完毕，稍后将电话回访，也可在查询页评价。"),
    (Status.CLOSED, "关闭说明", "诉求已办结关闭，感谢您对镇村工作的监督和支持。"),
]

RESOLUTION_TEXT = {
    Outcome.FIXED: "经现场核实，问题已处理完毕。",
    Outcome.PARTLY: "已先行处理，剩余部分纳入后续计划。",
    Outcome.EXPLAINED: "已向诉求人当面解释相关政策和处理情况。",
    Outcome.NOT_OURS: "经核实不属本镇职责，已告知诉求人向有关部门反映。",
}
UPDATE_TEXT = "已联系诉求人并安排人员现场查看，正在处理。"
ACCEPTED_TEXT = "您的诉求已受理。"
CHANNELS = [
    (Channel.WEB, 34),
    (Channel.HOTLINE, 24),
    (Channel.VISIT, 16),
    (Channel.TEA_ROOM, 10),
    (Channel.WALK_IN, 10),
    (Channel.API, 6),
]
STAFF_CHANNELS = (Channel.HOTLINE, Channel.VISIT, Channel.TEA_ROOM, Channel.WALK_IN)
SURNAMES = "黎李刘彭罗陈张王周谭唐黄尹潘"
GIVEN = "建国华明桂英秀兰伟强志文德亮辉海林春梅玉珍红霞"


@dataclass
class Plan:
    """One concern's history, kept twice over: the rows it ends in (`fields`, `events`,
    `call_backs`, `supervisions`, written by bulk_create) and the workflow steps that produce them
    (`steps`: (name, at, arguments), replayed through the concerns services by `replay`). The
    replay test checks on a sample that the two agree."""

    fields: dict
    overrides: dict = field(default_factory=dict, repr=False)
    events: list = field(default_factory=list)
    call_backs: list = field(default_factory=list)
    attempts: list = field(default_factory=list)
    supervisions: list = field(default_factory=list)
    steps: list = field(default_factory=list)
    clock: datetime.datetime | None = None


@dataclass
class DemoConcernsResult:
    loaded: bool
    seconds: float = 0.0
    counts: dict = field(default_factory=dict)


class _People:
    """The demo staff who act: the dispatcher, the leader, and per department its first handler,
    or else the town admin (who may act for any department of the town)."""

    def __init__(self, town):
        users = {
            u.username: u
            for u in User.objects.filter(username__in=["gq_dispatcher", "gq_handler", "gq_leader"])
        }
        self.dispatcher = users.get("gq_dispatcher")
        self.leader = users.get("gq_leader")
        self.admin = User.objects.filter(role=Role.TOWN_ADMIN, area=town, is_active=True).order_by("id").first()
        self.handlers = {}
        for user in User.objects.filter(department__town=town, role=Role.HANDLER, is_active=True).order_by("id"):
            self.handlers.setdefault(user.department_id, user)

    def handler(self, department):
        return self.handlers.get(department.pk, self.admin)


def _label(user, default):
    if user is None:
        return default
    return getattr(user, "display_name", None) or user.get_username()


def _local(day, hour, minute=0):
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=workdays.local_zone())


def _in_office(at, rng, overrides=None):
    """`at`, or, outside office hours (8:30–17:30 local) or on a day off, the next working day's
    opening (8:30 to 9:00): staff act in working hours on working days."""
    local = at.astimezone(workdays.local_zone())
    day, clock = local.date(), local.time()
    if datetime.time(8, 30) <= clock <= datetime.time(17, 30) and workdays.is_workday(day, overrides):
        return at
    if clock > datetime.time(17, 30):
        day += datetime.timedelta(days=1)
    day = workdays.next_workday(day, overrides, include_start=True)
    return _local(day, 8, 30 + rng.randint(0, 29))


def workday_on_or_before(day, overrides=None):
    while not workdays.is_workday(day, overrides):
        day -= datetime.timedelta(days=1)
    return day


def _office_before(at, rng, overrides=None):
    """`at`, or, outside office hours or on a day off, the last working day's closing (17:00 to 17:29)."""
    local = at.astimezone(workdays.local_zone())
    day, clock = local.date(), local.time()
    if datetime.time(8, 30) <= clock <= datetime.time(17, 30) and workdays.is_workday(day, overrides):
        return at
    if clock < datetime.time(8, 30):
        day -= datetime.timedelta(days=1)
    while not workdays.is_workday(day, overrides):
        day -= datetime.timedelta(days=1)
    return _local(day, 17, rng.randint(0, 29))


def _office_after(start, rng, *, min_hours, max_hours, overrides=None):
    """A moment some hours after `start`, moved into office hours on a working day."""
    return _in_office(start + datetime.timedelta(hours=rng.uniform(min_hours, max_hours)), rng, overrides)


# --- the steps: each records itself for the replay and writes the rows the service would ---------


def _event(
    plan,
    kind,
    at,
    actor,
    label,
    from_status,
    to_status,
    *,
    department=None,
    public_text="",
    internal_note="",
    reason="",
    is_public=True,
    data=None,
):
    plan.events.append(
        dict(
            at=at,
            actor=actor,
            actor_label=label,
            kind=kind,
            from_status=from_status,
            to_status=to_status,
            department=department,
            public_text=public_text,
            internal_note=internal_note,
            reason=reason,
            is_public=is_public,
            data=data or {},
        )
    )


def _nightly(due):
    """When the escalation job (run a few minutes past midnight) first sees `due` passed."""
    return _local(workdays.local_date(due) + datetime.timedelta(days=1), 0, 5)


def escalation_times(response_due, resolution_due, after, until, *, final=False):
    """The nightly escalation runs in (after, until] that may find one of the deadlines passed;
    `final`: the history ends at `until`, which then counts as a run for a deadline passed by then."""
    times = set()
    for due in (response_due, resolution_due):
        at = min(_nightly(due), until) if final else _nightly(due)
        if after < at <= until:
            times.add(at)
    return sorted(times)


def _supervise(plan, kind, due_at, at):
    plan.supervisions.append(dict(kind=kind, due_at=due_at, created_at=at, closed_at=None))
    plan.fields["is_supervised"] = True
    label = "超期未响应" if kind == SupervisionKind.OVERDUE_RESPONSE else "超期未办结"
    status = plan.fields["status"]
    _event(
        plan,
        EventKind.SUPERVISED,
        at,
        None,
        "系统",
        status,
        status,
        is_public=False,
        internal_note=f"{label}（截止{timezone.localtime(due_at):%m月%d日}），系统自动督办",
        data={"kind": kind},
    )


def _escalate_between(plan, after, until, *, final=False):
    """督办 as escalate_overdue_concerns would raise it at each nightly run in (after, until]:
    overdue as the Concern model tells it, once per deadline."""
    f = plan.fields
    for at in escalation_times(f["response_due"], f["resolution_due"], after, until, final=final):
        state = Concern(
            status=f["status"],
            responded_at=f.get("responded_at"),
            response_due=f["response_due"],
            resolution_due=f["resolution_due"],
        )
        done = {(s["kind"], s["due_at"]) for s in plan.supervisions}
        for kind, due, overdue in (
            (SupervisionKind.OVERDUE_RESPONSE, f["response_due"], state.is_response_overdue(at)),
            (SupervisionKind.OVERDUE_RESOLUTION, f["resolution_due"], state.is_overdue(at)),
        ):
            if overdue and (kind, due) not in done:
                _supervise(plan, kind, due, at)


def _step(plan, name, at, **arguments):
    """Move the plan's clock to `at` (the nightly escalations in between run first) and record the step."""
    _escalate_between(plan, plan.clock, at)
    plan.clock = at
    plan.steps.append((name, at, arguments))


def _close_supervisions(plan, at):
    for s in plan.supervisions:
        if s["closed_at"] is None:
            s["closed_at"] = at


def _base_fields(
    *,
    channel,
    category,
    urgency,
    grid,
    village,
    town,
    title,
    text,
    received_at,
    overrides,
    reporter_name="",
    reporter_phone="",
    registered_by=None,
    address="",
    key=None,
    latitude=None,
    longitude=None,
):
    return dict(
        channel=channel,
        title=title,
        text=text,
        category=category,
        urgency=urgency,
        area=grid,
        village=village,
        town=town,
        address=address,
        latitude=latitude,
        longitude=longitude,
        reporter_name=reporter_name,
        reporter_phone=reporter_phone,
        reporter_phone_hash=blind_index(reporter_phone, purpose="concern_phone"),
        registered_by=registered_by,
        follow_token_hash=hash_token(secrets.token_urlsafe(32)),
        idempotency_key=key,
        status=Status.RECEIVED,
        received_at=received_at,
        received_month=workdays.local_date(received_at).replace(day=1),
        response_due=workdays.add_workdays(received_at, response_limit_days(category, urgency), overrides),
        resolution_due=workdays.add_workdays(received_at, category.resolution_limit_days, overrides),
        is_supervised=False,
        reopen_count=0,
    )


def _submitted(plan):
    f = plan.fields
    actor = f["registered_by"]
    plan.clock = f["received_at"]
    plan.steps.append(("submit", f["received_at"], {}))
    _event(
        plan,
        EventKind.SUBMITTED,
        f["received_at"],
        actor,
        _label(actor, "居民"),
        "",
        Status.RECEIVED,
        public_text=f"诉求已登记（{Channel(f['channel']).label}），编号{{reference}}",
        data={"photos": 0},
    )


def _decline(plan, at, by, reason):
    _step(plan, "decline", at, by=by, reason=reason)
    from_status = plan.fields["status"]
    plan.fields.update(status=Status.DECLINED, closed_at=at, department=None)
    _close_supervisions(plan, at)
    _event(plan, EventKind.DECLINED, at, by, _label(by, ""), from_status, Status.DECLINED, reason=reason,
           public_text=f"不予受理：{reason}")


def _accept(plan, at, by):
    _step(plan, "accept", at, by=by)
    plan.fields.update(status=Status.ACCEPTED, accepted_at=at)
    _event(plan, EventKind.ACCEPTED, at, by, _label(by, ""), Status.RECEIVED, Status.ACCEPTED,
           public_text=ACCEPTED_TEXT)


def _dispatch(plan, at, by, department):
    _step(plan, "dispatch", at, by=by, department=department)
    f = plan.fields
    from_status = f["status"]
    due = workdays.add_workdays(at, response_limit_days(f["category"], f["urgency"]), plan.overrides)
    f.update(status=Status.DISPATCHED, department=department, dispatched_at=at, responded_at=None, response_due=due)
    _event(plan, EventKind.DISPATCHED, at, by, _label(by, ""), from_status, Status.DISPATCHED,
           department=department, public_text=f"已转交{department.name}办理。")


def _update(plan, at, by, text):
    """The department's public progress update (post_update by its handler): signs for a
    dispatched concern and is its first response."""
    _step(plan, "update", at, by=by, text=text)
    f = plan.fields
    from_status = f["status"]
    if from_status == Status.DISPATCHED:
        f["status"] = Status.IN_PROGRESS
    if f.get("responded_at") is None:
        f["responded_at"] = at
    _event(plan, EventKind.UPDATED, at, by, _label(by, ""), from_status, f["status"],
           department=f["department"], public_text=text)


def _resolve(plan, at, by, outcome, text=None):
    text = text or RESOLUTION_TEXT[outcome]
    _step(plan, "resolve", at, by=by, outcome=outcome, text=text)
    f = plan.fields
    wd = max(0, workdays.workdays_between(f["received_at"], at, plan.overrides))
    from_status = f["status"]
    f.update(
        status=Status.RESOLVED, outcome=outcome, resolution_text=text, resolved_at=at, resolution_workdays=wd
    )
    if not f.get("responded_at"):
        f["responded_at"] = at
    _close_supervisions(plan, at)
    _event(plan, EventKind.RESOLVED, at, by, _label(by, ""), from_status, Status.RESOLVED,
           department=f["department"], public_text=f"【{Outcome(outcome).label}】{text}",
           data={"outcome": outcome, "workdays": wd})


def _call_back(plan, at, result, solved, by, note=""):
    """回访 by phone (`by`, a dispatcher) or on the follow page (by=None): 满意/基本满意 close the
    concern, 不满意 (with its reason, `note`) reopens it with a fresh resolution clock
    (record_call_back)."""
    _step(plan, "call_back", at, by=by, result=result, solved=solved, note=note)
    f = plan.fields
    channel = CallBackChannel.PHONE if by else CallBackChannel.FOLLOW_PAGE
    label = _label(by, "诉求人")
    plan.call_backs.append(
        dict(result=result, solved=solved, at=at, by=by, round=f["reopen_count"] + 1, channel=channel, note=note)
    )
    f.update(callback_result=result, callback_solved=solved, callback_at=at)
    _event(plan, EventKind.CALLED_BACK, at, by, label, Status.RESOLVED, Status.RESOLVED,
           public_text=f"回访结果：{CallBackResult(result).label}（{'已解决' if solved else '未解决'}）",
           internal_note=note, data={"result": result, "solved": solved, "channel": channel})
    if result != CallBackResult.UNSATISFIED:
        f.update(status=Status.CLOSED, closed_at=at)
        _event(plan, EventKind.CLOSED, at, by, label, Status.RESOLVED, Status.CLOSED,
               public_text="诉求已办结关闭，感谢您的监督。")
        return
    if f["reopen_count"] >= settings.ZHENWU_MAX_REOPENINGS:  # reopens_on_unsatisfied: the 不满意 stands
        f.update(status=Status.CLOSED, closed_at=at)
        _event(plan, EventKind.CLOSED, at, by, label, Status.RESOLVED, Status.CLOSED, reason=note,
               public_text=unsatisfied_closing_text(f["reopen_count"]))
        return
    f.update(
        status=Status.IN_PROGRESS if f.get("department") else Status.ACCEPTED,
        reopen_count=f["reopen_count"] + 1,
        resolved_at=None,
        outcome="",
        resolution_workdays=None,
        closed_at=None,
        resolution_due=workdays.add_workdays(at, f["category"].resolution_limit_days, plan.overrides),
    )
    _event(plan, EventKind.REOPENED, at, by, _label(by, "系统"), Status.RESOLVED, f["status"],
           department=f.get("department"), reason=note, public_text="回访不满意，重新办理。",
           data={"reopen_count": f["reopen_count"]})


def _call_attempt(plan, at, by, note):
    """A call-back try by phone that did not get through (callbacks.record_call_back_attempt)."""
    _step(plan, "call_attempt", at, by=by, note=note)
    f = plan.fields
    current = f["reopen_count"] + 1
    plan.attempts.append(dict(round=current, at=at, channel=AttemptChannel.PHONE, by=by, note=note))
    number = sum(1 for a in plan.attempts if a["round"] == current)
    _event(plan, EventKind.CALL_ATTEMPT, at, by, _label(by, ""), Status.RESOLVED, Status.RESOLVED,
           internal_note=note, is_public=False,
           data={"channel": AttemptChannel.PHONE, "round": current, "attempt": number})


def _unreachable(plan, at, by, reason=""):
    """联系不上 (callbacks.record_unreachable): after attempts on different working days (the
    reason written by the service), or at once with `reason` when the resident left no phone.
    Closes the concern."""
    _step(plan, "unreachable", at, by=by, reason=reason)
    f = plan.fields
    current = f["reopen_count"] + 1
    attempts = [a for a in plan.attempts if a["round"] == current]
    days = callbacks.attempt_days([CallBackAttempt(at=a["at"]) for a in attempts], plan.overrides)
    has_phone = bool(f["reporter_phone"])
    if has_phone:
        reason = reason or f"{days}个工作日共{len(attempts)}次回访均未联系上"
        public = f"回访结果：联系不上（{days}个工作日多次回访未接通）"
    else:
        public = "回访结果：联系不上（诉求人未留联系电话，无法回访）"
    plan.call_backs.append(dict(result=CallBackResult.UNREACHABLE, solved=None, at=at, by=by, round=current,
                                channel=CallBackChannel.PHONE, note=reason))
    f.update(callback_result=CallBackResult.UNREACHABLE, callback_solved=None, callback_at=at,
             status=Status.CLOSED, closed_at=at)
    label = _label(by, "")
    _event(plan, EventKind.CALLED_BACK, at, by, label, Status.RESOLVED, Status.RESOLVED,
           public_text=public, internal_note=reason,
           data={"result": CallBackResult.UNREACHABLE, "attempts": len(attempts), "days": days, "has_phone": has_phone})
    _event(plan, EventKind.CLOSED, at, by, label, Status.RESOLVED, Status.CLOSED, reason=reason,
           public_text="诉求已办结关闭。")


def _settle(plan, now):
    """The history ends at `now`: the escalations due by then have run."""
    _escalate_between(plan, plan.clock, now, final=True)
    plan.clock = now
    return plan


def history_kind(plan):
    """What sort of history a plan is, for sampling every sort: its status, reopened or not,
    督办 or not, registered by staff or not, called back on the phone or the follow page, with
    unanswered call-back attempts or not."""
    f = plan.fields
    return (
        f["status"],
        f["reopen_count"] > 0,
        bool(plan.supervisions),
        f["registered_by"] is not None,
        tuple(c["channel"] for c in plan.call_backs),
        bool(plan.attempts),
    )


def sample_histories(plans, count, *, seed=SEED):
    """A seeded sample of `count` plans with one of every history kind first."""
    rng = random.Random(seed + 11)
    kinds = {}
    for plan in plans:
        kinds.setdefault(history_kind(plan), []).append(plan)
    chosen = [rng.choice(group) for _kind, group in sorted(kinds.items(), key=lambda kv: repr(kv[0]))]
    rest = [p for p in plans if not any(p is c for c in chosen)]
    chosen += rng.sample(rest, max(0, min(count - len(chosen), len(rest))))
    return chosen


def _generated_plan(i, rng, *, now, town, grids, categories, weights, people, overrides):
    """One concern of the history, taken as far along the workflow as its age allows."""
    village, grid, group = rng.choice(grids)
    category = rng.choices(categories, weights)[0]
    channel = rng.choices([c for c, _ in CHANNELS], [w for _, w in CHANNELS])[0]
    day = workdays.local_date(now) - datetime.timedelta(days=int(HISTORY_DAYS * rng.random() ** 0.9))
    received = _local(
        day, rng.choice((7, 8, 9, 9, 10, 10, 11, 14, 15, 15, 16, 17, 19, 20)), rng.randint(0, 59)
    )
    if received > now:
        received = now - datetime.timedelta(minutes=rng.randint(5, 300))
        if channel in STAFF_CHANNELS and not 8 <= timezone.localtime(received).hour < 18:
            # Staff register in office hours: before this morning's office, the last working day's.
            yesterday = workdays.local_date(now) - datetime.timedelta(days=1)
            received = _local(workday_on_or_before(yesterday, overrides), rng.randint(9, 16), rng.randint(0, 59))
    title, text = rng.choice(TEXTS[category.code])
    values = {"village": village.name, "group": "一二三四五六七八"[group % 8]}
    urgency = rng.choices([Urgency.NORMAL, Urgency.URGENT, Urgency.CRITICAL], [90, 8, 2])[0]
    named = channel in STAFF_CHANNELS or rng.random() < 0.5
    phone = f"1{rng.choice('3578')}{rng.randint(0, 999_999_999):09d}" if named else ""
    name = (
        (rng.choice(SURNAMES) + rng.choice(GIVEN) + rng.choice(GIVEN)) if named and rng.random() < 0.8 else ""
    )
    staff = channel in STAFF_CHANNELS
    plan = Plan(
        _base_fields(
            channel=channel,
            category=category,
            urgency=urgency,
            grid=grid,
            village=village,
            town=town,
            title=title.format(**values)[:60],
            text=text.format(**values),
            received_at=received,
            overrides=overrides,
            reporter_name=name,
            reporter_phone=phone,
            registered_by=people.dispatcher if staff else None,
        ),
        overrides,
    )
    f = plan.fields
    _submitted(plan)
    dispatcher = people.dispatcher

    if rng.random() < 0.03:  # 不予受理
        at = _office_after(received, rng, min_hours=1, max_hours=20, overrides=overrides)
        if at <= now:
            reason = rng.choice(
                ["不属于本镇职责范围，已告知诉求人向有关部门反映", "诉求内容不具体，无法核实"]
            )
            _decline(plan, at, dispatcher, reason)
        return _settle(plan, now)

    accepted = _office_after(received, rng, min_hours=0.5, max_hours=18, overrides=overrides)
    if accepted > now:
        return _settle(plan, now)
    department = category.default_department
    dispatched = _in_office(accepted + datetime.timedelta(minutes=rng.randint(5, 90)), rng, overrides)
    _accept(plan, accepted, dispatcher)
    if dispatched > now:
        return _settle(plan, now)
    _dispatch(plan, dispatched, dispatcher, department)
    response_due = f["response_due"]

    handler = people.handler(department)
    if rng.random() < 0.95:
        responded = _office_after(dispatched, rng, min_hours=0.5, max_hours=30, overrides=overrides)
        if responded > response_due:  # in time: the last office hours before the deadline
            responded = _office_before(response_due - datetime.timedelta(hours=rng.uniform(0.5, 3)), rng,
                                       overrides)
        # Ten minutes at least after the dispatch, and still in office hours (a dispatch at 17:25
        # is answered the next working morning, not at 17:35).
        responded = _in_office(max(responded, dispatched + datetime.timedelta(minutes=10)), rng, overrides)
    else:
        responded = _in_office(response_due + datetime.timedelta(hours=rng.uniform(10, 60)), rng, overrides)
    if responded > now:
        return _settle(plan, now)
    _update(plan, responded, handler, UPDATE_TEXT)

    def resolve(start, due):
        span = (due - start).total_seconds()
        roll = rng.random()
        if roll < 0.93:
            return start + datetime.timedelta(seconds=span * rng.uniform(0.1, 0.95))
        if roll < 0.98:
            return due + datetime.timedelta(days=rng.uniform(0.5, 8))
        return due + datetime.timedelta(days=rng.uniform(15, 60))  # stuck: 督办

    resolved = _in_office(max(resolve(responded, f["resolution_due"]), responded + datetime.timedelta(hours=1)),
                          rng, overrides)
    if resolved > now:
        return _settle(plan, now)
    outcome = rng.choices(list(Outcome), [80, 8, 10, 2])[0]
    _resolve(plan, resolved, handler, outcome)

    callback = _office_after(resolved, rng, min_hours=20, max_hours=72, overrides=overrides)
    if callback > now:
        return _settle(plan, now)
    result = _call_back_round(plan, rng, callback, outcome, dispatcher, now=now, first=True)
    if result != CallBackResult.UNSATISFIED or f["status"] == Status.CLOSED:
        return _settle(plan, now)

    # 不满意: reopened with a fresh clock (重办), resolved again and called back again; a resident
    # still unsatisfied then is recorded as such and the concern closes (reopens_on_unsatisfied).
    again = _in_office(max(resolve(callback, f["resolution_due"]), callback + datetime.timedelta(hours=2)), rng,
                       overrides)
    if again > now:
        return _settle(plan, now)
    _resolve(plan, again, handler, Outcome.PARTLY if rng.random() < 0.5 else Outcome.FIXED)
    second = _office_after(again, rng, min_hours=20, max_hours=96, overrides=overrides)
    if second <= now:
        _call_back_round(plan, rng, second, f["outcome"], dispatcher, now=now, first=False)
    return _settle(plan, now)


# The call-back outcomes of the generated history, as a town's centre sees them: of the residents
# reached, most are 满意, some 基本满意, a few 不满意 (more when the problem is not solved, and more
# again after a 重办 that did not fix it); some cannot be reached (three working days of calls to a
# phone nobody answers, or no phone and no rating on the follow page).
FIRST_VERDICTS = {True: (87, 11, 2), False: (25, 45, 30)}  # solved? → 满意, 基本满意, 不满意
REDO_VERDICTS = {True: (40, 30, 30), False: (5, 15, 80)}
SOLVED_CHANCE = {Outcome.FIXED: 0.98, Outcome.PARTLY: 0.45}  # other outcomes: 0.3
UNREACHABLE_CHANCE = {True: 0.03, False: 0.12}  # with a phone: first round, after 重办
FOLLOW_PAGE_CHANCE = {True: 0.8, False: 0.6}  # without a phone: rates on the follow page


def _call_back_round(plan, rng, at, outcome, dispatcher, *, now, first):
    """One round of 回访 from `at`: a verdict (by phone, or on the follow page) or 联系不上 (after a
    call on each of three working days, or at once without a phone). Returns the verdict, or None
    when the round ended 联系不上 or `now` came first."""
    f = plan.fields
    if f["reporter_phone"]:
        if rng.random() < UNREACHABLE_CHANCE[first]:
            day, times = workdays.local_date(at), [at]  # `at` is in office hours on a working day
            for hour, minute in ((14, 30), (16, 0)):
                day = workdays.next_workday(day, plan.overrides)
                times.append(_local(day, hour, minute))
            for number, attempt in enumerate(times, start=1):
                if attempt > now:
                    return None
                _call_attempt(plan, attempt, dispatcher, "电话无人接听" if number < 3 else "电话关机")
            final = attempt + datetime.timedelta(minutes=10)
            if final <= now:
                _unreachable(plan, final, dispatcher)
            return None
        by = dispatcher if rng.random() < 0.85 else None
    elif rng.random() < FOLLOW_PAGE_CHANCE[first]:
        by = None
    else:
        _unreachable(plan, at, dispatcher, "诉求人未留联系电话，无法回访" if first
                     else "诉求人未留联系电话，二次办结后无法回访")
        return None
    solved = rng.random() < SOLVED_CHANCE.get(outcome, 0.3)
    weights = (FIRST_VERDICTS if first else REDO_VERDICTS)[solved]
    result = rng.choices(list(VERDICT_RESULTS), weights)[0]
    note = UNSATISFIED_NOTES[len(f["text"]) % len(UNSATISFIED_NOTES)] if result == CallBackResult.UNSATISFIED else ""
    if result == CallBackResult.UNSATISFIED and not first:
        note = REDO_UNSATISFIED_NOTES[len(f["text"]) % len(REDO_UNSATISFIED_NOTES)]
    _call_back(plan, at, result, solved, by, note)
    return result


# --- the replay: the same steps through the concerns services -----------------------------------


def _replay_step(concern, plan, name, at, arguments):
    if name == "submit":
        f = plan.fields
        return submit_concern(
            text=f["text"], title=f["title"], category=f["category"], area=f["area"], channel=f["channel"],
            by=f["registered_by"], urgency=f["urgency"], reporter_name=f["reporter_name"],
            reporter_phone=f["reporter_phone"], address=f["address"], idempotency_key=f["idempotency_key"],
            latitude=f["latitude"], longitude=f["longitude"], received_at=at,
        ).concern
    a = arguments
    if name == "accept":
        return accept_concern(concern, by=a["by"], public_text=ACCEPTED_TEXT, now=at)
    if name == "decline":
        return decline_concern(concern, by=a["by"], reason=a["reason"], now=at)
    if name == "dispatch":
        return dispatch_concern(concern, by=a["by"], department=a["department"], now=at)
    if name == "update":
        return post_update(concern, by=a["by"], text=a["text"], public=True, now=at)
    if name == "resolve":
        return resolve_concern(concern, by=a["by"], outcome=a["outcome"], text=a["text"], now=at)
    if name == "call_back":
        channel = CallBackChannel.PHONE if a["by"] else CallBackChannel.FOLLOW_PAGE
        return record_call_back(concern, result=a["result"], solved=a["solved"], channel=channel, by=a["by"],
                                note=a.get("note", ""), now=at)
    if name == "call_attempt":
        callbacks.record_call_back_attempt(concern, by=a["by"], note=a["note"], now=at)
        return Concern.objects.get(pk=concern.pk)
    if name == "unreachable":
        return callbacks.record_unreachable(concern, by=a["by"], reason=a.get("reason", ""), now=at)
    if name == "project":
        start_or_join_project(concern, now=at, **a)
    elif name == "plan":
        project = Concern.objects.get(pk=concern.pk).project
        for stage in project.stages.order_by("order"):
            if stage.kind in a["planned_end"]:
                update_project_stage(stage, by=a["by"], planned_end=a["planned_end"][stage.kind], now=at)
    elif name == "stage":
        advance_project_stage(Concern.objects.get(pk=concern.pk).project, now=at, **a)
    elif name == "supervise":
        supervise_concern(concern, by=a["by"], note=a["note"], now=at)
    else:
        raise ValueError(f"unknown step {name}")
    return Concern.objects.get(pk=concern.pk)


def _replay_escalations(concern, after, until, *, final=False):
    for at in escalation_times(concern.response_due, concern.resolution_due, after, until, final=final):
        escalate_overdue_concerns(now=at, concern_ids=[concern.pk])


@contextlib.contextmanager
def _no_texts():
    """The demo's residents and their phone numbers are made up: no SMS is queued for them while
    their past is replayed (a configured gateway would text whoever holds those numbers)."""
    queue = notify.sms_after_commit
    notify.sms_after_commit = lambda phones, text, **kwargs: None
    try:
        yield
    finally:
        notify.sms_after_commit = queue


def replay(plan, *, now):
    """Make the plan's concern through the concerns services, step by step at the historic times,
    with the nightly escalation (escalate_overdue_concerns) between them; returns the concern."""
    concern = previous = None
    with _no_texts():
        for name, at, arguments in sorted(plan.steps, key=lambda step: step[1]):
            if concern is not None:
                _replay_escalations(concern, previous, at)
            concern = _replay_step(concern, plan, name, at, arguments)
            previous = at
        _replay_escalations(concern, previous, now, final=True)
    return Concern.objects.get(pk=concern.pk)


# --- the story -----------------------------------------------------------------------------------


def _tell_story(*, now, town, villages, grid_of, categories, departments, people, overrides):
    """The story's three concerns, told through the concerns services at their historic times."""
    today = workdays.local_date(now)
    urban = departments["城建办"]
    dispatcher = people.dispatcher
    handler = people.handler(urban)
    clock = random.Random(SEED + 3)
    shapes = {o.area_id: o for o in outlines(town)}

    def office(at):
        return _in_office(at, clock, overrides)

    def story(key, *, days_ago, channel, category, village, title, text, address, first_update):
        """Received, accepted and dispatched to 城建办, which responds the next working day with
        `first_update` (signing for it: 办理中)."""
        received = _local(workday_on_or_before(today - datetime.timedelta(days=days_ago), overrides), 9, 20)
        plan = Plan(
            _base_fields(
                channel=channel,
                category=category,
                urgency=Urgency.NORMAL,
                grid=grid_of[village.pk],
                village=village,
                town=town,
                title=title,
                text=text,
                received_at=received,
                overrides=overrides,
                registered_by=dispatcher if channel in STAFF_CHANNELS else None,
                address=address,
                key=key,
            ),
            overrides,
        )
        # The place is known (the school, the road): the concern is pinned there; the project
        # started from 岸山路's takes its point.
        spot = shapes.get(grid_of[village.pk].pk) or shapes.get(village.pk)
        if spot is not None:
            lat, lng = random_point_in(spot, random.Random(f"{SEED}-{key}"))
            plan.fields.update(latitude=Decimal(f"{lat:.6f}"), longitude=Decimal(f"{lng:.6f}"))
        _submitted(plan)
        accepted = received + datetime.timedelta(hours=2)
        dispatched = accepted + datetime.timedelta(minutes=30)
        _accept(plan, accepted, dispatcher)
        _dispatch(plan, dispatched, dispatcher, urban)
        responded = _local(workdays.next_workday(workdays.local_date(dispatched), overrides), 10, 0)
        responded = min(responded, plan.fields["response_due"] - datetime.timedelta(hours=6))
        _update(plan, responded, handler, first_update)
        return plan, responded

    # 1. The school's surroundings: sewage, solved by extending the 集镇 sewage network.
    plan, responded = story(
        STORY_KEYS[0],
        days_ago=80,
        channel=Channel.TEA_ROOM,
        category=categories["sewage"],
        village=villages["集镇村"],
        title="学校周边生活污水处理问题",
        text="官桥镇中心学校周边居民的生活污水直排进学校旁的水沟，天热时臭味很重，学生上下学都要捂着鼻子走，"
        "希望镇里把学校周边的污水接入管网统一处理。",
        address="官桥镇中心学校周边",
        first_update="城建办已到学校周边查看，排查直排户，拟将集镇污水管网向学校片区扩网。",
    )
    _update(plan, office(responded + datetime.timedelta(days=6)), handler, "扩网方案已确定，施工队进场铺设污水支管。")
    resolved = office(responded + datetime.timedelta(days=14, hours=5))
    _resolve(plan, resolved, handler, Outcome.FIXED,
             text="集镇污水管网扩网，学校周边住户生活污水已全部接入管网集中处理，水沟已清淤。")
    _call_back(plan, office(resolved + datetime.timedelta(days=2)), CallBackResult.SATISFIED, True, dispatcher)
    replay(plan, now=now)

    # 2. The 梅园—杨梅 road, badly damaged: repaired. The caller left no phone, so the call-back
    # ends as 联系不上 with the reason (the village checked the repair on the spot).
    plan, responded = story(
        STORY_KEYS[1],
        days_ago=30,
        channel=Channel.HOTLINE,
        category=categories["road"],
        village=villages["梅园村"],
        title="梅园至杨梅道路破损严重",
        text="梅园村到杨梅村的公路破损严重，坑槽一个接一个，大车过后尘土飞扬，下雨天电动车和摩托车经常摔跤，"
        "请尽快修补。",
        address="梅园村至杨梅村公路",
        first_update="城建办已会同梅园村、杨梅村现场踏勘，测量破损路段，安排修补。",
    )
    resolved = office(responded + datetime.timedelta(days=8, hours=3))
    _resolve(plan, resolved, handler, Outcome.FIXED,
             text="破损道路修补：梅园至杨梅公路坑槽已全部挖补，破损路段重新铺筑沥青。")
    plan.steps.append(("unreachable", office(resolved + datetime.timedelta(days=2)), dict(
        by=dispatcher, reason=ROAD_NO_PHONE)))
    replay(plan, now=now)

    # 3. The dead-end 岸山路: a project, 财政审批 done, heading to 招投标; a leader's 督办.
    plan, responded = story(
        STORY_KEYS[2],
        days_ago=230,
        channel=Channel.TEA_ROOM,
        category=categories["road"],
        village=villages["岸山村"],
        title="岸山路是断头路，希望拉通",
        text="岸山路修到一半就断了，是条断头路，村民出行、农产品外运都要绕远路，希望把岸山路拉通。",
        address="岸山村岸山路",
        first_update="城建办已现场踏勘岸山路断头路段，拟按项目推进拉通工程。",
    )
    started = office(responded + datetime.timedelta(days=5))
    first = workdays.local_date(started)
    plan.steps.append(("project", started, dict(
        by=handler, name=PROJECT_NAME, department=urban, on_date=first,
        description="拉通岸山村岸山路断头路段，新建道路约1.2公里，连接县道，方便村民出行和农产品外运。",
    )))
    # Stages done so far, each ending on a working day; 财政审批 passed about a fortnight ago
    # (this month's or last month's news).
    approved = workday_on_or_before(today - datetime.timedelta(days=12), overrides)
    stage_ends = [first] + [
        workday_on_or_before(first + (approved - first) * share, overrides) for share in (0.2, 0.42, 0.65)
    ] + [approved]
    for day in stage_ends:
        plan.steps.append(("stage", _local(day, 16, 0), dict(by=handler, on_date=day)))
    # The plan is made at 立项 (the stages so far kept to it): the concern's resolution deadline
    # follows its current stage's planned end, so the project on schedule is never overdue.
    planned_end = dict(zip(PROJECT_STAGE_ORDER, stage_ends, strict=False))
    planned_end.update({kind: end for kind, (_start, end, _note) in _later_stages(today, approved).items()})
    plan.steps.append(("plan", started + datetime.timedelta(minutes=30), dict(by=handler, planned_end=planned_end)))
    plan.steps.append(("supervise", office(responded + datetime.timedelta(days=20)),
                       dict(by=people.leader, note="列入镇重点督办项目，按月通报进度")))
    concern = replay(plan, now=now)
    _plan_the_rest(concern.project, by=handler, today=today, approved=approved)


def _later_stages(today, approved):
    """The stages still ahead of 岸山路拉通: {kind: (planned start, planned end, note)}. As in the
    story, the project passed 财政审批 (`approved`) and is to be finished in the first half of the
    year after it: counted from the approval, not from `today` (loaded on 4 January, a December
    approval is to be finished by this June, not in eighteen months)."""
    next_year = approved.year + 1
    return {
        ProjectStageKind.TENDERING: (None, today + datetime.timedelta(days=45), f"招标文件编制中，预计{next_year}年上半年完工。"),
        ProjectStageKind.CONSTRUCTION: (today + datetime.timedelta(days=50), datetime.date(next_year, 5, 31), None),
        ProjectStageKind.COMPLETION: (datetime.date(next_year, 6, 1), datetime.date(next_year, 6, 30), None),
    }


def _plan_the_rest(project, *, by, today, approved):
    """The finished stages' planned ends are their actual ones; 招投标, 施工 and 竣工验收 are planned
    to finish in the first half of the year after 财政审批 (`approved`)."""
    planned = _later_stages(today, approved)
    for stage in project.stages.order_by("order"):
        if stage.actual_end:
            update_project_stage(stage, by=by, planned_end=stage.actual_end)
        elif stage.kind in planned:
            start, end, note = planned[stage.kind]
            update_project_stage(stage, by=by, planned_start=start or stage.actual_start, planned_end=end, note=note)


# Categories whose spot would point at a person (a household on 低保, a quarrel between neighbours,
# someone's illness): the board's map shows them only about where they are (board_map).
COARSE_ON_MAP = {"welfare", "dispute", "health"}


def _categories(town):
    departments = {d.name: d for d in Department.objects.filter(town=town)}
    existing = {c.code: c for c in Category.objects.filter(code__in=[row[0] for row in CATEGORIES])}
    created = []
    for order, (code, name, group, dept, response, resolution, project, keywords, _w) in enumerate(
        CATEGORIES
    ):
        if code in existing:
            continue
        created.append(
            Category(
                code=code,
                name=name,
                group=group,
                default_department=departments.get(dept),
                response_limit_days=response,
                resolution_limit_days=resolution,
                may_become_project=project,
                keywords=keywords,
                sort_order=order + 1,
                coarse_on_map=code in COARSE_ON_MAP,
            )
        )
    created = Category.objects.bulk_create(created)
    existing.update({c.code: c for c in created})
    return existing, departments, created


def _reply_templates():
    have = set(ReplyTemplate.objects.values_list("status", "title"))
    rows = [
        ReplyTemplate(status=status, title=title, text=text, sort_order=i)
        for i, (status, title, text) in enumerate(REPLY_TEMPLATES)
        if (status, title) not in have
    ]
    return ReplyTemplate.objects.bulk_create(rows)


def _calendar(overrides, today):
    """The history's days (the last 400 and the next 40) as {date: is_workday}: passed as the
    overrides, it answers the workday functions with a lookup instead of asking the package.
    Days of a year the package does not know are left to the workday functions' own rule."""
    calendar = {}
    for n in range(-400, 41):
        day = today + datetime.timedelta(days=n)
        if day in overrides:
            calendar[day] = bool(overrides[day])
            continue
        try:
            calendar[day] = chinese_calendar.is_workday(day)
        except NotImplementedError:
            continue
    return calendar


# Why a resident was not satisfied (不满意 needs its reason), for the generated call-backs.
REDO_UNSATISFIED_NOTES = [
    "居民表示重新办理后情况没有改善",
    "居民认为只是临时处理，问题还会反复",
    "居民对答复的时间安排不认可",
]

UNSATISFIED_NOTES = [
    "居民反映问题只处理了一部分，还没有彻底解决",
    "居民说处理后没几天又出现同样的问题",
    "居民认为答复没有说清楚什么时候能解决",
]

ROAD_NO_PHONE = "来电未留联系电话，无法电话回访；梅园村委会已到现场查看，坑槽已修补。"

ROAD_ECHOES = [
    ("杨梅村", "杨梅村到梅园村那段公路坑坑洼洼，前天晚上有人骑摩托车摔了，请镇里派人修一下。", "彭秀兰"),
    ("梅园村", "梅园村口往杨梅方向的路烂得不成样子，拉杨梅的货车都不愿意进来，希望尽快修补。", "黎建华"),
    ("杨梅村", "反映梅园至杨梅公路破损问题，孩子上学每天走这条路，下雨全是积水坑。", "罗春梅"),
]
ROAD_FOLLOWERS = 3


def _story_echoes(*, people, now, seed=SEED):
    """The 梅园—杨梅 road was raised by many: the calls that came after the first are registered by
    the dispatcher and merged into it as duplicates (their reporters follow it), and residents who
    saw it on the public board follow it, before it was repaired. Through the concerns services."""
    from .services import complete_pending_intakes, follow_concern, link_duplicate, submit_concern

    rng = random.Random(seed + 7)
    road = Concern.objects.filter(idempotency_key=STORY_KEYS[1]).select_related("category").first()
    if road is None or people.dispatcher is None:
        return 0
    grids = {a.name: a for a in Area.objects.filter(path__startswith=road.town.path,
                                                     level__in=(AreaLevel.VILLAGE, AreaLevel.COMMUNITY))}
    span = (road.resolved_at or now) - road.received_at
    for index, (village, text, name) in enumerate(ROAD_ECHOES):
        received = _in_office(road.received_at + span * (0.12 + 0.2 * index), rng)
        duplicate = submit_concern(text=text, category=road.category, area=grids[village], channel=Channel.HOTLINE,
                                   by=people.dispatcher, reporter_name=name, address="梅园村至杨梅村公路",
                                   received_at=received).concern
        link_duplicate(duplicate, road, by=people.dispatcher, note="与梅园至杨梅道路破损为同一事项",
                       now=_in_office(received + datetime.timedelta(minutes=rng.randint(10, 50)), rng))
    for index in range(ROAD_FOLLOWERS):
        follow_concern(road, now=road.received_at + span * (0.1 + 0.25 * index))
    complete_pending_intakes()  # the worker's half of the intake, as it would run a moment later
    return len(ROAD_ECHOES) + ROAD_FOLLOWERS


# Concerns the town handed up to the county centre (上报), so its pages are not empty: one still
# waiting at the county (县级待派), one the county handed back down (下派, back in the town's
# inbox), and one the county dispatched to 县住建局. (village, category, title, text, what the
# county did, the town's reason, the county's reason, days ago it came in: a call in the morning of
# the last working day on or before then, handed up and on within that working day)
COUNTY_REFERRALS = [
    ("集镇村", "sewage", "集镇污水主管网与县城管网衔接处反复外溢",
     "集镇村老街污水主管网和县城来的主管网接口处，下雨就往外冒，臭味很大，镇里修过两次还是不行。",
     "held", "接口属县级主管网，镇里无权改造", "", 1),
    ("九龙村", "road", "九龙村组级公路路肩塌方",
     "九龙村三组组级公路路肩塌了一米多，晚上看不清，怕有人掉下去。",
     "handed_down", "塌方较大，请县里协调", "组级公路由镇城建办负责养护，请镇里派单办理", 3),
    ("石灰嘴村", "road", "石灰嘴村跨镇县道桥梁栏杆损坏",
     "石灰嘴村通往邻镇的县道桥上，栏杆撞断了两段，学生每天从这里过，很危险。",
     "county_department", "县道桥梁属县级养护范围", "", 6),
]


def _county_referrals(demo):
    """COUNTY_REFERRALS through the services: registered by the town's dispatcher, handed up
    (上报), then left with the county, handed down (下派) or dispatched to 县住建局."""
    from .services import complete_pending_intakes, escalate_concern_to_county, hand_down_concern

    people = demo.people
    county_dispatcher = User.objects.filter(
        role=Role.DISPATCHER, is_active=True, area__level=AreaLevel.COUNTY, area__path__in=[
            demo.town.path[:end] for end in range(demo.town.steplen, len(demo.town.path), demo.town.steplen)
        ],
    ).order_by("id").first()
    if people.dispatcher is None or county_dispatcher is None:
        return 0
    housing = Department.objects.filter(town=county_dispatcher.area, name="县住建局", is_active=True).first()
    made = []
    today = workdays.local_date(demo.now)
    for village, code, title, text, outcome, up_reason, down_reason, days in COUNTY_REFERRALS:
        area = demo.grid_of.get(demo.villages[village].pk, demo.villages[village])
        day = workday_on_or_before(today - datetime.timedelta(days=days), demo.overrides)
        received = _local(day, 9, 10)
        concern = submit_concern(text=text, title=title, category=demo.categories[code], area=area,
                                 channel=Channel.HOTLINE, by=people.dispatcher, received_at=received).concern
        concern = accept_concern(concern, by=people.dispatcher, now=_local(day, 9, 40))
        concern = escalate_concern_to_county(concern, by=people.dispatcher, reason=up_reason,
                                             now=_local(day, 10, 30))
        later = _local(day, 15, 0)
        if outcome == "handed_down":
            hand_down_concern(concern, by=county_dispatcher, reason=down_reason, now=later)
        elif outcome == "county_department" and housing is not None:
            dispatch_concern(concern, by=county_dispatcher, department=housing, note="请县住建局现场核查并修复",
                             now=later)
        made.append(concern.pk)
    complete_pending_intakes()
    # The nightly 督办 has run since: those past a deadline are escalated, as the history's are.
    escalate_overdue_concerns(now=demo.now, concern_ids=made)
    return len(made)


def story_loaded():
    return Concern.objects.filter(idempotency_key__in=STORY_KEYS).exists()


def write_bulk(plans):
    """The plans' rows in a few bulk INSERTs: reference numbers continuing each year's counter
    (one block per year), events, call-backs, 督办, and one audit entry per concern."""
    per_year = {}
    for plan in sorted(plans, key=lambda p: p.fields["received_at"]):
        per_year.setdefault(workdays.local_date(plan.fields["received_at"]).year, []).append(plan)
    for year, year_plans in per_year.items():
        for plan, reference in zip(year_plans, allocate_references(len(year_plans), year=year), strict=True):
            plan.fields["reference"] = reference
    concerns = Concern.objects.bulk_create([Concern(**p.fields) for p in plans], batch_size=500)
    events, call_backs, attempts, supervisions = [], [], [], []
    for plan, concern in zip(plans, concerns, strict=True):
        for e in plan.events:
            events.append(ConcernEvent(concern=concern, **dict(e, public_text=e["public_text"].replace(
                "{reference}", concern.reference))))
        call_backs += [CallBack(concern=concern, **c) for c in plan.call_backs]
        attempts += [CallBackAttempt(concern=concern, **a) for a in plan.attempts]
        supervisions += [Supervision(concern=concern, **s) for s in plan.supervisions]
    ConcernEvent.objects.bulk_create(events, batch_size=2000)
    CallBack.objects.bulk_create(call_backs, batch_size=2000)
    CallBackAttempt.objects.bulk_create(attempts, batch_size=2000)
    Supervision.objects.bulk_create(supervisions, batch_size=2000)
    record_created_many(concerns, note="演示数据：民情诉求")
    return concerns


@dataclass
class DemoTown:
    """What the history is generated for: the town, its villages and grids, the categories, the
    staff who act, and the calendar."""

    town: Area
    now: datetime.datetime
    overrides: dict
    categories: dict
    departments: dict
    new_categories: list
    people: _People
    villages: dict
    grids: list
    grid_of: dict


def demo_town(town, *, now):
    """Categories (created when missing) and everything the history needs to know about `town`."""
    overrides = _calendar(workday_overrides(), workdays.local_date(now))
    categories, departments, new_categories = _categories(town)
    areas = list(Area.objects.filter(path__startswith=town.path, depth=town.depth + 1).order_by("path"))
    villages = {a.name: a for a in areas if a.level in (AreaLevel.VILLAGE, AreaLevel.COMMUNITY)}
    grid_rows = Area.objects.filter(path__startswith=town.path, level=AreaLevel.GRID).order_by("path")
    by_path = {v.path: v for v in villages.values()}
    grids, grid_of = [], {}
    for n, grid in enumerate(grid_rows):
        village = by_path.get(grid.path[: len(grid.path) - grid.steplen])
        if village is not None:
            grids.append((village, grid, n))
            grid_of.setdefault(village.pk, grid)
    for village in villages.values():
        grid_of.setdefault(village.pk, village)
    if not grids:
        grids = [(v, v, n) for n, v in enumerate(villages.values())]
    return DemoTown(town=town, now=now, overrides=overrides, categories=categories, departments=departments,
                    new_categories=new_categories, people=_People(town), villages=villages, grids=grids,
                    grid_of=grid_of)


def generated_plans(demo, *, count=HISTORY_COUNT, seed=SEED):
    """The `count` generated histories (from `seed`), oldest first."""
    rng = random.Random(seed)
    cats = [demo.categories[row[0]] for row in CATEGORIES]
    weights = [row[8] for row in CATEGORIES]
    plans = [
        _generated_plan(i, rng, now=demo.now, town=demo.town, grids=demo.grids, categories=cats, weights=weights,
                        people=demo.people, overrides=demo.overrides)
        for i in range(count)
    ]
    shapes = {o.area_id: o for o in outlines(demo.town)}
    for i, plan in enumerate(plans):
        _place(plan, shapes, random.Random(f"{seed}-spot-{i}"))
    plans.sort(key=lambda p: p.fields["received_at"])
    return plans


# The share of concerns that come with a point: a resident's phone form offers the location, a
# grid worker on a visit stands at the spot; calls and meetings rarely give one.
POINT_SHARE = {Channel.WEB: 0.7, Channel.VISIT: 0.6}


def _place(plan, shapes, rng):
    """Give the plan's concern a point inside its grid's outline (its own generator, so the rest
    of the history does not change with the map)."""
    f = plan.fields
    outline = shapes.get(f["area"].pk) or shapes.get(f["village"].pk)
    if outline is None or rng.random() >= POINT_SHARE.get(f["channel"], 0.0):
        return
    lat, lng = random_point_in(outline, rng)
    f["latitude"], f["longitude"] = Decimal(f"{lat:.6f}"), Decimal(f"{lng:.6f}")


def _counts(town, categories):
    concerns = Concern.objects.filter(town=town)
    return {
        "categories": len(categories),
        "concerns": concerns.count(),
        "events": ConcernEvent.objects.filter(concern__town=town).count(),
        "call_backs": CallBack.objects.filter(concern__town=town).count(),
        "supervisions": Supervision.objects.filter(concern__town=town).count(),
        "open": concerns.filter(status__in=OPEN_STATUSES).count(),
    }


@transaction.atomic
def load_concerns_demo(town, *, now=None, count=HISTORY_COUNT, seed=SEED):
    """Categories, reply templates, the story's concerns and `count` generated ones for `town`.
    Returns DemoConcernsResult(loaded=False) without writing anything when already loaded.

    The story and a sample of every kind of generated history (REPLAYED) are made through the
    concerns services at their historic times; the rest of the history is written with
    bulk_create (the replay test keeps the two paths in step)."""
    started = time.perf_counter()
    if story_loaded():
        return DemoConcernsResult(loaded=False)
    now = now or timezone.now()
    demo = demo_town(town, now=now)
    templates = _reply_templates()
    record_created_many(demo.new_categories, note="演示数据：诉求类别")
    record_created_many(templates, note="演示数据：答复模板")
    plans = generated_plans(demo, count=count, seed=seed)
    replayed = sample_histories(plans, REPLAYED, seed=seed)
    sampled = {id(p) for p in replayed}
    write_bulk([p for p in plans if id(p) not in sampled])
    _tell_story(now=now, town=town, villages=demo.villages, grid_of=demo.grid_of, categories=demo.categories,
                departments=demo.departments, people=demo.people, overrides=demo.overrides)
    for plan in sorted(replayed, key=lambda p: p.fields["received_at"]):
        replay(plan, now=now)
    _story_echoes(people=demo.people, now=now)
    _county_referrals(demo)
    return DemoConcernsResult(loaded=True, seconds=time.perf_counter() - started,
                              counts=_counts(town, demo.categories))


def extend_demo_town():
    """Called by `load_demo` after the org demo: a summary line, or None when already loaded."""
    from zhenwu.org.demo import TOWN_CODE

    town = Area.objects.filter(code=TOWN_CODE).first()
    if town is None:
        return None
    result = load_concerns_demo(town)
    if not result.loaded:
        return "民情办理：演示诉求已存在，未做任何修改。"
    c = result.counts
    return (
        f"民情办理：{c['categories']}个类别、{c['concerns']}条诉求（其中办理中{c['open']}条）、{c['events']}条办理记录、"
        f"{c['call_backs']}次回访、{c['supervisions']}次督办，含“岸山路拉通”项目，用时 {result.seconds:.1f} 秒"
    )
