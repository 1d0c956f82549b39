"""Role model pages offer 修改 exactly to those the edit page lets in, and the list's session
count equals the sessions listed on the role model's page."""

import datetime
import re
from zoneinfo import ZoneInfo

import pytest

from zhenwu.activities import access, services
from zhenwu.activities.models import RoleModelCategory
from zhenwu.study import services as study_services

SH = ZoneInfo("Asia/Shanghai")


def _role_model(cast, *, area, name):
    return services.create_role_model(category=RoleModelCategory.CUSTOMS, name=name, headline="移风易俗带头人",
                                      story="带头简办红白喜事", area=area)


def _session(org, title, day):
    return study_services.create_session(
        kind="story_meeting", title=title, starts_at=datetime.datetime(2019, 10, day, 9, tzinfo=SH),
        ends_at=datetime.datetime(2019, 10, day, 11, tzinfo=SH), party_orgs=[org])


@pytest.mark.parametrize(("who", "village", "may_edit"), [
    ("secretary", "jiulong", True),
    ("secretary", "jizhen", False),  # the 九龙村 secretary and 集镇村's role model
    ("town_admin", "jizhen", True),
    ("leader", "jiulong", False),
    ("member", "jiulong", False),
])
def test_the_edit_link_and_upload_are_shown_exactly_when_the_edit_page_opens(cast, login, client, who, village,
                                                                             may_edit):
    rm = _role_model(cast, area=getattr(cast, village), name="黎干亮")
    user = getattr(cast.users, who)
    assert access.can_edit_role_model(user, rm) is may_edit
    login(user)
    page = client.get(f"/activities/role-models/{rm.pk}/").content.decode()
    edit_url = f"/activities/role-models/{rm.pk}/edit/"
    assert (edit_url in page) is may_edit
    assert (f"/activities/role-models/{rm.pk}/photos/" in page) is may_edit
    assert client.get(edit_url).status_code == (200 if may_edit else 403)


def test_the_lists_session_count_equals_the_sessions_on_the_role_models_page(cast, login, client):
    rm = _role_model(cast, area=cast.jiulong, name="黎干亮")
    # Two sessions used the story: one of 九龙村, one of 集镇村 that 九龙村's secretary cannot see.
    ours = _session(cast.jiulong_org, "九龙村初心故事会", 9)
    theirs = _session(cast.jizhen_org, "集镇村初心故事会", 10)
    services.link_role_model_sessions(rm, sessions=[ours, theirs])
    for user, expected in [(cast.users.secretary, 1), (cast.users.town_admin, 2)]:
        client.logout()
        login(user)
        listed = client.get("/activities/role-models/").content.decode()
        count = re.search(r"用于学习活动 (\d+) 场", listed)
        page = client.get(f"/activities/role-models/{rm.pk}/").content.decode()
        shown = page.split("作为学习材料", 1)[1].split("<h2>", 1)[0].count("/study/sessions/")
        assert int(count.group(1)) == shown == expected
        assert services.role_model_session_counts([rm], user=user)[rm.pk] == \
            services.role_model_sessions(rm, user=user).count() == expected
