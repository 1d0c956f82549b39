"""The private follow page: the public timeline, adding information and photos, the call-back,
forged links, merged duplicates, and photos served only to the link's holder."""

import io

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from zhenwu.concerns import services
from zhenwu.concerns.models import (
    CallBack,
    CallBackChannel,
    ConcernEvent,
    ConcernPhoto,
    EventKind,
    Outcome,
    Status,
)


def png(name="p.png", size=(30, 20)):
    buffer = io.BytesIO()
    Image.new("RGB", size, "blue").save(buffer, "PNG")
    return SimpleUploadedFile(name, buffer.getvalue(), content_type="image/png")


@pytest.fixture(autouse=True)
def isolated(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    settings.MEDIA_ROOT = tmp_path
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def reported(submit):
    result = submit(text="九龙村学校门口污水横流，我是李四，电话13800138000。", photos=[png()])
    return result.concern, result.follow_token


def url(concern, token, suffix=""):
    return f"/concerns/follow/{concern.reference}/{token}/{suffix}"


def dispatched(world, concern):
    services.accept_concern(concern, by=world.users.dispatcher)
    return services.dispatch_concern(concern, by=world.users.dispatcher)


def resolved(world, concern):
    dispatched(world, concern)
    services.post_update(concern, by=world.users.handler, text="已安排清淤，本周内完成。", public=True)
    return services.resolve_concern(
        concern, by=world.users.handler, outcome=Outcome.FIXED, text="下水道已疏通，路面已清洗。"
    )


def test_the_follow_page_shows_the_public_timeline_with_units_not_staff(client, world, reported):
    concern, token = reported
    resolved(world, concern)
    services.post_update(concern, by=world.users.dispatcher, text="记一笔", public=False)
    response = client.get(url(concern, token))
    page = response.content.decode()
    assert response.status_code == 200
    assert concern.reference in page and "已办结" in page
    assert "已转交城建办办理" in page and "已安排清淤，本周内完成。" in page
    assert "【已解决】下水道已疏通，路面已清洗。" in page
    assert "城建办" in page and "民情受理中心" in page
    for staff in ("handler1", "dispatch1"):
        assert staff not in page
    assert "记一笔" not in page  # internal notes stay on the staff pages
    assert "no-store" in response["Cache-Control"]
    assert response["X-Robots-Tag"] == "noindex, nofollow"


def test_the_reporter_sees_their_own_text_but_the_page_hides_nothing_it_should_not(client, world, reported):
    concern, token = reported
    page = client.get(url(concern, token)).content.decode()
    assert "我是李四，电话13800138000" in page  # their own words, to them
    assert "办结期限" in page


def test_project_progress_and_its_stages_show_on_the_follow_page(client, world, reported):
    concern, token = reported
    dispatched(world, concern)
    project = services.start_or_join_project(concern, by=world.users.dispatcher, name="九龙村学校排污管改造")
    services.advance_project_stage(project, by=world.users.dispatcher)
    page = client.get(url(concern, token)).content.decode()
    assert "项目进度：九龙村学校排污管改造" in page
    assert "当前阶段：初步设计评审" in page and "财政审批" in page and "招投标" in page
    assert 'aria-valuenow="12"' in page


def test_the_resident_adds_information_that_staff_see_and_the_board_does_not(client, world, reported):
    concern, token = reported
    response = client.post(url(concern, token, "add/"), {"text": "今天早上污水更多了"}, follow=True)
    assert "补充说明已提交" in response.content.decode()
    event = ConcernEvent.objects.get(concern=concern, kind=EventKind.REPORTER_ADDED)
    assert event.internal_note == "今天早上污水更多了" and not event.is_public
    assert "今天早上污水更多了" in response.content.decode()  # the reporter sees what they added
    dispatched(world, concern)
    assert "今天早上污水更多了" not in client.get(f"/concerns/board/{concern.reference}/").content.decode()


def test_empty_or_overlong_information_is_refused_and_kept(client, world, reported):
    concern, token = reported
    page = client.post(url(concern, token, "add/"), {"text": "  "}).content.decode()
    assert "请填写补充说明" in page
    page = client.post(url(concern, token, "add/"), {"text": "多" * 2001}).content.decode()
    assert "补充说明不能超过2000字（现为2001字）" in page and "多" * 2001 in page
    assert not ConcernEvent.objects.filter(kind=EventKind.REPORTER_ADDED).exists()


def test_the_resident_adds_photos_and_a_non_image_is_refused(client, world, reported):
    concern, token = reported
    response = client.post(
        url(concern, token, "photos/"), {"photos": [png("a.png"), png("b.png")]}, follow=True
    )
    assert "已补充2张照片" in response.content.decode()
    assert concern.photos.count() == 3
    bad = SimpleUploadedFile("virus.png", b"MZ\x90\x00 not an image", content_type="image/png")
    page = client.post(url(concern, token, "photos/"), {"photos": [bad]}).content.decode()
    assert "“virus.png”不是有效的图片" in page and "请重新选择照片" in page
    assert concern.photos.count() == 3


def test_a_tenth_photo_is_refused_with_the_count(client, world, reported):
    concern, token = reported
    client.post(url(concern, token, "photos/"), {"photos": [png(f"{i}.png") for i in range(8)]})
    page = client.post(url(concern, token, "photos/"), {"photos": [png("x.png")]}).content.decode()
    assert "每条诉求最多9张照片（已有9张，本次1张）" in page


def test_a_satisfied_call_back_closes_the_concern(client, world, reported):
    concern, token = reported
    resolved(world, concern)
    page = client.get(url(concern, token)).content.decode()
    assert "请您评价办理结果" in page and "问题是否已解决" in page
    response = client.post(
        url(concern, token, "callback/"),
        {"solved": "yes", "result": "satisfied", "note": "很满意"},
        follow=True,
    )
    page = response.content.decode()
    assert "感谢您的评价，诉求已办结关闭" in page
    concern.refresh_from_db()
    assert (
        concern.status == Status.CLOSED and concern.callback_result == "satisfied" and concern.callback_solved
    )
    call_back = CallBack.objects.get(concern=concern)
    assert call_back.channel == CallBackChannel.FOLLOW_PAGE and call_back.by is None
    assert "请您评价办理结果" not in page


def test_an_unsatisfied_call_back_reopens_the_concern(client, world, reported):
    concern, token = reported
    resolved(world, concern)
    response = client.post(
        url(concern, token, "callback/"),
        {"solved": "no", "result": "unsatisfied", "note": "污水又冒出来了"},
        follow=True,
    )
    assert "诉求将重新办理" in response.content.decode()
    concern.refresh_from_db()
    assert concern.status == Status.IN_PROGRESS and concern.reopen_count == 1
    assert "回访不满意，重新办理" in response.content.decode()


def test_a_call_back_before_the_concern_is_resolved_gets_a_clear_message(client, world, reported):
    concern, token = reported
    dispatched(world, concern)
    response = client.post(url(concern, token, "callback/"), {"solved": "yes", "result": "satisfied"})
    page = response.content.decode()
    assert response.status_code == 200
    assert "当前状态为已派单，不能回访" in page
    assert not CallBack.objects.exists()


def test_a_call_back_without_answers_names_the_missing_question(client, world, reported):
    concern, token = reported
    resolved(world, concern)
    page = client.post(url(concern, token, "callback/"), {"note": "还行"}).content.decode()
    assert "请选择问题是否已解决" in page and "请选择满意程度" in page
    assert "还行" in page
    concern.refresh_from_db()
    assert concern.status == Status.RESOLVED


def test_a_follower_sees_progress_but_the_call_back_is_the_reporters(client, world, reported):
    concern, token = reported
    dispatched(world, concern)
    follower_token = services.follow_concern(concern)
    resolved_concern = services.post_update(concern, by=world.users.handler, text="处理中", public=True)
    services.resolve_concern(resolved_concern, by=world.users.handler, outcome=Outcome.FIXED, text="已疏通")
    page = client.get(url(concern, follower_token)).content.decode()
    assert "已疏通" in page and "等待反映人评价" in page
    assert "我是李*" in page and "138****8000" in page and "李四" not in page  # the reporter's name hidden
    response = client.post(
        url(concern, follower_token, "callback/"), {"solved": "yes", "result": "satisfied"}
    )
    assert "回访评价由反映人本人填写" in response.content.decode()
    concern.refresh_from_db()
    assert concern.status == Status.RESOLVED


@pytest.mark.parametrize(
    "make_url",
    [
        lambda c, t: url(c, "forged" + t[6:]),
        lambda c, t: url(c, "x"),
        lambda c, t: f"/concerns/follow/GQ-2026-999999/{t}/",
        lambda c, t: url(c, "a" * 300),
    ],
)
def test_a_forged_or_wrong_follow_link_gets_a_chinese_404(client, world, reported, make_url):
    concern, token = reported
    response = client.get(make_url(concern, token))
    assert response.status_code == 404
    page = response.content.decode()
    assert "查询链接无效" in page and "九龙村学校门口" not in page


def test_the_follow_page_actions_refuse_a_forged_link(client, world, reported):
    concern, token = reported
    forged = "z" * len(token)
    for suffix, data in (("add/", {"text": "伪造"}), ("callback/", {"solved": "yes", "result": "satisfied"})):
        assert client.post(url(concern, forged, suffix), data).status_code == 404
    assert not ConcernEvent.objects.filter(kind=EventKind.REPORTER_ADDED).exists()


def test_an_address_that_keeps_trying_wrong_links_is_refused_for_a_while(client, world, reported, settings):
    settings.ZHENWU_FOLLOW_FAILURE_LIMIT = (3, 600)
    concern, token = reported
    for i in range(3):
        assert client.get(url(concern, f"wrong{i}")).status_code == 404
    refused = client.get(url(concern, token))  # even the right link, from that address, for now
    assert refused.status_code == 429
    assert "请稍后再试" in refused.content.decode()
    other = client.get(url(concern, token), REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 200


def test_forwarded_addresses_are_trusted_only_behind_a_configured_proxy(client, world, reported, settings):
    settings.ZHENWU_FOLLOW_FAILURE_LIMIT = (2, 600)
    concern, token = reported
    for i in range(2):
        client.get(url(concern, f"wrong{i}"), HTTP_X_FORWARDED_FOR=f"1.2.3.{i}")
    # Without a configured proxy, a client-chosen X-Forwarded-For does not escape the limit.
    assert client.get(url(concern, token), HTTP_X_FORWARDED_FOR="9.9.9.9").status_code == 429


def test_a_merged_duplicates_link_leads_to_the_original(client, world, submit, reported):
    original, _ = reported
    dispatched(world, original)
    duplicate = submit(text="学校门口的污水又漫出来了")
    services.link_duplicate(duplicate.concern, original, by=world.users.dispatcher)
    response = client.get(url(duplicate.concern, duplicate.follow_token), follow=True)
    assert response.redirect_chain[-1][0] == url(original, duplicate.follow_token)
    page = response.content.decode()
    assert f"与{original.reference}是同一事项，已合并办理" in page
    assert "李四" not in page  # the duplicate's reporter is a follower of the original


def test_photos_are_served_to_the_link_holder_only(client, world, reported):
    concern, token = reported
    photo = ConcernPhoto.objects.get(concern=concern)
    response = client.get(url(concern, token, f"photos/{photo.pk}/"))
    assert response.status_code == 200 and response["Content-Type"] == "image/png"
    assert b"".join(response.streaming_content).startswith(b"\x89PNG")
    assert "no-store" in response["Cache-Control"]
    assert client.get(url(concern, "z" * 43, f"photos/{photo.pk}/")).status_code == 404
    # not public yet: the board does not serve it
    assert client.get(f"/concerns/board/{concern.reference}/photos/{photo.pk}/").status_code == 404


def test_another_concerns_photo_is_not_served_through_a_valid_link(client, world, submit, reported):
    concern, token = reported
    other = submit(text="另一件事", photos=[png()]).concern
    photo = ConcernPhoto.objects.get(concern=other)
    assert client.get(url(concern, token, f"photos/{photo.pk}/")).status_code == 404


def test_there_is_no_public_media_tree(client, world, reported):
    photo = ConcernPhoto.objects.get(concern=reported[0])
    assert client.get(f"/media/{photo.file.name}").status_code == 404


def test_adding_to_a_closed_concern_gets_a_clear_message(client, world, reported):
    concern, token = reported
    resolved(world, concern)
    services.record_call_back(concern, result="satisfied", solved=True, channel=CallBackChannel.FOLLOW_PAGE)
    page = client.get(url(concern, token)).content.decode()
    assert "补充情况" not in page  # no form to fill for a closed concern
    response = client.post(url(concern, token, "add/"), {"text": "还想补充一点"})
    assert "当前状态为已关闭，不能补充内容" in response.content.decode()


def test_the_follow_page_runs_a_bounded_number_of_queries(
    client, world, reported, django_assert_max_num_queries
):
    concern, token = reported
    dispatched(world, concern)
    services.start_or_join_project(concern, by=world.users.dispatcher, name="排污管改造")
    for i in range(5):
        services.post_update(concern, by=world.users.handler, text=f"进展{i}", public=True)
    with django_assert_max_num_queries(9):
        assert "进展4" in client.get(url(concern, token)).content.decode()
