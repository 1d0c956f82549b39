"""The resident's phone form through the client: intake, the one-time key, bad input, photos,
and the similar concerns offered while typing."""

import io
import re

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from zhenwu.concerns import access, services
from zhenwu.concerns.models import Channel, Concern, ConcernFollower, ConcernPhoto, Status

URL = "/concerns/report/"


def image_bytes(fmt="PNG", size=(40, 30), color="red", **save):
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, fmt, **save)
    return buffer.getvalue()


def upload(name="photo.png", content=None, content_type="image/png"):
    return SimpleUploadedFile(
        name, content if content is not None else image_bytes(), content_type=content_type
    )


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


def form_key(client):
    page = client.get(URL).content.decode()
    return re.search(r'name="key" value="([^"]+)"', page).group(1)


@pytest.fixture
def post(client, world):
    def _post(key=None, **overrides):
        data = {
            "text": "九龙村学校门口污水横流，学生上学要绕道走。",
            "category": world.sanitation.pk,
            "area": world.cast.jiulong_grid.pk,
            "reporter_name": "李四",
            "reporter_phone": "13800138000",
            "key": key if key is not None else form_key(client),
        }
        data.update(overrides)
        data = {k: v for k, v in data.items() if v is not None}
        return client.post(URL, data)

    return _post


def follow_link(response):
    match = re.search(r'href="(/concerns/follow/[^/]+/[^/]+/)"', response.content.decode())
    return match.group(1) if match else None


def test_the_form_offers_villages_with_their_grids_and_active_categories(client, world):
    world.lamp.is_active = False
    world.lamp.save()
    page = client.get(URL).content.decode()
    assert '<optgroup label="九龙村">' in page
    assert "九龙村（不清楚网格）" in page and "九龙村第一网格" in page and "集镇村第一网格" in page
    assert "环境卫生" in page and "道路交通" in page and "路灯照明" not in page
    assert "官桥镇" not in re.search(r'<select name="area".*?</select>', page, re.S).group(0)
    assert 'accept="image/*" multiple' in page
    assert "concerns_public.js" in page
    assert re.search(r'name="key" value="[A-Za-z0-9_-]{32}"', page)


def test_each_render_of_the_form_carries_a_fresh_one_time_key(client, world):
    assert form_key(client) != form_key(client)


def test_a_resident_submits_and_gets_the_reference_and_a_private_link_that_opens_the_concern(
    client, world, post
):
    response = post(latitude="28.1234567", longitude="113.6543219")
    assert response.status_code == 200
    concern = Concern.objects.get()
    page = response.content.decode()
    assert "提交成功" in page and concern.reference in page
    assert "请保存好这个链接" in page
    link = follow_link(response)
    assert link.startswith(f"/concerns/follow/{concern.reference}/")
    assert f"http://testserver{link}" in page  # shown whole, to copy
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert access.get_concern_by_follow_token(concern.reference, token) == concern
    assert concern.channel == Channel.WEB and concern.status == Status.RECEIVED
    assert concern.category == world.sanitation and concern.area == world.cast.jiulong_grid
    assert concern.village == world.cast.jiulong
    assert concern.reporter_name == "李四" and concern.reporter_phone == "13800138000"
    assert str(concern.latitude) == "28.123457" and str(concern.longitude) == "113.654322"
    assert concern.registered_by is None
    assert client.get(link).status_code == 200


def test_a_double_tap_or_a_retried_post_with_the_same_key_makes_one_concern_and_the_same_link(
    client, world, post
):
    key = form_key(client)
    first = post(key=key)
    again = post(key=key, text="第二次点击时内容哪怕变了也不会另立一件")
    assert Concern.objects.count() == 1
    assert follow_link(first) == follow_link(again)
    assert "这条诉求已经提交过了" in again.content.decode()
    assert post().status_code == 200  # a new render, a new key: a second concern
    assert Concern.objects.count() == 2


@pytest.mark.parametrize("key", ["", "short", "x" * 31, "bad key with spaces and more than 32 chars"])
def test_a_post_without_a_key_this_site_issued_is_refused_and_keeps_what_was_typed(client, world, post, key):
    response = post(key=key, text="路灯坏了很久了，晚上看不见路")
    page = response.content.decode()
    assert Concern.objects.count() == 0
    assert "页面已过期，请核对内容后重新提交" in page
    assert "路灯坏了很久了，晚上看不见路" in page
    new_key = re.search(r'name="key" value="([^"]+)"', page).group(1)
    assert re.fullmatch(r"[A-Za-z0-9_-]{32}", new_key)
    assert post(key=new_key).status_code == 200 and Concern.objects.count() == 1


def test_photos_are_checked_cleaned_of_metadata_and_stored(client, world, post):
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # Make
    exif[0x0112] = 6  # Orientation: rotate 90° to display
    rotated = image_bytes("JPEG", size=(60, 20), exif=exif.tobytes())
    response = post(photos=[upload("IMG_0001.JPG", rotated, "image/jpeg"), upload("b.png")])
    assert response.status_code == 200
    photos = list(ConcernPhoto.objects.order_by("id"))
    assert [p.content_type for p in photos] == ["image/jpeg", "image/png"]
    with photos[0].file.open("rb") as handle:
        stored = Image.open(io.BytesIO(handle.read()))
        assert stored.size == (20, 60)  # orientation applied
        assert not stored.getexif()  # camera metadata (and any GPS position) dropped


def test_a_large_photo_is_scaled_down(client, world, post):
    post(photos=[upload("big.png", image_bytes(size=(4000, 1000)))])
    with ConcernPhoto.objects.get().file.open("rb") as handle:
        assert Image.open(io.BytesIO(handle.read())).size == (2560, 640)


@pytest.mark.parametrize(
    "photo, message",
    [
        (upload("notes.jpg", b"%PDF-1.4 not a picture", "image/jpeg"), "“notes.jpg”不是有效的图片"),
        (upload("fake.png", b"\x89PNG\r\n\x1a\n" + b"\x00" * 64), "“fake.png”不是有效的图片"),
        (
            upload("cut.jpg", image_bytes("JPEG", size=(400, 400))[:300], "image/jpeg"),
            "“cut.jpg”不是有效的图片",
        ),
        (upload("iphone.heic", b"\x00\x00\x00\x18ftypheic" + b"\x00" * 40, "image/heic"), "HEIC格式"),
        (upload("empty.png", b""), "empty.png"),
    ],
)
def test_a_photo_that_is_not_a_real_image_is_refused_and_everything_typed_is_kept(
    client, world, post, photo, message
):
    response = post(photos=[photo], text="学校门口<b>污水</b>横流", reporter_name="王五")
    page = response.content.decode()
    assert Concern.objects.count() == 0 and ConcernPhoto.objects.count() == 0
    assert message in page
    assert "学校门口&lt;b&gt;污水&lt;/b&gt;横流" in page
    assert 'value="王五"' in page and 'value="13800138000"' in page
    assert f'<option value="{world.sanitation.pk}" selected>' in page
    assert f'<option value="{world.cast.jiulong_grid.pk}" selected>' in page
    assert "照片需要重新选择" in page


def test_an_oversized_photo_is_refused_with_the_limit_named(client, world, post, settings):
    settings.ZHENWU_CONCERN_PHOTO_MAX_BYTES = 1024 * 1024
    big = upload("huge.png", image_bytes(size=(10, 10)) + b"\x00" * (1024 * 1024))
    page = post(photos=[big]).content.decode()
    assert "照片“huge.png”超过1MB，请压缩后再上传" in page
    assert Concern.objects.count() == 0


def test_more_than_nine_photos_are_refused(client, world, post):
    page = post(photos=[upload(f"p{i}.png") for i in range(10)]).content.decode()
    assert "最多上传9张照片（本次选择了10张）" in page
    assert Concern.objects.count() == 0


@pytest.mark.parametrize(
    "overrides, message, field_kept",
    [
        ({"text": ""}, "请填写反映的问题", "李四"),
        ({"text": "  \n  "}, "请填写反映的问题", "李四"),
        ({"text": "字" * 100_000}, "反映的问题不能超过2000字（现为100000字）", "字" * 100_000),
        ({"category": ""}, "请选择问题类别", "污水横流"),
        ({"category": "999999"}, "所选类别不存在，请重新选择", "污水横流"),
        ({"area": ""}, "请选择所在村（社区）或网格", "污水横流"),
        ({"area": "town"}, "所选地点不存在，请重新选择", "污水横流"),
        ({"reporter_phone": "12345"}, "联系电话格式不正确", "污水横流"),
        ({"latitude": "abc", "longitude": "113"}, "纬度格式不正确", "污水横流"),
    ],
)
def test_bad_input_gets_a_chinese_message_and_nothing_typed_is_lost(
    client, world, post, overrides, message, field_kept
):
    if overrides.get("area") == "town":
        overrides["area"] = world.cast.town.pk
    response = post(**overrides)
    page = response.content.decode()
    assert response.status_code == 200
    assert message in page
    assert field_kept in page
    assert "提交没有成功" in page
    assert Concern.objects.count() == 0


def test_script_in_the_text_is_shown_escaped_on_the_follow_page(client, world, post):
    response = post(text="<script>alert('x')</script>学校门口污水横流")
    page = client.get(follow_link(response)).content.decode()
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;学校门口污水横流" in page


def test_the_form_is_never_cached(client, world):
    assert "no-store" in client.get(URL)["Cache-Control"]


# --- similar concerns while typing ----------------------------------------------------------


@pytest.fixture
def on_board(world, submit):
    d = world.users.dispatcher
    sewage = services.accept_concern(
        submit(
            text="九龙村学校门口污水横流，学生上学要绕道走。",
            category=world.sanitation,
            reporter_name="李四明",
        ).concern,
        by=d,
    )
    unreviewed = submit(text="学校旁边排水沟堵塞，污水漫到路上。", category=world.sanitation).concern
    return dict(sewage=sewage, unreviewed=unreviewed)


def test_similar_open_concerns_on_the_board_are_offered_to_follow_instead(client, world, on_board):
    response = client.post(
        "/concerns/report/similar/",
        {"text": "九龙学校旁边的污水没人管，臭气熏天", "area": world.cast.jiulong_grid.pk, "category": ""},
        HTTP_HX_REQUEST="true",
    )
    page = response.content.decode()
    assert response.status_code == 200
    assert on_board["sewage"].reference in page
    assert "跟进这一条" in page and f"/concerns/board/{on_board['sewage'].reference}/follow/" in page
    assert on_board["unreviewed"].reference not in page  # not accepted: not public yet
    assert "李四明" not in page


def test_nothing_is_offered_for_short_text_or_without_a_place_or_category(client, world, on_board):
    for data in (
        {"text": "污水", "area": world.cast.jiulong_grid.pk},
        {"text": "九龙学校旁边的污水没人管，臭气熏天"},
    ):
        page = client.post("/concerns/report/similar/", data).content.decode()
        assert "跟进这一条" not in page


def test_the_similar_look_up_needs_the_csrf_token_htmx_sends(world, on_board):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    response = strict.post("/concerns/report/similar/", {"text": "九龙学校旁边的污水没人管"})
    assert response.status_code == 403


def test_the_form_asks_for_similar_concerns_with_only_the_text_category_and_place(client, world):
    page = client.get(URL).content.decode()
    assert 'hx-post="/concerns/report/similar/"' in page
    assert 'hx-params="text,category,area"' in page


def test_following_an_offered_concern_gives_the_resident_their_own_link(client, world, on_board, outbox):
    concern = on_board["sewage"]
    page = client.get(f"/concerns/board/{concern.reference}/follow/").content.decode()
    assert "跟进这一条" in page and "李四明" not in page
    response = client.post(f"/concerns/board/{concern.reference}/follow/", {"phone": "13912345678"})
    assert "关注成功" in response.content.decode()
    link = follow_link(response)
    token = link.rstrip("/").rsplit("/", 1)[1]
    assert access.get_concern_by_follow_token(concern.reference, token) == concern
    follower = ConcernFollower.objects.get(concern=concern)
    assert follower.phone == "13912345678"
    assert Concern.objects.count() == 2  # nothing new reported


def test_following_with_a_malformed_phone_says_so(client, world, on_board):
    response = client.post(f"/concerns/board/{on_board['sewage'].reference}/follow/", {"phone": "999"})
    assert "联系电话格式不正确" in response.content.decode()
    assert not ConcernFollower.objects.exists()


def test_an_unreviewed_concern_cannot_be_followed_from_the_board(client, world, on_board):
    response = client.get(f"/concerns/board/{on_board['unreviewed'].reference}/follow/")
    assert response.status_code == 404
    assert "尚未公示" in response.content.decode()


# --- a deployment serving several towns ----------------------------------------------------


def area_select(page):
    return re.search(r'<select name="area".*?</select>', page, re.S).group(0)


def test_several_towns_ask_for_the_town_first_and_list_only_its_places(client, world, second_town):
    page = client.get(URL).content.decode()
    town_select = re.search(r'<select name="town".*?</select>', page, re.S).group(0)
    assert "官桥镇" in town_select and "龙伏镇" in town_select
    assert 'hx-get="/concerns/report/places/"' in town_select
    assert "九龙村" not in area_select(page) and "新安村" not in area_select(page)
    assert "请先选择所在乡镇" in area_select(page)

    fragment = client.get("/concerns/report/places/", {"town": second_town.town.pk}).content.decode()
    assert 'id="area-field"' in fragment and "新安村第一网格" in fragment and "九龙村" not in fragment

    page = client.get(URL, {"town": world.cast.town.pk}).content.decode()
    assert "九龙村第一网格" in area_select(page) and "新安村" not in area_select(page)


def test_one_town_lists_every_place_without_asking_for_the_town(client, world):
    page = client.get(URL).content.decode()
    assert '<select name="town"' not in page
    assert "九龙村第一网格" in area_select(page)


def test_several_towns_a_resident_submits_with_the_town_and_place(client, world, second_town, post):
    response = post(town=second_town.town.pk, area=second_town.grid.pk)
    assert "查询链接" in response.content.decode()
    concern = Concern.objects.get()
    assert (concern.area_id, concern.town_id) == (second_town.grid.pk, second_town.town.pk)


def test_several_towns_a_place_of_another_town_is_asked_again_and_the_rest_is_kept(
    client, world, second_town, post
):
    response = post(town=world.cast.town.pk, area=second_town.grid.pk)
    page = response.content.decode()
    assert "所选地点不在官桥镇，请重新选择" in page
    assert "九龙村学校门口污水横流" in page and not Concern.objects.exists()
    assert "九龙村第一网格" in area_select(page)  # the chosen town's places, to pick again


def test_several_towns_a_form_sent_without_the_town_lists_the_places_of_the_submitted_one(
    client, world, second_town, post
):
    response = post(area=second_town.grid.pk, text="")
    page = response.content.decode()
    assert "请填写反映的问题" in page
    assert f'<option value="{second_town.grid.pk}" selected>' in area_select(page)
