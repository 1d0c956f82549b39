"""The demo town's last twelve months of 学习教育, up to the day of loading (the 2019 campaign in
demo.py is the story; this is the town's life since, so that every default period — the current
year on the dashboard — shows real figures).

- 三会一课: every village's organisation and the organ branches hold a 主题党日 each month and a
  党课 each quarter, on working days in the past, with sign-ins and leave as in the story's campaign;
- this year's campaign (专题学习教育), begun about five months ago and running to the end of next
  month (its end is planned, the only date after today): its 动员部署会, two town study classes and a
  专题党课 in each village; make-up tasks for those who missed them and 送学上门 by their mentors
  (most done, a few not yet, as an open campaign has).

Every row goes through the study services (sign-ins through their bulk variant, as the story's do).
Dates are relative to `now`, so the history ends a few days before the day of loading.
"""

import datetime
import random

from django.utils import timezone

from zhenwu.workdays import calendar as workdays

from . import services
from .models import (
    Confirmation,
    ItemKind,
    MakeUpStatus,
    MakeUpTask,
    Mentorship,
    SessionKind,
    SignInMethod,
    VenueKind,
)

SEED = 20260701
MONTHS = 12
LESSON_TOPICS = ["学习新修订的《中国共产党纪律处分条例》", "乡村振兴与基层治理", "弘扬红色传统、赓续红色血脉",
                 "学习身边榜样，争做“六表率”"]
PARTY_DAY_TOPICS = ["集中学习、交纳党费、开展志愿服务", "学习上级文件精神，讨论本村重点工作", "重温入党誓词，开展政策宣讲",
                    "开展联户走访情况交流", "组织党员清扫村组道路", "学习《中国共产党章程》相关章节"]


def local(day, hour, minute=0):
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=workdays.local_zone())


def working_day_on_or_before(day):
    while not workdays.is_workday(day):
        day -= datetime.timedelta(days=1)
    return day


def campaign_dates(today):
    """This year's campaign: from the first of the month about five months ago to the end of next month."""
    start = (today - datetime.timedelta(days=150)).replace(day=1)
    following = (today.replace(day=1) + datetime.timedelta(days=62)).replace(day=1)
    return start, following - datetime.timedelta(days=1)


def load_study_year(t, *, now=None, seed=SEED):
    """`t`: the study demo's view of the town (demo._Town). Returns counts for the summary line."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    rng = random.Random(seed)
    orgs = [org for _name, org in sorted(t.village_org.items())] + t.organ
    sessions = []

    def session(*, rule="normal", **kwargs):
        s = services.create_session(by=t.admin, **kwargs)
        sessions.append((s, t.expected(kwargs["party_orgs"]), rule))
        return s

    # 三会一课: a 主题党日 each month, a 党课 each quarter, per organisation.
    for index, org in enumerate(orgs):
        place = org.area.name if org.area_id and org.area.level != "town" else "镇机关"
        for month in range(MONTHS - 1, -1, -1):
            day = working_day_on_or_before(today - datetime.timedelta(days=30 * month + 2 + index % 5))
            session(kind=SessionKind.PARTY_DAY, title=f"{org.name}{day.month}月主题党日",
                    starts_at=local(day, 9), ends_at=local(day, 11), party_orgs=[org],
                    venue_kind=VenueKind.SERVICE_CENTRE if place != "镇机关" else VenueKind.MEETING_ROOM,
                    venue=f"{place}党群服务中心" if place != "镇机关" else "镇政府三楼会议室",
                    topic=PARTY_DAY_TOPICS[(index + month) % len(PARTY_DAY_TOPICS)])
            if month % 3 == 1:
                lesson_day = working_day_on_or_before(day - datetime.timedelta(days=9))
                session(kind=SessionKind.PARTY_LESSON, title=f"{org.name}{lesson_day.month}月党课",
                        starts_at=local(lesson_day, 15), ends_at=local(lesson_day, 17), party_orgs=[org],
                        venue_kind=VenueKind.MEETING_ROOM, venue=f"{place}会议室", speaker=f"{org.name}书记",
                        topic=LESSON_TOPICS[(index + month) % len(LESSON_TOPICS)])

    # This year's campaign, running now.
    starts_on, ends_on = campaign_dates(today)
    campaign = services.create_campaign(
        name=f"{starts_on.year}年“学党章、守党规、强党性”专题学习教育", starts_on=starts_on, ends_on=ends_on,
        party_orgs=[t.committee], by=t.admin,
        description="全镇党员参加：动员部署会、两期集中学习班、各村（社区）专题党课；不能到场的党员由帮学人送学上门。",
    )
    items = {}
    for key, title in (("mobilisation", "专题学习教育动员部署会"), ("class1", "第一期专题学习班"),
                       ("class2", "第二期专题学习班"), ("lesson", "专题党课")):
        items[key] = services.add_campaign_item(campaign, kind=ItemKind.REQUIRED, title=title, by=t.admin)
    items["home"] = services.add_campaign_item(campaign, kind=ItemKind.OPTIONAL, title="送学上门、帮学补学",
                                               by=t.admin)
    day = working_day_on_or_before(starts_on + datetime.timedelta(days=10))
    session(kind=SessionKind.MOBILISATION, title=campaign.name.replace("专题学习教育", "专题学习教育动员部署会"),
            campaign=campaign, starts_at=local(day, 9), ends_at=local(day, 11), party_orgs=[t.committee],
            items=[items["mobilisation"]], venue_kind=VenueKind.MEETING_ROOM, venue="镇政府大礼堂",
            speaker="镇党委书记", topic="部署专题学习教育的规定动作和时间安排")
    for key, number, offset in (("class1", "一", 35), ("class2", "二", 80)):
        day = working_day_on_or_before(starts_on + datetime.timedelta(days=offset))
        session(kind=SessionKind.STUDY_CLASS, title=f"官桥镇第{number}期专题学习班", campaign=campaign,
                starts_at=local(day, 9), ends_at=local(day, 11, 30), party_orgs=[t.committee], items=[items[key]],
                venue_kind=VenueKind.MEETING_ROOM, venue="镇党校", speaker="镇党委副书记",
                topic="逐章学习《中国共产党章程》")
    for index, org in enumerate(orgs):
        day = working_day_on_or_before(starts_on + datetime.timedelta(days=100 + index))
        place = org.area.name if org.area_id and org.area.level != "town" else "镇机关"
        session(kind=SessionKind.THEMED_LESSON, title=f"{org.name}专题党课", campaign=campaign,
                starts_at=local(day, 15), ends_at=local(day, 17), party_orgs=[org], items=[items["lesson"]],
                venue_kind=VenueKind.MEETING_ROOM, venue=f"{place}会议室", speaker=f"{org.name}书记",
                topic="强党性、守党规，做群众身边的“六表率”")

    attendances, leaves = _attend(rng, t, sessions)
    tasks_on = working_day_on_or_before(starts_on + datetime.timedelta(days=105))
    services.generate_makeup_tasks(campaign=campaign, now=local(tasks_on, 17))
    lessons = _home_lessons(rng, t, campaign, items["home"], start=tasks_on, today=today)
    return {"campaign": campaign, "sessions": len(sessions), "attendances": attendances, "leaves": leaves,
            "lessons": lessons}


def _attend(rng, t, sessions):
    """As at the story's sessions: most members sign in; the elderly, ill and migrant rarely come;
    some of the others ask for leave. Leave through the service, sign-ins through its bulk variant."""
    rows, leaves = [], 0
    for s, expected, _rule in sessions:
        for member in expected:
            flagged = member.is_elderly or member.is_ill
            p = 0.06 if member.is_migrant else 0.12 if flagged else 0.9
            if rng.random() < p:
                roll = rng.random()
                method = SignInMethod.QR if roll < 0.8 else SignInMethod.ROSTER if roll < 0.97 else SignInMethod.LATE
                late = method == SignInMethod.LATE
                rows.append({
                    "session": s, "member": member, "method": method,
                    "signed_at": s.ends_at + datetime.timedelta(hours=2) if late
                    else s.starts_at + datetime.timedelta(minutes=rng.randint(-20, 10)),
                    "reason": "到会未扫码，会后经支部核实补签" if late else "",
                    "recorded_by": member.user if method == SignInMethod.QR else t.secretary,
                })
            elif not (flagged or member.is_migrant) and rng.random() < 0.3:
                reason = rng.choice(["外出务工，不在本地", "农忙", "照顾生病家人", "外出办事，已向支部报备"])
                services.request_leave(s, member=member, reason=reason, by=t.secretary, approve=True,
                                       now=s.starts_at - datetime.timedelta(days=1, hours=-1))
                leaves += 1
    created = services.record_attendances_many(rows, note="演示数据")
    return len(created), leaves


def _home_lessons(rng, t, campaign, optional_item, *, start, today):
    """送学上门 for the open make-up tasks, by each member's mentor (the story's 帮学结对), between the
    tasks' day and yesterday; about one in six is not reached yet."""
    mentor_of = {}
    for mentorship in Mentorship.objects.filter(ended_on__isnull=True).prefetch_related("mentees"):
        for mentee in mentorship.mentees.all():
            mentor_of[mentee.pk] = mentorship.mentor_id
    members = {m.pk: m for m in t.members}
    tasks = {}
    for task in (MakeUpTask.objects.filter(item__campaign=campaign, status=MakeUpStatus.OPEN)
                 .select_related("item").order_by("member_id", "item__position")):
        tasks.setdefault(task.member_id, []).append(task.item)
    span = max((today - start).days - 1, 1)
    count = 0
    for member_id, items in tasks.items():
        member = members.get(member_id)
        if member is None or rng.random() < 0.17:
            continue
        mentor = members.get(mentor_of.get(member_id)) or next(
            (m for m in t.members if m.party_org_id == member.party_org_id and not m.needs_home_study
             and m.pk != member.pk), None)
        given_on = working_day_on_or_before(start + datetime.timedelta(days=rng.randint(1, span)))
        titles = "、".join(f"“{i.title}”" for i in items)
        services.record_home_lesson(
            member=member, mentor=mentor, given_on=given_on, items=[*items, optional_item],
            content=f"送学上门：带去学习资料，讲解{titles}的主要内容，听取党员意见建议",
            confirmation=Confirmation.THUMBPRINT if member.is_elderly and rng.random() < 0.3 else Confirmation.SIGNED,
            by=t.secretary if t.village_of(member) == "九龙村" else t.admin, now=local(given_on, 18),
        )
        count += 1
    return count
