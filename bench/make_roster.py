"""Generate roster workbooks: the sample files in docs/samples, and large fake rosters for benchmarks.

    .venv/bin/python bench/make_roster.py --samples docs/samples
    .venv/bin/python bench/make_roster.py --kind residents --rows 20000 out.xlsx

Fake rosters have valid GB 11643 ID numbers (correct check digits, real birth dates), common
Chinese surnames and given names, households of one to five people, and are written with
openpyxl's write-only mode so memory stays flat whatever the size.
"""

import argparse
import datetime
import os
import random
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

SURNAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈"
    "姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
)
GIVEN = (
    "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超兰霞平刚桂英华建国志红梅玉兰文辉小林海燕春生德福"
    "金凤宇浩然子涵欣怡梓轩思远晓东家豪雨婷佳琪俊杰丹丹建军秋菊冬梅国庆卫东新民长青满仓"
)
WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK = "10X98765432"
RELATIONS = ("配偶", "子", "女", "父亲", "母亲", "孙子", "孙女", "儿媳")
NON_SENSITIVE_TAGS = ("独居老人", "空巢老人", "退役军人", "外出务工")
SENSITIVE_TAGS = ("低保", "残疾", "留守儿童", "大病", "防返贫监测")


def setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhenwu.settings")
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    import django
    from django.apps import apps

    if not apps.ready:
        django.setup()


def id_number(region, birth, seq):
    first17 = f"{region}{birth:%Y%m%d}{seq:03d}"
    return first17 + CHECK[sum(int(d) * w for d, w in zip(first17, WEIGHTS, strict=True)) % 11]


class People:
    """A source of distinct fake people (name, gender, ID number, phone)."""

    def __init__(self, seed=2019, region="430181"):
        self.rng = random.Random(seed)
        self.region = region
        self.used = set()

    def person(self, *, born_from=1940, born_to=2015, male=None):
        rng = self.rng
        if male is None:
            male = rng.random() < 0.5
        while True:
            birth = datetime.date(born_from, 1, 1) + datetime.timedelta(
                days=rng.randrange((datetime.date(born_to, 12, 31) - datetime.date(born_from, 1, 1)).days)
            )
            seq = rng.randrange(0, 500) * 2 + (1 if male else 0)
            if (birth, seq) not in self.used:
                self.used.add((birth, seq))
                break
        name = rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2, 2))))
        phone = f"1{rng.choice('3456789')}{rng.randrange(10**9):09d}" if rng.random() < 0.75 else ""
        return {
            "name": name,
            "gender": "男" if male else "女",
            "id_number": id_number(self.region, birth, seq),
            "phone": phone,
            "birth": birth,
        }


def resident_rows(rows, *, villages, seed=2019):
    """Yield `rows` resident rows in the import layout, households of 1-5 people spread over
    `villages` = [(village name, [grid names])]."""
    people = People(seed)
    rng = people.rng
    made = 0
    household = 0
    while made < rows:
        household += 1
        vi = household % len(villages)
        village, grids = villages[vi]
        grid = grids[household % len(grids)]
        number = f"V{vi + 1:02d}-{household:06d}"
        address = f"{village}{rng.randrange(1, 13)}组{rng.randrange(1, 200)}号"
        size = min(rng.choice((1, 2, 2, 3, 3, 3, 4, 4, 5)), rows - made)
        for i in range(size):
            p = people.person(born_from=1940 if i == 0 else 1950, born_to=1990 if i == 0 else 2015)
            relation = "户主" if i == 0 else rng.choice(RELATIONS)
            tags = []
            if rng.random() < 0.08:
                tags.append(rng.choice(NON_SENSITIVE_TAGS))
            if rng.random() < 0.05:
                tags.append(rng.choice(SENSITIVE_TAGS))
            yield [village, grid, number, address if i == 0 else "", p["name"], p["gender"], relation,
                   p["id_number"], p["phone"], "、".join(tags)]
            made += 1


def member_rows(rows, *, orgs, seed=1921):
    people = People(seed)
    rng = people.rng
    for i in range(rows):
        p = people.person(born_from=1935, born_to=1995)
        joined = p["birth"].replace(year=p["birth"].year + rng.randrange(20, 28), day=1)
        migrant = rng.random() < 0.1
        yield [p["name"], p["gender"], p["id_number"], p["phone"], orgs[i % len(orgs)], joined.isoformat(),
               "预备党员" if rng.random() < 0.03 else "正式党员", "是" if migrant else "否",
               rng.choice(("广东省东莞市", "广东省深圳市", "浙江省义乌市")) if migrant else "",
               "是" if p["birth"].year < 1950 else "否", "是" if rng.random() < 0.04 else "否", ""]


def write_roster(path, *, kind, rows, villages=None, orgs=None, seed=2019):
    """Write a generated roster of `rows` data rows to `path` (write-only, constant memory)."""
    setup_django()
    from openpyxl import Workbook

    from zhenwu.org.roster.layouts import KIND_LABELS, LAYOUTS, RESIDENTS

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(KIND_LABELS[kind])
    sheet.append([c.header for c in LAYOUTS[kind]])
    source = resident_rows(rows, villages=villages, seed=seed) if kind == RESIDENTS else member_rows(
        rows, orgs=orgs, seed=seed
    )
    for row in source:
        sheet.append(row)
    workbook.save(path)
    return path


DEMO_VILLAGES = [
    ("九龙村", ["九龙村第一网格", "九龙村第二网格"]),
    ("石灰嘴村", ["石灰嘴村第一网格"]),
    ("集镇村", ["集镇村第一网格"]),
]
DEMO_ORGS = ["九龙村第一党支部", "石灰嘴村党支部", "集镇村党总支"]


def write_samples(directory):
    """The two sample files users download from the import page, with the demo town's names."""
    setup_django()
    from zhenwu.org.roster.export import sample_rows, write_template
    from zhenwu.org.roster.layouts import MEMBERS, RESIDENTS

    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    written = []
    for kind, name, choices in (
        (RESIDENTS, "住户花名册示例.xlsx", DEMO_VILLAGES),
        (MEMBERS, "党员花名册示例.xlsx", DEMO_ORGS),
    ):
        path = directory / name
        write_template(kind, path, rows=sample_rows(kind, choices=choices), choices=choices)
        written.append(path)
    return written


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--samples", metavar="DIR", help="write the sample files into DIR")
    parser.add_argument("--kind", choices=("residents", "members"), default="residents")
    parser.add_argument("--rows", type=int, default=1000)
    parser.add_argument("output", nargs="?", help="where to write a generated roster")
    args = parser.parse_args(argv)
    if args.samples:
        for path in write_samples(args.samples):
            print(f"wrote {path}")
    if args.output:
        write_roster(args.output, kind=args.kind, rows=args.rows, villages=DEMO_VILLAGES, orgs=DEMO_ORGS)
        print(f"wrote {args.output} ({args.rows} rows)")
    if not args.samples and not args.output:
        parser.print_help()


if __name__ == "__main__":
    main()
