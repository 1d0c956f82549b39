"""Management commands, the configuration admin, and the query bounds of the list pages."""

import io

import pytest
import time_machine
from django.core.management import CommandError, call_command

from zhenwu.study import services
from zhenwu.study.models import MakeUpTask, StudyNotice

from .conftest import local


def run(*args):
    out = io.StringIO()
    call_command(*args, stdout=out)
    return out.getvalue()


@time_machine.travel(local(2019, 10, 20, 6), tick=False)
def test_the_make_up_command_handles_running_campaigns(cast, study):
    assert "新生成补学任务 4 项" in run("generate_makeup_tasks")
    assert "新生成补学任务 0 项" in run("generate_makeup_tasks", "--campaign", str(study.campaign.pk))
    assert MakeUpTask.objects.count() == 4


@time_machine.travel(local(2019, 10, 20, 6), tick=False)
def test_the_missing_list_command_notifies_secretaries_and_instructors(cast, study):
    assert "发送缺学名单 2 条" in run("send_missing_lists")
    assert set(StudyNotice.objects.values_list("recipient__username", flat=True)) == {"secretary1", "instructor1"}


def test_commands_name_an_unknown_campaign_in_chinese(cast, study):
    with pytest.raises(CommandError, match="没有编号为 999 的主题教育"):
        run("generate_makeup_tasks", "--campaign", "999")
    with time_machine.travel(local(2025, 1, 1), tick=False):
        assert "没有进行中的主题教育" in run("send_missing_lists")


def test_the_study_admin_lists_open_for_a_superuser(client, login, cast, study):
    admin = cast.users.town_admin
    admin.is_staff = admin.is_superuser = True
    admin.save()
    login(admin)
    for name in ("campaign", "campaignitem", "studysession", "attendance", "homelesson", "makeuptask",
                 "mentorship", "instructorassignment", "guidance", "sitecheck"):
        assert client.get(f"/admin/study/{name}/").status_code == 200, name
    assert client.get(f"/admin/study/campaign/{study.campaign.pk}/change/").status_code == 200
    assert client.get("/admin/study/attendance/add/").status_code == 403


@pytest.mark.parametrize("url", ["/study/campaigns/", "/study/mentorships/", "/study/guidance/",
                                 "/study/site-checks/", "/study/packs/", "/study/notices/", "/study/instructors/"])
def test_list_pages_keep_a_bounded_number_of_queries(client, login, cast, study, url, django_assert_max_num_queries):
    import datetime

    from zhenwu.org.models import Member

    admin = cast.users.town_admin
    mentees = Member.objects.bulk_create([Member(party_org=cast.jiulong_branch, name=f"党员{i}") for i in range(12)])
    for i in range(6):
        services.create_mentorship(mentor=mentees[2 * i], mentees=[mentees[2 * i + 1]],
                                   started_on=datetime.date(2019, 9, 20))
        services.record_guidance(instructor=cast.users.instructor, party_org=cast.jiulong_branch,
                                 visited_on=datetime.date(2019, 10, 1 + i), findings="f", advice="a")
        services.record_site_check(party_org=cast.jiulong_branch, checked_on=datetime.date(2019, 10, 1 + i),
                                   scores={f: 15 for f in ("score_organisation", "score_activities", "score_management",
                                                           "score_site", "score_support")})
        pack = services.create_study_pack(name=f"资料包{i}", contents="读本", campaign=study.campaign)
        services.hand_out_pack(pack, members=mentees, handed_on=datetime.date(2019, 9, 5), receipt="signed")
    services.assign_instructor(instructor=cast.users.instructor, party_org=cast.jiulong_branch, by=admin)
    services.send_missing_lists(campaign=study.campaign)
    services.send_missing_lists(campaign=study.campaign)
    login(admin)
    client.get(url)
    with django_assert_max_num_queries(16):
        response = client.get(url)
    assert response.status_code == 200
