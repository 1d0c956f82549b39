"""长辈版 of the resident pages through the client (no scripts): the switch remembers the choice in
a cookie, every resident page is rendered in the chosen version server-side, staff pages are not
touched, and the 长辈版 form (steps, extras folded) submits like the standard one."""

import re

import pytest
from django.core.cache import cache

from zhenwu.concerns import services
from zhenwu.concerns.models import Concern
from zhenwu.concerns.services import follow_concern
from zhenwu.lib.reading_mode import COOKIE_NAME, ELDER

ELDER_HTML = '<html lang="zh-CN" class="elder">'


@pytest.fixture(autouse=True)
def no_cached_pages():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def elder(client):
    client.cookies[COOKIE_NAME] = ELDER
    return client


@pytest.fixture
def pages(submit, world):
    """Every resident page's address: a concern on the board and its reporter's follow link."""
    result = submit(text="九龙村学校门口下水道堵塞，污水横流。")
    concern = result.concern
    services.accept_concern(concern, by=world.users.dispatcher)
    ref = concern.reference
    return [
        "/concerns/report/",
        "/concerns/board/",
        f"/concerns/board/{ref}/",
        f"/concerns/board/{ref}/follow/",
        f"/concerns/follow/{ref}/{result.follow_token}/",
        "/concerns/board/rates/",
        "/concerns/board/GQ-0000-000000/",  # the resident's 404
    ]


def test_the_switch_remembers_elder_mode_in_a_cookie_and_goes_back(client, db):
    response = client.get("/mode/elder/", {"next": "/concerns/board/?village=3"})
    assert response.status_code == 302 and response["Location"] == "/concerns/board/?village=3"
    cookie = response.cookies[COOKIE_NAME]
    assert cookie.value == ELDER and cookie["max-age"] == 365 * 24 * 3600
    assert cookie["httponly"] and cookie["samesite"] == "Lax"
    assert ELDER_HTML in client.get("/concerns/board/").content.decode()

    response = client.get("/mode/standard/", {"next": "/concerns/board/"})
    assert response.status_code == 302 and response.cookies[COOKIE_NAME]["max-age"] == 0
    assert 'class="elder"' not in client.get("/concerns/board/").content.decode()


def test_the_switch_goes_back_only_to_this_site(client):
    for bad in ("https://evil.example/", "//evil.example/x", "javascript:alert(1)"):
        response = client.get("/mode/elder/", {"next": bad})
        assert response["Location"] == "/"
    assert client.get("/mode/large/").status_code == 404
    assert client.post("/mode/elder/").status_code == 405


def test_every_resident_page_has_the_switch_and_follows_the_cookie(client, pages):
    for path in pages:
        page = client.get(path).content.decode()
        assert 'data-testid="mode-switch"' in page and ELDER_HTML not in page, path
        assert "css/elder.css" not in page, path
        assert f'href="/mode/elder/?next={path.replace("/", "%2F")}"' in page, path

    client.cookies[COOKIE_NAME] = ELDER
    for path in pages:
        response = client.get(path)
        page = response.content.decode()
        assert ELDER_HTML in page and 'class="resident elder"' in page and "css/elder.css" in page, path
        assert 'aria-current="true">长辈版</a>' in page, path
        assert "Cookie" in response["Vary"], path


def test_staff_pages_stay_as_they_are_with_the_cookie(elder, login, world):
    login(world.users.dispatcher)
    page = elder.get("/concerns/inbox/").content.decode()
    assert ELDER_HTML not in page and "mode-switch" not in page


def test_the_elder_form_asks_in_four_steps_with_the_extras_folded(elder, world):
    page = elder.get("/concerns/report/").content.decode()
    steps = re.findall(r"第(\d)步（共4步）</span>([^<]+)", page)
    assert steps == [
        ("1", "您遇到了什么问题？"),
        ("2", "是哪一类问题？"),
        ("3", "在哪个村（社区）？"),
        ("4", "留个手机号（可以不填）"),
    ]
    folded = page[page.index('<details class="more-fields"') :]
    folded = folded[: folded.index("</details>")]
    assert '<details class="more-fields" data-testid="more-fields">' in folded  # closed
    for field in ('id="id_photos"', 'name="reporter_name"', "data-locate"):
        assert field in folded
    assert 'name="reporter_phone"' not in folded


def test_the_elder_form_opens_its_extras_when_one_of_them_needs_attention(elder, world):
    page = elder.post(
        "/concerns/report/",
        {
            "text": "集镇村老街路灯不亮，晚上很黑。",
            "category": world.lamp.pk,
            "area": world.cast.jizhen.pk,
            "reporter_name": "李" * 60,
            "key": "k" * 40,
        },
    ).content.decode()
    assert "称呼不能超过50字" in page
    assert '<details class="more-fields" data-testid="more-fields" open>' in page


def test_the_elder_form_submits_and_the_switch_on_the_answer_keeps_the_follow_link(elder, world):
    response = elder.post(
        "/concerns/report/",
        {
            "text": "集镇村老街路灯不亮，晚上很黑。",
            "category": world.lamp.pk,
            "area": world.cast.jizhen.pk,
            "reporter_phone": "13800138000",
            "key": "e" * 40,
        },
    )
    page = response.content.decode()
    concern = Concern.objects.get()
    assert "提交成功" in page and ELDER_HTML in page
    path = re.search(r'href="(/concerns/follow/[^"]+)" data-testid="follow-link"', page).group(1)
    assert path.startswith(f"/concerns/follow/{concern.reference}/")
    assert f'href="/mode/standard/?next={path.replace("/", "%2F")}"' in page


def test_the_elder_board_folds_its_filters_unless_one_is_chosen(elder, pages, world):
    page = elder.get("/concerns/board/").content.decode()
    assert '<details class="filters"><summary>' in page
    page = elder.get("/concerns/board/", {"village": world.cast.jiulong.pk}).content.decode()
    assert '<details class="filters" open><summary>' in page


def test_a_follower_page_is_in_elder_mode_too(elder, submit):
    concern = submit().concern
    token = follow_concern(concern, phone="")
    page = elder.get(f"/concerns/follow/{concern.reference}/{token}/").content.decode()
    assert ELDER_HTML in page
