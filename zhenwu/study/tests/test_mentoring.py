"""Make-up tasks, home lessons (送学上门) and mentoring (1+1, 1+N)."""

import datetime
import io
import re

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from conftest import PASSWORD
from zhenwu.accounts.models import Role, User
from zhenwu.audit.models import AuditEntry
from zhenwu.study import services
from zhenwu.study.models import HomeLesson, MakeUpReason, MakeUpStatus, MakeUpTask, Mentorship

from .conftest import local

AFTER = local(2019, 10, 20)


def tasks():
    return {(t.member.name, t.item.title): (t.reason, t.status) for t in MakeUpTask.objects.select_related("member",
                                                                                                        "item")}


def test_flagged_members_and_absentees_get_make_up_tasks_with_their_reason(cast, study):
    created = services.generate_makeup_tasks(campaign=study.campaign, now=AFTER)
    assert tasks() == {
        # 黎干亮 (elderly) was taught at home for both items already: nothing left to make up.
        ("王五", "第三期学习班"): (MakeUpReason.ABSENT, MakeUpStatus.OPEN),
        ("李四", "第三期学习班"): (MakeUpReason.LEAVE, MakeUpStatus.OPEN),
        ("彭镇铭", "第三期学习班"): (MakeUpReason.FLAGGED, MakeUpStatus.OPEN),
        ("彭镇铭", "专题党课"): (MakeUpReason.FLAGGED, MakeUpStatus.OPEN),
    }
    assert created == 4
    assert AuditEntry.objects.filter(object_type="study.MakeUpTask", action="create").count() == 4
    assert services.generate_makeup_tasks(campaign=study.campaign, now=AFTER) == 0


def test_before_a_session_ends_only_flagged_members_get_tasks(cast, study):
    services.generate_makeup_tasks(campaign=study.campaign, now=local(2019, 9, 1))
    assert {name for name, _ in tasks()} == {"彭镇铭"}


def test_a_home_lesson_closes_the_task_and_a_late_sign_in_closes_another(cast, study):
    services.generate_makeup_tasks(campaign=study.campaign, now=AFTER)
    lesson = services.record_home_lesson(member=study.li, mentor=study.zhao, given_on=datetime.date(2019, 10, 21),
                                         content="送读本，学习第三期学习班内容", items=[study.class_item],
                                         confirmation="signed", by=cast.users.secretary)
    services.tick_roster(study.study_class, member=study.wang, by=cast.users.secretary, reason="到会未签到，经核实")
    task = MakeUpTask.objects.get(member=study.li)
    assert (task.status, task.lesson_id) == (MakeUpStatus.MADE_UP, lesson.pk) and task.closed_at is not None
    assert MakeUpTask.objects.get(member=study.wang).status == MakeUpStatus.ATTENDED
    services.remove_attendance(study.study_class, member=study.wang, by=cast.users.secretary, reason="误签")
    assert MakeUpTask.objects.get(member=study.wang).status == MakeUpStatus.OPEN


def test_a_home_lesson_needs_items_content_and_a_real_photo(cast, study):
    base = dict(member=study.wang, given_on=datetime.date(2019, 10, 21), confirmation="signed",
                by=cast.users.secretary)
    with pytest.raises(services.StudyError) as error:
        services.record_home_lesson(content="学习", items=[], **base)
    assert error.value.field == "items"
    with pytest.raises(services.StudyError) as error:
        services.record_home_lesson(content=" ", items=[study.class_item], **base)
    assert error.value.field == "content"
    fake = SimpleUploadedFile("photo.jpg", b"not an image at all", content_type="image/jpeg")
    with pytest.raises(services.StudyError) as error:
        services.record_home_lesson(content="学习", items=[study.class_item], photo=fake, **base)
    assert "不是有效的图片" in error.value.message
    with pytest.raises(services.StudyError) as error:
        services.record_home_lesson(content="学习", items=[study.class_item], **{**base, "given_on":
                                                                                 datetime.date(2099, 1, 1)})
    assert error.value.field == "given_on"
    assert not HomeLesson.objects.filter(member=study.wang).exists()


def _jpeg():
    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, "JPEG")
    return SimpleUploadedFile("送学.jpg", buffer.getvalue(), content_type="image/jpeg")


def test_a_mentorship_pairs_one_mentor_with_one_or_several_members(cast, study):
    one = services.create_mentorship(mentor=study.zhao, mentees=[study.lgl], started_on=datetime.date(2019, 9, 20))
    many = services.create_mentorship(mentor=study.chen, mentees=[study.wang, study.li, study.peng],
                                      started_on=datetime.date(2019, 9, 20))
    assert AuditEntry.objects.get(object_type="study.Mentorship", object_id=str(one.pk)).note.startswith("1+1帮学")
    assert "1+3帮学" in AuditEntry.objects.get(object_type="study.Mentorship", object_id=str(many.pk)).note
    with pytest.raises(services.StudyError) as error:
        services.create_mentorship(mentor=study.zhao, mentees=[study.wang], started_on=datetime.date(2019, 9, 21))
    assert "王五已与陈七结对帮学" in error.value.message
    with pytest.raises(services.StudyError):
        services.create_mentorship(mentor=study.zhao, mentees=[study.zhao], started_on=datetime.date(2019, 9, 21))
    services.end_mentorship(many, ended_on=datetime.date(2019, 12, 1))
    services.create_mentorship(mentor=study.zhao, mentees=[study.wang], started_on=datetime.date(2019, 12, 2))
    assert Mentorship.objects.filter(ended_on__isnull=True).count() == 2


@pytest.fixture
def mentor_user(cast, study):
    user = User(username="zhaoliu", role=Role.MEMBER, full_name="赵六")
    user.set_password(PASSWORD)
    user.save()
    study.zhao.user = user
    study.zhao.save()
    services.create_mentorship(mentor=study.zhao, mentees=[study.wang, study.li], started_on=datetime.date(2019, 9, 20))
    services.generate_makeup_tasks(campaign=study.campaign, now=AFTER)
    return user


def test_a_mentor_sees_their_members_and_pending_lessons_and_records_one_with_a_photo(client, cast, study,
                                                                                    mentor_user, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    client.post("/accounts/login/", {"username": "zhaoliu", "password": PASSWORD})
    body = client.get("/study/me/").content.decode()
    mentees = body.split('data-testid="my-mentees"')[1].split("</ul>")[0]
    assert "王五" in mentees and "李四" in mentees and "待补学 1 项" in mentees

    form = client.get(f"/study/home-lessons/new/?member={study.wang.pk}").content.decode()
    # The member's open item is ticked in advance, the item they have done is not.
    checked = set(re.findall(r'name="items" value="(\d+)" id="[^"]+" checked', form))
    assert checked == {str(study.class_item.pk)}
    response = client.post("/study/home-lessons/new/", {
        "member": study.wang.pk, "given_on": "2019-10-22", "items": [study.class_item.pk],
        "content": "送读本：逐段学习第三期学习班内容，交流心得", "confirmation": "thumbprint", "photo": _jpeg(),
    })
    assert response.status_code == 302
    lesson = HomeLesson.objects.get(member=study.wang)
    assert lesson.mentor == study.zhao and lesson.recorded_by == mentor_user and lesson.is_confirmed
    assert lesson.photo_content_type == "image/jpeg"
    assert client.get(f"/study/home-lessons/{lesson.pk}/photo/").status_code == 200
    assert MakeUpTask.objects.get(member=study.wang).status == MakeUpStatus.MADE_UP

    # Not the mentor's member: refused by the form's choices.
    response = client.post("/study/home-lessons/new/", {
        "member": study.peng.pk, "given_on": "2019-10-22", "items": [study.class_item.pk], "content": "x",
        "confirmation": "signed",
    })
    assert response.status_code == 200 and not HomeLesson.objects.filter(member=study.peng).exists()
    client.logout()
    login_as = User.objects.get(username="grid1")
    client.force_login(login_as)
    assert client.get(f"/study/home-lessons/{lesson.pk}/photo/").status_code == 404


def test_a_member_without_mentees_cannot_record_lessons(client, login, cast, study):
    login(cast.users.member)
    assert client.get("/study/home-lessons/new/").status_code == 403


def test_the_member_confirms_a_lesson_on_their_own_page(client, login, cast, study):
    lesson = services.record_home_lesson(member=study.lgl, mentor=study.zhao, given_on=datetime.date(2019, 11, 1),
                                         content="学习《初心》学习手册", items=[study.class_item], confirmation="app",
                                         by=cast.users.secretary)
    login(cast.users.member)
    body = client.get("/study/me/").content.decode()
    assert 'data-testid="to-confirm"' in body and "学习《初心》学习手册" in body
    client.post(f"/study/home-lessons/{lesson.pk}/confirm/")
    lesson.refresh_from_db()
    assert lesson.is_confirmed


def test_the_lesson_page_lists_open_tasks_with_bounded_queries(client, login, cast, study,
                                                               django_assert_max_num_queries):
    from zhenwu.org.models import Member

    Member.objects.bulk_create([Member(party_org=cast.jiulong_branch, name=f"老党员{i}", is_elderly=True)
                                for i in range(20)])
    services.generate_makeup_tasks(campaign=study.campaign, now=AFTER)
    login(cast.users.secretary)
    with django_assert_max_num_queries(15):
        response = client.get("/study/home-lessons/")
    body = response.content.decode()
    pending = body.split('data-testid="pending-lessons"')[1].split("</ul>")[0]
    assert "老党员19" in pending and "王五" in pending and "彭镇铭" not in pending


def test_a_secretary_arranges_a_mentorship_through_the_page(client, login, cast, study):
    login(cast.users.secretary)
    response = client.post("/study/mentorships/new/", {
        "mentor": study.zhao.pk, "mentees": [study.wang.pk, study.lgl.pk], "started_on": "2019-09-20",
    })
    assert response.status_code == 302
    body = client.get("/study/mentorships/").content.decode()
    assert "1+2" in body and "赵六" in body
    response = client.post("/study/mentorships/new/", {
        "mentor": study.li.pk, "mentees": [study.wang.pk], "started_on": "2019-09-21",
    })
    assert "王五已与赵六结对帮学" in response.content.decode()


def test_a_home_lesson_photo_is_stored_without_the_gps_position_of_the_members_home(cast, study, settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path
    exif = Image.Exif()
    exif.get_ifd(0x8825).update({1: "N", 2: (28.0, 10.0, 0.0), 3: "E", 4: (113.0, 38.0, 0.0)})
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(buffer, "JPEG", exif=exif)
    assert Image.open(io.BytesIO(buffer.getvalue())).getexif().get_ifd(0x8825)  # the fixture carries one
    photo = SimpleUploadedFile("送学.jpg", buffer.getvalue(), content_type="image/jpeg")
    lesson = services.record_home_lesson(member=study.wang, given_on=datetime.date(2019, 10, 21),
                                         confirmation="signed", by=cast.users.secretary, content="学习",
                                         items=[study.class_item], photo=photo)
    assert lesson.photo_content_type == "image/jpeg"
    with lesson.photo.open("rb") as stored, Image.open(stored) as image:
        assert not image.getexif().get_ifd(0x8825)
