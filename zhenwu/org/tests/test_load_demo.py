"""load_demo refuses to mix its town into other data."""

import io

import pytest
from django.core.management import call_command

from zhenwu.org.models import Area, AreaLevel, Household


def load():
    out = io.StringIO()
    call_command("load_demo", stdout=out)
    return out.getvalue()


# The loaded town itself is checked in tests/test_demo_town.py (loaded once for all apps).


@pytest.mark.django_db
def test_a_clash_with_existing_data_is_reported_in_chinese_and_nothing_is_loaded():
    from django.core.management.base import CommandError

    from zhenwu.org import services

    county = services.create_area(name="浏阳市", level=AreaLevel.COUNTY, code="430181")
    other_town = services.create_area(parent=county, name="别的镇", level=AreaLevel.TOWN, code="430181999")
    village = services.create_area(parent=other_town, name="别的村", level=AreaLevel.VILLAGE)
    grid = services.create_area(parent=village, name="别的网格", level=AreaLevel.GRID)
    services.create_household(grid=grid, number="JL-0001", address="别处1号")
    with pytest.raises(CommandError, match="演示数据未载入"):
        load()
    assert not Area.objects.filter(name="官桥镇").exists()
    assert Household.objects.count() == 1
