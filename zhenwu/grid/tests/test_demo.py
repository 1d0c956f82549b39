"""The demo town's links, visits and the story's 集镇村 民情茶室, loaded once by load_demo."""

import io
from zoneinfo import ZoneInfo

import pytest
from django.core.management import call_command
from django.db.models import Count

from zhenwu.accounts.models import User
from zhenwu.audit.services import verify_chain
from zhenwu.concerns.models import Concern
from zhenwu.grid import cadence
from zhenwu.grid.demo import MEETING_TITLE, STORY_CONCERN_KEY
from zhenwu.grid.models import HouseholdLink, Meeting, MeetingConcern, MemberRole, Visit
from zhenwu.org.models import Area, Household


def load():
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


@pytest.mark.django_db
def test_the_demo_links_members_visits_households_and_holds_the_jizhen_tea_room(client):
    output = load()
    assert "网格与联户：" in output and "民情茶室1场（关联诉求" in output
    town = Area.objects.get(code="430181110")
    counts = (HouseholdLink.objects.count(), MemberRole.objects.count(), Visit.objects.count(),
              Meeting.objects.count(), MeetingConcern.objects.count(), Concern.objects.count())
    assert counts[0] > 1500 and counts[2] > 5 * 1000

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

    # A second load changes nothing, and the audit chain holds.
    assert "网格与联户：演示数据已存在，未做修改。" in load()
    assert counts == (HouseholdLink.objects.count(), MemberRole.objects.count(), Visit.objects.count(),
                      Meeting.objects.count(), MeetingConcern.objects.count(), Concern.objects.count())
    assert verify_chain().ok
