"""An instructor (主题教育指导员) registers a 送学上门 they delivered, for members of the branches they
guide; the lesson shows them as its 送学人, makes up the items like any confirmed lesson, and is
audited."""

import datetime

import pytest

from zhenwu.audit.models import AuditEntry
from zhenwu.study import coverage, services
from zhenwu.study.models import HomeLesson


def test_an_instructor_registers_a_lesson_they_delivered_and_is_its_deliverer(client, login, cast, study):
    login(cast.users.instructor)
    response = client.post("/study/home-lessons/new/", {
        "member": study.wang.pk, "given_on": "2019-10-22", "items": [study.class_item.pk],
        "content": "送读本上门，逐段学习第三期学习班内容", "confirmation": "thumbprint",
    })
    assert response.status_code == 302
    lesson = HomeLesson.objects.get(member=study.wang)
    assert (lesson.instructor, lesson.mentor, lesson.recorded_by) == (cast.users.instructor, None, cast.users.instructor)
    assert lesson.is_confirmed
    assert coverage.member_statuses(study.wang, study.campaign)[0][1] == coverage.Status.MADE_UP
    entry = AuditEntry.objects.get(object_type="study.HomeLesson", object_id=str(lesson.pk))
    assert "送学人：instructor1（指导员）" in entry.note and entry.actor_id == cast.users.instructor.pk
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="deliverer">instructor1（指导员）<' in page
    listing = client.get("/study/home-lessons/").content.decode()
    assert "送学人 instructor1（指导员）" in listing and "登记送学" in listing


def test_an_instructor_cannot_register_a_lesson_for_a_member_of_a_branch_they_do_not_guide(client, login, cast, study):
    login(cast.users.instructor)
    response = client.post("/study/home-lessons/new/", {
        "member": study.chen.pk, "given_on": "2019-10-22", "items": [study.class_item.pk],
        "content": "送学", "confirmation": "signed",
    })
    assert response.status_code == 200 and "member" in response.context["form"].errors
    assert not HomeLesson.objects.filter(member=study.chen).exists()


def test_the_instructor_form_has_no_mentor_choice_and_names_the_instructor(client, login, cast, study):
    login(cast.users.instructor)
    page = client.get("/study/home-lessons/new/").content.decode()
    assert 'name="mentor"' not in page and "本记录的送学人为您本人" in page


def test_only_an_instructor_account_may_be_recorded_as_the_instructor(cast, study):
    with pytest.raises(services.StudyError) as exc:
        services.record_home_lesson(member=study.wang, instructor=cast.users.secretary,
                                    given_on=datetime.date(2019, 10, 22), content="送学", items=[study.class_item],
                                    confirmation="signed", by=cast.users.secretary)
    assert exc.value.field == "instructor"


def test_a_lesson_by_a_member_mentor_still_shows_the_mentor(client, login, cast, study):
    lesson = HomeLesson.objects.get(member=study.lgl)
    assert lesson.deliverer_label == "赵六"
    login(cast.users.secretary)
    assert 'data-testid="deliverer">赵六<' in client.get(f"/study/home-lessons/{lesson.pk}/").content.decode()


def test_the_office_names_who_delivered_a_lesson_and_the_page_shows_them(client, login, cast, study):
    services.create_mentorship(mentor=study.zhao, mentees=[study.wang], started_on=datetime.date(2019, 10, 1),
                               by=cast.users.secretary)
    login(cast.users.secretary)  # the secretary's account is not a member: "本人" would name nobody
    form = client.get(f"/study/home-lessons/new/?member={study.wang.pk}")
    # The member's mentor is proposed as the deliverer; the branch's instructor may be chosen instead.
    assert form.context["form"]["mentor"].value() == study.zhao.pk
    assert list(form.context["form"].fields["instructor"].queryset) == [cast.users.instructor]
    base = {"member": study.wang.pk, "given_on": "2019-10-22", "items": [study.class_item.pk],
            "content": "送读本上门", "confirmation": "signed"}
    refused = client.post("/study/home-lessons/new/", base)
    assert refused.status_code == 200 and "请选择送学人" in refused.content.decode()
    assert not HomeLesson.objects.filter(member=study.wang).exists()
    response = client.post("/study/home-lessons/new/", {**base, "instructor": cast.users.instructor.pk})
    assert response.status_code == 302
    lesson = HomeLesson.objects.get(member=study.wang)
    assert (lesson.instructor, lesson.mentor) == (cast.users.instructor, None)
    assert 'data-testid="deliverer">instructor1（指导员）<' in client.get(response["Location"]).content.decode()


def test_a_lesson_recorded_without_a_deliverer_shows_its_recorder_not_a_dash(client, login, cast, study):
    lesson = services.record_home_lesson(member=study.wang, given_on=datetime.date(2019, 10, 22), content="送学",
                                         items=[study.class_item], confirmation="signed", by=cast.users.secretary)
    login(cast.users.secretary)
    page = client.get(f"/study/home-lessons/{lesson.pk}/").content.decode()
    assert 'data-testid="deliverer">secretary1（登记人）<' in page
