"""Roster import rules, tested on the functions the background jobs call."""

import datetime
import io
import zipfile
from unittest import mock

import pytest
import time_machine

from zhenwu.audit.models import AuditAction, AuditEntry
from zhenwu.audit.services import verify_chain
from zhenwu.lib import excel
from zhenwu.lib.crypto import blind_index
from zhenwu.lib.request_context import Actor, acting_as
from zhenwu.org import services
from zhenwu.org.models import Household, Member, Resident
from zhenwu.org.roster.cells import LOST_DIGITS
from zhenwu.org.roster.commit import RosterRejected, commit_roster
from zhenwu.org.roster.errors import RosterFileError
from zhenwu.org.roster.layouts import MEMBERS, RESIDENTS, TAG_LABELS
from zhenwu.org.roster.scan import sniff_xlsx, validate_roster
from zhenwu.org.roster.stage import Stage

from .roster_files import (
    MEMBER_HEADER,
    RESIDENT_HEADER,
    good_residents,
    id_number,
    member_row,
    resident_row,
    xlsx,
)

pytestmark = pytest.mark.django_db

TODAY = datetime.date(2026, 3, 1)


def check(kind, rows, user, header=None, **kwargs):
    header = header if header is not None else (RESIDENT_HEADER if kind == RESIDENTS else MEMBER_HEADER)
    scan = validate_roster(kind=kind, fileobj=xlsx(rows, header, **kwargs), user=user, today=TODAY)
    return scan.summary()


def commit(kind, rows, user, header=None, *, staged=False, before_commit=None):
    """Commit as the commit job does: from the rows its validation staged (`staged=True`), or by
    reading the file again. `before_commit` runs between the two (someone else's change)."""
    header = header if header is not None else (RESIDENT_HEADER if kind == RESIDENTS else MEMBER_HEADER)
    rows_staged = None
    if staged:
        scan = validate_roster(kind=kind, fileobj=xlsx(rows, header), user=user, today=TODAY, stage=True)
        stage = scan.staged()
        assert stage is not None, scan.summary()["errors"]
        rows_staged = Stage.read(stage)
    if before_commit is not None:
        before_commit()
    with acting_as(Actor(user_id=user.pk, label=user.username)):
        return commit_roster(kind=kind, fileobj=xlsx(rows, header), user=user, filename="t.xlsx",
                                    sha256="abc", today=TODAY, staged=rows_staged)


both_ways = pytest.mark.parametrize("staged", [False, True], ids=["from-file", "from-stage"])


def errors(summary):
    return [(e["row"], e["column"], e["reason"]) for e in summary["errors"]]


# --- the happy path ---------------------------------------------------------------------------


@both_ways
def test_a_clean_household_roster_is_committed_with_one_audit_entry_per_row_and_an_import_event(cast, staged):
    admin = cast.users.town_admin
    rows = good_residents(6)
    rows[0][9] = "独居老人、低保"
    rows[0][8] = "13800138001"
    summary = check(RESIDENTS, rows, admin)
    assert summary["error_count"] == 0
    assert summary["rows"] == summary["valid_rows"] == 6
    assert summary["households_new"] == 3
    assert Resident.objects.count() == 3  # validation wrote nothing

    result = commit(RESIDENTS, rows, admin, staged=staged)

    assert result["households_created"] == 3 and result["residents_created"] == 6
    first = Resident.objects.get(name="居民1")
    assert first.household.number == "JL-90001"
    assert first.household.grid == cast.jiulong_grid
    assert first.id_number == rows[0][7]
    assert first.id_number_hash == blind_index(rows[0][7], purpose="id_number")
    assert first.gender == "male" and first.birth_date == datetime.date(1951, 1, 1)
    assert first.tags == ["living_alone_elderly"] and first.sensitive_tags == ["minimum_living"]
    assert first.phone == "13800138001"
    created = AuditEntry.objects.filter(action=AuditAction.CREATE, actor=admin)
    assert created.filter(object_type="org.Resident").count() == 6
    assert created.filter(object_type="org.Household").count() == 3
    event = AuditEntry.objects.get(action=AuditAction.IMPORT)
    assert event.changes["sha256"] == "abc" and event.changes["residents_created"] == 6
    assert "新增3户、6人" in event.note
    assert verify_chain().ok


@both_ways
def test_a_clean_member_roster_links_members_to_residents_with_the_same_id_number(cast, staged):
    admin = cast.users.town_admin
    resident = services.add_resident(
        household=cast.households.jiulong, name="黎红", relation="女", id_number=id_number(birth="19700505", seq=2)
    )
    rows = [
        member_row("黎红", id_no=resident.id_number, joined="2001/7/1", migrant="是", location="广东省东莞市"),
        member_row("周平", seq=3, joined=datetime.datetime(2019, 7, 1), elderly="是", status="预备党员"),
        member_row("吴敏", seq=5, joined="2019年7月1日", org="九龙村党总支/九龙村第一党支部", ill="是"),
    ]
    summary = check(MEMBERS, rows, admin)
    assert errors(summary) == []
    assert summary["linked_residents"] == 1

    result = commit(MEMBERS, rows, admin, staged=staged)

    assert result["members_created"] == 3 and result["residents_linked"] == 1
    linked = Member.objects.get(name="黎红")
    assert linked.resident == resident
    assert linked.is_migrant and linked.migrant_location == "广东省东莞市"
    assert linked.joined_on == datetime.date(2001, 7, 1)
    zhou = Member.objects.get(name="周平")
    assert zhou.joined_on == datetime.date(2019, 7, 1) and zhou.is_elderly and zhou.status == "probationary"
    assert Member.objects.get(name="吴敏").is_ill
    assert AuditEntry.objects.filter(action=AuditAction.CREATE, object_type="org.Member").count() == 3


def test_an_id_number_stored_as_an_18_digit_whole_number_is_refused_with_the_text_hint(cast):
    # Excel keeps 15 digits (see the lost-digits case below); other writers may store all 18, but a
    # spreadsheet number is a float and calamine (the fast reader) reads it as one, so both readers
    # treat numbers beyond 2**53 alike: the row is refused with the advice to store the ID as text.
    number = id_number(seq=7)
    workbook = xlsx([resident_row(id_no=12345)]).getvalue()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(workbook)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                assert b"<v>12345</v>" in data
                data = data.replace(b"<v>12345</v>", f"<v>{number}</v>".encode())
            target.writestr(item, data)
    out.seek(0)
    for limit in (None, 0):  # calamine, then openpyxl's streaming reader
        out.seek(0)
        with mock.patch.object(excel, "IN_MEMORY_LIMIT", excel.IN_MEMORY_LIMIT if limit is None else limit):
            scan = validate_roster(kind=RESIDENTS, fileobj=out, user=cast.users.town_admin, today=TODAY)
        assert [(e["column"], e["reason"]) for e in scan.summary()["errors"]] == [("身份证号", LOST_DIGITS)]


def test_a_title_row_above_the_header_is_allowed_and_rows_keep_their_excel_numbers(cast):
    rows = [resident_row(phone="12345")]
    summary = check(RESIDENTS, rows, cast.users.town_admin, above=[["官桥镇住户花名册"]])
    assert summary["header_row"] == 2
    assert errors(summary) == [(3, "联系电话", "联系电话“12345”有误：手机号应为11位数字且以1开头")]


# --- every bad cell: row, column, reason ------------------------------------------------------------


@pytest.fixture(params=["calamine", "openpyxl"])
def reader(request):
    """Each bad-cell case through both readers of zhenwu.lib.excel (openpyxl streams big sheets)."""
    limit = excel.IN_MEMORY_LIMIT if request.param == "calamine" else 0
    with mock.patch.object(excel, "IN_MEMORY_LIMIT", limit):
        yield request.param


def _bad_check_digit():
    good = id_number(seq=1)
    return good[:-1] + ("0" if good[-1] != "0" else "1")


@pytest.mark.parametrize(
    ("change", "column", "reason"),
    [
        ({7: _bad_check_digit()}, "身份证号", "身份证号校验位错误"),
        ({7: "430181198002300011"}, "身份证号", "身份证号中的出生日期 19800230 不存在"),
        ({7: "43018120300101001X"}, "身份证号", "身份证号中的出生日期 2030-01-01 不可能"),
        ({7: "4301811980"}, "身份证号", "身份证号应为18位（前17位为数字，末位为数字或X）"),
        ({7: 4.30181198001010e17}, "身份证号", LOST_DIGITS),
        ({7: "4.30181E+17"}, "身份证号", LOST_DIGITS),
        ({8: "1380013800"}, "联系电话", "联系电话“1380013800”有误：手机号应为11位数字且以1开头"),
        ({0: "桃花村"}, "村(社区)", "村(社区)“桃花村”不存在"),
        ({1: "九龙村第九网格"}, "网格", "“九龙村”下没有网格“九龙村第九网格”"),
        ({1: "集镇村第一网格"}, "网格", "“九龙村”下没有网格“集镇村第一网格”"),
        ({4: ""}, "姓名", "姓名不能为空"),
        ({2: ""}, "户编号", "户编号不能为空"),
        ({3: ""}, "地址", "户编号“JL-1001”是新户，须填写地址"),
        ({5: "女"}, "性别", "性别“女”与身份证号不符"),
        ({5: "未知"}, "性别", "性别应填写“男”或“女”"),
        ({9: "低保、贫困户"}, "标签", f"未知标签“贫困户”（可选：{TAG_LABELS}）"),
    ],
)
def test_each_bad_resident_cell_is_reported_with_row_column_and_reason(cast, reader, change, column, reason):
    row = resident_row()
    for index, value in change.items():
        row[index] = value
    summary = check(RESIDENTS, [resident_row("王五", household="JL-1000", seq=3), row], cast.users.town_admin)
    assert errors(summary) == [(3, column, reason)]
    assert summary["valid_rows"] == 1 and summary["error_rows"] == 1


@pytest.mark.parametrize(
    ("change", "column", "reason"),
    [
        ({4: "桃花村党支部"}, "所在党组织", "党组织“桃花村党支部”不存在"),
        ({4: ""}, "所在党组织", "所在党组织不能为空"),
        ({2: ""}, "身份证号", "身份证号不能为空"),
        ({5: "去年七月"}, "入党日期", "日期格式应为 2019-07-01、2019/7/1 或 2019年7月1日"),
        ({5: "2019-13-01"}, "入党日期", "日期“2019-13-01”不存在"),
        ({5: "2019年2月30日"}, "入党日期", "日期“2019年2月30日”不存在"),
        ({5: "2027-01-01"}, "入党日期", "入党日期不能晚于今天"),
        ({5: "1995-07-01"}, "入党日期", "入党日期早于年满18周岁的日期，请核对"),
        ({6: "积极分子"}, "党员类型", "党员类型应填写“正式党员”或“预备党员”"),
        ({7: "可能"}, "流动党员", "应填写“是”或“否”"),
        ({7: "是"}, "流出地", "流动党员须填写流出地"),
        ({9: "x"}, "年老体弱", "应填写“是”或“否”"),
        ({11: "JL-0404"}, "户编号", "户编号“JL-0404”不存在"),
        ({11: "JL-0001"}, "户编号", "户编号“JL-0001”中没有身份证号相同的居民，无法关联"),
    ],
)
def test_each_bad_member_cell_is_reported_with_row_column_and_reason(cast, reader, change, column, reason):
    row = member_row()  # born 1980-01-01
    for index, value in change.items():
        row[index] = value
    summary = check(MEMBERS, [member_row("赵六", seq=3), row], cast.users.town_admin)
    assert errors(summary) == [(3, column, reason)]


def test_a_party_org_name_used_twice_must_be_written_with_its_parent(cast):
    from zhenwu.org.models import PartyOrg, PartyOrgKind

    PartyOrg.objects.add_child(cast.jizhen_org, dict(name="第一党支部", kind=PartyOrgKind.BRANCH, area=cast.jizhen))
    PartyOrg.objects.add_child(cast.jiulong_org, dict(name="第一党支部", kind=PartyOrgKind.BRANCH, area=cast.jiulong))
    summary = check(
        MEMBERS,
        [member_row(org="第一党支部"), member_row("钱七", seq=3, org="集镇村党总支/第一党支部")],
        cast.users.town_admin,
    )
    assert errors(summary) == [(2, "所在党组织", "党组织名称“第一党支部”不唯一，请写成“上级组织/第一党支部”")]


def test_missing_required_columns_are_named_and_unknown_columns_only_warn(cast):
    header = ["姓名", "网格", "户编号", "备注"]
    summary = check(RESIDENTS, [["张三", "九龙村第一网格", "JL-1", "x"]], cast.users.town_admin, header=header)
    assert errors(summary) == [
        (1, "村(社区)", "缺少必填列“村(社区)”"),
        (1, "身份证号", "缺少必填列“身份证号”"),
    ]
    assert summary["warnings"] == [{"row": 1, "column": "备注", "reason": "未识别的列，已忽略"}]


def test_headers_may_use_full_width_brackets_aliases_and_any_order(cast):
    header = ["身份证号码", "姓名", "村（社区）", "网格", "户编号", "地址", "手机号"]
    row = [id_number(seq=9), "孙八", "九龙村", "九龙村第一网格", "JL-1200", "九龙村五组", "13900001111"]
    summary = check(RESIDENTS, [row], cast.users.town_admin, header=header)
    assert summary["error_count"] == 0
    assert summary["warnings"] == []


# --- duplicates -----------------------------------------------------------------------------------


def test_an_id_number_twice_in_the_file_points_to_the_first_row(cast):
    number = id_number(seq=11)
    rows = [resident_row("甲", id_no=number), resident_row("乙", household="JL-1002", id_no=number.lower())]
    summary = check(RESIDENTS, rows, cast.users.town_admin)
    assert errors(summary) == [(3, "身份证号", "与第2行的身份证号重复")]


def test_an_id_number_already_registered_by_the_people_pages_is_a_duplicate(cast):
    existing = services.add_resident(
        household=cast.households.jiulong, name="黎秀", relation="女", id_number=id_number(seq=12)
    )
    rows = [resident_row("黎秀", id_no=existing.id_number)]
    summary = check(RESIDENTS, rows, cast.users.town_admin)
    assert errors(summary) == [(2, "身份证号", "该身份证号已登记（户编号JL-0001）")]


def test_a_member_already_registered_is_a_duplicate_and_so_is_a_second_import(cast):
    admin = cast.users.town_admin
    rows = [member_row(seq=13)]
    commit(MEMBERS, rows, admin)
    summary = check(MEMBERS, rows, admin)
    assert errors(summary) == [(2, "身份证号", "该党员已登记在“九龙村第一党支部”")]


def test_a_secretary_is_not_told_where_outside_their_village_a_number_is_registered(cast):
    services.add_resident(household=cast.households.jizhen, name="彭某", relation="子", id_number=id_number(seq=15))
    summary = check(RESIDENTS, [resident_row(id_no=id_number(seq=15))], cast.users.secretary)
    assert errors(summary) == [(2, "身份证号", "该身份证号已在其他村(社区)登记")]


# --- households -------------------------------------------------------------------------------------


def test_rows_with_an_existing_household_number_join_that_household(cast):
    admin = cast.users.town_admin
    rows = [resident_row("黎小明", household="JL-0001", address="", relation="孙子", seq=21)]
    summary = check(RESIDENTS, rows, admin)
    assert summary["error_count"] == 0
    assert (summary["households_new"], summary["households_existing"]) == (0, 1)
    commit(RESIDENTS, rows, admin)
    assert Resident.objects.get(name="黎小明").household == cast.households.jiulong
    assert Household.objects.count() == 3


def test_a_household_number_in_another_grid_is_an_error(cast):
    rows = [
        resident_row("甲", household="JL-0001", grid="九龙村第二网格", address="", seq=23),
        resident_row("乙", household="JL-2000", seq=25),
        resident_row("丙", household="JL-2000", grid="九龙村第二网格", address="", seq=27),
    ]
    summary = check(RESIDENTS, rows, cast.users.town_admin)
    assert errors(summary) == [
        (2, "网格", "户编号“JL-0001”已登记在“九龙村第一网格”，与本行网格不一致"),
        (4, "网格", "户编号“JL-2000”在第3行属于“九龙村第一网格”，与本行不一致"),
    ]


# --- scope ------------------------------------------------------------------------------------------


def test_a_secretary_may_only_import_rows_of_their_own_village_and_party_org(cast):
    secretary = cast.users.secretary  # 九龙村, 九龙村党总支
    rows = [resident_row(seq=31), resident_row("乙", village="集镇村", grid="集镇村第一网格", household="JZ-9", seq=33)]
    summary = check(RESIDENTS, rows, secretary)
    assert errors(summary) == [(3, "村(社区)", "“集镇村集镇村第一网格”不在您的管辖范围内")]
    rows = [member_row(seq=31), member_row("乙", org="集镇村党总支", seq=33)]
    summary = check(MEMBERS, rows, secretary)
    assert errors(summary) == [(3, "所在党组织", "党组织“集镇村党总支”不在您的管辖范围内")]


def test_a_secretary_cannot_add_people_to_a_household_of_another_village(cast):
    rows = [resident_row(village="九龙村", household="JZ-0001", address="", seq=35)]
    summary = check(RESIDENTS, rows, cast.users.secretary)
    assert errors(summary) == [(2, "户编号", "户编号“JZ-0001”已被不在您管辖范围内的户使用")]


# --- all or nothing ---------------------------------------------------------------------------------


def test_one_bad_row_among_a_hundred_good_ones_commits_nothing(cast):
    admin = cast.users.town_admin
    rows = good_residents(100)
    rows[57][8] = "110"
    residents, households, entries = Resident.objects.count(), Household.objects.count(), AuditEntry.objects.count()

    with pytest.raises(RosterRejected) as caught:
        commit(RESIDENTS, rows, admin)

    assert errors(caught.value.scan.summary()) == [(59, "联系电话", "联系电话“110”有误：手机号应为11位数字且以1开头")]
    assert (Resident.objects.count(), Household.objects.count(), AuditEntry.objects.count()) == (
        residents, households, entries,
    )


@both_ways
def test_a_number_registered_between_check_and_commit_stops_the_commit(cast, staged):
    admin = cast.users.town_admin
    rows = good_residents(4)
    assert check(RESIDENTS, rows, admin)["error_count"] == 0

    def someone_registers_it():
        services.add_resident(household=cast.households.jiulong, name="抢先", relation="子", id_number=rows[3][7])

    with pytest.raises(RosterRejected) as caught:
        commit(RESIDENTS, rows, admin, staged=staged, before_commit=someone_registers_it)
    assert errors(caught.value.scan.summary()) == [(5, "身份证号", "该身份证号已登记（户编号JL-0001）")]
    assert not Household.objects.filter(number__startswith="JL-9").exists()


def test_a_grid_removed_between_check_and_commit_stops_a_staged_commit(cast):
    admin = cast.users.town_admin
    rows = good_residents(3, village="集镇村", grid="集镇村第一网格", prefix="JZ-9")

    def grid_removed():  # the town merged the grid away: its people, household and worker gone first
        cast.residents.jizhen.delete()
        cast.households.jizhen.delete()
        cast.users.other_grid_worker.delete()
        type(cast.jizhen_grid).objects.get(pk=cast.jizhen_grid.pk).delete()

    with pytest.raises(RosterRejected) as caught:
        commit(RESIDENTS, rows, admin, staged=True, before_commit=grid_removed)
    assert {e[2] for e in errors(caught.value.scan.summary())} == {"该网格已被删除或不在您的管辖范围内"}
    assert not Household.objects.filter(number__startswith="JZ-9").exists()


@both_ways
def test_a_member_roster_checks_its_households_again_at_commit(cast, staged):
    admin = cast.users.town_admin
    resident = services.add_resident(
        household=cast.households.jiulong, name="黎红", relation="女", id_number=id_number(birth="19700505", seq=2)
    )
    rows = [member_row("黎红", id_no=resident.id_number, household="JL-0001")]

    def linked_meanwhile():
        Member.objects.create(party_org=cast.jiulong_branch, name="黎红", resident=resident)

    with pytest.raises(RosterRejected) as caught:
        commit(MEMBERS, rows, admin, staged=staged, before_commit=linked_meanwhile)
    assert errors(caught.value.scan.summary()) == [(2, "户编号", "该居民已关联其他党员档案")]


def test_errors_beyond_the_cap_are_counted_and_all_written_to_the_error_list(cast, monkeypatch):
    monkeypatch.setattr("zhenwu.org.roster.scan.ERROR_CAP", 5)
    rows = [resident_row(f"人{i}", household=f"JL-{i}", phone="1", seq=i) for i in range(1, 13)]
    scan = validate_roster(kind=RESIDENTS, fileobj=xlsx(rows), user=cast.users.town_admin, today=TODAY)
    summary = scan.summary()
    assert summary["error_count"] == 12 and len(summary["errors"]) == 5 and summary["errors_truncated"]
    from openpyxl import load_workbook

    listing = load_workbook(scan.errors.save(), read_only=True)
    lines = list(listing.worksheets[0].values)
    assert lines[0] == ("行号", "列", "问题") and len(lines) == 13
    assert lines[12][:2] == (13, "联系电话")


# --- bad files --------------------------------------------------------------------------------------


def _named(data, name="花名册.xlsx"):
    f = io.BytesIO(data)
    f.name = name
    return f


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"", "文件是空的"),
        ("姓名,身份证号\n张三,1\n".encode(), "这不是 Excel(.xlsx) 文件"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 600, "这是旧版 .xls 文件或设置了密码的文件"),
        (b"PK\x03\x04" + b"\x00garbage" * 50, "文件已损坏（.xlsx 不完整）"),
    ],
)
def test_files_that_are_not_xlsx_are_refused_before_a_job_is_queued(data, message):
    with pytest.raises(RosterFileError) as caught:
        sniff_xlsx(_named(data))
    assert message in str(caught.value)


def test_a_zip_that_is_not_a_workbook_is_refused():
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("hello.txt", "hi")
    with pytest.raises(RosterFileError, match="不是 Excel"):
        sniff_xlsx(_named(out.getvalue()))


def _damaged_workbook():
    """A real workbook whose sheet XML was cut in half."""
    good = xlsx(good_residents(30)).getvalue()
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(good)) as source, zipfile.ZipFile(out, "w") as target:
        for item in source.infolist():
            data = source.read(item.filename)
            if item.filename == "xl/worksheets/sheet1.xml":
                data = data[: len(data) // 2]
            target.writestr(item, data)
    return _named(out.getvalue())


def test_a_workbook_with_a_damaged_sheet_gives_a_chinese_message(cast):
    damaged = _damaged_workbook()
    sniff_xlsx(damaged)  # looks fine from outside
    with pytest.raises(RosterFileError, match="损坏"):
        validate_roster(kind=RESIDENTS, fileobj=damaged, user=cast.users.town_admin)


@pytest.mark.parametrize(
    ("rows", "header", "message"),
    [
        ([], None, "工作表是空的"),
        ([], RESIDENT_HEADER, "表格只有表头，没有数据行"),
        ([[None] * 10, ["", " "]], RESIDENT_HEADER, "表格只有表头，没有数据行"),
    ],
)
def test_an_empty_or_header_only_sheet_gives_a_chinese_message(cast, rows, header, message):
    with pytest.raises(RosterFileError, match=message):
        validate_roster(kind=RESIDENTS, fileobj=xlsx(rows, header), user=cast.users.town_admin)


def test_the_sheet_named_after_the_roster_is_read_even_when_it_is_not_first(cast):
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.active.title = "说明"
    workbook.active.append(["随便写点什么"])
    sheet = workbook.create_sheet("住户花名册")
    sheet.append(RESIDENT_HEADER)
    sheet.append(resident_row(seq=41))
    out = io.BytesIO()
    workbook.save(out)
    out.seek(0)
    summary = validate_roster(kind=RESIDENTS, fileobj=out, user=cast.users.town_admin).summary()
    assert summary["sheet"] == "住户花名册" and summary["rows"] == 1 and summary["error_count"] == 0


@time_machine.travel(datetime.datetime(2026, 3, 1, 1, 0, tzinfo=datetime.UTC))
def test_the_birth_date_check_uses_beijing_today(cast):
    # 2026-03-01 01:00 UTC is 09:00 in Beijing; someone born "today" in Beijing is not in the future.
    row = resident_row(id_no=id_number(birth="20260301", seq=43))
    summary = validate_roster(kind=RESIDENTS, fileobj=xlsx([row]), user=cast.users.town_admin).summary()
    assert summary["error_count"] == 0


def test_a_town_admin_without_a_party_org_imports_members_of_the_orgs_placed_in_the_town(cast):
    admin = cast.users.town_admin
    admin.party_org = None
    admin.save(update_fields=["party_org"])
    summary = check(MEMBERS, [member_row(org="集镇村党总支", seq=71)], admin)
    assert summary["error_count"] == 0
    commit(MEMBERS, [member_row(org="集镇村党总支", seq=71)], admin)
    assert Member.objects.visible_to(admin).filter(name="李四").exists()
