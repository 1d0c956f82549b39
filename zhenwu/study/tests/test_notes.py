"""学习笔记: a member's notes of a session they attended (text or photo, from 我的学习), checked or
returned by the secretary, scoped and audited; and coverage that requires them for an item."""

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import load_workbook
from PIL import Image

from conftest import PASSWORD
from zhenwu.accounts.models import Role, User
from zhenwu.audit.models import AuditEntry
from zhenwu.org.models import Member
from zhenwu.study import coverage, services
from zhenwu.study.models import (
    Attendance,
    MakeUpStatus,
    MakeUpTask,
    NotesRule,
    NoteStatus,
    StudyNote,
)

from .conftest import local


def _account(username, role, **scope):
    user = User(username=username, role=role, full_name=username, **scope)
    user.set_password(PASSWORD)
    user.save()
    return user


@pytest.fixture
def zhao_user(cast, study):
    """赵六 (attended the class and the lesson) with a member account."""
    user = _account("zhao6", Role.MEMBER)
    study.zhao.user = user
    study.zhao.save(update_fields=["user"])
    return user


@pytest.fixture
def jizhen_secretary(cast):
    return _account("secretary2", Role.SECRETARY, area=cast.jizhen, party_org=cast.jizhen_org)


def _photo():
    out = io.BytesIO()
    Image.new("RGB", (60, 80), (250, 250, 240)).save(out, "JPEG")
    return SimpleUploadedFile("notebook.jpg", out.getvalue(), content_type="image/jpeg")


def _note(study, member, user, text="学习要点：不忘初心", session=None):
    note, _ = services.submit_study_note(session or study.study_class, member=member, by=user, text=text)
    return note


# --- writing and checking -------------------------------------------------------------------------


def test_a_member_writes_notes_with_a_photo_from_my_study_and_the_write_is_audited(client, login, cast, study, zhao_user):
    login(zhao_user)
    page = client.get("/study/me/").content.decode()
    assert f'data-testid="note-{study.study_class.pk}"' in page and "写笔记" in page
    response = client.post(f"/study/sessions/{study.study_class.pk}/note/",
                           {"text": "学习要点：把初心使命转化为实干", "photo": _photo()})
    assert response.status_code == 302 and response["Location"] == "/study/me/"
    note = StudyNote.objects.get()
    assert (note.member, note.session, note.status) == (study.zhao, study.study_class, NoteStatus.SUBMITTED)
    assert note.photo and note.photo_content_type == "image/jpeg"
    entry = AuditEntry.objects.get(object_type="study.StudyNote", object_id=str(note.pk))
    assert entry.action == "create" and entry.actor_id == zhao_user.pk
    assert client.get(f"/study/notes/{note.pk}/photo/").status_code == 200
    assert "待审阅" in client.get("/study/me/").content.decode()


def test_notes_need_text_or_a_photo_and_a_session_the_member_signed_in_to(client, login, cast, study, zhao_user):
    login(zhao_user)
    empty = client.post(f"/study/sessions/{study.study_class.pk}/note/", {"text": "  "})
    assert empty.status_code == 422 and "请填写笔记内容或拍照上传笔记" in empty.content.decode()
    Attendance.objects.filter(member=study.zhao, session=study.study_class).delete()
    assert client.get(f"/study/sessions/{study.study_class.pk}/note/").status_code == 403
    with pytest.raises(services.StudyError) as exc:
        services.submit_study_note(study.study_class, member=study.zhao, by=zhao_user, text="补写")
    assert exc.value.message == "只能为已签到参加的学习提交笔记"
    with pytest.raises(services.StudyError) as exc:
        services.submit_study_note(study.lesson, member=study.zhao, by=cast.users.secretary, text="代写")
    assert exc.value.message == "只有党员本人可以提交学习笔记"
    assert not StudyNote.objects.exists()


def test_the_secretary_returns_with_a_comment_then_checks_and_a_checked_note_is_final(client, login, cast, study,
                                                                                    zhao_user):
    note = _note(study, study.zhao, zhao_user)
    login(cast.users.secretary)
    listing = client.get("/study/notes/?status=submitted").content.decode()
    assert "赵六" in listing
    no_comment = client.post(f"/study/notes/{note.pk}/check/", {"decision": "return", "comment": ""})
    assert no_comment.status_code == 422 and "退回补充时请写明审阅意见" in no_comment.content.decode()
    client.post(f"/study/notes/{note.pk}/check/", {"decision": "return", "comment": "请补充联系实际的打算"})
    note.refresh_from_db()
    assert (note.status, note.check_comment, note.checked_by) == (NoteStatus.RETURNED, "请补充联系实际的打算",
                                                                  cast.users.secretary)
    client.logout()
    login(zhao_user)
    assert "请补充联系实际的打算" in client.get(f"/study/sessions/{study.study_class.pk}/note/").content.decode()
    client.post(f"/study/sessions/{study.study_class.pk}/note/", {"text": "补充：带头做好秸秆禁烧宣传"})
    note.refresh_from_db()
    assert note.status == NoteStatus.SUBMITTED and note.check_comment == "" and note.checked_by is None
    client.logout()
    login(cast.users.secretary)
    client.post(f"/study/notes/{note.pk}/check/", {"decision": "accept", "comment": "认真"})
    note.refresh_from_db()
    assert note.status == NoteStatus.CHECKED
    with pytest.raises(services.StudyError) as exc:
        services.submit_study_note(study.study_class, member=study.zhao, by=zhao_user, text="再改")
    assert exc.value.message == "笔记已审阅，不能再修改"
    updates = AuditEntry.objects.filter(object_type="study.StudyNote", action="update")
    assert updates.count() == 3  # returned, revised, checked


def test_another_villages_secretary_neither_sees_nor_checks_the_note(client, login, cast, study, zhao_user,
                                                                     jizhen_secretary):
    note = _note(study, study.zhao, zhao_user)
    login(jizhen_secretary)
    assert "赵六" not in client.get("/study/notes/").content.decode()
    assert client.get(f"/study/notes/{note.pk}/").status_code == 404
    assert client.post(f"/study/notes/{note.pk}/check/", {"decision": "accept"}).status_code == 404
    assert client.get(f"/study/notes/{note.pk}/photo/").status_code == 404
    note.refresh_from_db()
    assert note.status == NoteStatus.SUBMITTED


def test_an_instructor_reads_guided_notes_but_does_not_check_them(client, login, cast, study, zhao_user):
    note = _note(study, study.zhao, zhao_user)
    login(cast.users.instructor)
    page = client.get(f"/study/notes/{note.pk}/").content.decode()
    assert "学习要点" in page and 'data-testid="check-form"' not in page
    assert client.post(f"/study/notes/{note.pk}/check/", {"decision": "accept"}).status_code == 403


def test_a_member_sees_only_their_own_notes(client, login, cast, study, zhao_user):
    note = _note(study, study.zhao, zhao_user)
    login(cast.users.member)  # 黎干亮
    assert client.get(f"/study/notes/{note.pk}/").status_code == 404
    assert client.get("/study/notes/").status_code == 403


def test_the_session_page_counts_notes_for_staff_and_offers_the_member_theirs(client, login, cast, study, zhao_user):
    _note(study, study.zhao, zhao_user)
    login(cast.users.secretary)
    page = client.get(f"/study/sessions/{study.study_class.pk}/").content.decode()
    assert 'data-testid="session-notes">1 份（待审阅 1）<' in page
    client.logout()
    login(zhao_user)
    mine = client.get(f"/study/sessions/{study.study_class.pk}/").content.decode()
    assert 'data-testid="my-note"' in mine and "待审阅" in mine


# --- coverage with a notes rule -----------------------------------------------------------------------


def _require_notes(study, rule):
    item = study.class_item
    services.update_campaign_item(item, kind=item.kind, title=item.title, notes_rule=rule,
                                  by=study.campaign.created_by)
    return item


def _statuses(study):
    members = [study.zhao, study.wang, study.li, study.lgl, study.chen, study.peng]
    statuses = coverage.pair_statuses([m.pk for m in members], [study.class_item.pk])
    return {m.name: statuses.get((m.pk, study.class_item.pk), coverage.Status.MISSING) for m in members}


def test_without_a_rule_attendance_alone_completes_the_item(cast, study):
    assert _statuses(study) == {"赵六": "done", "王五": "missing", "李四": "excused", "黎干亮": "made_up",
                                "陈七": "done", "彭镇铭": "missing"}


def test_with_a_submitted_rule_attendees_without_notes_owe_them_and_count_as_not_completed(cast, study, zhao_user):
    _require_notes(study, NotesRule.SUBMITTED)
    before = coverage.summary(study.campaign)
    assert _statuses(study)["赵六"] == _statuses(study)["陈七"] == coverage.Status.NOTES_DUE
    assert _statuses(study)["黎干亮"] == coverage.Status.MADE_UP  # a home lesson needs no notes
    _note(study, study.zhao, zhao_user)
    assert _statuses(study)["赵六"] == coverage.Status.DONE
    after = coverage.summary(study.campaign)
    assert after.overall.done == before.overall.done + 1
    assert after.overall.notes_due == before.overall.notes_due - 1 == 1  # 陈七 still owes notes
    assert after.overall.missing == before.overall.missing - 1


def test_with_a_checked_rule_only_a_checked_note_completes_the_item(cast, study, zhao_user):
    _require_notes(study, NotesRule.CHECKED)
    note = _note(study, study.zhao, zhao_user)
    assert _statuses(study)["赵六"] == coverage.Status.NOTES_DUE
    services.check_study_note(note, accept=False, comment="太简略", by=cast.users.secretary)
    assert _statuses(study)["赵六"] == coverage.Status.NOTES_DUE
    services.submit_study_note(study.study_class, member=study.zhao, by=zhao_user, text="补充后的笔记")
    note.refresh_from_db()
    services.check_study_note(note, accept=True, by=cast.users.secretary)
    assert _statuses(study)["赵六"] == coverage.Status.DONE


def test_the_summary_figures_equal_a_count_from_the_pair_statuses(cast, study, zhao_user):
    """Every figure of the summary, recomputed independently from the per-pair statuses."""
    _require_notes(study, NotesRule.SUBMITTED)
    _note(study, study.zhao, zhao_user)
    overview = coverage.summary(study.campaign)
    members = [row for org in overview.orgs for row in coverage.org_grid(study.campaign, org.org)]
    cells = [status for row in members for _, status in row.cells]
    assert overview.overall.total == len(cells)
    assert overview.overall.done == cells.count(coverage.Status.DONE)
    assert overview.overall.made_up == cells.count(coverage.Status.MADE_UP)
    assert overview.overall.excused == cells.count(coverage.Status.EXCUSED)
    assert overview.overall.notes_due == cells.count(coverage.Status.NOTES_DUE) == 1
    assert overview.overall.missing == cells.count(coverage.Status.MISSING) + cells.count(coverage.Status.NOTES_DUE)


def test_a_rule_on_one_item_of_a_session_leaves_its_other_items_alone(cast, study):
    # 初心故事会 satisfies 专题党课 and the optional 草根宣讲; only 专题党课 requires notes.
    item = study.lesson_item
    services.update_campaign_item(item, kind=item.kind, title=item.title, notes_rule=NotesRule.SUBMITTED)
    statuses = coverage.pair_statuses([study.zhao.pk], [study.lesson_item.pk, study.optional.pk])
    assert statuses == {(study.zhao.pk, study.lesson_item.pk): coverage.Status.NOTES_DUE,
                        (study.zhao.pk, study.optional.pk): coverage.Status.DONE}


def test_owing_notes_needs_no_home_lesson_the_make_up_task_closes_as_attended(cast, study):
    _require_notes(study, NotesRule.SUBMITTED)
    services.generate_makeup_tasks(campaign=study.campaign, now=local(2019, 10, 20))
    assert not MakeUpTask.objects.filter(member=study.zhao).exists()
    services.tick_roster(study.study_class, member=study.wang, by=cast.users.secretary, reason="到会未签到，经核实")
    assert MakeUpTask.objects.get(member=study.wang, item=study.class_item).status == MakeUpStatus.ATTENDED


def test_the_coverage_page_and_ledger_show_the_notes_due(client, login, cast, study):
    _require_notes(study, NotesRule.SUBMITTED)
    login(cast.users.town_admin)
    page = client.get(f"/study/campaigns/{study.campaign.pk}/coverage/").content.decode()
    assert 'data-testid="notes-due"' in page and "缺笔记" in page
    org_page = client.get(f"/study/campaigns/{study.campaign.pk}/coverage/orgs/{cast.jiulong_branch.pk}/").content.decode()
    assert "第三期学习班（缺笔记）" in org_page
    workbook = load_workbook(io.BytesIO(b"".join(client.get(
        f"/study/campaigns/{study.campaign.pk}/coverage/export/").streaming_content)))
    rows = {r[2]: r for r in workbook.active.iter_rows(min_row=3, values_only=True)}
    assert rows["赵六"][4] == "缺笔记" and "第三期学习班（缺笔记）" in rows["赵六"][-1]


def test_the_item_form_sets_the_rule(client, login, cast, study):
    login(cast.users.town_admin)
    item = study.class_item
    response = client.post(f"/study/items/{item.pk}/edit/", {"kind": item.kind, "title": item.title,
                                                              "notes_rule": "checked"})
    assert response.status_code == 302
    item.refresh_from_db()
    assert item.notes_rule == NotesRule.CHECKED
    assert AuditEntry.objects.filter(object_type="study.CampaignItem", object_id=str(item.pk), action="update").exists()
    detail = client.get(f"/study/campaigns/{study.campaign.pk}/").content.decode()
    assert "须提交学习笔记并经书记审阅" in detail


def test_the_notes_list_reads_a_bounded_number_of_queries(client, login, cast, study, django_assert_max_num_queries):
    for n in range(15):
        member = study.zhao if n == 0 else Member.objects.create(party_org=cast.jiulong_branch, name=f"党员{n}")
        user = _account(f"m{n}", Role.MEMBER)
        member.user = user
        member.save(update_fields=["user"])
        if n:  # 赵六 attended already
            services.tick_roster(study.lesson, member=member, by=cast.users.secretary, reason="到会")
        services.submit_study_note(study.lesson, member=member, by=user, text=f"笔记{n}")
    login(cast.users.secretary)
    with django_assert_max_num_queries(12):
        page = client.get("/study/notes/").content.decode()
    assert page.count("初心故事会") == 15
