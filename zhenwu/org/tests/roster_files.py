"""Building roster workbooks in memory for the roster tests."""

import io

from openpyxl import Workbook

from zhenwu.lib.idnumber import check_digit

RESIDENT_HEADER = ["村(社区)", "网格", "户编号", "地址", "姓名", "性别", "与户主关系", "身份证号", "联系电话", "标签"]
MEMBER_HEADER = [
    "姓名", "性别", "身份证号", "联系电话", "所在党组织", "入党日期", "党员类型", "流动党员", "流出地", "年老体弱",
    "患病/残疾", "户编号",
]


def id_number(birth="19800101", seq=1, region="430181"):
    """A valid ID number; odd `seq` is a man, even a woman."""
    first17 = f"{region}{birth}{seq:03d}"
    return first17 + check_digit(first17)


def xlsx(rows, header=RESIDENT_HEADER, *, title="Sheet", above=()):
    """An .xlsx file (BytesIO, named) with `header` on row 1 (after any `above` rows) and `rows`."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title
    for row in above:
        sheet.append(row)
    if header is not None:
        sheet.append(header)
    for row in rows:
        sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    out.name = "花名册.xlsx"
    return out


def resident_row(name="张三", *, household="JL-1001", village="九龙村", grid="九龙村第一网格", address="九龙村一组1号",
                 gender="", relation="户主", id_no=None, phone="", tags="", seq=1):
    return [village, grid, household, address, name, gender, relation, id_no if id_no is not None else id_number(seq=seq),
            phone, tags]


def member_row(name="李四", *, org="九龙村第一党支部", id_no=None, seq=1, joined="2010-07-01", status="正式党员",
               migrant="否", location="", elderly="否", ill="否", household="", phone="", gender=""):
    return [name, gender, id_no if id_no is not None else id_number(seq=seq), phone, org, joined, status, migrant,
            location, elderly, ill, household]


def good_residents(count, *, start=1, village="九龙村", grid="九龙村第一网格", prefix="JL-9"):
    """`count` valid resident rows, two people per household."""
    rows = []
    for i in range(start, start + count):
        household = f"{prefix}{(i + 1) // 2:04d}"
        rows.append(resident_row(f"居民{i}", household=household, village=village, grid=grid,
                                 address=f"{village}{household}号", relation="户主" if i % 2 else "配偶",
                                 id_no=id_number(birth=f"19{50 + i % 40:02d}0101", seq=i % 1000)))
    return rows
