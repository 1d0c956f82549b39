"""The demo town's 党员联户 and 民情走访: each village's members look after about eight households of
their village (neighbours together, grid by grid; the largest villages keep some households
unlinked, so that list means something), take one or two of the 六员 roles, and have visited over
the last five months — most on time, some overdue. The town's cadence rule is the default one
(monthly, fortnightly for elderly living alone). And the story's 9月26日 集镇村 民情茶室
(“民情察实” 主题教育民意收集活动), dated on the day the concerns demo received the school-sewage
concern that came out of it, linked to that concern (and to any other 民情茶室 concern of 集镇村
received that day) rather than registering it again.

Runs after the org and concerns demos (`load_demo` calls `extend_demo_town` in INSTALLED_APPS
order). Rows are bulk-inserted with one audit entry each; a second run changes nothing (the town's
links are the marker).
"""

import datetime
import random

from django.db import transaction
from django.utils import timezone

from zhenwu.audit.services import record_created_many
from zhenwu.concerns.models import Channel, Concern
from zhenwu.org.models import Area, AreaLevel, Household, Member, Resident

from . import services
from .models import (
    ExemplarKind,
    HouseholdLink,
    Meeting,
    MemberExemplar,
    MemberRole,
    MemberRoleKind,
    Visit,
    VisitWay,
)

SEED = 20190926
LINKS_PER_MEMBER = 8
VISIT_MONTHS = 12
RECENT_MONTHS = 5  # visited about monthly in these; every month or two before
MEETING_TITLE = "民情茶室之“民情察实”主题教育民意收集活动"
STORY_CONCERN_KEY = "demo-story-school-sewage"
NOTES = [
    "了解家庭近况，宣传医保缴费政策。",
    "老人身体尚好，提醒注意用电安全。",
    "询问农田灌溉情况，无其他诉求。",
    "宣讲垃圾分类，家中卫生整洁。",
    "反映通组路有坑洼，已记下转村委。",
    "孩子在外务工，老人独自在家，叮嘱有事打电话。",
    "宣传秸秆禁烧和森林防火。",
    "了解低保政策落实情况。",
]
ROLE_ORDER = list(MemberRoleKind)


def _town():
    from zhenwu.org.demo import TOWN_CODE

    return Area.objects.filter(code=TOWN_CODE).first()


def demo_exists(town):
    return HouseholdLink.objects.filter(household__grid__path__startswith=town.path).exists()


def extend_demo_town():
    """Called by `load_demo`: a summary line, or a note that nothing was changed."""
    town = _town()
    if town is None:
        return None
    if demo_exists(town):
        return "网格与联户：演示数据已存在，未做修改。"
    counts = load_grid_demo(town)
    return (
        f"网格与联户：{counts['links']}户由{counts['members']}名党员联系（未联户{counts['unlinked']}户）、"
        f"六员角色{counts['roles']}个、走访{counts['visits']}次（逾期未走访{counts['overdue']}户）、"
        f"民情茶室{1 + counts['meetings']}场（关联诉求{counts['meeting_concerns'] + counts['meetings_linked']}条）"
    )


@transaction.atomic
def load_grid_demo(town, *, now=None, seed=SEED):
    from .cadence import coverage
    from .demo_year import load_meetings_year

    rng = random.Random(seed)
    now = now or timezone.now()
    today = timezone.localdate(now)
    # Links were set up a year ago (visits older than a year are refused by record_visit).
    started_on = today - datetime.timedelta(days=30 * VISIT_MONTHS)
    set_up = _evening(started_on, 10)
    villages = list(
        Area.objects.filter(path__startswith=town.path, level__in=(AreaLevel.VILLAGE, AreaLevel.COMMUNITY))
        .order_by("path")
    )
    links, roles, linked_members = [], [], 0
    for village in villages:
        members = list(
            Member.objects.filter(is_active=True, party_org__area__path__startswith=village.path)
            .order_by("id")
        )
        households = list(Household.objects.filter(grid__path__startswith=village.path).order_by("grid__path",
                                                                                                  "number"))
        for index, member in enumerate(members):
            share = households[index * LINKS_PER_MEMBER:(index + 1) * LINKS_PER_MEMBER]
            if not share:
                break
            linked_members += 1
            links += [HouseholdLink(member=member, household=h, grid_id=h.grid_id, started_on=started_on,
                                    created_at=set_up) for h in share]
            for k in range(1 + index % 2):
                roles.append(MemberRole(member=member, role=ROLE_ORDER[(index + k) % len(ROLE_ORDER)],
                                        created_at=set_up))
    links = HouseholdLink.objects.bulk_create(links, batch_size=500)
    roles = MemberRole.objects.bulk_create(roles, batch_size=500)
    record_created_many(links, note="演示：党员联户")
    record_created_many(roles, note="演示：六员角色")

    visits = []
    recent = today - datetime.timedelta(days=30 * RECENT_MONTHS)
    for link in links:
        # Most households are visited about monthly of late, every month or two before; one in seven
        # has slipped in the last weeks. Each visit is entered on the phone that evening (an hour
        # ago at the latest).
        slipping = rng.random() < 0.15
        day = started_on + datetime.timedelta(days=rng.randint(3, 20))
        while day < today:
            if slipping and day > today - datetime.timedelta(days=45):
                break
            visits.append(Visit(
                household_id=link.household_id, member_id=link.member_id, visited_on=day,
                way=rng.choices(VisitWay.values, weights=(6, 3, 2))[0], notes=rng.choice(NOTES),
                created_at=min(_evening(day, rng.randint(17, 21), rng.randint(0, 59)),
                               now - datetime.timedelta(hours=1)),
            ))
            day += datetime.timedelta(days=rng.randint(18, 31) if day >= recent else rng.randint(28, 62))
    visits = Visit.objects.bulk_create(visits, batch_size=1000)
    record_created_many(visits, note="演示：民情走访")
    services.refresh_last_visits(households={link.household_id for link in links})

    meeting_concerns = _story_meeting(town)
    meetings, linked = load_meetings_year(town, now=now, seed=seed + 1)
    town_row = coverage(town, today=today)[0]
    load_exemplar_demo(town, today=today, seed=seed)
    return {
        "links": len(links), "members": linked_members, "roles": len(roles), "visits": len(visits),
        "unlinked": town_row.unlinked, "overdue": town_row.overdue, "meeting_concerns": meeting_concerns,
        "meetings": meetings, "meetings_linked": linked,
    }


def _evening(day, hour, minute=0):
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=timezone.get_current_timezone())


def _story_meeting(town):
    """The 9月26日 集镇村 民情茶室 and the concerns the concerns demo registered from it."""
    jizhen = Area.objects.filter(path__startswith=town.path, name="集镇村").first()
    story = Concern.objects.filter(idempotency_key=STORY_CONCERN_KEY).first()
    if jizhen is None:
        return 0
    held_on = timezone.localdate(story.received_at) if story else datetime.date(2019, 9, 26)
    if Meeting.objects.filter(area=jizhen, title=MEETING_TITLE).exists():
        return 0
    members = list(Member.objects.filter(is_active=True, party_org__area__path__startswith=jizhen.path)
                   .order_by("id")[:9])
    host = next((m for m in members if m.name == "彭镇铭"), members[0] if members else None)
    residents = list(Resident.objects.filter(household__grid__path__startswith=jizhen.path, relation="户主")
                     .order_by("id")[:12])
    meeting = services.record_meeting(
        area=jizhen, title=MEETING_TITLE, held_on=held_on, place="集镇村党群服务中心茶室",
        host=host.name if host else "集镇村党总支书记", by=None, members=members, residents=residents,
        guest_count=18,
        minutes="集镇村党总支部在党员、群众间开展民情茶室之“民情察实”主题教育民意收集活动。"
        "群众围坐喝茶、说事：学校周边生活污水直排、气味重，希望接入管网统一处理；"
        "另有群众反映道路、环境卫生等问题。会后逐条登记为民情诉求，转镇相关职能部门办理。",
    )
    concerns = Concern.objects.filter(village=jizhen, channel=Channel.TEA_ROOM)
    if story is not None:
        start = timezone.localtime(story.received_at).replace(hour=0, minute=0, second=0, microsecond=0)
        same_day = concerns.filter(received_at__gte=start, received_at__lt=start + datetime.timedelta(days=1))
        linked = [story] + [c for c in same_day.order_by("received_at") if c.pk != story.pk]
    else:
        linked = []
    for concern in linked:
        services.link_concern_to_meeting(meeting, concern=concern, by=None)
    return len(linked)


# --- the seed's missing halves: 六表率 ---------------------------------------------------------------

EXEMPLARS_PER_VILLAGE = 4
PLEDGES = {
    ExemplarKind.STUDY: "每月参加主题党日，带头学、带着户里人学",
    ExemplarKind.RULES: "带头签订秸秆禁烧、森林防火承诺书，遵守村规民约",
    ExemplarKind.CUSTOMS: "红白喜事简办，不大操大办，劝导邻里移风易俗",
    ExemplarKind.MEDIATION: "联系户有纠纷第一时间到场，小事不出组",
    ExemplarKind.ECONOMY: "带动联系户发展特色种养，帮销农产品",
    ExemplarKind.SERVICE: "为独居老人代购代办，随叫随到",
}
DEEDS = {
    ExemplarKind.STUDY: ["组织联系户群众收看学习视频，并讲解惠民政策", "在组上院落给联系户读报，讲医保缴费新政策"],
    ExemplarKind.RULES: ["劝阻一起田间焚烧秸秆，并向联系户宣传禁烧规定", "带头清理自家屋后杂物，配合森林防火巡查"],
    ExemplarKind.CUSTOMS: ["带头简办家中喜事，节省开支用于修缮组上道路", "劝导邻居老人丧事从简，不放鞭炮、不办流水席"],
    ExemplarKind.MEDIATION: ["调解两户因排水沟引起的邻里纠纷，双方握手言和", "化解一起因宅基地界址引起的兄弟矛盾"],
    ExemplarKind.ECONOMY: ["帮助三户联系户联系收购商，销售土鸡蛋和油茶", "带领两户联系户试种高山辣椒，提供种苗"],
    ExemplarKind.SERVICE: ["冒雨为独居老人送药，并清理屋前积水", "为行动不便的联系户代办医保报销手续"],
}


def load_exemplar_demo(town, *, today=None, seed=SEED):
    """A few members per village take on one or two of the 六表率 (with their pledge), and most have
    one or two recorded deeds in recent months; the village's secretary records them where the demo
    has one (gq_secretary for 九龙村), the town office elsewhere, through the services. Returns the
    number of commitments."""
    from zhenwu.accounts.models import Role, User

    rng = random.Random(seed + 6)
    today = today or timezone.localdate()
    office = User.objects.filter(username="gq_admin").first()
    kinds = list(ExemplarKind)
    total = 0
    villages = Area.objects.filter(path__startswith=town.path, level__in=(AreaLevel.VILLAGE, AreaLevel.COMMUNITY))
    for v_index, village in enumerate(villages.order_by("path")):
        members = list(
            Member.objects.filter(is_active=True, party_org__area__path__startswith=village.path,
                                  grid_roles__isnull=False, is_elderly=False, is_ill=False, is_migrant=False)
            .distinct().order_by("id")[:EXEMPLARS_PER_VILLAGE]
        )
        secretary = User.objects.filter(role=Role.SECRETARY, area=village).first() or office
        for m_index, member in enumerate(members):
            chosen = [kinds[(v_index + m_index + k) % len(kinds)] for k in range(1 + m_index % 2)]
            committed = today - datetime.timedelta(days=160 + rng.randint(0, 20))
            services.set_member_exemplars(member=member, kinds=chosen, by=secretary,
                                          pledges={k: PLEDGES[k] for k in chosen},
                                          now=timezone.make_aware(datetime.datetime.combine(committed, datetime.time(10))))
            total += len(chosen)
            for exemplar in MemberExemplar.objects.filter(member=member).order_by("kind"):
                for deed in DEEDS[ExemplarKind(exemplar.kind)][:rng.randint(0, 2)]:
                    services.record_exemplar_deed(
                        exemplar=exemplar, done_on=today - datetime.timedelta(days=rng.randint(3, 150)),
                        description=deed, by=secretary,
                    )
    return total
