"""The demo town that `make run` loads (官桥镇 as in the reference story), checked app by app.

Loading the town takes tens of seconds, so the module has it ONCE (on the in-memory SQLite test
database, the copy a role walk of the same process loaded: see the `demo` fixture) under a
transaction that is rolled back when the module ends (as Django's setUpTestData does); each test
runs in a savepoint of it, so what one test changes is gone before the next. A second `load_demo` must change nothing in
any app: that is one test, run on top of the first load. `make test` distributes the suite by file
(`--dist loadfile`), so a parallel run loads the town once, not once per worker. (Not with
`--dist loadgroup` and an xdist_group mark: pytest-xdist 3.8 tags grouped tests through
`item._nodeid`, which pytest 9.2 no longer reads, so the group is silently split.)
"""

import io
import re
import shutil
import subprocess
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from django.core.cache import cache
from django.core.management import call_command
from django.db import transaction
from django.db.models import Count
from django.test import override_settings
from django.urls import reverse
from docx import Document
from PIL import Image, ImageStat

from zhenwu.accounts.models import User
from zhenwu.audit.models import AuditAction, AuditEntry
from zhenwu.audit.services import verify_chain
from zhenwu.concerns.demo import PROJECT_NAME, STORY_KEYS
from zhenwu.concerns.models import (
    CallBack,
    Category,
    Concern,
    ConcernEvent,
    EventKind,
    Project,
    ProjectStageKind,
    ReferenceCounter,
    ReplyTemplate,
    Status,
    Supervision,
)
from zhenwu.concerns.rates import concern_rates
from zhenwu.concerns.services import escalate_overdue_concerns, reference_prefix
from zhenwu.grid import cadence
from zhenwu.grid.demo import MEETING_TITLE, STORY_CONCERN_KEY
from zhenwu.grid.models import HouseholdLink, Meeting, MeetingConcern, MemberRole, Visit
from zhenwu.jobs.models import JobStatus
from zhenwu.jobs.services import run_pending_jobs
from zhenwu.lib.idnumber import validate_id_number
from zhenwu.org.demo import TOWN_CODE
from zhenwu.org.models import Area, AreaLevel, Department, Household, Member, PartyOrg, Resident
from zhenwu.reports.briefing_services import start_briefing
from zhenwu.reports.models import BriefingExport
from zhenwu.study import coverage
from zhenwu.study.demo import CAMPAIGN_NAME
from zhenwu.study.models import (
    Attendance,
    Campaign,
    HomeLesson,
    InstructorAssignment,
    Mentorship,
    PackHandout,
    SiteCheck,
    StudyNotice,
    StudySession,
)
from zhenwu.workdays import calendar as workdays

pytestmark = pytest.mark.django_db

LOGIN_ROW = re.compile(r"^(\S+)\s+((?:gq|ly)_\w+)\s+(\S+)\s+(.+)$")

# What the October 2019 briefing must say, in the story's words.
STORY_FIGURES = [
    "特色党课专场8次",
    "“民情茶室”“您说我做民情收集”“初心故事会”“草根宣讲”",
    "将党课带到文化广场、农家院落",
    "10月14日，举办官桥镇第三期主题教育学习班",
    "送学上门",
    "潘虎等本土革命先烈事迹及移风易俗黎干亮、最美乡贤彭镇铭、见义勇为尹东辉、精准扶贫李孟其等“身边榜样”故事",
    "秸秆禁烧、森林防火",
    "镇文联举办“给祖国的一份红色情书”征文",
    "“不忘初心、牢记使命”主题演讲比赛",
    "“不忘初心、牢记使命”书画摄影作品展",
    "除杂草、清水渠，讲解垃圾分类",
]


# The story's "20余", "40余", "30余" and "200余" as the briefing writes them: exact below 100,
# "210余" style above (zhenwu.lib.numbers); each pattern's number must lie in the story's range.
STORY_COUNTS = [
    (r"10月1日，镇党建办组织(\d+)名“返巢”流动党员开展回望初心、唱红歌、与国旗合影、观看阅兵仪式等活动", 20, 29),
    (r"10月3日，镇农业线组织(\d+)名党员志愿者", 40, 49),
    (r"10月3日，九龙村党总支开展“岁岁重阳暖人心”慰问活动，为(\d+)余?名老人送去文艺节目汇演、长寿餐及牛奶等慰问品",
     200, 299),
    (r"10月12日，镇文明办组织(\d+)名党群志愿者，在集里桥社区开展“文明浏阳”卫生清理义务劳动并参观党群服务中心", 30, 39),
]


def assert_story_counts(text):
    for pattern, low, high in STORY_COUNTS:
        found = re.search(pattern, text)
        assert found, pattern
        assert low <= int(found.group(1)) <= high, found.group(0)


def load():
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


@pytest.fixture(scope="module")
def demo(django_db_setup, django_db_blocker, tmp_path_factory):
    """The demo town, loaded once for the module and gone after it.

    On the in-memory SQLite test database the town is the process's shared copy
    (tests/demo_snapshot.py: a role walk in the same process loaded it already, or this module
    loads it and leaves the copy to the walks); the database as it was is put back afterwards. On
    any other database it is loaded inside a transaction rolled back after the module."""
    from django.db import connection

    from tests import demo_snapshot

    with django_db_blocker.unblock():
        snapshot = pristine = None
        if demo_snapshot.can_snapshot(connection):
            pristine = demo_snapshot.copy_of(connection)
            snapshot = demo_snapshot.demo_town(connection, lambda: tmp_path_factory.mktemp("demo_media"))
            media, output = Path(snapshot.media), snapshot.output
        outer = transaction.atomic()
        outer.__enter__()
        if snapshot is None:
            media = tmp_path_factory.mktemp("demo_media")
            try:
                with override_settings(MEDIA_ROOT=str(media)):
                    output = load()
            except BaseException:
                transaction.set_rollback(True)
                outer.__exit__(None, None, None)
                raise
    try:
        with override_settings(MEDIA_ROOT=str(media)):
            yield SimpleNamespace(output=output, media=media)
    finally:
        with django_db_blocker.unblock():
            transaction.set_rollback(True)
            outer.__exit__(None, None, None)
            if pristine is not None:
                demo_snapshot.restore(connection, pristine)
                pristine.close()
        cache.clear()


def within(value, expected, tolerance=0.10):
    return expected * (1 - tolerance) <= value <= expected * (1 + tolerance)


def logins(output):
    return [m.groups() for m in map(LOGIN_ROW.match, output.splitlines()) if m]


def all_counts():
    """Row counts of every app the demo fills."""
    return {
        "org": (Area.objects.count(), Household.objects.count(), Resident.objects.count(), Member.objects.count(),
                PartyOrg.objects.count(), Department.objects.count(), User.objects.count()),
        "concerns": (Concern.objects.count(), ConcernEvent.objects.count(), CallBack.objects.count(),
                     Supervision.objects.count(), Category.objects.count(), ReplyTemplate.objects.count(),
                     Project.objects.count()),
        "grid": (HouseholdLink.objects.count(), MemberRole.objects.count(), Visit.objects.count(),
                 Meeting.objects.count(), MeetingConcern.objects.count()),
        "study": (StudySession.objects.count(), Attendance.objects.count(), HomeLesson.objects.count(),
                  Mentorship.objects.count(), SiteCheck.objects.count()),
        "audit": AuditEntry.objects.count(),
    }


# -- 组织与人员 ------------------------------------------------------------------------------------


def test_guanqiao_has_the_expected_size_and_the_storys_people_all_audited(demo):
    town = Area.objects.get(name="官桥镇", level=AreaLevel.TOWN)
    assert Area.objects.get(code="430181").name == "浏阳市"
    villages = set(Area.objects.filter(level__in=(AreaLevel.VILLAGE, AreaLevel.COMMUNITY))
                   .values_list("name", flat=True))
    assert {"九龙村", "石灰嘴村", "集镇村", "集里桥社区"} <= villages and 8 <= len(villages) <= 12
    assert Area.objects.filter(level=AreaLevel.GRID).count() >= 3 * len(villages)
    assert within(Household.objects.count(), 3000)
    assert within(Resident.objects.count(), 8000)
    assert within(Member.objects.count(), 300)
    assert {"党建办", "文联", "农业线", "文明办", "城建办", "环保办", "党政办"} <= set(
        Department.objects.filter(town=town).values_list("name", flat=True))
    committee = PartyOrg.objects.get(name="中共官桥镇委员会")
    assert PartyOrg.objects.filter(path__startswith=committee.path, kind="branch").count() >= 10
    assert PartyOrg.objects.filter(name__contains="机关").exists()
    assert "3000户" in demo.output and "用时" in demo.output

    # The story's people.
    lgl = Member.objects.select_related("party_org", "resident__household__grid").get(name="黎干亮")
    assert lgl.party_org.name.startswith("九龙村") and lgl.is_elderly
    assert lgl.birth_date.year <= 1939  # 80余岁 in 2019
    assert lgl.resident.household.grid.name.startswith("九龙村")
    for name in ("彭镇铭", "尹东辉", "李孟其"):
        assert Member.objects.filter(name=name, resident__isnull=False).exists(), name
    members = Member.objects.all()
    assert members.filter(is_elderly=True).count() >= 10
    assert members.filter(is_ill=True).exists()
    assert members.filter(is_migrant=True).exclude(migrant_location="").exists()

    # Generated residents: valid 浏阳 ID numbers that agree with birth date and gender, phones.
    sample = list(Resident.objects.exclude(id_number_hash="").order_by("id")[:300])
    for resident in sample:
        number, birth = validate_id_number(resident.id_number)  # check digit and date are right
        assert number.startswith("430181") and birth == resident.birth_date
        assert resident.gender == ("male" if int(number[16]) % 2 else "female")
    assert all(2 <= len(r.name) <= 4 for r in sample)
    assert any(r.phone for r in sample) and all(not r.phone or len(r.phone) == 11 for r in sample)
    assert any(r.sensitive_tags for r in Resident.objects.all())

    # Every row went through the audit chain, and the whole chain of the loaded town holds.
    assert AuditEntry.objects.filter(object_type="org.Resident", action="create").count() == Resident.objects.count()
    assert AuditEntry.objects.filter(object_type="org.Member", action="create").count() == Member.objects.count()
    assert verify_chain().ok


def test_the_printed_logins_work_through_the_login_form_and_each_sees_its_part(demo, client):
    rows = logins(demo.output)
    assert {username for _, username, _, _ in rows} == {
        "gq_admin", "gq_leader", "gq_dispatcher", "gq_handler", "gq_secretary", "gq_grid", "gq_instructor",
        "gq_member", "ly_dispatcher",
    }
    for _, username, password, scope in rows:
        response = client.post("/accounts/login/", {"username": username, "password": password})
        assert response.status_code == 302, (username, response.content[:300])
        user = User.objects.get(username=username)
        if user.role == "town_admin":
            assert "/accounts/otp/setup/" in response["Location"]
            assert "身份验证器" in scope
        else:
            home = client.get(response["Location"])
            assert home.status_code == 200 and user.display_name in home.content.decode()
        client.post("/accounts/logout/")

    # Each demo account sees its own part of the town.
    secretary = User.objects.get(username="gq_secretary")
    grid = User.objects.get(username="gq_grid")
    member = User.objects.get(username="gq_member")
    assert Household.objects.visible_to(secretary).count() == Household.objects.filter(
        grid__path__startswith=secretary.area.path).count() > 300
    assert 0 < Household.objects.visible_to(grid).count() < 120
    assert Household.objects.visible_to(grid).filter(residents__name="黎干亮").exists()
    assert list(Member.objects.visible_to(member).values_list("name", flat=True)) == ["尹东辉"]


def test_a_second_load_changes_nothing_in_any_app_and_prints_the_same_logins(demo):
    before = all_counts()
    second = load()
    assert "已存在" in second and "用时" not in second
    assert "民情办理：演示诉求已存在，未做任何修改" in second
    assert "网格与联户：演示数据已存在，未做修改。" in second
    assert "学习教育演示数据已存在" in second
    assert all_counts() == before
    assert logins(second) == logins(demo.output)
    story = Campaign.objects.get(name=CAMPAIGN_NAME)
    assert HomeLesson.objects.filter(member__name="黎干亮", lesson_items__item__campaign=story).distinct().count() == 1
    assert verify_chain().ok


# -- 民情办理 --------------------------------------------------------------------------------------


def test_the_storys_three_concerns_with_the_anshan_road_project_heading_to_tendering(demo, client):
    assert "民情办理：12个类别" in demo.output
    sewage, road, anshan = (Concern.objects.get(idempotency_key=key) for key in STORY_KEYS)

    assert sewage.title == "学校周边生活污水处理问题" and sewage.village.name == "集镇村"
    assert sewage.status == Status.CLOSED and sewage.callback_result == "satisfied" and sewage.callback_solved
    assert "集镇污水管网扩网" in sewage.resolution_text
    assert sewage.department.name == "城建办" and sewage.category.name == "污水排放"

    assert "梅园" in road.title and "杨梅" in road.title
    # The caller left no phone: the call-back ended as 联系不上 with its reason, off the call-back list.
    assert road.status == Status.CLOSED and road.callback_result == "unreachable" and road.callback_solved is None
    assert road.reporter_phone == "" and road.callback_at > road.resolved_at
    assert CallBack.objects.get(concern=road).note.startswith("来电未留联系电话")
    assert not Concern.objects.awaiting_call_back().filter(pk=road.pk).exists()
    assert road.resolution_text.startswith("破损道路修补")

    assert anshan.status == Status.IN_PROGRESS and anshan.village.name == "岸山村" and anshan.is_supervised
    project = anshan.project
    assert project.name == PROJECT_NAME and project.stage == ProjectStageKind.TENDERING
    finance = project.stages.get(kind=ProjectStageKind.FINANCE_APPROVAL)
    tendering = project.stages.get(kind=ProjectStageKind.TENDERING)
    completion = project.stages.get(kind=ProjectStageKind.COMPLETION)
    assert finance.actual_end is not None and tendering.actual_start == finance.actual_end
    assert tendering.actual_end is None and not project.is_completed
    assert completion.planned_end.year == finance.actual_end.year + 1 and completion.planned_end.month <= 6
    assert project.stages.filter(actual_end__isnull=False).count() == 5 and project.progress == 62
    kinds = list(anshan.events.values_list("kind", flat=True))
    assert kinds.count(EventKind.PROJECT_STAGE) == 5 and EventKind.PROJECT_STARTED in kinds

    # Timelines are consistent: first event is the intake, the last one reached the current state.
    for concern in (sewage, road, anshan):
        events = list(concern.events.order_by("at", "id"))
        assert events[0].kind == EventKind.SUBMITTED and concern.reference in events[0].public_text
        assert [e for e in events if e.to_status][-1].to_status == concern.status

    # The board shows the project's progress on the 岸山路 concern's public page.
    page = client.get(reverse("concerns:board_detail", args=[anshan.reference]))
    assert page.status_code == 200
    assert PROJECT_NAME in page.content.decode()

    # The project is on schedule, so 岸山路 is not overdue: its deadline is 招投标's planned end,
    # and it is on no overdue list (board, staff lists, 督办 flags, 城建办's queue).
    assert anshan.resolution_due == workdays.end_of_day(tendering.planned_end)
    assert not anshan.is_overdue() and not Concern.objects.overdue().filter(pk=anshan.pk).exists()
    assert "已超期" not in page.content.decode() and "招投标" in page.content.decode()
    assert EventKind.PROJECT_DEADLINE in kinds


def test_the_generated_year_gives_plausible_rates_and_consistent_rows(demo):
    assert Concern.objects.count() >= 3000
    overall = concern_rates()[0]
    assert 90 <= overall.response_rate <= 99
    assert 78 <= overall.resolution_rate <= 92
    # Realistic call-backs: mostly 满意, some 基本满意, a few 不满意 that reopen; after the 重办 some are
    # 不满意 again, which stands (the concern closes), so 满意率 is not ~100%; some 联系不上.
    assert 95 <= overall.satisfaction_rate <= 98.5
    assert overall.unsatisfied >= overall.assessed / 100
    assert Concern.objects.filter(status=Status.CLOSED, callback_result="unsatisfied", reopen_count=1).exists()
    assert 0 < overall.unreachable < overall.assessed / 10
    assert 1 <= overall.median_workdays <= 10
    # Every department of the town that gets concerns has its own meaningful rates (the county's
    # departments get only the few concerns the county centre dispatched).
    town_departments = set(Department.objects.filter(town__code=TOWN_CODE).values_list("pk", flat=True))
    held = [row for row in concern_rates(by="department") if row.key["department"] in town_departments]
    assert len(held) >= 6 and all(row.received > 20 and row.response_rate is not None for row in held)

    # A mix of channels, villages, categories and states, with some overdue and supervised.
    assert Concern.objects.values("channel").distinct().count() == 6
    assert Concern.objects.values("village").distinct().count() == 10
    assert Concern.objects.values("category").distinct().count() == 12
    statuses = set(Concern.objects.values_list("status", flat=True))
    assert {Status.CLOSED, Status.DECLINED, Status.IN_PROGRESS, Status.RESOLVED} <= statuses
    assert Concern.objects.overdue().exists() and Concern.objects.filter(reopen_count=1).exists()
    assert Concern.objects.filter(is_supervised=True).count() == (
        Supervision.objects.values("concern").distinct().count()
    )
    # Call-backs on the rows match the call-back records; closed ones were resolved first.
    assert CallBack.objects.values("concern").distinct().count() == Concern.objects.filter(
        callback_at__isnull=False
    ).count()
    assert not Concern.objects.filter(status=Status.CLOSED, resolved_at__isnull=True).exists()
    assert not Concern.objects.filter(status=Status.DECLINED, department__isnull=False).exists()
    # The periodic escalation finds nothing the demo has not already escalated.
    assert escalate_overdue_concerns().supervisions == 0

    # Reference numbers are unique per year and the counters stand at the last one issued.
    for counter in ReferenceCounter.objects.filter(prefix=reference_prefix()):
        year_refs = Concern.objects.filter(reference__startswith=f"{counter.prefix}-{counter.year}-")
        assert year_refs.count() == counter.last
        assert year_refs.filter(reference=f"{counter.prefix}-{counter.year}-{counter.last:06d}").exists()
    # One audit entry per created concern.
    assert AuditEntry.objects.filter(object_type="concerns.Concern", action=AuditAction.CREATE).count() == (
        Concern.objects.count())


# -- 网格与联户 ------------------------------------------------------------------------------------


def test_members_are_linked_to_households_visit_them_and_the_jizhen_tea_room_is_held(demo, client):
    assert "网格与联户：" in demo.output and re.search(r"民情茶室\d+场（关联诉求\d+条）", demo.output)
    town = Area.objects.get(code="430181110")
    assert HouseholdLink.objects.count() > 1500 and Visit.objects.count() > 5 * 1000

    # Each linked member looks after at most eight households; some households stay unlinked.
    per_member = HouseholdLink.objects.values("member").annotate(n=Count("id"))
    assert max(row["n"] for row in per_member) == 8
    row = cadence.coverage(town)[0]
    assert row.unlinked > 0 and 0 < row.overdue < row.linked and 70 <= row.percent < 100

    # The story's meeting: 集镇村, the day the school-sewage concern was received, linked to it.
    meeting = Meeting.objects.get(title=MEETING_TITLE)
    story = Concern.objects.get(idempotency_key=STORY_CONCERN_KEY)
    assert meeting.area.name == "集镇村" and meeting.held_on == story.received_at.astimezone(
        ZoneInfo("Asia/Shanghai")).date()
    assert MeetingConcern.objects.filter(meeting=meeting, concern=story).exists()
    assert meeting.members.exists() and meeting.residents.exists()

    # gq_member (尹东辉, 石灰嘴村) has households to visit; the grid worker's page lists their grid's.
    member_user = User.objects.get(username="gq_member")
    client.force_login(member_user)
    page = client.get("/grid/").content.decode()
    assert "联系 8 户" in page and "SHZ-" in page
    grid_user = User.objects.get(username="gq_grid")
    client.force_login(grid_user)
    assert Household.objects.filter(grid=grid_user.area).count() > 0
    assert client.get("/grid/overdue/").status_code == 200
    client.force_login(User.objects.get(username="gq_dispatcher"))
    assert MEETING_TITLE in client.get("/grid/meetings/").content.decode()


# -- 学习教育 --------------------------------------------------------------------------------------


def test_the_storys_campaign_runs_and_leaves_no_one_out_unnoticed(demo):
    assert "学习教育：主题教育1项" in demo.output and "特色党课专场8场" in demo.output
    campaign = Campaign.objects.get(name="“不忘初心、牢记使命”主题教育")
    assert campaign.items.filter(kind="required").count() == 7 and campaign.items.filter(kind="optional").exists()

    sessions = StudySession.objects.filter(campaign=campaign)
    third = sessions.get(title="官桥镇第三期主题教育学习班")
    assert (third.starts_at.month, third.starts_at.day) == (10, 14) and third.kind == "study_class"
    mobilisation = sessions.get(kind="mobilisation")
    assert mobilisation.starts_at.month == 9 and 11 <= mobilisation.starts_at.day <= 20
    assert sessions.filter(kind="party_day", starts_at__month=9, starts_at__day__lte=10).exists()
    assert sessions.filter(title__contains="廉政十二时辰").exists()
    featured = sessions.filter(is_featured=True)
    assert featured.count() == 8
    assert {"cultural_square", "farmyard", "tea_room"} <= set(featured.values_list("venue_kind", flat=True))
    assert featured.filter(title__contains="民情茶室").exists() and featured.filter(title__contains="您说我做").exists()
    assert featured.filter(kind="story_meeting").exists() and featured.filter(kind="grassroots_talk").exists()

    # Most members signed in; 黎干亮 of 九龙村, over 80, was taught at home.
    overview = coverage.summary(campaign)
    assert overview.members == Member.objects.filter(is_active=True).count()
    assert overview.overall.done > 0.6 * overview.overall.total
    signed = Attendance.objects.filter(session__campaign=campaign).values("member").distinct().count()
    assert signed > 0.8 * overview.members
    assert 90 <= overview.overall.completion < 100 and overview.overall.missing > 0
    lgl = Member.objects.get(name="黎干亮")
    lesson = HomeLesson.objects.filter(member=lgl, lesson_items__item__campaign=campaign).distinct().get()
    assert lesson.is_confirmed and lesson.mentor is not None and lesson.mentor.party_org.name.startswith("九龙村")
    assert all(status in ("done", "made_up") for _, status in coverage.member_statuses(lgl, campaign))

    sizes = [m.mentees.count() for m in Mentorship.objects.all()]
    assert 1 in sizes and max(sizes) > 1  # both 1+1 and 1+N
    assert InstructorAssignment.objects.values("instructor").distinct().count() >= 3
    assert SiteCheck.objects.count() == InstructorAssignment.objects.count()
    assert PackHandout.objects.filter(pack__name="初心大礼包").count() == Member.objects.count()
    assert StudyNotice.objects.filter(recipient__username="gq_secretary").exists()


# -- 简报 ------------------------------------------------------------------------------------------


def test_the_october_briefing_states_the_storys_figures_in_text_word_and_pdf(demo, tmp_path):
    """Acceptance of issue 7: the demo town's October 2019 briefing, generated as a job, states
    the story's figures in its text, its Word file and its PDF, which renders to a non-blank page."""
    town = Area.objects.get(code=TOWN_CODE)
    with override_settings(MEDIA_ROOT=str(demo.media)):
        briefing, job = start_briefing(area=town, year=2019, month=10, by=User.objects.get(username="gq_leader"))
        assert run_pending_jobs() == 1
        job.refresh_from_db()
        assert job.status == JobStatus.DONE, job.message
        briefing.refresh_from_db()
        for figure in STORY_FIGURES:
            assert figure in briefing.text, figure
        assert_story_counts(briefing.text)

        docx = BriefingExport.objects.get(briefing=briefing, format="docx")
        with docx.file.open("rb") as handle:
            document = Document(io.BytesIO(handle.read()))
        pdf = BriefingExport.objects.get(briefing=briefing, format="pdf")
        path = tmp_path / "briefing.pdf"
        with pdf.file.open("rb") as handle:
            path.write_bytes(handle.read())

    word_text = "\n".join(p.text for p in document.paragraphs)
    for figure in STORY_FIGURES:
        assert figure in word_text, figure
    assert_story_counts(word_text)
    assert len(document.inline_shapes) >= 5  # the activities' photos
    body_fonts = {r._element.rPr.rFonts.get("{http://schemas.openxmlformats.org/wordprocessingml/2006/main}eastAsia")
                  for p in document.paragraphs for r in p.runs if r.text}
    assert body_fonts <= {"仿宋", "黑体", "楷体", "方正小标宋简体"} and "仿宋" in body_fonts
    assert document.paragraphs[1].text == "（草稿，发布时编号）"  # generated, not yet published

    assert path.read_bytes().startswith(b"%PDF")
    assert shutil.which("pdftoppm"), "poppler-utils (pdftoppm) is needed to check the PDF"
    subprocess.run(["pdftoppm", "-png", "-r", "50", "-f", "1", "-l", "1", str(path), str(tmp_path / "page")],
                   check=True, timeout=120)
    pages = sorted(tmp_path.glob("page*.png"))
    assert len(pages) == 1
    with Image.open(pages[0]) as image:
        stat = ImageStat.Stat(image.convert("L"))
    assert stat.var[0] > 100, f"page 1 looks blank (variance {stat.var[0]:.1f})"
    assert stat.mean[0] > 150  # mostly white paper with text on it
    text = subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, check=True,
                          timeout=120).stdout.decode()
    squeezed = "".join(text.split())
    for figure in ("特色党课专场8次", "34名党群志愿者", "为210余名老人"):
        assert figure in squeezed, figure


# -- a year up to today ---------------------------------------------------------------------------


def test_the_default_periods_show_real_figures_in_every_module(demo):
    """The leader's dashboard (the last twelve months) and the volunteer ranking (the current year)
    show the demo's recent history, not zeros around a 2019 story."""
    import datetime

    from django.utils import timezone

    from zhenwu.activities.ranking import volunteer_ranking
    from zhenwu.reports.dashboard import dashboard
    from zhenwu.reports.filters import Filter, default_period

    leader = User.objects.get(username="gq_leader")
    start, end = default_period()
    panels = {p.key: dict(p.figures) for p in dashboard(leader, Filter(start=start, end=end, area=leader.area))}
    assert panels["study"]["学习活动(场)"] > 100 and panels["study"]["签到(人次)"] > 1000
    assert "规定动作完成率" in panels["study"]  # this year's campaign
    assert panels["activities"]["活动(次)"] >= 20 and panels["activities"]["志愿时长(小时)"] > 100
    assert panels["visits"]["期间走访(次)"] > 10000
    assert Concern.objects.filter(received_at__date__gte=start).count() > 2000
    assert Meeting.objects.filter(held_on__gte=start).count() >= 10
    assert HomeLesson.objects.filter(given_on__gte=start).count() > 20
    today = timezone.localdate()
    # The ranking's default is the current year; early in the year that is days or a few weeks, so
    # look back at least two months.
    year_start = min(today.replace(month=1, day=1), today - datetime.timedelta(days=60))
    assert len(volunteer_ranking(start=year_start, end=today)) > 50


def test_no_demo_record_is_dated_after_now_except_plans_and_deadlines(demo):
    from django.apps import apps
    from django.db import models
    from django.utils import timezone

    planned = {("concerns.Concern", "response_due"), ("concerns.Concern", "resolution_due"),
               ("concerns.ProjectStage", "planned_start"), ("concerns.ProjectStage", "planned_end"),
               ("study.Campaign", "ends_on")}
    now, today = timezone.now(), timezone.localdate()
    future = []
    for model in apps.get_models():
        if not model.__module__.startswith("zhenwu."):
            continue
        for f in model._meta.concrete_fields:
            if (model._meta.label, f.name) in planned:
                continue
            if isinstance(f, models.DateTimeField):
                bound = now
            elif isinstance(f, models.DateField):
                bound = today
            else:
                continue
            if model.objects.filter(**{f"{f.name}__gt": bound}).exists():
                future.append(f"{model._meta.label}.{f.name}")
    assert future == []
    # Instructors were chosen before their guidance visits.
    from zhenwu.study.models import Guidance

    for assignment in InstructorAssignment.objects.all():
        visits = Guidance.objects.filter(instructor=assignment.instructor_id, party_org=assignment.party_org_id)
        assert all(timezone.localdate(assignment.assigned_at) < g.visited_on for g in visits)


def test_staff_handle_concerns_in_office_hours_on_working_days(demo):
    import datetime

    from django.utils import timezone

    from zhenwu.workdays import calendar as workdays
    from zhenwu.workdays.calendar import workday_overrides

    overrides = workday_overrides()
    staff_kinds = (EventKind.ACCEPTED, EventKind.DISPATCHED, EventKind.UPDATED, EventKind.RESOLVED,
                   EventKind.CLOSED, EventKind.MERGED, EventKind.PROJECT_STAGE)
    outside = []
    events = ConcernEvent.objects.filter(kind__in=staff_kinds, actor__isnull=False).values_list("kind", "at")
    phoned = ConcernEvent.objects.filter(kind=EventKind.CALLED_BACK, actor__isnull=False).values_list("kind", "at")
    for kind, at in [*events, *phoned]:
        local = timezone.localtime(at)
        if not (datetime.time(8, 30) <= local.time() <= datetime.time(17, 30)
                and workdays.is_workday(local.date(), overrides)):
            outside.append((kind, local))
    assert outside == []


def test_villages_have_different_numbers_of_members(demo):
    town = Area.objects.get(code=TOWN_CODE)
    sizes = {v.name: Member.objects.filter(is_active=True, party_org__area=v).count()
             for v in Area.objects.filter(path__startswith=town.path, level__in=(AreaLevel.VILLAGE,
                                                                               AreaLevel.COMMUNITY))}
    assert len(sizes) == 10 and min(sizes.values()) >= 18 and max(sizes.values()) <= 45
    assert len(set(sizes.values())) >= 6 and sizes["九龙村"] > sizes["南阳村"]


def test_the_meiyuan_road_and_the_anshan_project_are_their_months_news(demo):
    from django.utils import timezone

    from zhenwu.reports.briefing import month_scope
    from zhenwu.reports.highlights import concern_candidates, project_candidates

    town = Area.objects.get(code=TOWN_CODE)
    road = Concern.objects.get(idempotency_key=STORY_KEYS[1])
    assert road.followers.filter(user__isnull=True).count() >= 4
    assert Concern.objects.filter(duplicate_of=road, status=Status.DUPLICATE).count() >= 2
    day = timezone.localdate(road.resolved_at)
    chosen = concern_candidates(month_scope(town, day.year, day.month))
    assert any(c["source"]["id"] == road.pk for c in chosen)

    project = Project.objects.get(name=PROJECT_NAME)
    approval = project.stages.get(kind=ProjectStageKind.FINANCE_APPROVAL).actual_end
    assert 0 < (timezone.localdate() - approval).days <= 31
    news = project_candidates(month_scope(town, approval.year, approval.month))
    assert any(n["source"]["id"] == project.pk and "财政审批" in n["headline"] for n in news)


def test_a_sample_of_the_bulk_visits_replays_through_the_service_unchanged(demo):
    """Visits are written in bulk for speed: a sample of them, replayed through record_visit at the
    moment they were entered, is accepted and gives the same row."""
    import random

    from zhenwu.grid.services import record_visit

    visits = list(Visit.objects.order_by("id").select_related("household", "member"))
    for visit in random.Random(7).sample(visits, 40):
        with transaction.atomic():
            replay = record_visit(household=visit.household, visited_on=visit.visited_on, way=visit.way,
                                  by=None, notes=visit.notes, member=visit.member, now=visit.created_at).visit
            fields = ("household_id", "member_id", "visited_on", "way", "notes", "created_at")
            assert [getattr(replay, f) for f in fields] == [getattr(visit, f) for f in fields]
            transaction.set_rollback(True)


@pytest.mark.parametrize("months_back", [1, 0], ids=["last month", "this month"])
def test_a_briefing_over_the_years_history_states_the_figures_of_the_ledgers(demo, months_back):
    """The briefing of a recent month (the demo's history, not the 2019 story): its figures (the
    editor's 核对数字, which the text is written from) equal what the ledgers of the same month
    and area list, and the text states the concerns and activities as the ledgers count them."""
    import datetime

    from django.utils import timezone

    from zhenwu.lib.numbers import approx_count
    from zhenwu.reports import ledgers
    from zhenwu.reports.briefing import build_sections, to_text
    from zhenwu.reports.drilldown import briefing_figures
    from zhenwu.reports.filters import Filter

    today = timezone.localdate()
    year, month = today.year, today.month - months_back
    if month == 0:
        year, month = year - 1, 12
    start = datetime.date(year, month, 1)
    end = (datetime.date(year + month // 12, month % 12 + 1, 1) - datetime.timedelta(days=1))
    leader = User.objects.get(username="gq_leader")
    town = Area.objects.get(level=AreaLevel.TOWN, name="官桥镇")
    flt = Filter(start=start, end=end, area=town)
    figures = {figure.key: value for figure, value in briefing_figures(leader, flt)}

    concerns_count, _ = ledgers._concern_rows(leader, flt)
    sessions_count, _ = ledgers._study_rows(leader, flt)
    activities_count, _ = ledgers._activity_rows(leader, flt)
    volunteer_count, _ = ledgers._volunteer_rows(leader, flt)
    visits_count, _ = ledgers._visit_rows(leader, flt)
    ledger_counts = {"concerns_received": concerns_count, "sessions": sessions_count,
                     "activities": activities_count, "visits": visits_count, "volunteer_turnout": volunteer_count}
    assert {k: figures[k] for k in ledger_counts} == ledger_counts
    # The history is there, except in the first days of this month: on the 1st at 9:00 nothing has
    # come in yet, and on 4 January only the New Year holiday had passed (no activity).
    early = months_back == 0 and today.day <= 10
    assert (figures["concerns_received"] > 0 and figures["activities"] > 0) or early

    text = to_text(build_sections(town, year, month))
    assert f"受理群众诉求{approx_count(figures['concerns_received'])}件" in text


def test_the_leaders_hot_issues_hold_one_matter_each_and_no_place_fragments(demo):
    """热点 of the last 14 days as the leader sees them: each group is one matter (the demo writes a
    matter as one title after the village's name), and no label or label word is a piece of an
    area's name (石灰嘴村 once gave the label words 石灰 and 嘴村)."""
    from zhenwu.routing import hot

    leader = User.objects.get(username="gq_leader")
    names = sorted(set(Area.objects.values_list("name", flat=True)), key=len, reverse=True)

    def matter(title):
        for name in names:
            title = title.replace(name, "")
        return re.sub(r"^[一二三四五六七八九十0-9]+组", "", title)

    groups = hot.hot_issue_groups(leader, days=14, min_residents=1)
    assert groups
    for group in groups:
        assert len({matter(c.title) for c in group.concerns}) == 1, [c.title for c in group.concerns]
        for word in [*group.words, group.label]:
            assert not any(word != name and word in name for name in names), word
    assert all(g.residents >= 3 for g in hot.hot_issue_groups(leader, days=14))
