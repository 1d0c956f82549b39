"""The demo town's activities, contests and role models, as the reference story tells them (官桥镇,
autumn 2019, the same year as the org and study demos).

- 文联: the "到人民中去" 文艺志愿服务 of grassroots culture volunteers around 国庆, the "给祖国的一份
  红色情书" essay call, the "不忘初心、牢记使命" speech contest (final before 国庆, awards in October)
  and the art and photo exhibition (9月29日–10月8日);
- 党建办: the "返巢" migrant members on 1 October (those who signed in at the study demo's 返巢 event);
- 农业线: 秸秆禁烧、森林防火 talks and patrols by town and village members on 3 October;
- 九龙村党总支: "岁岁重阳暖人心" on 3 October, 200余 elderly residents (the declared total), a dozen of
  them named with the member who visited them and what they were given;
- 文明办: 30余 党群志愿者 cleaning 集里桥社区 on 12 October, hours confirmed;
- 石灰嘴村: members clearing weeds and ditches and explaining waste sorting;
- the role models 潘虎, 黎干亮, 彭镇铭, 尹东辉 and 李孟其, linked to the study sessions that told
  their stories.

Runs after the study demo (`load_demo` calls `extend_demo_town` in app order). The clean-up's title
is the marker: when it exists nothing is written. Every row goes through the services (audited).
"""

import datetime
import io
import random
from zoneinfo import ZoneInfo

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from PIL import Image, ImageDraw

from zhenwu.accounts.models import User
from zhenwu.org.demo import STORY_DATE, TOWN_CODE
from zhenwu.org.models import Area, Department, Member, PartyOrg, Resident

from . import services
from .models import Activity, ActivityKind, AwardLevel, ContestKind, ParticipationRole, RoleModelCategory

SEED = 20191012
SHANGHAI = ZoneInfo("Asia/Shanghai")
MARKER = "“文明浏阳”卫生清理义务劳动"
ELDERLY_VISITED = 216
CLEANUP_VOLUNTEERS = 34


def at(month, day, hour, minute=0):
    return datetime.datetime(2019, month, day, hour, minute, tzinfo=SHANGHAI)


def demo_exists():
    return Activity.objects.filter(title=MARKER).exists()


def extend_demo_town():
    town = Area.objects.filter(code=TOWN_CODE).first()
    if town is None:
        return ""
    if demo_exists():
        return "活动与志愿演示数据已存在，未做修改。"
    counts = load_demo_activities(town)
    return (f"活动与志愿：活动{counts['activities']}场、参与{counts['participations']}人次、"
            f"比赛{counts['contests']}项（作品{counts['entries']}件）、榜样{counts['role_models']}名；"
            f"近一年活动{counts['year']['activities']}场（志愿者{counts['year']['participations']}人次）")


def demo_photo(seed, label):
    """A generated landscape photo (JPEG) standing in for the event's picture."""
    rng = random.Random(seed)
    width, height = 960, 640
    image = Image.new("RGB", (width, height), (rng.randint(120, 200), rng.randint(170, 230), 235))
    draw = ImageDraw.Draw(image)
    draw.rectangle([0, height * 0.62, width, height], fill=(70 + rng.randint(0, 40), 140, 70))
    for _ in range(6):
        x = rng.randint(0, width)
        draw.polygon([(x - 180, height * 0.62), (x, rng.randint(180, 320)), (x + 180, height * 0.62)],
                     fill=(60, 110 + rng.randint(0, 40), 80))
    for _ in range(rng.randint(14, 30)):  # people
        x, y = rng.randint(20, width - 20), rng.randint(int(height * 0.66), height - 40)
        colour = rng.choice([(200, 30, 30), (230, 200, 40), (240, 240, 240), (40, 60, 160)])
        draw.ellipse([x - 7, y - 30, x + 7, y - 16], fill=(240, 200, 160))
        draw.rectangle([x - 9, y - 16, x + 9, y + 14], fill=colour)
    draw.rectangle([40, 40, 360, 120], fill=(190, 20, 20))  # a red banner
    out = io.BytesIO()
    image.save(out, "JPEG", quality=80)
    return SimpleUploadedFile(f"{label}.jpg", out.getvalue(), content_type="image/jpeg")


class _Town:
    def __init__(self, town):
        self.town = town
        self.areas = {a.name: a for a in Area.objects.filter(path__startswith=town.path)}
        self.departments = {d.name: d for d in Department.objects.filter(town=town)}
        committee = PartyOrg.objects.get(name="中共官桥镇委员会")
        self.orgs = {o.name: o for o in PartyOrg.objects.filter(path__startswith=committee.path)
                     .select_related("area")}
        self.committee = committee
        self.members = list(Member.objects.filter(party_org__path__startswith=committee.path, is_active=True)
                            .select_related("party_org__area").order_by("id"))
        self.admin = User.objects.filter(username="gq_admin").first()
        self.leader = User.objects.filter(username="gq_leader").first()
        self.instructor = User.objects.filter(username="gq_instructor").first()

    def members_of(self, village):
        return [m for m in self.members if m.party_org.area_id and m.party_org.area.name == village]

    def able(self, members):
        return [m for m in members if not (m.is_elderly or m.is_ill or m.is_migrant)]

    def residents_of(self, village):
        area = self.areas[village]
        return list(Resident.objects.filter(household__grid__path__startswith=area.path, member__isnull=True)
                    .order_by("id"))

    def village_org(self, village):
        return next(o for o in self.orgs.values() if o.depth == self.committee.depth + 1 and o.area_id
                    and o.area.name == village)


def _age(birth):
    return STORY_DATE.year - birth.year - ((STORY_DATE.month, STORY_DATE.day) < (birth.month, birth.day))


def _campaign():
    from zhenwu.study.demo import CAMPAIGN_NAME
    from zhenwu.study.models import Campaign

    return Campaign.objects.filter(name=CAMPAIGN_NAME).first()


def _volunteers(activity, people, *, hours, confirm_by, confirm_at):
    count = 0
    for person in people:
        kwargs = {"member": person} if isinstance(person, Member) else {"resident": person}
        services.add_participant(activity, role=ParticipationRole.VOLUNTEER, hours=hours, **kwargs)
        count += 1
    if confirm_by is not None:
        services.confirm_all_hours(activity, by=confirm_by, now=confirm_at)
    return count


@transaction.atomic
def load_demo_activities(town):
    rng = random.Random(SEED)
    t = _Town(town)
    campaign = _campaign()
    d = t.departments
    counts = {"activities": 0, "participations": 0, "contests": 0, "entries": 0, "role_models": 0}

    def activity(**kwargs):
        photo = kwargs.pop("photo", None)
        a = services.create_activity(campaign=campaign, by=t.admin, **kwargs)
        if photo:
            services.add_activity_photo(a, upload=demo_photo(rng.random(), "photo"), caption=photo, by=t.admin)
        counts["activities"] += 1
        return a

    # 文联: 文艺志愿服务 around 国庆 by grassroots culture volunteers.
    culture = activity(kind=ActivityKind.CULTURE, title="“到人民中去”文艺志愿服务", starts_at=at(9, 28, 9),
                       ends_at=at(10, 7, 17), place="各村（社区）文化广场", area=t.town, department=d["文联"],
                       summary="草根文化志愿者送戏下乡、书写春联、教唱红歌，展现“繁荣昌盛、宜业宜居”的人文官桥",
                       beneficiary_count=1500, beneficiary_description="群众",
                       photo="镇文联“到人民中去”文艺志愿服务")
    culture_people = rng.sample(t.residents_of("官桥社区") + t.residents_of("集镇村"), 42)
    counts["participations"] += _volunteers(culture, culture_people, hours=6, confirm_by=t.admin,
                                            confirm_at=at(10, 8, 10))

    # 党建办: the 返巢 migrant members on 1 October (those who signed in at the study event).
    back = activity(kind=ActivityKind.RETURN_MEETING, title="“返巢”流动党员回望初心", starts_at=at(10, 1, 9),
                    ends_at=at(10, 1, 12), place="镇党群服务中心", area=t.town, department=d["党建办"],
                    summary="回望初心、唱红歌、与国旗合影、观看阅兵仪式等活动，以主题教育结合爱国主义教育",
                    photo="“返巢”流动党员与国旗合影")
    returned = _returned_members(t)
    for member in returned:
        services.add_participant(back, role=ParticipationRole.PARTICIPANT, member=member)
    counts["participations"] += len(returned)

    # 农业线: 秸秆禁烧、森林防火 talks and patrols on 3 October.
    patrol = activity(kind=ActivityKind.PATROL, title="秸秆禁烧、森林防火宣讲巡逻", starts_at=at(10, 3, 8),
                      ends_at=at(10, 3, 17), place="全镇主要道路和林区沿线", area=t.town, department=d["农业线"],
                      summary="镇村党员争做秸秆禁烧、森林防火工作中遵规守约户，带头宣讲、沿线巡逻，力求全域“无火点”",
                      photo="党员沿线巡逻")
    patrollers = []
    for village in ("九龙村", "石灰嘴村", "苍坊村", "梅园村", "杨梅村", "岸山村", "南阳村"):
        patrollers += rng.sample(t.able(t.members_of(village)), 6)
    counts["participations"] += _volunteers(patrol, patrollers, hours=4, confirm_by=t.admin, confirm_at=at(10, 4, 9))

    # 九龙村党总支: 重阳 visit to the elderly on 3 October.
    jiulong_org = t.village_org("九龙村")
    visit = activity(kind=ActivityKind.CARE_VISIT, title="“岁岁重阳暖人心”慰问活动", starts_at=at(10, 3, 9),
                     ends_at=at(10, 3, 14), place="九龙村党群服务中心", area=t.areas["九龙村"], party_org=jiulong_org,
                     summary="送去文艺节目汇演、长寿餐及牛奶等慰问品", photo="九龙村重阳慰问老人")
    elderly = [r for r in t.residents_of("九龙村") if r.birth_date and _age(r.birth_date) >= 60]
    rng.sample(elderly, min(len(elderly), ELDERLY_VISITED))  # kept: the generator's sequence below stays the same
    services.set_beneficiaries(visit, count=ELDERLY_VISITED, description="老人", by=t.admin)
    jl_members = t.able(t.members_of("九龙村"))
    secretary = User.objects.filter(username="gq_secretary").first()
    services.add_participant(visit, role=ParticipationRole.ORGANISER, member=jl_members[0])
    counts["participations"] += 1 + _volunteers(visit, jl_members[1:13], hours=5, confirm_by=secretary,
                                                confirm_at=at(10, 4, 18))

    # 文明办: 30余 党群志愿者 clean 集里桥社区 on 12 October and visit its service centre.
    cleanup = activity(kind=ActivityKind.LABOUR, title=MARKER, starts_at=at(10, 12, 8, 30), ends_at=at(10, 12, 11, 30),
                       place="集里桥社区", area=t.areas["集里桥社区"], department=d["文明办"],
                       summary="并参观党群服务中心，通过跨区域体验式主题教育，为文明浏阳助力",
                       photo="30余名党群志愿者在集里桥社区开展卫生清理")
    members = rng.sample(t.able(t.members_of("官桥社区") + t.members_of("集镇村")), 22)
    residents = rng.sample(t.residents_of("官桥社区"), CLEANUP_VOLUNTEERS - len(members))
    counts["participations"] += _volunteers(cleanup, members + residents, hours=3, confirm_by=t.admin,
                                            confirm_at=at(10, 12, 15))

    # 石灰嘴村: members at work on the environment.
    shz = activity(kind=ActivityKind.VOLUNTEER, title="石灰嘴村党员环境整治志愿服务", starts_at=at(10, 19, 8),
                   ends_at=at(10, 19, 12), place="石灰嘴村各村民小组", area=t.areas["石灰嘴村"],
                   party_org=t.village_org("石灰嘴村"), summary="深入村组除杂草、清水渠，讲解垃圾分类",
                   beneficiary_count=360, beneficiary_description="农户")
    counts["participations"] += _volunteers(shz, t.able(t.members_of("石灰嘴村"))[:15], hours=4, confirm_by=None,
                                            confirm_at=None)  # hours claimed, not yet confirmed

    _contests(rng, t, campaign, counts, activity)
    _role_models(t, counts)
    counts["beneficiaries"] = load_named_beneficiaries(t)
    from .demo_year import load_activities_year

    counts["year"] = load_activities_year(t)
    return counts


def _returned_members(t):
    from zhenwu.study.models import Attendance

    ids = set(Attendance.objects.filter(session__title="“返巢”流动党员回望初心", member__is_migrant=True)
              .values_list("member_id", flat=True))
    return [m for m in t.members if m.pk in ids]


ESSAY_TITLES = ["给祖国的一份红色情书", "我和我的祖国", "家乡的变迁", "初心如磐", "杜鹃红", "七十年，我们的官桥",
                "写给祖国母亲", "一封家书", "浏阳河畔的歌", "赤子心"]
SPEECH_TITLES = ["不忘初心，牢记使命", "青春心向党", "我身边的榜样", "守护革命火种", "新时代的长征路", "乡村振兴有我"]
ART_TITLES = ["杜鹃花开", "国旗下的笑脸", "丰收的田野", "官桥新貌", "红色记忆", "我爱北京天安门", "乡村夜色", "祖国万岁"]


def _contests(rng, t, campaign, counts, activity):
    d = t.departments
    judges = [u for u in (t.leader, t.admin, t.instructor) if u is not None]
    young = [r for r in t.residents_of("官桥社区") + t.residents_of("集镇村") if r.birth_date
             and 8 <= _age(r.birth_date) <= 35]

    def entries(contest, titles, count, *, award_at, people):
        authors = rng.sample(people, count)
        created = []
        for index, author in enumerate(authors):
            kwargs = {"author_member": author} if isinstance(author, Member) else {"author_resident": author}
            title = titles[index % len(titles)] + ("" if index < len(titles) else f"（{index // len(titles) + 1}）")
            created.append(services.add_entry(contest, title=title, by=t.admin, now=at(9, 20, 10), **kwargs))
        for entry in created:
            for judge in judges:
                services.score_entry(entry, judge=judge, score=rng.randint(70, 98), now=award_at)
        ranked = sorted(created, key=lambda e: -sum(s.score for s in e.scores.all()))
        levels = [AwardLevel.FIRST] + [AwardLevel.SECOND] * 2 + [AwardLevel.THIRD] * 3 + [AwardLevel.EXCELLENCE] * 6
        for entry, level in zip(ranked, levels, strict=False):
            services.assign_award(entry, award=level, by=t.admin, now=award_at)
        counts["entries"] += len(created)
        counts["contests"] += 1

    essay = services.create_contest(kind=ContestKind.ESSAY, title="“给祖国的一份红色情书”征文", held_on=datetime.date(2019, 10, 10),
                                    area=t.town, department=d["文联"], campaign=campaign, judges=judges, by=t.admin,
                                    description="国庆前夕面向全镇党员群众征集，10月评出获奖作品")
    entries(essay, ESSAY_TITLES, 58, award_at=at(10, 10, 16), people=young + t.members)

    final = activity(kind=ActivityKind.CONTEST, title="“不忘初心、牢记使命”主题演讲比赛", starts_at=at(9, 27, 14),
                     ends_at=at(9, 27, 17), place="镇政府大礼堂", area=t.town, department=d["文联"],
                     summary="各村（社区）、镇直单位选送选手同台演讲")
    speech = services.create_contest(kind=ContestKind.SPEECH, title="“不忘初心、牢记使命”主题演讲比赛",
                                     held_on=datetime.date(2019, 9, 27), area=t.town, department=d["文联"],
                                     campaign=campaign, activity=final, judges=judges, by=t.admin)
    entries(speech, SPEECH_TITLES, 16, award_at=at(10, 9, 10), people=t.able(t.members))

    show = activity(kind=ActivityKind.EXHIBITION, title="“不忘初心、牢记使命”书画摄影作品展", starts_at=at(9, 29, 9),
                    ends_at=at(10, 8, 17), place="镇文化站展厅", area=t.town, department=d["文联"],
                    summary="当地青少年向玩伴介绍自己的画作，讲述自己的爱国之情", beneficiary_count=1200,
                    beneficiary_description="观展群众", photo="书画摄影作品展上青少年介绍自己的画作")
    art = services.create_contest(kind=ContestKind.ART_PHOTO, title="“不忘初心、牢记使命”书画摄影作品展",
                                  held_on=datetime.date(2019, 9, 29), area=t.town, department=d["文联"],
                                  campaign=campaign, activity=show, judges=judges, by=t.admin)
    entries(art, ART_TITLES, 86, award_at=at(10, 8, 16), people=young)


ROLE_MODELS = [
    (RoleModelCategory.MARTYR, "潘虎", "石灰嘴村", "守护革命火种，英雄血染杜鹃红",
     "本土革命先烈。大革命失败后坚持在浏阳东乡秘密联络农会骨干，守护革命火种，被捕后坚贞不屈，英勇就义。"),
    (RoleModelCategory.CUSTOMS, "黎干亮", "九龙村", "80余岁老党员带头移风易俗",
     "九龙村80余岁的优秀老党员，带头简办红白喜事、倡导文明新风，为后辈讲述“报效祖国、回馈家乡”的初心故事。"),
    (RoleModelCategory.SAGE, "彭镇铭", "集镇村", "最美乡贤回馈桑梓",
     "在外创业有成后回乡捐资修路、助学敬老，组织乡贤理事会参与村务，热心公益。"),
    (RoleModelCategory.BRAVERY, "尹东辉", "石灰嘴村", "见义勇为救落水群众",
     "退役军人党员，路遇群众落水，不顾个人安危跳入水中将人救起。"),
    (RoleModelCategory.POVERTY, "李孟其", "苍坊村", "精准扶贫带富乡邻",
     "带领贫困户发展特色种养，帮助困难群众稳定增收脱贫。"),
]


def _role_models(t, counts):
    from zhenwu.study.models import StudySession

    by_name = {m.name: m for m in t.members}
    sessions = list(StudySession.objects.filter(is_featured=True))
    for category, name, village, headline, story in ROLE_MODELS:
        member = by_name.get(name)
        rm = services.create_role_model(category=category, name=name, headline=headline, story=story,
                                        area=t.areas[village], member=member, by=t.admin)
        used = [s for s in sessions if name in s.title or name in s.topic or name in s.speaker]
        if used:
            services.link_role_model_sessions(rm, sessions=used, by=t.admin)
        counts["role_models"] += 1


# --- the seed's missing halves: named beneficiaries --------------------------------------------------

BENEFICIARY_GIFTS = ["长寿面、牛奶一箱", "牛奶一箱、重阳糕", "长寿餐、慰问金200元", "牛奶一箱、理发服务", "长寿面、血压测量"]


def load_named_beneficiaries(t):
    """The 重阳 visit's named beneficiaries: the oldest of 九龙村's elderly, each with the member who
    visited them and what they were given, and one person not on the roll; the declared 216 stays the
    visit's total (zhenwu.activities.beneficiaries). Returns how many were named."""
    visit = Activity.objects.get(title="“岁岁重阳暖人心”慰问活动")
    visitors = list(visit.participations.filter(role=ParticipationRole.VOLUNTEER).select_related("member")
                    .order_by("id"))
    secretary = User.objects.filter(username="gq_secretary").first()
    elderly = sorted((r for r in t.residents_of("九龙村") if r.birth_date and _age(r.birth_date) >= 75),
                     key=lambda r: (r.birth_date, r.pk))[:11]
    for index, resident in enumerate(elderly):
        services.add_beneficiary(visit, resident=resident, visited_by=visitors[index % len(visitors)],
                                 gift=BENEFICIARY_GIFTS[index % len(BENEFICIARY_GIFTS)], by=secretary)
    services.add_beneficiary(visit, person_name="刘桂英", note="嫁入本村、户籍未迁的独居老人", visited_by=visitors[0],
                             gift="长寿面、牛奶一箱", by=secretary)
    return len(elderly) + 1


__all__ = ["extend_demo_town", "load_demo_activities", "load_named_beneficiaries", "demo_exists", "MARKER"]
