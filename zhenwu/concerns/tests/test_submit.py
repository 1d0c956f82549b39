"""Intake from every channel: reference numbers, follow tokens, deadlines, idempotency, bad input."""

import datetime

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from zhenwu.audit.models import AuditEntry
from zhenwu.concerns import access, services
from zhenwu.concerns.models import Channel, Concern, ConcernEvent, ConcernPhoto, Notification, Status, Urgency
from zhenwu.concerns.services import ConcernError, ConcernPermissionDenied, submit_concern
from zhenwu.workdays.calendar import end_of_day

from .conftest import local

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64


def photo(name="p.png", content=PNG):
    return SimpleUploadedFile(name, content, content_type="image/png")


def test_resident_submission_gets_a_reference_a_private_token_and_deadlines(submit, world, time_machine):
    time_machine.move_to(local(2026, 9, 30, 10, 0), tick=False)
    result = submit()
    concern = result.concern
    assert result.created
    assert concern.reference == "GQ-2026-000001"
    assert concern.status == Status.RECEIVED
    assert concern.village == world.cast.jiulong and concern.town == world.cast.town
    assert concern.title == "九龙村学校门口污水横流，学生上学要绕道走"
    # road: response 1, resolution 5 working days; 8, 9, 10 (调休 Saturday), 12, 13 October
    assert concern.response_due == end_of_day(datetime.date(2026, 10, 8))
    assert concern.resolution_due == end_of_day(datetime.date(2026, 10, 13))
    assert len(result.follow_token) >= 40
    assert concern.follow_token_hash != result.follow_token
    assert access.get_concern_by_follow_token(concern.reference, result.follow_token) == concern


def test_reporter_name_and_phone_are_stored_encrypted_and_masked_in_the_audit_log(submit):
    concern = submit().concern
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT reporter_name, reporter_phone FROM concerns_concern WHERE id = %s", [concern.pk]
        )
        raw_name, raw_phone = cursor.fetchone()
    assert "李四" not in raw_name and "13800138000" not in raw_phone
    fresh = Concern.objects.get(pk=concern.pk)
    assert fresh.reporter_name == "李四" and fresh.reporter_phone == "13800138000"
    assert fresh.reporter_phone_masked == "138****8000"
    entry = AuditEntry.objects.get(object_type="concerns.Concern", object_id=str(concern.pk), action="create")
    assert "13800138000" not in str(entry.changes) and "李四" not in str(entry.changes)
    assert entry.changes["reporter_phone"][1] == "138****8000"


def test_reference_numbers_count_up_within_a_year_and_restart_in_the_next(submit, time_machine):
    time_machine.move_to(local(2026, 12, 31, 23, 0), tick=False)
    assert submit().concern.reference == "GQ-2026-000001"
    assert submit().concern.reference == "GQ-2026-000002"
    # 16:30 UTC on 31 December is already 2027 in Beijing
    time_machine.move_to(datetime.datetime(2026, 12, 31, 16, 30, tzinfo=datetime.UTC), tick=False)
    assert submit().concern.reference == "GQ-2027-000001"


def test_a_block_of_references_is_allocated_in_one_go_and_intake_continues_after_it(submit, time_machine):
    time_machine.move_to(local(2026, 9, 30, 10, 0), tick=False)
    assert services.allocate_references(0, year=2026) == []
    assert services.allocate_references(3, year=2026) == ["GQ-2026-000001", "GQ-2026-000002", "GQ-2026-000003"]
    assert services.next_reference(2026) == "GQ-2026-000004"
    assert services.allocate_references(2, year=2025) == ["GQ-2025-000001", "GQ-2025-000002"]
    assert submit().concern.reference == "GQ-2026-000005"


def test_double_submission_with_the_same_key_returns_the_first_concern_and_the_same_link(submit):
    first = submit(idempotency_key="form-1234")
    again = submit(idempotency_key="form-1234")
    assert not again.created
    assert again.concern.pk == first.concern.pk
    assert again.follow_token == first.follow_token
    assert Concern.objects.count() == 1
    other = submit(idempotency_key="form-5678")
    assert other.created and other.follow_token != first.follow_token


def test_submission_records_a_public_event_texts_the_reporter_and_the_worker_notifies_dispatchers(
    submit, world, outbox, django_capture_on_commit_callbacks, settings
):
    settings.SITE_URL = "https://zw.example.gov.cn"
    with django_capture_on_commit_callbacks(execute=True):
        result = submit()
    concern = result.concern
    event = ConcernEvent.objects.get(concern=concern)
    assert event.kind == "submitted" and event.is_public and event.actor_label == "居民"
    link = f"https://zw.example.gov.cn/concerns/follow/{concern.reference}/{result.follow_token}/"
    assert outbox == [
        ("13800138000", f"您反映的诉求已登记，编号{concern.reference}，请保存查询链接查看办理进度。详情：{link}")
    ]
    # The dispatchers hear of it from the worker's batch follow-up, once.
    assert concern.intake_pending
    assert not Notification.objects.filter(concern=concern).exists()
    assert services.complete_pending_intakes() == 1
    assert Notification.objects.filter(recipient=world.users.dispatcher, concern=concern).count() == 1
    concern.refresh_from_db()
    assert not concern.intake_pending
    assert services.complete_pending_intakes() == 0
    assert Notification.objects.filter(concern=concern).count() == 1


def test_the_worker_does_not_notify_the_dispatcher_who_registered_the_call(world):
    concern = services.submit_concern(
        text="路灯坏了", category=world.road, area=world.cast.jizhen, channel=Channel.HOTLINE,
        by=world.users.dispatcher,
    ).concern
    assert services.complete_pending_intakes() == 1
    assert not Notification.objects.filter(recipient=world.users.dispatcher, concern=concern).exists()


def test_the_worker_follows_up_a_batch_with_as_many_queries_as_for_one_concern(submit, world):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    submit()
    with CaptureQueriesContext(connection) as one:
        assert services.complete_pending_intakes() == 1
    for _ in range(5):
        submit()
    with CaptureQueriesContext(connection) as five:
        assert services.complete_pending_intakes() == 5
    # any pending?, claim, dispatchers (one look-up per town), notifications INSERT, active router
    # model, the flags' UPDATE, savepoints: not one more per concern
    assert len(five) == len(one) <= 11
    assert Notification.objects.filter(recipient=world.users.dispatcher).count() == 6


def test_no_text_is_sent_when_the_submission_rolls_back(submit, outbox, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        submit()
    # Queued, not run: the SMS (the dispatchers and the router are the worker's, from the row).
    assert len(callbacks) == 1 and outbox == []


def test_a_dispatcher_registers_a_phone_call_on_a_residents_behalf(world):
    result = submit_concern(
        text="梅园到杨梅的路坑洼不平，雨天无法通行。",
        category=world.road,
        area=world.cast.jizhen,
        channel=Channel.HOTLINE,
        by=world.users.dispatcher,
        reporter_phone="0731-83456789",
        urgency=Urgency.URGENT,
    )
    concern = result.concern
    assert concern.channel == Channel.HOTLINE and concern.registered_by == world.users.dispatcher
    assert concern.village == world.cast.jizhen
    assert concern.reporter_phone == "073183456789"  # one form for a landline, hyphen or not
    assert ConcernEvent.objects.get(concern=concern).actor == world.users.dispatcher


def test_only_staff_register_calls_walk_ins_visits_and_tea_room_concerns(submit, world):
    with pytest.raises(ConcernError, match="须由工作人员登记"):
        submit(channel=Channel.HOTLINE)
    with pytest.raises(ConcernPermissionDenied):
        submit(channel=Channel.VISIT, by=world.users.leader)
    assert submit(channel=Channel.VISIT, by=world.users.grid_worker).created
    assert submit(channel=Channel.TEA_ROOM, by=world.users.secretary).created


def test_urgency_shortens_the_response_deadline(submit, world, time_machine):
    time_machine.move_to(local(2026, 9, 28, 9, 0), tick=False)  # Monday
    normal = submit(category=world.sanitation).concern
    urgent = submit(category=world.sanitation, urgency=Urgency.URGENT).concern
    critical = submit(category=world.sanitation, urgency=Urgency.CRITICAL).concern
    assert normal.response_due == end_of_day(datetime.date(2026, 9, 30))
    assert urgent.response_due == end_of_day(datetime.date(2026, 9, 29))
    assert critical.response_due == end_of_day(datetime.date(2026, 9, 28))
    assert normal.resolution_due == critical.resolution_due


def test_workday_overrides_entered_by_the_town_change_deadlines(submit, time_machine):
    from zhenwu.workdays.models import WorkdayOverride

    WorkdayOverride.objects.create(date=datetime.date(2026, 10, 8), is_workday=False, note="镇防汛调休")
    time_machine.move_to(local(2026, 9, 30, 10, 0), tick=False)
    assert submit().concern.response_due == end_of_day(datetime.date(2026, 10, 9))


def test_photos_are_stored_with_their_real_type(submit, settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    settings.MEDIA_ROOT = tmp_path
    concern = submit(photos=[photo(), photo("x.jpg", JPEG)]).concern
    photos = list(ConcernPhoto.objects.filter(concern=concern))
    assert [p.content_type for p in photos] == ["image/png", "image/jpeg"]
    assert all(p.file.name.startswith("concerns/") and "p.png" not in p.file.name for p in photos)


@pytest.mark.parametrize(
    "overrides, message",
    [
        ({"text": ""}, "请填写诉求内容"),
        ({"text": "   \n "}, "请填写诉求内容"),
        ({"text": "字" * 100_000}, "诉求内容不能超过2000字（现为100000字）"),
        ({"reporter_phone": "12345"}, "联系电话格式不正确"),
        ({"latitude": "abc"}, "纬度格式不正确"),
        ({"longitude": 200}, "经度超出范围"),
        ({"category": None}, "请选择诉求类别"),
        ({"channel": "fax"}, "来源渠道不正确"),
        ({"urgency": "now"}, "紧急程度不正确"),
    ],
)
def test_bad_input_is_refused_with_a_chinese_message_and_nothing_is_saved(submit, overrides, message):
    with pytest.raises(ConcernError) as caught:
        submit(**overrides)
    assert message in caught.value.message
    assert Concern.objects.count() == 0


def test_a_town_is_not_a_place_a_concern_can_be_filed_under(submit, world):
    with pytest.raises(ConcernError, match="请选择所在村"):
        submit(area=world.cast.town)


def test_an_inactive_category_is_refused(submit, world):
    world.lamp.is_active = False
    world.lamp.save()
    with pytest.raises(ConcernError, match="请选择诉求类别"):
        submit(category=world.lamp)


def test_a_non_image_photo_is_refused_by_its_content_not_its_name(submit):
    with pytest.raises(ConcernError, match="“evil.jpg”不是图片"):
        submit(photos=[photo("evil.jpg", b"<script>alert(1)</script>")])
    assert Concern.objects.count() == 0


def test_an_oversized_photo_is_refused(submit, settings):
    settings.ZHENWU_CONCERN_PHOTO_MAX_BYTES = 1024
    with pytest.raises(ConcernError, match="超过"):
        submit(photos=[photo("big.png", PNG + b"\x00" * 2000)])


def test_more_than_nine_photos_are_refused(submit):
    with pytest.raises(ConcernError, match="最多9张照片"):
        submit(photos=[photo(f"{i}.png") for i in range(10)])


def test_script_in_text_is_stored_as_written_for_templates_to_escape(submit):
    concern = submit(text="<script>alert('x')</script>路灯坏了").concern
    assert Concern.objects.get(pk=concern.pk).text == "<script>alert('x')</script>路灯坏了"


def test_a_forged_or_foreign_follow_link_opens_nothing(submit):
    first = submit()
    second = submit()
    reference = first.concern.reference
    assert access.get_concern_by_follow_token(reference, "forged-token") is None
    assert access.get_concern_by_follow_token(reference, second.follow_token) is None
    assert access.get_concern_by_follow_token("GQ-2026-999999", first.follow_token) is None
    assert access.get_concern_by_follow_token(reference, "") is None


def test_a_concern_received_late_evening_utc_is_dated_and_due_by_beijing_time(submit, time_machine):
    # 23:30 UTC on 30 September is 07:30 on 1 October (national day) in Beijing.
    time_machine.move_to(datetime.datetime(2026, 9, 30, 23, 30, tzinfo=datetime.UTC), tick=False)
    concern = submit().concern
    assert concern.response_due == end_of_day(datetime.date(2026, 10, 8))
    # 8, 9, 10 (调休 Saturday), 12, 13 October
    assert concern.resolution_due == end_of_day(datetime.date(2026, 10, 13))


def test_a_critical_concern_received_before_midnight_beijing_is_due_that_same_day(submit, time_machine):
    # 15:30 UTC on 30 September is 23:30 on 30 September, a working day, in Beijing.
    time_machine.move_to(datetime.datetime(2026, 9, 30, 15, 30, tzinfo=datetime.UTC), tick=False)
    concern = submit(urgency=Urgency.CRITICAL).concern
    assert concern.response_due == end_of_day(datetime.date(2026, 9, 30))
    assert concern.response_due > concern.received_at


def test_a_dispatcher_finds_earlier_concerns_from_the_same_phone_without_decrypting(submit):
    first = submit(reporter_phone="138 0013 8000").concern
    second = submit(reporter_phone="+8613800138000").concern
    submit(reporter_phone="13912345678")
    assert set(Concern.objects.with_reporter_phone("13800138000")) == {first, second}
    assert not Concern.objects.with_reporter_phone("12").exists()
    assert not Concern.objects.with_reporter_phone("").exists()
