"""六表率 beside 六员: commitments set and withdrawn (audited, evidence protected), records of deeds,
the counts by village, and the pages' scope (another village's secretary sees and changes nothing)."""

import datetime
import io

import pytest
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone
from PIL import Image

from conftest import PASSWORD
from zhenwu.accounts.models import Role, User
from zhenwu.audit.models import AuditEntry
from zhenwu.grid import services
from zhenwu.grid.exemplars import counts_by_village
from zhenwu.grid.models import ExemplarRecord, MemberExemplar, MemberRole
from zhenwu.org.models import Member


@pytest.fixture
def jizhen_secretary(cast):
    user = User(username="secretary2", role=Role.SECRETARY, full_name="集镇村书记", area=cast.jizhen,
                party_org=cast.jizhen_org)
    user.set_password(PASSWORD)
    user.save()
    return user


def _photo():
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "JPEG")
    return SimpleUploadedFile("deed.jpg", out.getvalue(), content_type="image/jpeg")


def test_commitments_are_replaced_with_their_pledges_and_every_change_is_audited(cast):
    member = cast.members.jiulong
    services.set_member_exemplars(member=member, kinds=["customs", "study"], by=cast.users.secretary,
                                  pledges={"customs": "带头简办红白喜事"})
    assert dict(MemberExemplar.objects.filter(member=member).values_list("kind", "pledge")) == {
        "customs": "带头简办红白喜事", "study": ""}
    services.set_member_exemplars(member=member, kinds=["customs", "service"], by=cast.users.secretary,
                                  pledges={"customs": "带头简办红白喜事，劝导邻里"})
    assert sorted(MemberExemplar.objects.filter(member=member).values_list("kind", flat=True)) == ["customs", "service"]
    entries = AuditEntry.objects.filter(object_type="grid.MemberExemplar")
    # two created, one deleted, one created, one pledge changed
    assert entries.count() == 5
    assert sorted(entries.values_list("action", flat=True)) == sorted(["create", "create", "delete", "create", "update"])


def test_an_unknown_commitment_is_refused_in_chinese(cast):
    with pytest.raises(ValidationError) as exc:
        services.set_member_exemplars(member=cast.members.jiulong, kinds=["bravest"], by=cast.users.secretary)
    assert exc.value.message_dict == {"exemplars": ["六表率不正确"]}


def test_a_commitment_with_records_cannot_be_withdrawn(cast):
    member = cast.members.jiulong
    services.set_member_exemplars(member=member, kinds=["rules"], by=cast.users.secretary)
    exemplar = MemberExemplar.objects.get(member=member)
    services.record_exemplar_deed(exemplar=exemplar, done_on=timezone.localdate(), description="带头签订禁烧承诺书",
                                  by=cast.users.secretary)
    with pytest.raises(ValidationError) as exc:
        services.set_member_exemplars(member=member, kinds=[], by=cast.users.secretary)
    assert "已有1条事迹记录，不能取消" in exc.value.message_dict["exemplars"][0]
    assert MemberExemplar.objects.filter(member=member).count() == 1


def test_a_deed_is_dated_not_in_the_future_and_its_photo_is_cleaned_and_audited(cast):
    services.set_member_exemplars(member=cast.members.jiulong, kinds=["service"], by=cast.users.grid_worker)
    exemplar = MemberExemplar.objects.get()
    tomorrow = timezone.localdate() + datetime.timedelta(days=1)
    with pytest.raises(ValidationError) as exc:
        services.record_exemplar_deed(exemplar=exemplar, done_on=tomorrow, description="x", by=cast.users.grid_worker)
    assert exc.value.message_dict == {"done_on": ["日期不能晚于今天"]}
    with pytest.raises(ValidationError) as exc:
        services.record_exemplar_deed(exemplar=exemplar, done_on=timezone.localdate(), description=" ",
                                      by=cast.users.grid_worker)
    assert exc.value.message_dict == {"description": ["请填写事迹"]}
    record = services.record_exemplar_deed(exemplar=exemplar, done_on=timezone.localdate(),
                                           description="为独居老人代购药品", photo=_photo(), by=cast.users.grid_worker)
    assert record.photo and record.photo_content_type == "image/jpeg"
    entry = AuditEntry.objects.get(object_type="grid.ExemplarRecord")
    assert entry.action == "create" and "服务群众表率" in entry.note
    services.delete_exemplar_deed(record, by=cast.users.grid_worker)
    assert not ExemplarRecord.objects.exists()
    assert AuditEntry.objects.filter(object_type="grid.ExemplarRecord", action="delete").count() == 1


def test_counts_by_village_count_people_once_and_skip_members_off_the_roll(cast):
    jl = cast.members.jiulong
    second = Member.objects.create(party_org=cast.jiulong_org, name="黎二")
    gone = Member.objects.create(party_org=cast.jiulong_org, name="已转出", is_active=False)
    services.set_member_commitments(member=jl, roles=["policy", "mediation"], exemplars=["study", "customs"],
                                    by=cast.users.secretary)
    services.set_member_commitments(member=second, roles=["policy"], exemplars=["customs"], by=cast.users.secretary)
    services.set_member_commitments(member=gone, roles=["safety"], exemplars=["economy"], by=cast.users.secretary)
    services.set_member_commitments(member=cast.members.jizhen, roles=[], exemplars=["service"],
                                    by=cast.users.town_admin)
    customs = MemberExemplar.objects.get(member=jl, kind="customs")
    for day in (1, 2):
        services.record_exemplar_deed(exemplar=customs, done_on=timezone.localdate() - datetime.timedelta(days=day),
                                      description="劝导简办", by=cast.users.secretary)

    rows, total = counts_by_village(cast.town)
    by_name = {r.village.name: r for r in rows}
    jiulong, jizhen = by_name["九龙村"], by_name["集镇村"]
    # An independent count from the rows, by the module's rule.
    active_jl = Member.objects.filter(is_active=True, party_org__area=cast.jiulong)
    assert jiulong.members == active_jl.count() == 2
    assert jiulong.with_roles == MemberRole.objects.filter(member__in=active_jl).values("member").distinct().count() == 2
    assert jiulong.with_exemplars == 2
    assert jiulong.roles == {"policy": 2, "mediation": 1}
    assert jiulong.exemplars == {"study": 1, "customs": 2}
    assert jiulong.records == 2
    assert (jizhen.members, jizhen.with_roles, jizhen.with_exemplars, jizhen.exemplars) == (1, 0, 1, {"service": 1})
    assert (total.members, total.with_exemplars, total.records) == (3, 3, 2)
    rows, _ = counts_by_village(cast.town, start=timezone.localdate() - datetime.timedelta(days=1))
    assert {r.village.name: r.records for r in rows}["九龙村"] == 1


# --- pages ------------------------------------------------------------------------------------------


def test_the_secretary_sets_six_roles_and_six_exemplars_on_one_form(cast, client, login):
    member = cast.members.jiulong
    login(cast.users.secretary)
    page = client.get(f"/grid/members/{member.pk}/roles/")
    assert page.status_code == 200 and "遵规守约表率" in page.content.decode()
    response = client.post(f"/grid/members/{member.pk}/roles/", {
        "roles": ["policy"], "exemplars": ["rules", "economy"], "pledge_rules": "带头秸秆禁烧",
    })
    assert response.status_code == 302 and response["Location"] == f"/grid/members/{member.pk}/"
    assert list(MemberRole.objects.filter(member=member).values_list("role", flat=True)) == ["policy"]
    assert dict(MemberExemplar.objects.filter(member=member).values_list("kind", "pledge")) == {
        "economy": "", "rules": "带头秸秆禁烧"}
    detail = client.get(f"/grid/members/{member.pk}/").content.decode()
    assert "政策宣传员" in detail and "产业发展表率" in detail and "带头秸秆禁烧" in detail


def test_another_villages_secretary_can_neither_see_nor_change_the_member(cast, client, login, jizhen_secretary):
    member = cast.members.jiulong
    services.set_member_exemplars(member=member, kinds=["rules"], by=cast.users.secretary)
    exemplar = MemberExemplar.objects.get()
    record = services.record_exemplar_deed(exemplar=exemplar, done_on=timezone.localdate(), description="禁烧",
                                           by=cast.users.secretary)
    login(jizhen_secretary)
    assert client.get(f"/grid/members/{member.pk}/").status_code == 404
    assert client.get(f"/grid/members/{member.pk}/roles/").status_code == 404
    assert client.post(f"/grid/members/{member.pk}/roles/", {"exemplars": []}).status_code == 404
    assert client.post(f"/grid/members/{member.pk}/deeds/", {
        "exemplar": exemplar.pk, "done_on": timezone.localdate().isoformat(), "description": "伪造"}).status_code == 404
    assert client.post(f"/grid/deeds/{record.pk}/delete/").status_code == 404
    assert client.get(f"/grid/deeds/{record.pk}/photo/").status_code == 404
    overview = client.get("/grid/exemplars/").content.decode()
    assert "集镇村" in overview and "九龙村" not in overview
    assert ExemplarRecord.objects.count() == 1 and MemberExemplar.objects.count() == 1


def test_a_deed_posted_on_the_member_page_is_recorded_and_audited(cast, client, login):
    member = cast.members.jiulong
    services.set_member_exemplars(member=member, kinds=["mediation"], by=cast.users.secretary)
    exemplar = MemberExemplar.objects.get()
    login(cast.users.grid_worker)
    response = client.post(f"/grid/members/{member.pk}/deeds/", {
        "exemplar": exemplar.pk, "done_on": timezone.localdate().isoformat(), "description": "调解两户宅基地纠纷",
        "photo": _photo()})
    assert response.status_code == 302
    record = ExemplarRecord.objects.get()
    assert record.recorded_by == cast.users.grid_worker and record.exemplar == exemplar
    assert AuditEntry.objects.filter(object_type="grid.ExemplarRecord", object_id=str(record.pk)).exists()
    assert client.get(f"/grid/deeds/{record.pk}/photo/").status_code == 200
    bad = client.post(f"/grid/members/{member.pk}/deeds/", {
        "exemplar": exemplar.pk, "done_on": (timezone.localdate() + datetime.timedelta(days=3)).isoformat(),
        "description": "明天的事"})
    assert bad.status_code == 422 and "日期不能晚于今天" in bad.content.decode()


def test_a_leader_reads_the_member_page_but_records_nothing(cast, client, login):
    member = cast.members.jiulong
    services.set_member_exemplars(member=member, kinds=["study"], by=cast.users.secretary)
    login(cast.users.leader)
    page = client.get(f"/grid/members/{member.pk}/").content.decode()
    assert "政治学习表率" in page and "登记表率事迹" not in page and "设定六员六表率" not in page
    response = client.post(f"/grid/members/{member.pk}/deeds/", {
        "exemplar": MemberExemplar.objects.get().pk, "done_on": timezone.localdate().isoformat(), "description": "x"})
    assert response.status_code == 403


def test_a_member_sees_their_own_page_only_and_their_tags_on_the_visit_home(cast, client, login):
    services.set_member_commitments(member=cast.members.jiulong, roles=["information"], exemplars=["service"],
                                    by=cast.users.secretary)
    login(cast.users.member)
    own = client.get(f"/grid/members/{cast.members.jiulong.pk}/").content.decode()
    assert "服务群众表率" in own and "登记表率事迹" not in own
    assert client.get(f"/grid/members/{cast.members.jizhen.pk}/").status_code == 404
    home = client.get("/grid/").content.decode()
    assert "民情信息员" in home and "服务群众表率" in home
    assert client.get("/grid/exemplars/").status_code == 403


def test_the_org_member_page_shows_the_six_roles_and_exemplars(cast, client, login):
    services.set_member_commitments(member=cast.members.jiulong, roles=["safety"], exemplars=["economy"],
                                    by=cast.users.secretary)
    login(cast.users.secretary)
    page = client.get(f"/org/members/{cast.members.jiulong.pk}/").content.decode()
    assert 'data-testid="member-grid-section"' in page
    assert "平安守护员" in page and "产业发展表率" in page and f"/grid/members/{cast.members.jiulong.pk}/" in page


def test_the_overview_lists_a_villages_members_with_what_each_holds(cast, client, login):
    services.set_member_commitments(member=cast.members.jiulong, roles=["policy"], exemplars=["customs"],
                                    by=cast.users.secretary)
    login(cast.users.town_admin)
    page = client.get(f"/grid/exemplars/?village={cast.jiulong.pk}").content.decode()
    assert 'data-testid="village-members"' in page and "黎干亮" in page and "移风易俗表率" in page
    assert "彭镇铭" not in page  # 集镇村's member is not listed under 九龙村


def test_withdrawing_a_proven_commitment_on_the_form_shows_why_beside_the_field(cast, client, login):
    member = cast.members.jiulong
    services.set_member_exemplars(member=member, kinds=["customs"], by=cast.users.secretary)
    services.record_exemplar_deed(exemplar=MemberExemplar.objects.get(), done_on=timezone.localdate(),
                                  description="简办喜事", by=cast.users.secretary)
    login(cast.users.secretary)
    response = client.post(f"/grid/members/{member.pk}/roles/", {"roles": ["policy"], "exemplars": []})
    assert response.status_code == 200
    assert response.context["form"].errors["exemplars"] == ["黎干亮的“移风易俗表率”已有1条事迹记录，不能取消"]
    assert MemberExemplar.objects.filter(member=member).count() == 1
    # the whole change is refused, 六员 included (one transaction)
    assert not MemberRole.objects.filter(member=member).exists()


def test_the_overview_reads_a_bounded_number_of_queries(cast, client, login, django_assert_max_num_queries):
    for n in range(12):
        member = Member.objects.create(party_org=cast.jiulong_branch, name=f"党员{n}")
        services.set_member_commitments(member=member, roles=["policy", "safety"], exemplars=["study", "service"],
                                        by=cast.users.secretary)
        services.record_exemplar_deed(exemplar=MemberExemplar.objects.get(member=member, kind="study"),
                                      done_on=timezone.localdate(), description="带头学习", by=cast.users.secretary)
    login(cast.users.secretary)
    with django_assert_max_num_queries(20):
        page = client.get(f"/grid/exemplars/?village={cast.jiulong.pk}").content.decode()
    assert page.count("政治学习表率</span>") == 12
