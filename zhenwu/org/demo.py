"""The demo town 官桥镇 (浏阳市, 长沙): places, party organisations, departments, generated
households and residents, party members (the story's named ones included) and one account per role.

Everything is generated from a fixed seed, so two loads give the same town (the ciphertexts differ:
Fernet uses a fresh IV). Rows are written through the org services' bulk variants, which write one
audit entry per row. The town's area code is the marker: if it exists, nothing is loaded.
"""

import datetime
import random
from dataclasses import dataclass, field

from django.db import transaction

from zhenwu.accounts.models import Role, User
from zhenwu.audit.services import record_created_many
from zhenwu.lib.idnumber import check_digit

from . import demo_map, services
from .boundaries import save_boundaries
from .geo import random_point_in
from .models import Area, AreaLevel, Department, Member, PartyOrg, PartyOrgKind, ResidentTag

SEED = 20191012
COUNTY_CODE = "430181"
TOWN_CODE = "430181110"
TOWN_NAME = "官桥镇"
# Ages are reckoned at the time of the story (autumn 2019): 黎干亮 is "80余岁" then.
STORY_DATE = datetime.date(2019, 10, 1)

DEMO_PASSWORD = "Guanqiao@2019"

# name, level, short code for household numbers, grids, households
VILLAGES = [
    ("九龙村", AreaLevel.VILLAGE, "JL", 5, 380),
    ("石灰嘴村", AreaLevel.VILLAGE, "SHZ", 5, 360),
    ("集镇村", AreaLevel.VILLAGE, "JZ", 6, 420),
    ("集里桥社区", AreaLevel.COMMUNITY, "JLQ", 6, 450),
    ("官桥社区", AreaLevel.COMMUNITY, "GQ", 5, 330),
    ("苍坊村", AreaLevel.VILLAGE, "CF", 4, 250),
    ("梅园村", AreaLevel.VILLAGE, "MY", 4, 230),
    ("杨梅村", AreaLevel.VILLAGE, "YM", 4, 210),
    ("岸山村", AreaLevel.VILLAGE, "AS", 3, 190),
    ("南阳村", AreaLevel.VILLAGE, "NY", 3, 180),
]
# Villages large enough for a general branch (党总支) with branches under it.
GENERAL_BRANCH_VILLAGES = {"九龙村": 3, "石灰嘴村": 2, "集镇村": 3, "集里桥社区": 2, "官桥社区": 2}
ORGAN_BRANCHES = ["官桥镇机关第一党支部", "官桥镇机关第二党支部", "官桥镇中心学校党支部"]
# Members per village (the story's named members included): larger villages have more, about 260
# in all, plus the organ branches.
VILLAGE_MEMBERS = {"九龙村": 38, "石灰嘴村": 32, "集镇村": 34, "集里桥社区": 30, "官桥社区": 27, "苍坊村": 22,
                   "梅园村": 21, "杨梅村": 20, "岸山村": 18, "南阳村": 18}
ORGAN_MEMBERS = 14  # per organ branch

DEPARTMENTS = [
    ("党政办", "综合协调、文秘、督办，管理镇务通配置"),
    ("党建办", "基层党建、党员教育管理、主题教育"),
    ("文联", "文艺志愿服务、征文演讲、书画摄影展"),
    ("农业线", "农业生产、秸秆禁烧、森林防火"),
    ("文明办", "精神文明建设、志愿服务、卫生清理"),
    ("城建办", "村镇建设、道路、供排水与污水管网"),
    ("环保办", "环境保护、垃圾分类、水渠治理"),
    ("综治办", "社会治安综合治理、矛盾纠纷调解"),
    ("民政办", "社会救助、养老服务、重阳慰问"),
    ("财政所", "财政预算、项目资金审批"),
]

# The county's own departments (县直部门): the county centre dispatches what a town hands up to them.
COUNTY_DEPARTMENTS = [
    ("县住建局", "住房和城乡建设：跨镇道路桥梁、供排水主管网、农村危房改造"),
    ("县交通运输局", "县道和农村公路养护、客运班线"),
    ("县生态环境局", "跨镇水体污染、工业企业排污"),
]

SURNAMES = (
    "黎" * 9 + "李" * 8 + "刘" * 8 + "彭" * 7 + "罗" * 6 + "陈" * 6 + "张" * 5 + "王" * 5 + "周" * 4
    + "谭" * 4 + "唐" * 4 + "黄" * 4 + "尹" * 3 + "潘" * 3 + "邓" * 3 + "汤" * 3 + "杨" * 3 + "胡" * 2
    + "曾" * 2 + "宋" * 2 + "钟" * 2 + "寻" * 2 + "鲁" * 2 + "朱" * 2 + "吴" * 2 + "高" + "沈" + "汪" + "邱"
)
MALE_OLD = "国建华明军伟强平志文德亮辉东海林春生新立荣发祥福富贵松铭胜湘岳炳桂云秋"
MALE_NEW = "斌勇峰涛鹏波杰俊超浩宇轩睿博龙清鑫磊晨阳帆昊哲宏凯"
FEMALE_OLD = "秀英兰芳娟丽红霞梅玉珍桂凤琴艳敏春金翠菊莲香淑"
FEMALE_NEW = "静婷雪慧佳欣怡萍莉燕娜琳涵诗雨思悦梓妍颖"
PHONE_PREFIXES = ("138", "139", "135", "136", "137", "150", "151", "152", "157", "158", "159", "187", "188",
                  "182", "183", "173", "177", "180", "181", "189", "199", "198", "166")
MIGRANT_PLACES = ("长沙市雨花区", "长沙市岳麓区", "广东省深圳市", "广东省东莞市", "浙江省义乌市", "上海市浦东新区",
                  "江西省萍乡市", "湖北省武汉市")
CN_DIGITS = "一二三四五六七八九十"
STREETS = ("建设路", "人民路", "新街", "老街", "文化路", "迎宾路")

# The story's people (seeds/000): village, name, gender, birth, member branch index, flags, tags.
STORY_PEOPLE = [
    {"village": "九龙村", "name": "黎干亮", "gender": "male", "birth": datetime.date(1937, 4, 16), "member": True,
     "is_elderly": True, "joined": datetime.date(1962, 7, 1), "tags": ["veteran"], "spouse": "刘桂英"},
    {"village": "集镇村", "name": "彭镇铭", "gender": "male", "birth": datetime.date(1958, 9, 3), "member": True,
     "joined": datetime.date(1985, 6, 12), "tags": []},
    {"village": "石灰嘴村", "name": "尹东辉", "gender": "male", "birth": datetime.date(1979, 11, 20), "member": True,
     "joined": datetime.date(2006, 7, 1), "tags": ["veteran"]},
    {"village": "苍坊村", "name": "李孟其", "gender": "male", "birth": datetime.date(1966, 2, 8), "member": True,
     "joined": datetime.date(1993, 5, 4), "tags": []},
]

# Demo accounts: username, role, full name, scope (resolved when loading).
DEMO_ACCOUNTS = [
    ("gq_admin", Role.TOWN_ADMIN, "党政办管理员"),
    ("gq_leader", Role.LEADER, "镇领导"),
    ("gq_dispatcher", Role.DISPATCHER, "民情受理员"),
    ("gq_handler", Role.HANDLER, "城建办办理人"),
    ("gq_secretary", Role.SECRETARY, "九龙村支部书记"),
    ("gq_grid", Role.GRID_WORKER, "九龙村网格员"),
    ("gq_instructor", Role.INSTRUCTOR, "主题教育指导员"),
    ("gq_member", Role.MEMBER, "尹东辉"),
    ("ly_dispatcher", Role.DISPATCHER, "浏阳市民情受理员"),
]
# Accounts placed at the county (浏阳市) rather than the town: the county centre (县级受理中心).
COUNTY_ACCOUNTS = ("ly_dispatcher",)


@dataclass
class DemoResult:
    loaded: bool
    seconds: float = 0.0
    counts: dict = field(default_factory=dict)


def town_exists():
    return Area.objects.filter(code=TOWN_CODE).exists()


# --- people generator ---------------------------------------------------------------------------


class PeopleFactory:
    def __init__(self, rng):
        self.rng = rng
        self.id_numbers = set()
        self.phones = set()

    def given_name(self, gender, birth_year):
        pool = (MALE_OLD if birth_year < 1975 else MALE_NEW) if gender == "male" else (
            FEMALE_OLD if birth_year < 1975 else FEMALE_NEW)
        if self.rng.random() < 0.25:
            return self.rng.choice(pool)
        return self.rng.choice(pool) + self.rng.choice(pool)

    def birth_date(self, age):
        year = STORY_DATE.year - age
        start = datetime.date(year, 1, 1)
        return start + datetime.timedelta(days=self.rng.randrange(365))

    def id_number(self, birth, gender):
        while True:
            seq = self.rng.randrange(0, 100) * 10 + self.rng.choice((1, 3, 5, 7, 9) if gender == "male" else (0, 2, 4, 6, 8))
            first17 = f"{COUNTY_CODE}{birth:%Y%m%d}{seq:03d}"
            number = first17 + check_digit(first17)
            if number not in self.id_numbers:
                self.id_numbers.add(number)
                return number

    def phone(self):
        while True:
            number = self.rng.choice(PHONE_PREFIXES) + f"{self.rng.randrange(10**8):08d}"
            if number not in self.phones:
                self.phones.add(number)
                return number

    def person(self, *, surname, gender, age, relation, name=None, birth=None):
        birth = birth or self.birth_date(max(age, 0))
        age = STORY_DATE.year - birth.year
        has_phone = age >= 16 and self.rng.random() < (0.55 if age >= 70 else 0.9)
        # Young children are often registered before they have an ID card number on file.
        has_id = age >= 3 or self.rng.random() < 0.5
        return {
            "name": name or surname + self.given_name(gender, birth.year),
            "relation": relation,
            "id_number": self.id_number(birth, gender) if has_id else "",
            "gender": gender,
            "birth_date": birth,
            "phone": self.phone() if has_phone else "",
            "tags": [],
        }

    def household(self, size):
        """The members of one household, head first, with plausible ages, names and tags."""
        rng = self.rng
        surname = rng.choice(SURNAMES)
        other = lambda: rng.choice(SURNAMES)  # noqa: E731  (the spouse keeps her own surname)
        if size == 1:
            age = rng.randint(58, 92) if rng.random() < 0.8 else rng.randint(30, 57)
            gender = "female" if age >= 75 and rng.random() < 0.6 else rng.choice(("male", "female"))
            head = self.person(surname=surname, gender=gender, age=age, relation="户主")
            if age >= 65 and rng.random() < 0.85:
                head["tags"].append(ResidentTag.LIVING_ALONE_ELDERLY)
            people = [head]
        elif size == 2:
            age = rng.randint(50, 88)
            head = self.person(surname=surname, gender="male", age=age, relation="户主")
            spouse = self.person(surname=other(), gender="female", age=age - rng.randint(-2, 5), relation="配偶")
            people = [head, spouse]
            if age >= 65 and rng.random() < 0.6:
                for p in people:
                    p["tags"].append(ResidentTag.EMPTY_NEST_ELDERLY)
        else:
            age = rng.randint(32, 62)
            head = self.person(surname=surname, gender="male", age=age, relation="户主")
            spouse = self.person(surname=other(), gender="female", age=age - rng.randint(-1, 4), relation="配偶")
            people = [head, spouse]
            remaining = size - 2
            if remaining >= 3 or (remaining >= 2 and rng.random() < 0.3):
                parent_age = min(age + rng.randint(24, 30), 97)
                people.append(self.person(surname=surname, gender=rng.choice(("male", "female")), age=parent_age,
                                          relation="父母"))
                remaining -= 1
            for _ in range(remaining):
                child_age = max(age - rng.randint(22, 30), 0)
                people.append(self.person(surname=surname, gender=rng.choice(("male", "female")), age=child_age,
                                          relation="子女"))
            self._tag_family(people)
        self._tag_individuals(people)
        return people

    def _tag_family(self, people):
        rng = self.rng
        away = False
        for p in people:
            age = STORY_DATE.year - p["birth_date"].year
            if 18 <= age <= 50 and rng.random() < 0.3:
                p["tags"].append(ResidentTag.MIGRANT_WORKER)
                away = True
        if away:
            for p in people:
                if STORY_DATE.year - p["birth_date"].year < 16 and rng.random() < 0.6:
                    p["tags"].append(ResidentTag.LEFT_BEHIND_CHILD)

    def _tag_individuals(self, people):
        rng = self.rng
        head = people[0]
        if rng.random() < 0.03:
            head["tags"].append(ResidentTag.MINIMUM_LIVING)
        if rng.random() < 0.015:
            head["tags"].append(ResidentTag.POVERTY_MONITORED)
        for p in people:
            age = STORY_DATE.year - p["birth_date"].year
            if p["gender"] == "male" and 40 <= age <= 85 and rng.random() < 0.04:
                p["tags"].append(ResidentTag.VETERAN)
            if rng.random() < 0.02:
                p["tags"].append(ResidentTag.DISABLED)
            if age >= 50 and rng.random() < 0.025:
                p["tags"].append(ResidentTag.SERIOUS_ILLNESS)


def household_size(rng):
    return rng.choices((1, 2, 3, 4, 5, 6), weights=(20, 32, 24, 15, 7, 2))[0]


# --- loading --------------------------------------------------------------------------------------


def _cn(n):
    return CN_DIGITS[n - 1] if n <= 10 else f"十{CN_DIGITS[n - 11]}"


@transaction.atomic
def load_demo_town():
    """Load the demo town unless it exists. Returns what was done."""
    import time

    if town_exists():
        return DemoResult(loaded=False)
    started = time.perf_counter()
    rng = random.Random(SEED)
    people = PeopleFactory(rng)

    county = Area.objects.filter(code=COUNTY_CODE).first() or services.create_area(
        name="浏阳市", level=AreaLevel.COUNTY, code=COUNTY_CODE)
    town = services.create_area(parent=county, name=TOWN_NAME, level=AreaLevel.TOWN, code=TOWN_CODE)
    villages, grids = {}, {}
    for index, (name, level, _, grid_count, _) in enumerate(VILLAGES, start=1):
        village = services.create_area(parent=town, name=name, level=level, code=f"{TOWN_CODE}{200 + index:03d}")
        villages[name] = village
        grids[name] = [
            services.create_area(parent=village, name=f"{name}第{_cn(g)}网格", level=AreaLevel.GRID,
                                 code=f"{village.code}-{g:02d}")
            for g in range(1, grid_count + 1)
        ]

    # The map (illustrative outlines) before the households, which are placed inside their grids.
    outlines = demo_map.demo_outlines(town, villages, grids)
    save_boundaries(outlines, source=demo_map.SOURCE, illustrative=True, note="演示数据")
    placed = {area.pk: demo_map.outline_of(area, geometry) for area, geometry in outlines}
    spots = random.Random(demo_map.SEED + 1)  # apart from `rng`: the people stay as they were

    departments = {
        name: services.create_department(town=town, name=name, description=description)
        for name, description in DEPARTMENTS
    }
    taken = set(Department.objects.filter(town=county).values_list("name", flat=True))
    for name, description in COUNTY_DEPARTMENTS:
        if name not in taken:
            services.create_department(town=county, name=name, description=description)

    committee = services.create_party_org(name="中共官桥镇委员会", kind=PartyOrgKind.COMMITTEE, area=town)
    village_orgs, branches = {}, {}
    for name, *_ in VILLAGES:
        village = villages[name]
        if name in GENERAL_BRANCH_VILLAGES:
            general = services.create_party_org(parent=committee, name=f"{name}党总支",
                                                kind=PartyOrgKind.GENERAL_BRANCH, area=village)
            village_orgs[name] = general
            branches[name] = [
                services.create_party_org(parent=general, name=f"{name}第{_cn(b)}党支部", kind=PartyOrgKind.BRANCH,
                                          area=village)
                for b in range(1, GENERAL_BRANCH_VILLAGES[name] + 1)
            ]
        else:
            branch = services.create_party_org(parent=committee, name=f"{name}党支部", kind=PartyOrgKind.BRANCH,
                                               area=village)
            village_orgs[name] = branch
            branches[name] = [branch]
    organ_branches = [
        services.create_party_org(parent=committee, name=name, kind=PartyOrgKind.BRANCH, area=town)
        for name in ORGAN_BRANCHES
    ]

    # Households and residents: each village's first households hold the story's people.
    household_rows, families = [], []
    story_by_village = {p["village"]: p for p in STORY_PEOPLE}
    for name, level, short, grid_count, household_count in VILLAGES:
        for seq in range(1, household_count + 1):
            grid_no = (seq - 1) * grid_count // household_count  # consecutive numbers share a grid
            grid = grids[name][grid_no]
            if level == AreaLevel.COMMUNITY:
                address = f"{name}{STREETS[grid_no % len(STREETS)]}{rng.randint(1, 180)}号"
            else:
                group = grid_no * 2 + rng.randint(1, 2)
                address = f"{name}{_cn(group)}组{rng.randint(1, 60)}号"
            story = story_by_village.get(name) if seq == 1 else None
            family = _story_family(people, story) if story else people.household(household_size(rng))
            lat, lng = random_point_in(placed[grid.pk], spots)
            household_rows.append({"grid": grid, "number": f"{short}-{seq:04d}", "address": address,
                                   "latitude": lat, "longitude": lng})
            families.append((name, family))
    households = services.create_households_many(household_rows, note="演示数据")

    resident_rows = []
    for household, (_, family) in zip(households, families, strict=True):
        for person in family:
            resident_rows.append({"household": household, **{k: v for k, v in person.items() if k != "story"}})
    residents = services.add_residents_many(resident_rows, note="演示数据")

    members = _load_members(rng, residents, households, families, branches, organ_branches)
    accounts = _load_accounts(town, committee, village_orgs, grids, departments, members)
    seconds = time.perf_counter() - started
    return DemoResult(loaded=True, seconds=seconds, counts={
        "villages": len(villages),
        "outlines": len(outlines),
        "grids": sum(len(g) for g in grids.values()),
        "party_orgs": PartyOrg.objects.filter(path__startswith=committee.path).count(),
        "departments": len(departments),
        "households": len(households),
        "residents": len(residents),
        "members": len(members),
        "accounts": len(accounts),
    })


def _story_family(people, story):
    head = people.person(surname=story["name"][0], gender=story["gender"], age=0, relation="户主",
                         name=story["name"], birth=story["birth"])
    head["tags"] = list(story["tags"])
    head["story"] = story
    family = [head]
    if story.get("spouse"):
        spouse = people.person(surname=story["spouse"][0], gender="female", age=0, relation="配偶",
                               name=story["spouse"], birth=story["birth"].replace(year=story["birth"].year + 2))
        family.append(spouse)
    return family


def _age(birth):
    return STORY_DATE.year - birth.year - ((STORY_DATE.month, STORY_DATE.day) < (birth.month, birth.day))


def _member_row(rng, resident, party_org, *, story=None):
    age = _age(resident.birth_date)
    if story:
        return {
            "party_org": party_org, "name": resident.name, "resident": resident, "joined_on": story["joined"],
            "is_elderly": story.get("is_elderly", False),
        }
    joined_age = rng.randint(20, min(45, max(age - 1, 20)))
    joined = resident.birth_date.replace(year=resident.birth_date.year + joined_age, month=7, day=1)
    probationary = age < 35 and rng.random() < 0.2
    if probationary:
        joined = STORY_DATE - datetime.timedelta(days=rng.randint(30, 330))
    migrant = 22 <= age <= 55 and rng.random() < 0.3
    return {
        "party_org": party_org,
        "name": resident.name,
        "resident": resident,
        "joined_on": min(joined, STORY_DATE),
        "status": "probationary" if probationary else "full",
        "is_elderly": age >= 80 or (age >= 72 and rng.random() < 0.5),
        "is_ill": age >= 55 and rng.random() < 0.08,
        "is_migrant": migrant,
        "migrant_location": rng.choice(MIGRANT_PLACES) if migrant else "",
    }


def _load_members(rng, residents, households, families, branches, organ_branches):
    """About 300 members: the story's people, then residents of each village (rural branches are
    old: half the picks are 60 or over), and town staff in the organ branches."""
    by_village = {}
    household_village = {h.pk: name for h, (name, _) in zip(households, families, strict=True)}
    for resident in residents:
        by_village.setdefault(household_village[resident.household_id], []).append(resident)

    rows, used = [], set()
    for resident in residents:
        story = next((p for p in STORY_PEOPLE if p["name"] == resident.name and p["birth"] == resident.birth_date), None)
        if story and story.get("member"):
            rows.append(_member_row(rng, resident, branches[story["village"]][0], story=story))
            used.add(resident.pk)

    for name, *_ in VILLAGES:
        adults = [r for r in by_village[name] if _age(r.birth_date) >= 22 and r.pk not in used and r.id_number]
        older = [r for r in adults if _age(r.birth_date) >= 60]
        younger = [r for r in adults if _age(r.birth_date) < 60]
        already = sum(1 for p in STORY_PEOPLE if p["village"] == name and p.get("member"))
        wanted = VILLAGE_MEMBERS[name] - already
        picks = rng.sample(older, min(len(older), wanted // 2))
        picks += rng.sample(younger, min(len(younger), wanted - len(picks)))
        village_branches = branches[name]
        for index, resident in enumerate(sorted(picks, key=lambda r: r.pk)):
            used.add(resident.pk)
            rows.append(_member_row(rng, resident, village_branches[index % len(village_branches)]))

    # Town staff live in the town seat; their membership is in the organ branches.
    staff_pool = [r for village in ("官桥社区", "集镇村") for r in by_village[village]
                  if 24 <= _age(r.birth_date) <= 58 and r.pk not in used and r.id_number]
    for branch in organ_branches:
        for resident in rng.sample(staff_pool, ORGAN_MEMBERS):
            staff_pool.remove(resident)
            used.add(resident.pk)
            row = _member_row(rng, resident, branch)
            row.update(is_migrant=False, migrant_location="", is_elderly=False)
            rows.append(row)
    return services.create_members_many(rows, note="演示数据")


def _load_accounts(town, committee, village_orgs, grids, departments, members):
    """One account per role. The scope of each is checked by the accounts service's rule; the
    password is checked and hashed once for all (PBKDF2 costs about half a second per hash, and
    the demo accounts share their documented password anyway)."""
    from django.contrib.auth.password_validation import validate_password
    from django.utils import timezone

    from zhenwu.accounts.services import check_scope

    jiulong = Area.objects.get(code=f"{TOWN_CODE}201")
    county = Area.objects.get(code=COUNTY_CODE)
    scopes = {
        Role.TOWN_ADMIN: {"area": town, "party_org": committee},
        Role.LEADER: {"area": town, "party_org": committee},
        Role.DISPATCHER: {"area": town},
        Role.HANDLER: {"department": departments["城建办"]},
        Role.SECRETARY: {"area": jiulong, "party_org": village_orgs["九龙村"]},
        Role.GRID_WORKER: {"area": grids["九龙村"][0]},
        Role.INSTRUCTOR: {"party_org": village_orgs["石灰嘴村"]},
        Role.MEMBER: {},
    }
    taken = set(User.objects.filter(username__in=[a[0] for a in DEMO_ACCOUNTS]).values_list("username", flat=True))
    checked = False
    accounts = []
    now = timezone.now()
    for username, role, full_name in DEMO_ACCOUNTS:
        if username in taken:
            continue
        scope = {"area": county} if username in COUNTY_ACCOUNTS else scopes[role]
        user = User(username=username, role=role, full_name=full_name, must_change_password=False,
                    password_changed_at=now, **check_scope(role=role, **scope))
        if not checked:
            validate_password(DEMO_PASSWORD, user)
            checked = True
        # Each account hashes with its own salt: a shared hash would tell anyone who reads the
        # table that the accounts share a password.
        user.set_password(DEMO_PASSWORD)
        # The demo administrator also keeps the configuration admin (areas, departments).
        user.is_staff = user.is_superuser = role == Role.TOWN_ADMIN
        user.full_clean(exclude=["password"])
        accounts.append(user)
    accounts = User.objects.bulk_create(accounts)
    record_created_many(accounts, note="演示账号")
    for user in accounts:
        if user.role == Role.MEMBER:
            story = next(p for p in STORY_PEOPLE if p["name"] == user.full_name)
            member = next(m for m in members if m.name == user.full_name and m.birth_date == story["birth"])
            services.link_member_account(member, user=user)
    return accounts


def demo_logins():
    """(role label, username, password, scope) for each demo account, as the table prints them."""
    users = {u.username: u for u in User.objects.filter(username__in=[a[0] for a in DEMO_ACCOUNTS])
             .select_related("area", "party_org", "department")}
    rows = []
    for username, role, _ in DEMO_ACCOUNTS:
        user = users.get(username)
        if user is None:
            continue
        if role == Role.HANDLER:
            scope = user.department.name if user.department_id else "—"
        elif role == Role.INSTRUCTOR:
            scope = user.party_org.name if user.party_org_id else "—"
        elif role == Role.MEMBER:
            member = Member.objects.filter(user=user).select_related("party_org").first()
            scope = f"{member.name}（{member.party_org.name}）" if member else "—"
        else:
            scope = user.area.name if user.area_id else "—"
        if user.needs_second_factor:
            scope += "，首次登录须绑定身份验证器"
        rows.append((Role(role).label, username, DEMO_PASSWORD, scope))
    return rows


__all__ = ["load_demo_town", "demo_logins", "town_exists", "DEMO_PASSWORD", "TOWN_CODE"]
