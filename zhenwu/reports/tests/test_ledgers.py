"""台账: fixed column layouts, the generated files re-opened with openpyxl, scope and area, the
background job with its audit entry, and who may download the file."""

import datetime
import io
from urllib.parse import quote

import pytest
from openpyxl import load_workbook

from zhenwu.audit.models import AuditAction, AuditEntry
from zhenwu.jobs.models import Job, JobStatus
from zhenwu.jobs.services import run_pending_jobs
from zhenwu.reports import ledgers
from zhenwu.reports.filters import Filter
from zhenwu.study.tests.conftest import build_study

from .report_data import build_activities, build_concerns, build_visits

OCTOBER = (datetime.date(2026, 10, 1), datetime.date(2026, 10, 31))
YEAR_2026 = (datetime.date(2026, 1, 1), datetime.date(2026, 12, 31))


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def concerns(cast):
    return build_concerns(cast)


def export(key, user, area, period):
    out, count = ledgers.export_ledger(ledger_key=key, user=user, flt=Filter(start=period[0], end=period[1], area=area))
    with out:
        data = out.read()
    return load_workbook(io.BytesIO(data)), count, data


def data_rows(wb):
    ws = wb.worksheets[0]
    return [row for row in ws.iter_rows(min_row=3, values_only=True)]


# The header rows are part of the ledgers' contract: towns file and compare them month by month.
HEADERS = {
    "concerns": ["序号", "诉求编号", "登记时间", "来源渠道", "村(社区)", "网格", "诉求类别", "诉求标题", "联系电话", "承办部门", "办理状态", "派单时间", "首次响应时间", "办结时间", "办结用时(工作日)",
                 "办理结果", "回访结果", "回访时间", "督办件", "重办次数"],
    "study": ["序号", "日期", "时间", "形式", "名称", "主题", "主讲人", "地点", "参加党组织", "组织层级", "主题教育",
              "对应学习项目", "实到人数", "请假人数", "特色党课专场", "学习情况"],
    "visits": ["序号", "走访日期", "村(社区)", "网格", "户编号", "住址", "走访党员", "走访方式", "走访情况",
               "反映诉求编号", "登记人", "登记时间"],
    "activities": ["序号", "活动时间", "活动类型", "活动名称", "地点", "所属区域", "组织单位", "服务的主题教育",
                   "参与人数", "志愿者人数", "确认志愿时长(小时)", "受益人数", "受益对象", "照片(张)", "活动情况"],
    "volunteers": ["序号", "姓名", "身份", "所在党组织", "活动时间", "活动名称", "活动类型", "所属区域",
                   "服务时长(小时)", "确认状态", "确认人", "确认时间"],
}


def test_every_registered_ledger_has_its_layout_fixed_here():
    assert sorted(ledgers.LEDGERS) == sorted(HEADERS)


@pytest.mark.parametrize("key", sorted(HEADERS))
def test_each_ledger_has_its_fixed_header_row_in_the_file(cast, key):
    ledger = ledgers.LEDGERS[key]
    assert ledger.headers == HEADERS[key]
    assert len({c.key for c in ledger.columns}) == len(ledger.columns)
    wb, count, _ = export(key, cast.users.leader, cast.town, YEAR_2026)
    ws = wb.worksheets[0]
    assert ws.title == ledger.title
    assert [c.value for c in ws[2]] == HEADERS[key]
    assert ws["A1"].value.startswith(f"{ledger.title}（官桥镇 2026-01-01至2026-12-31")
    assert ws.freeze_panes == "C3"
    assert ws.auto_filter.ref == f"A2:{ws.cell(2, len(HEADERS[key])).column_letter}{count + 2}"
    for index, column in enumerate(ledger.columns, start=1):
        assert width_of(ws, index) == column.width


def width_of(ws, index):
    """The width the file gives column `index` (1-based): a <col> element may span adjacent columns
    of the same width, which openpyxl keys by the span's first letter."""
    spans = [d for d in ws.column_dimensions.values() if d.min is not None and d.min <= index <= d.max]
    assert len(spans) == 1, (index, spans)
    return spans[0].width


def test_the_concerns_ledger_lists_the_periods_concerns_with_typed_cells(cast, concerns):
    wb, count, raw = export("concerns", cast.users.leader, cast.town, OCTOBER)
    rows = data_rows(wb)
    # Received in October, oldest first; the merged duplicate and other months left out.
    assert [r[1] for r in rows] == ["T-0001", "T-0002", "T-0003"]
    assert count == 3
    first = dict(zip(HEADERS["concerns"], rows[0], strict=True))
    assert first["序号"] == 1
    assert first["登记时间"] == datetime.datetime(2026, 10, 3, 9, 30)  # local time, a real date cell
    assert first["来源渠道"] == "电话"
    assert first["村(社区)"] == "九龙村" and first["网格"] == "九龙村第一网格"
    assert first["诉求类别"] == "道路交通" and first["承办部门"] == "城建办"
    assert first["联系电话"] == "138****8000"  # masked (the reporter's name is not exported)
    assert first["办理状态"] == "已关闭" and first["办理结果"] == "已解决" and first["回访结果"] == "满意"
    assert first["办结时间"] == datetime.datetime(2026, 10, 6, 16, 45)
    assert first["办结用时(工作日)"] == 2 and first["督办件"] == "是" and first["重办次数"] == 0
    assert first["回访时间"] == datetime.datetime(2026, 10, 8, 10, 0)
    ws = wb.worksheets[0]
    assert ws["C3"].number_format == "yyyy-mm-dd hh:mm" and ws["C3"].is_date
    assert ws["B3"].data_type == "s"  # reference numbers are text
    # A title that looks like a formula stays text, with its markup characters intact.
    second = dict(zip(HEADERS["concerns"], rows[1], strict=True))
    assert second["诉求标题"] == '=HYPERLINK("http://x")<&>'
    assert ws["H4"].data_type == "s"
    assert b"<f>" not in raw
    assert second["回访结果"] is None and second["办结时间"] is None
    third = dict(zip(HEADERS["concerns"], rows[2], strict=True))
    assert third["村(社区)"] == "集镇村" and third["承办部门"] is None and third["联系电话"] is None


def test_a_secretary_gets_her_village_only_and_a_leader_may_narrow_to_a_village(cast, concerns):
    wb, _, _ = export("concerns", cast.users.secretary, cast.jiulong, OCTOBER)
    assert [r[1] for r in data_rows(wb)] == ["T-0001", "T-0002"]
    wb, _, _ = export("concerns", cast.users.leader, cast.jizhen, YEAR_2026)
    assert [r[1] for r in data_rows(wb)] == ["T-0003"]  # T-0006 was received in 2025


def test_the_concerns_ledger_reads_a_constant_number_of_queries(cast, concerns, django_assert_max_num_queries):
    from .report_data import make_concern

    for n in range(10, 60):
        make_concern(cast, concerns.road, n, received=datetime.datetime(2026, 10, 5, tzinfo=datetime.UTC),
                     area=cast.jiulong_grid, department=cast.urban, status="dispatched")
    with django_assert_max_num_queries(6):
        _, count, _ = export("concerns", cast.users.leader, cast.town, OCTOBER)
    assert count == 53


def test_the_study_ledger_lists_sessions_with_attendance_and_leave(cast):
    study = build_study(cast)
    period = (datetime.date(2019, 9, 1), datetime.date(2019, 11, 30))
    wb, count, _ = export("study", cast.users.leader, cast.town, period)
    rows = [dict(zip(HEADERS["study"], r, strict=True)) for r in data_rows(wb)]
    assert count == 2
    lesson, study_class = rows
    assert lesson["名称"] == "初心故事会" and lesson["日期"] == datetime.datetime(2019, 9, 28)
    assert lesson["时间"] == "15:00-17:00" and lesson["形式"] == "专题党课"
    assert lesson["参加党组织"] == "九龙村党总支、集镇村党总支" and lesson["组织层级"] == "村级"
    assert lesson["对应学习项目"] == "专题党课、草根宣讲"
    assert lesson["实到人数"] == 4 and lesson["请假人数"] == 0
    assert lesson["主题教育"] == study.campaign.name and lesson["特色党课专场"] == "否"
    assert study_class["名称"] == "第三期主题教育学习班"
    assert study_class["实到人数"] == 2 and study_class["请假人数"] == 1 and study_class["组织层级"] == "镇级"
    assert wb.worksheets[0]["B3"].number_format == "yyyy-mm-dd"


def test_a_town_wide_class_appears_in_each_villages_ledger_with_its_own_attendees_only(cast):
    """Coverage credits 陈七 (集镇村) and 赵六 (九龙村) for the town's class: so do their villages' ledgers,
    marked 镇级, counting the village's members only (李四's approved leave is 九龙村's)."""
    study = build_study(cast)
    period = (datetime.date(2019, 9, 1), datetime.date(2019, 11, 30))
    wb, count, _ = export("study", cast.users.leader, cast.jizhen, period)
    rows = {r["名称"]: r for r in (dict(zip(HEADERS["study"], r, strict=True)) for r in data_rows(wb))}
    assert count == 2 and list(rows) == ["初心故事会", "第三期主题教育学习班"]
    town_class = rows["第三期主题教育学习班"]
    assert town_class["组织层级"] == "镇级" and town_class["参加党组织"] == "中共官桥镇委员会"
    assert (town_class["实到人数"], town_class["请假人数"]) == (1, 0)
    assert rows["初心故事会"]["组织层级"] == "村级" and rows["初心故事会"]["实到人数"] == 4

    wb, _, _ = export("study", cast.users.secretary, cast.jiulong, period)
    rows = {r["名称"]: r for r in (dict(zip(HEADERS["study"], r, strict=True)) for r in data_rows(wb))}
    assert (rows["第三期主题教育学习班"]["实到人数"], rows["第三期主题教育学习班"]["请假人数"]) == (1, 1)
    independent = study.study_class.attendances.filter(member__party_org__area=cast.jiulong).count()
    assert rows["第三期主题教育学习班"]["实到人数"] == independent


def test_a_town_wide_class_nobody_of_the_village_attended_stays_out_of_its_ledger(cast):
    study = build_study(cast)
    from zhenwu.study.models import Attendance

    Attendance.objects.filter(session=study.study_class, member=study.chen).delete()
    wb, _, _ = export("study", cast.users.leader, cast.jizhen, (datetime.date(2019, 9, 1), datetime.date(2019, 11, 30)))
    assert [r[4] for r in data_rows(wb)] == ["初心故事会"]


def test_the_export_runs_as_a_job_is_audited_and_only_its_creator_downloads_it(client, login, cast, concerns):
    login(cast.users.leader)
    page = client.get("/reports/ledgers/")
    assert page.status_code == 200
    assert "民情办理台账" in page.content.decode()
    response = client.post("/reports/ledgers/", {
        "ledger": "concerns", "start": "2026-10-01", "end": "2026-10-31", "area": cast.town.pk,
    })
    job = Job.objects.get(kind=ledgers.LEDGER_JOB)
    assert response.status_code == 302 and response["Location"] == f"/reports/ledgers/{job.pk}/"
    assert job.created_by == cast.users.leader and job.status == JobStatus.PENDING
    body = client.get(f"/reports/ledgers/{job.pk}/").content.decode()
    assert "民情办理台账（官桥镇 2026-10-01至2026-10-31）" in body and "排队中" in body
    poll = client.get(f"/reports/ledgers/{job.pk}/", headers={"HX-Request": "true"})
    assert 'data-testid="ledger-status"' in poll.content.decode() and "HX-Refresh" not in poll

    assert run_pending_jobs() == 1
    job.refresh_from_db()
    assert job.status == JobStatus.DONE, job.message
    assert job.result["rows"] == 3 and job.progress == 3 and job.total == 3
    entry = AuditEntry.objects.filter(action=AuditAction.EXPORT, object_type="reports.Ledger").get()
    assert entry.actor_id == cast.users.leader.pk
    assert entry.changes["rows"] == 3 and "民情办理台账3条" in entry.note

    poll = client.get(f"/reports/ledgers/{job.pk}/", headers={"HX-Request": "true"})
    assert poll["HX-Refresh"] == "true" and "已生成：共3条记录" in poll.content.decode()
    body = client.get(f"/reports/ledgers/{job.pk}/").content.decode()
    assert f"/reports/ledgers/{job.pk}/download/" in body
    download = client.get(f"/reports/ledgers/{job.pk}/download/")
    assert download.status_code == 200
    assert quote("民情办理台账_2026-10-01_2026-10-31.xlsx") in download["Content-Disposition"]
    wb = load_workbook(io.BytesIO(b"".join(download.streaming_content)))
    assert [r[1] for r in data_rows(wb)] == ["T-0001", "T-0002", "T-0003"]

    # Another report user (even the town admin) gets nothing of someone else's export.
    client.logout()
    login(cast.users.town_admin)
    assert client.get(f"/reports/ledgers/{job.pk}/download/").status_code == 404
    assert client.get(f"/reports/ledgers/{job.pk}/").status_code == 404


def test_a_secretary_cannot_ask_for_another_village_and_others_cannot_export(client, login, cast, concerns):
    login(cast.users.secretary)
    response = client.post("/reports/ledgers/", {
        "ledger": "concerns", "start": "2026-10-01", "end": "2026-10-31", "area": cast.jizhen.pk,
    })
    assert response.status_code == 200
    assert "选择一个有效的选项" in response.content.decode()
    assert not Job.objects.exists()
    response = client.post("/reports/ledgers/", {
        "ledger": "concerns", "start": "2026-10-31", "end": "2026-10-01", "area": cast.jiulong.pk,
    })
    assert "结束日期不能早于开始日期" in response.content.decode()
    assert not Job.objects.exists()
    client.logout()
    for role in ("member", "handler", "grid_worker"):
        login(getattr(cast.users, role))
        assert client.get("/reports/ledgers/").status_code == 403
        client.logout()


def test_a_job_whose_creator_lost_the_area_fails_with_a_message(cast, concerns):
    flt = Filter(start=OCTOBER[0], end=OCTOBER[1], area=cast.jizhen)
    job = ledgers.start_ledger_export(ledger_key="concerns", flt=flt, by=cast.users.leader)
    leader = cast.users.leader
    leader.area = cast.jiulong
    leader.save()
    run_pending_jobs()
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.message == "所选区域已不在您的管辖范围内"
    assert not job.output_file


def test_text_cells_drop_characters_xml_cannot_hold_and_are_never_formulas_or_errors():
    ledger = ledgers.Ledger(
        key="probe", title="测试台账", rows=None,
        columns=(ledgers.Column("text", "文字", 10), ledgers.Column("n", "数", 6, ledgers.INT),
                 ledgers.Column("day", "日期", 10, ledgers.DATE), ledgers.Column("x", "小数", 6, ledgers.DECIMAL)),
    )
    rows = [("a\x00b\x1fc&<d>", 1, datetime.date(2026, 10, 2), 1.5), ("=1+1", None, None, None),
            ("#N/A", 3, None, None), ("", 4, None, None), (12, 5, None, 2.0)]
    out, count = ledgers.write_ledger(ledger, rows, subtitle="2026年10月")
    with out:
        ws = load_workbook(io.BytesIO(out.read())).worksheets[0]
    assert count == 5
    assert [c.value for c in ws[2]] == ["文字", "数", "日期", "小数"]
    values = [tuple(c.value for c in row) for row in ws.iter_rows(min_row=3)]
    assert values == [("abc&<d>", 1, datetime.datetime(2026, 10, 2), 1.5), ("=1+1", None, None, None),
                      ("#N/A", 3, None, None), (None, 4, None, None), ("12", 5, None, 2)]
    assert [ws.cell(row, 1).data_type for row in (3, 4, 5, 7)] == ["s", "s", "s", "s"]
    assert ws["C3"].number_format == "yyyy-mm-dd" and ws["D3"].number_format == "0.0"
    assert ws.freeze_panes == "C3" and ws.auto_filter.ref == "A2:D7"


def test_the_visits_ledger(cast):
    build_visits(cast)
    wb, count, _ = export("visits", cast.users.leader, cast.town, OCTOBER)
    rows = [dict(zip(HEADERS["visits"], r, strict=True)) for r in data_rows(wb)]
    assert count == 3
    assert [(r["走访日期"], r["村(社区)"], r["网格"], r["户编号"], r["走访方式"]) for r in rows] == [
        (datetime.datetime(2026, 10, 2), "九龙村", "九龙村第一网格", "JL-0001", "入户"),
        (datetime.datetime(2026, 10, 15), "九龙村", "九龙村第二网格", "JL-0002", "电话"),
        (datetime.datetime(2026, 10, 20), "集镇村", "集镇村第一网格", "JZ-0001", "入户"),
    ]
    assert rows[0]["走访党员"] == "黎干亮" and rows[0]["住址"] == "九龙村一组12号"
    assert rows[0]["走访情况"] == "老人身体好，询问医保报销" and rows[0]["登记人"] == "admin1"
    assert rows[0]["登记时间"] == datetime.datetime(2026, 11, 1, 12, 0)
    wb, _, _ = export("visits", cast.users.secretary, cast.jiulong, YEAR_2026)
    assert [r[4] for r in data_rows(wb)] == ["JL-0001", "JL-0001", "JL-0002"]  # September's too, no 集镇村


def test_the_activities_and_volunteer_ledgers(cast):
    build_activities(cast)
    wb, count, _ = export("activities", cast.users.leader, cast.town, OCTOBER)
    rows = [dict(zip(HEADERS["activities"], r, strict=True)) for r in data_rows(wb)]
    assert count == 2
    patrol, visit = rows
    assert patrol["活动名称"] == "秸秆禁烧巡逻" and patrol["活动时间"] == datetime.datetime(2026, 10, 12, 14, 0)
    assert patrol["组织单位"] == "城建办" and patrol["所属区域"] == "集镇村第一网格"
    assert patrol["志愿者人数"] == 2 and patrol["确认志愿时长(小时)"] == 4  # 戊's five hours unconfirmed
    assert visit["活动类型"] == "慰问" and visit["受益人数"] == 200 and visit["受益对象"] == "老人"
    assert visit["参与人数"] == 3 and visit["确认志愿时长(小时)"] == 7.5 and visit["组织单位"] == "九龙村党总支"
    assert wb.worksheets[0]["K4"].number_format == "0.0"

    wb, count, _ = export("volunteers", cast.users.leader, cast.town, OCTOBER)
    rows = [dict(zip(HEADERS["volunteers"], r, strict=True)) for r in data_rows(wb)]
    assert [(r["姓名"], r["服务时长(小时)"], r["确认状态"]) for r in rows] == [
        ("丁", 4, "已确认"), ("戊", 5, "待确认"), ("甲", 3, "已确认"), ("乙", 2.5, "已确认"), ("丙", 2, "已确认"),
    ]
    assert rows[0]["身份"] == "其他" and rows[0]["确认人"] == "admin1" and rows[1]["确认人"] is None
    assert rows[2]["活动名称"] == "重阳节走访慰问老人" and rows[2]["所属区域"] == "九龙村"

    wb, _, _ = export("volunteers", cast.users.secretary, cast.jiulong, YEAR_2026)
    assert [r[1] for r in data_rows(wb)] == ["甲", "甲", "乙", "丙"]  # September's clean-up first


def test_an_independent_reader_opens_the_file_with_the_same_values(cast, concerns):
    """calamine (Rust, the reader the roster import uses) parses the workbook on its own: the same
    headers, text, numbers and local date-times as openpyxl."""
    from python_calamine import CalamineWorkbook

    _, _, raw = export("concerns", cast.users.leader, cast.town, OCTOBER)
    rows = CalamineWorkbook.from_filelike(io.BytesIO(raw)).get_sheet_by_index(0).to_python()
    assert rows[0][0].startswith("民情办理台账（官桥镇")
    assert rows[1] == HEADERS["concerns"]
    first = dict(zip(HEADERS["concerns"], rows[2], strict=True))
    assert first["诉求编号"] == "T-0001" and first["登记时间"] == datetime.datetime(2026, 10, 3, 9, 30)
    assert first["联系电话"] == "138****8000" and first["办结用时(工作日)"] == 2
    assert rows[3][HEADERS["concerns"].index("诉求标题")] == '=HYPERLINK("http://x")<&>'
    assert len(rows) == 5
