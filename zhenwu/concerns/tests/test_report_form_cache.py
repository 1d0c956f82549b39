"""The resident's form drawn once per worker (zhenwu.concerns.report_form_cache): what residents
share is reused, and any change to what it lists is shown on the next page."""

import re

from django.db import connection
from django.test.utils import CaptureQueriesContext

from zhenwu.concerns.models import Category, PhotoSettings
from zhenwu.org.models import Area, AreaLevel

URL = "/concerns/report/"


def area_select(page):
    return re.search(r'<select name="area".*?</select>', page, re.S).group(0)


def get(client, **kwargs):
    with CaptureQueriesContext(connection) as queries:
        page = client.get(URL, **kwargs).content.decode()
    return page, [q["sql"] for q in queries.captured_queries]


def test_a_second_resident_gets_the_same_form_without_the_places_and_categories_read_again(client, world):
    first, _ = get(client)
    second, queries = get(client)
    assert not any("org_area" in sql and "name" in sql for sql in queries)
    assert not any("concerns_category" in sql and "name" in sql for sql in queries)
    keys = [re.search(r'name="key" value="([^"]+)"', page).group(1) for page in (first, second)]
    assert keys[0] != keys[1]  # the one-time key is per request
    strip = re.compile(r'(name="key" value="|name="csrfmiddlewaretoken" value="|X-CSRFToken": ")[^"]+')
    assert strip.sub(r"\1", first) == strip.sub(r"\1", second)


def test_a_renamed_village_and_a_new_category_show_on_the_next_page(client, world):
    get(client)
    world.cast.jiulong.name = "九龙新村"
    world.cast.jiulong.save()
    Category.objects.create(code="bridge", name="桥梁维护", default_department=world.sanitation.default_department)
    page, _ = get(client)
    assert '<optgroup label="九龙新村">' in page and "桥梁维护" in page


def test_places_added_without_signals_show_on_the_next_page(client, world):
    """An import writing rows in bulk sends no signals; the page still sees them."""
    get(client)
    village = world.cast.jiulong
    Area.objects.bulk_create([Area(name="九龙村第九网格", level=AreaLevel.GRID, path=village.path + "00ZZ",
                                   depth=village.depth + 1, numchild=0)])
    assert "九龙村第九网格" in area_select(get(client)[0])


def test_the_photo_promise_follows_the_towns_setting(client, world):
    assert "照片经工作人员审核后才可能在公示栏展示" in get(client)[0]
    PhotoSettings.objects.create(town=world.cast.town, public_by_default=True)
    assert "照片会在公示栏展示" in get(client)[0]


def test_the_elder_and_standard_forms_are_kept_apart(client, world):
    assert "第1步（共4步）" not in get(client)[0]
    client.cookies["zhenwu_reading_mode"] = "elder"
    assert "第1步（共4步）" in get(client)[0]
    client.cookies["zhenwu_reading_mode"] = "standard"
    assert "第1步（共4步）" not in get(client)[0]


def test_a_form_sent_back_with_errors_keeps_what_was_typed(client, world):
    get(client)
    page = client.post(URL, {"text": "村口路灯坏了", "area": world.cast.jiulong_grid.pk, "key": "x"}).content.decode()
    assert "村口路灯坏了" in page and "请选择问题类别" in page
    assert re.search(rf'<option value="{world.cast.jiulong_grid.pk}" selected>', area_select(page))
