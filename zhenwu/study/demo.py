"""The demo town's 学习教育, as the reference story tells it (官桥镇, autumn 2019).

The "不忘初心、牢记使命" campaign with its required items (主题党日 with the 初心大礼包 in early
September, the 清廉官桥 廉政 education with 《廉政十二时辰》, the mobilisation meeting in mid
September, three study classes — the third on 14 October — and a themed lesson) and optional ones;
eight 特色党课专场 at 民情茶室, 文化广场 and 农家院落; the 返巢 event on 1 October for migrant
members; sign-ins for most members, leave with reasons, make-up tasks, home lessons ("一个人的党课")
by mentors in 1+1 and 1+N pairs (黎干亮 of 九龙村 among the elderly taught at home), instructors
with guidance and 阵地五化 checks, and the missing list sent to secretaries and instructors.

Runs after the org demo (`load_demo` finds `extend_demo_town` here); the campaign's name is the
marker, so a second run changes nothing. Generated from a fixed seed; every row goes through the
study services (bulk variants for sign-ins and hand-outs) and so into the audit log.
"""

import datetime
import random
from zoneinfo import ZoneInfo

from django.contrib.auth.hashers import make_password
from django.db import transaction

from zhenwu.accounts.models import Role, User
from zhenwu.audit.services import record_created_many
from zhenwu.org.demo import STORY_DATE, TOWN_CODE
from zhenwu.org.models import Area, Member, PartyOrg

from . import services
from .access import org_q
from .models import (
    Campaign,
    Confirmation,
    ItemKind,
    MakeUpStatus,
    MakeUpTask,
    SessionKind,
    SignInMethod,
    VenueKind,
)

SEED = 20191014
CAMPAIGN_NAME = "“不忘初心、牢记使命”主题教育"
SHANGHAI = ZoneInfo("Asia/Shanghai")


def at(month, day, hour, minute=0):
    return datetime.datetime(2019, month, day, hour, minute, tzinfo=SHANGHAI)


REQUIRED = [
    ("party_day", "主题党日：主题教育预热", "9月初利用主题党日开展主题教育预热，发放“初心大礼包”学习资料，先学先行"),
    ("clean", "“清廉官桥”廉政教育", "观看自编自导自演微电影《廉政十二时辰》和《初心》小视频"),
    ("mobilisation", "主题教育动员暨部署会", "明确主题教育计划和实施方案，部署学习方案和学习计划"),
    ("class1", "第一期主题教育学习班", "集中学习"),
    ("class2", "第二期主题教育学习班", "集中学习"),
    ("class3", "第三期主题教育学习班", "集中学习，认真做好课堂笔记"),
    ("themed", "特色党课（专场任选其一）", "“民情茶室”“您说我做民情收集”“初心故事会”“草根宣讲”等特色党课专场"),
]
OPTIONAL = [
    ("tea", "民情茶室之“民情察实”民意收集", ""),
    ("you_say", "“您说我做”民情收集", ""),
    ("stories", "初心故事会", "挖掘潘虎等本土革命先烈事迹和“身边榜样”故事"),
    ("talk", "草根宣讲", ""),
    ("return", "“返巢”流动党员回望初心", "10月1日组织“返巢”流动党员回望初心、唱红歌、与国旗合影、观看阅兵仪式"),
    ("home", "“一个人的党课”送学上门", "针对老弱病残等特殊党员，送读本、送教学、送服务，“1+1”“1+N”帮学"),
]

# The eight 特色党课专场: title, kind, venue kind, venue, speaker, topic, villages, start, optional item.
FEATURED = [
    ("民情茶室之“民情察实”主题教育民意收集", SessionKind.THEMED_LESSON, VenueKind.TEA_ROOM, "集镇村民情茶室", "集镇村党总支书记",
     "听民声、察民情、解民忧", ["集镇村", "集里桥社区"], at(9, 26, 9), "tea"),
    ("“您说我做”民情收集专场", SessionKind.THEMED_LESSON, VenueKind.CULTURAL_SQUARE, "官桥镇文化广场", "镇党委书记",
     "您说我做，民情大落实", ["官桥社区", "机关"], at(9, 27, 19), "you_say"),
    ("初心故事会：报效祖国、回馈家乡", SessionKind.STORY_MEETING, VenueKind.FARMYARD, "九龙村一组黎家院落", "黎干亮",
     "九龙村80余岁优秀老党员讲述自己的初心故事", ["九龙村"], at(10, 9, 15), "stories"),
    ("初心故事会：守护革命火种，英雄血染杜鹃红", SessionKind.STORY_MEETING, VenueKind.CULTURAL_SQUARE,
     "石灰嘴村文化广场", "镇文联宣讲员", "本土革命先烈潘虎的事迹", ["石灰嘴村"], at(10, 10, 19), "stories"),
    ("草根宣讲：最美乡贤彭镇铭", SessionKind.GRASSROOTS_TALK, VenueKind.FARMYARD, "苍坊村三组彭家院落", "彭镇铭",
     "身边榜样·最美乡贤", ["苍坊村", "南阳村"], at(10, 11, 15), "talk"),
    ("草根宣讲：见义勇为尹东辉", SessionKind.GRASSROOTS_TALK, VenueKind.FARMYARD, "梅园村二组尹家院落", "尹东辉",
     "身边榜样·见义勇为", ["梅园村"], at(10, 16, 15), "talk"),
    ("专题党课：精准扶贫李孟其", SessionKind.THEMED_LESSON, VenueKind.FARMYARD, "杨梅村一组李家院落", "李孟其",
     "身边榜样·精准扶贫", ["杨梅村", "岸山村"], at(10, 18, 15), "talk"),
    ("初心故事会：移风易俗身边榜样", SessionKind.STORY_MEETING, VenueKind.CULTURAL_SQUARE, "官桥镇文化广场",
     "黎干亮", "移风易俗黎干亮、最美乡贤彭镇铭、见义勇为尹东辉、精准扶贫李孟其", ["九龙村", "石灰嘴村", "集镇村"],
     at(10, 22, 19), "stories"),
]

LEAVE_REASONS = ["外出务工，不在本地", "农忙抢收", "在长沙住院治疗", "照顾生病家人", "外出办事，已向支部报备"]
ELDERLY_LEAVE = ["年老体弱，行动不便", "患病在家休养"]
LESSON_CONTENT = [
    "送读本、送教学：学习《习近平新时代中国特色社会主义思想学习纲要》相关章节，讲解{items}的主要内容，交流学习体会",
    "“一个人的党课”：在家中逐段学习{items}的学习材料，帮学人讲解要点，党员谈初心",
    "电话连线送学：向流动党员传达{items}精神，寄送学习资料，约定返乡后补交学习笔记",
]
INSTRUCTORS = [
    # username, full name, organisations guided (the first is also the account's organisation)
    ("gq_instructor", None, ["石灰嘴村党总支", "九龙村党总支", "苍坊村党支部"]),
    ("gq_instructor2", "镇机关指导员（李）", ["集镇村党总支", "集里桥社区党总支", "官桥社区党总支"]),
    ("gq_instructor3", "镇机关指导员（周）", ["梅园村党支部", "杨梅村党支部", "岸山村党支部", "南阳村党支部"]),
]


def demo_exists():
    return Campaign.objects.filter(name=CAMPAIGN_NAME).exists()


def extend_demo_town():
    """Load the demo town's study records (once). Returns a one-line summary for load_demo."""
    town = Area.objects.filter(code=TOWN_CODE).first()
    if town is None:
        return ""
    if demo_exists():
        return "学习教育演示数据已存在，未做修改。"
    counts = load_demo_study(town)
    return (
        f"学习教育：主题教育1项（规定动作{counts['required']}项、自选动作{counts['optional']}项）、"
        f"学习活动{counts['sessions']}场（特色党课专场{counts['featured']}场）、签到{counts['attendances']}人次、"
        f"请假{counts['leaves']}人次、送学上门{counts['lessons']}次、帮学结对{counts['mentorships']}对、"
        f"指导员{counts['instructors']}名，完成率{counts['completion']}%；近一年学习活动{counts['year']['sessions']}场"
        f"（签到{counts['year']['attendances']}人次、送学上门{counts['year']['lessons']}次）"
    )


class _Town:
    """The demo town's organisations and members, read once."""

    def __init__(self, town):
        self.committee = PartyOrg.objects.get(name="中共官桥镇委员会")
        orgs = list(PartyOrg.objects.filter(path__startswith=self.committee.path).select_related("area"))
        self.by_name = {o.name: o for o in orgs}
        # The organisation standing for each village (its general branch or single branch).
        self.village_org = {o.area.name: o for o in orgs if o.depth == self.committee.depth + 1
                            and o.area_id and o.area.level in ("village", "community")}
        self.organ = [o for o in orgs if "机关" in o.name or "学校" in o.name]
        self.members = list(Member.objects.filter(org_q([self.committee.path]), is_active=True)
                            .select_related("party_org").order_by("id"))
        self.secretary = User.objects.filter(username="gq_secretary").first()
        self.admin = User.objects.filter(username="gq_admin").first()

    def orgs_for(self, villages):
        result = []
        for name in villages:
            result += self.organ if name == "机关" else [self.village_org[name]]
        return result

    def expected(self, orgs):
        paths = [o.path for o in orgs]
        return [m for m in self.members if any(m.party_org.path.startswith(p) for p in paths)]

    def village_of(self, member):
        for name, org in self.village_org.items():
            if member.party_org.path.startswith(org.path):
                return name
        return "机关"


@transaction.atomic
def load_demo_study(town):
    rng = random.Random(SEED)
    t = _Town(town)
    campaign = services.create_campaign(
        name=CAMPAIGN_NAME, starts_on=datetime.date(2019, 9, 1), ends_on=datetime.date(2019, 11, 30),
        party_orgs=[t.committee], by=t.admin,
        description="第二批“不忘初心、牢记使命”主题教育。全员性、经常性：规定动作人人参加，"
                    "老弱病残等特殊党员由帮学人送学上门，确保“不落一人”。",
    )
    items = {}
    for key, title, description in REQUIRED:
        items[key] = services.add_campaign_item(campaign, kind=ItemKind.REQUIRED, title=title, description=description)
    for key, title, description in OPTIONAL:
        items[key] = services.add_campaign_item(campaign, kind=ItemKind.OPTIONAL, title=title, description=description)

    sessions = []  # (session, expected members, attendance rate rule)

    def session(**kwargs):
        rule = kwargs.pop("rule", "normal")
        s = services.create_session(campaign=campaign, by=t.admin, **kwargs)
        sessions.append((s, t.expected(kwargs["party_orgs"]), rule))
        return s

    for name, org in sorted(t.village_org.items()):
        session(kind=SessionKind.PARTY_DAY, title=f"{org.name}9月主题党日：主题教育预热", starts_at=at(9, 5, 9),
                ends_at=at(9, 5, 11), party_orgs=[org], items=[items["party_day"]],
                venue_kind=VenueKind.SERVICE_CENTRE, venue=f"{name}党群服务中心", topic="先学先行，发放“初心大礼包”")
    session(kind=SessionKind.PARTY_DAY, title="镇机关9月主题党日：主题教育预热", starts_at=at(9, 5, 15),
            ends_at=at(9, 5, 17), party_orgs=t.organ, items=[items["party_day"]], venue_kind=VenueKind.MEETING_ROOM,
            venue="镇政府三楼会议室", topic="先学先行，发放“初心大礼包”")
    session(kind=SessionKind.THEMED_LESSON, title="“清廉官桥”廉政教育：观看微电影《廉政十二时辰》", starts_at=at(9, 10, 15),
            ends_at=at(9, 10, 17), party_orgs=[t.committee], items=[items["clean"]], venue_kind=VenueKind.MEETING_ROOM,
            venue="镇政府大礼堂", speaker="镇纪委书记", topic="自编自导自演《廉政十二时辰》，组织观看《初心》小视频")
    session(kind=SessionKind.MOBILISATION, title="“不忘初心、牢记使命”主题教育动员暨部署会", starts_at=at(9, 16, 9),
            ends_at=at(9, 16, 11, 30), party_orgs=[t.committee], items=[items["mobilisation"]],
            venue_kind=VenueKind.MEETING_ROOM, venue="镇政府大礼堂", speaker="镇党委书记",
            topic="明确主题教育计划和实施方案，部署学习方案和学习计划等“规定动作”")
    for key, number, day in (("class1", "一", (9, 23)), ("class2", "二", (9, 30)), ("class3", "三", (10, 14))):
        session(kind=SessionKind.STUDY_CLASS, title=f"官桥镇第{number}期主题教育学习班", starts_at=at(*day, 9),
                ends_at=at(*day, 11, 30), party_orgs=[t.committee], items=[items[key]],
                venue_kind=VenueKind.MEETING_ROOM, venue="镇党校", speaker="镇党委副书记",
                topic="学习《习近平新时代中国特色社会主义思想学习纲要》", summary="党员聚精会神地学习并认真做着课堂笔记。"
                if key == "class3" else "")
    session(kind=SessionKind.PARTY_DAY, title="“返巢”流动党员回望初心", starts_at=at(10, 1, 9), ends_at=at(10, 1, 12),
            party_orgs=[t.committee], items=[items["return"]], venue_kind=VenueKind.SERVICE_CENTRE,
            venue="镇党群服务中心", topic="回望初心、唱红歌、与国旗合影、观看阅兵仪式", rule="return")
    featured = 0
    for title, kind, venue_kind, venue, speaker, topic, villages, start, optional in FEATURED:
        session(kind=kind, title=title, starts_at=start, ends_at=start + datetime.timedelta(hours=2),
                party_orgs=t.orgs_for(villages), items=[items["themed"], items[optional]], venue_kind=venue_kind,
                venue=venue, speaker=speaker, topic=topic, is_featured=True)
        featured += 1

    attendances, leaves = _attend(rng, t, sessions)
    mentorships, mentor_of = _mentor(rng, t, campaign)
    services.generate_makeup_tasks(campaign=campaign, now=at(10, 25, 8))
    lessons = _home_lessons(rng, t, campaign, mentor_of)
    _packs(rng, t, campaign, sessions)
    instructors = _instructors(rng, t, campaign)
    services.send_missing_lists(campaign=campaign, now=at(11, 25, 9))
    load_notes_and_instructor_lesson(t, campaign)

    from .coverage import summary
    from .demo_year import load_study_year

    overview = summary(campaign)
    year = load_study_year(t)
    return {
        "year": year,
        "required": len(REQUIRED), "optional": len(OPTIONAL), "sessions": len(sessions), "featured": featured,
        "attendances": attendances, "leaves": leaves, "lessons": lessons, "mentorships": mentorships,
        "instructors": instructors, "completion": overview.overall.completion,
    }


def _age(member):
    if member.birth_date is None:
        return 50
    return STORY_DATE.year - member.birth_date.year


def _attend(rng, t, sessions):
    """Sign-ins for most members: the elderly, ill and migrant rarely come (they are taught at
    home); some of the others ask for leave with a reason."""
    rows, leave_count = [], 0
    lgl = next((m for m in t.members if m.name == "黎干亮"), None)
    for s, expected, rule in sessions:
        for member in expected:
            flagged = member.is_elderly or member.is_ill
            if rule == "return":
                p = 0.75 if member.is_migrant else 0.12
            elif member.is_migrant:
                p = 0.08
            elif flagged:
                p = 0.15
            else:
                p = 0.93
            if member is lgl and s.speaker == "黎干亮":
                p = 1.0  # he told his own story
            if rng.random() < p:
                roll = rng.random()
                method = SignInMethod.QR if roll < 0.78 else SignInMethod.ROSTER if roll < 0.97 else SignInMethod.LATE
                signed = s.starts_at + datetime.timedelta(minutes=rng.randint(-25, 10))
                rows.append({
                    "session": s, "member": member, "method": method,
                    "signed_at": s.ends_at + datetime.timedelta(hours=3) if method == SignInMethod.LATE else signed,
                    "reason": "到会未扫码，会后经支部核实补签" if method == SignInMethod.LATE else "",
                    "recorded_by": member.user if method == SignInMethod.QR else t.secretary,
                })
            elif rule != "return" and rng.random() < (0.5 if flagged or member.is_migrant else 0.35):
                reason = rng.choice(ELDERLY_LEAVE if flagged else LEAVE_REASONS)
                if member.is_migrant:
                    reason = f"在{member.migrant_location or '外地'}务工"
                services.request_leave(s, member=member, reason=reason, by=t.secretary, approve=True,
                                       now=s.starts_at - datetime.timedelta(days=1))
                leave_count += 1
    created = services.record_attendances_many(rows, note="演示数据")
    return len(created), leave_count


def _mentor(rng, t, campaign):
    """Per village: younger members mentor the elderly, ill and migrant ones, one (1+1) or several
    (1+N) each. 尹东辉 (the demo member account) mentors in 石灰嘴村."""
    count, mentor_of = 0, {}
    by_village = {}
    for m in t.members:
        by_village.setdefault(t.village_of(m), []).append(m)
    for _village, members in sorted(by_village.items()):
        needing = [m for m in members if m.needs_home_study]
        helpers = [m for m in members if not m.needs_home_study and 25 <= _age(m) <= 55]
        if not needing or not helpers:
            continue
        rng.shuffle(helpers)
        preferred = [m for m in helpers if m.name == "尹东辉"]
        helpers = preferred + [m for m in helpers if m not in preferred]
        groups = max(1, min(len(helpers), (len(needing) + 2) // 3))
        buckets = [[] for _ in range(groups)]
        for index, mentee in enumerate(needing):
            buckets[index % groups].append(mentee)
        if groups > 1 and len(buckets[-1]) > 1:
            buckets.append([buckets[-1].pop()])  # at least one 1+1 pair where possible
        for mentor, mentees in zip(helpers, buckets, strict=False):
            if not mentees:
                continue
            services.create_mentorship(mentor=mentor, mentees=mentees, campaign=campaign,
                                       started_on=datetime.date(2019, 9, 18),
                                       note="电话送学、寄送资料" if all(m.is_migrant for m in mentees) else "送读本、送教学、送服务")
            count += 1
            for mentee in mentees:
                mentor_of[mentee.pk] = mentor
    return count, mentor_of


def _home_lessons(rng, t, campaign, mentor_of):
    """One lesson per member with open make-up tasks, covering them all; a few are left undone so
    the missing list has names on it."""
    tasks = {}
    for task in (MakeUpTask.objects.filter(item__campaign=campaign, status=MakeUpStatus.OPEN)
                 .select_related("item").order_by("member_id", "item__position")):
        tasks.setdefault(task.member_id, []).append(task.item)
    members = {m.pk: m for m in t.members}
    count = 0
    jiulong_waiting = False
    for member_id, items in tasks.items():
        member = members[member_id]
        mentor = mentor_of.get(member_id)
        if member.name != "黎干亮" and rng.random() < (0.05 if mentor else 0.25):
            jiulong_waiting = jiulong_waiting or t.village_of(member) == "九龙村"
            continue  # not yet reached: stays on the missing list
        if not jiulong_waiting and member.name != "黎干亮" and t.village_of(member) == "九龙村":
            jiulong_waiting = True  # one at least on the list gq_secretary receives
            continue
        if mentor is None:
            mentor = next((m for m in t.members if m.party_org_id == member.party_org_id and not m.needs_home_study
                           and m.pk != member.pk), None)
        titles = "、".join(f"“{i.title}”" for i in items)
        template = LESSON_CONTENT[2] if member.is_migrant else rng.choice(LESSON_CONTENT[:2])
        confirmation = (Confirmation.FAMILY if member.is_ill and rng.random() < 0.5 else
                        Confirmation.THUMBPRINT if _age(member) >= 80 and rng.random() < 0.4 else Confirmation.SIGNED)
        given_on = datetime.date(2019, 10, 16) + datetime.timedelta(days=rng.randint(0, 30))
        if member.name == "黎干亮":
            given_on = datetime.date(2019, 10, 16)
        services.record_home_lesson(member=member, mentor=mentor, given_on=given_on, content=template.format(items=titles),
                                    items=items, confirmation=confirmation,
                                    by=t.secretary if t.village_of(member) == "九龙村" else None, now=at(11, 20, 18))
        count += 1
    return count


def _packs(rng, t, campaign, sessions):
    pack = services.create_study_pack(
        name="初心大礼包", campaign=campaign, by=t.admin,
        contents="《习近平新时代中国特色社会主义思想学习纲要》、《中国共产党章程》、《初心》学习手册、主题教育笔记本、党员徽章",
    )
    present = set()
    for s, _, _ in sessions:
        if s.kind == SessionKind.PARTY_DAY and s.starts_at.month == 9:
            present.update(s.attendances.values_list("member_id", flat=True))
    at_party_day = [m for m in t.members if m.pk in present]
    services.hand_out_pack(pack, members=at_party_day, handed_on=datetime.date(2019, 9, 5), receipt=Confirmation.SIGNED,
                           now=at(9, 5, 12))
    # The rest receive theirs at home from their mentors in the following week.
    others = [m for m in t.members if m.pk not in present]
    services.hand_out_pack(pack, members=others, handed_on=datetime.date(2019, 9, 12), receipt=Confirmation.SIGNED,
                           now=at(9, 12, 18))


def _instructors(rng, t, campaign):
    """Instructors from the town's organ branches, each guiding some villages, with guidance
    records and 阵地五化 checks."""
    accounts = {u.username: u for u in User.objects.filter(username__in=[i[0] for i in INSTRUCTORS])}
    new = []
    for username, full_name, orgs in INSTRUCTORS:
        if username not in accounts and full_name:
            user = User(username=username, role=Role.INSTRUCTOR, full_name=full_name, party_org=t.by_name[orgs[0]],
                        password=make_password(None))
            new.append(user)
    if new:
        created = User.objects.bulk_create(new)
        record_created_many(created, note="演示账号（指导员，未设密码）")
        accounts.update({u.username: u for u in created})
    count = 0
    for username, _, orgs in INSTRUCTORS:
        instructor = accounts.get(username)
        if instructor is None:
            continue
        count += 1
        for name in orgs:
            org = t.by_name[name]
            # Chosen at the mobilisation meeting, a month before their guidance visits.
            services.assign_instructor(instructor=instructor, party_org=org, campaign=campaign, by=t.admin,
                                       now=at(9, 16, 14))
            visited = datetime.date(2019, 10, 17) + datetime.timedelta(days=rng.randint(0, 6))
            services.record_guidance(
                instructor=instructor, party_org=org, campaign=campaign, visited_on=visited,
                findings=rng.choice([
                    "部分年老体弱党员未能参加集中学习，学习笔记记录不够规范",
                    "流动党员学习情况掌握不全，学习资料未全部寄送到位",
                    "特色党课形式较好，但学习台账归档不及时",
                ]),
                advice=rng.choice([
                    "落实“一个人的党课”送学上门，帮学人一周内完成补学并请本人签字确认",
                    "统一使用主题教育笔记本，按期检查学习笔记",
                    "通过电话、微信为流动党员送学，寄送“初心大礼包”",
                ]),
                follow_up="已按要求整改，帮学人完成送学上门", by=instructor, now=at(11, 1, 9),
            )
            scores = {name: rng.randint(15, 20) for name in
                      ("score_organisation", "score_activities", "score_management", "score_site", "score_support")}
            services.record_site_check(party_org=org, campaign=campaign, checked_on=visited, scores=scores,
                                       notes="阵地整洁规范，制度上墙，学习资料齐全", by=instructor, now=at(11, 1, 9))
    return count


# --- the seed's missing halves: 学习笔记 and an instructor's home lesson ---------------------------------

NOTE_TEXTS = [
    "一、学习要点：守初心、担使命，找差距、抓落实。\n二、体会：要把学习成果转化为为群众办实事的行动。\n三、打算：带头做好联系户的走访。",
    "认真听讲并做笔记。主讲人讲到“全员性、经常性”，我们支部的老党员也要一个不落。我联系的五户中有两户独居老人，要多去看看。",
    "学习了党章和《学习纲要》第三章。自己在秸秆禁烧工作中要带头遵规守约，并向联系户宣传。",
    "笔记（拍照上传）：记录了主讲人讲的“钉钉子精神”，结合村里岸山路的事，体会到办实事要一抓到底。",
]
NOTE_MEMBERS_PER_VILLAGE = 5


def load_notes_and_instructor_lesson(t, campaign):
    """学习笔记 for the most recent sessions: members of 九龙村 and 石灰嘴村 who attended get demo
    accounts (no password: they stand for members using their phones) and write notes a day after
    each session; 九龙村's secretary checks half of them and returns one in four for more; the rest
    wait.
    And one 送学上门 delivered by gq_instructor for a member of a branch they guide. Through the
    services. Returns (notes, lessons)."""
    from zhenwu.accounts.services import create_account, generate_temporary_password
    from zhenwu.org.services import link_member_account

    from .models import Attendance, StudySession

    rng = random.Random(SEED + 5)
    villages = ("九龙村", "石灰嘴村")
    writers = {}
    for name in villages:
        org = t.village_org[name]
        attendees = (Member.objects.filter(party_org__path__startswith=org.path, is_active=True,
                                           study_attendances__isnull=False, is_elderly=False, is_ill=False,
                                           is_migrant=False).distinct().order_by("id"))
        for member in attendees[:NOTE_MEMBERS_PER_VILLAGE]:
            if member.user_id is None:
                user = create_account(username=f"gq_m{member.pk}", password=generate_temporary_password(),
                                      role=Role.MEMBER, full_name=member.name, check_password=False)
                link_member_account(member, user=user)
                member.user = user
            writers[member.pk] = member
    gq_member = Member.objects.filter(user__username="gq_member").select_related("user").first()
    if gq_member is not None:
        writers[gq_member.pk] = gq_member
    sessions = list(StudySession.objects.filter(attendances__member_id__in=list(writers)).distinct()
                    .order_by("-starts_at")[:3])
    notes = checked = 0
    for session in sessions:
        written = session.ends_at + datetime.timedelta(days=1)
        attended = set(Attendance.objects.filter(session=session, member_id__in=list(writers))
                       .values_list("member_id", flat=True))
        for member_id in sorted(attended):
            member = writers[member_id]
            note, _ = services.submit_study_note(session, member=member, by=member.user,
                                                 text=rng.choice(NOTE_TEXTS), now=written)
            notes += 1
            if t.village_of(member) != "九龙村" or t.secretary is None:
                continue  # waits for its own secretary
            checked += 1
            if checked % 4 in (1, 2):
                services.check_study_note(note, accept=True, comment="记录认真，联系实际", by=t.secretary,
                                          now=written + datetime.timedelta(days=1))
            elif checked % 4 == 3:
                services.check_study_note(note, accept=False, comment="请补充结合本职工作的打算", by=t.secretary,
                                          now=written + datetime.timedelta(days=1))
    lessons = 0
    instructor = User.objects.filter(username="gq_instructor").first()
    if instructor is not None:
        guided = t.village_org["九龙村"]
        member = next((m for m in t.members if m.party_org.path.startswith(guided.path) and m.needs_home_study
                       and m.name != "黎干亮"), None)
        item = campaign.items.filter(kind=ItemKind.REQUIRED).order_by("-position").first()
        if member is not None and item is not None:
            services.record_home_lesson(
                member=member, instructor=instructor, given_on=datetime.date(2019, 11, 22),
                content=f"指导员送学上门：带去《学习纲要》读本，逐段讲解“{item.title}”内容，并了解党员身体和生活情况",
                items=[item], confirmation=Confirmation.SIGNED, by=instructor, now=at(11, 22, 17),
            )
            lessons += 1
    return notes, lessons


__all__ = ["extend_demo_town", "load_demo_study", "load_notes_and_instructor_lesson", "demo_exists", "CAMPAIGN_NAME"]
