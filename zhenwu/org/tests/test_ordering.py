"""Places are listed in tree order with their numbers read as numbers (第一, 第二, 第三 … 第十二)."""

import pytest

from zhenwu.org.models import Area, AreaLevel
from zhenwu.org.ordering import chinese_number, numeral_key, tree_order


@pytest.mark.parametrize("text, value", [("一", 1), ("十", 10), ("十二", 12), ("二十", 20), ("二十三", 23),
                                         ("一百零五", 105), ("一二", 12)])
def test_chinese_numerals_are_read_as_numbers(text, value):
    assert chinese_number(text) == value


def test_names_compare_by_their_numbers():
    names = ["第三网格", "第十网格", "第二网格", "第一网格", "第十二网格"]
    assert sorted(names, key=numeral_key) == ["第一网格", "第二网格", "第三网格", "第十网格", "第十二网格"]
    assert sorted(["12组", "3组", "2组"], key=numeral_key) == ["2组", "3组", "12组"]


def test_grids_follow_their_village_in_ordinal_order(cast):
    village = Area.objects.get(pk=cast.jizhen.pk)
    for ordinal in ("三", "二", "十", "十一"):
        Area.objects.add_child(Area.objects.get(pk=village.pk),
                               dict(name=f"集镇村第{ordinal}网格", level=AreaLevel.GRID))
    stored = Area.objects.filter(path__startswith=village.path).order_by("path")
    names = [a.name for a in tree_order(stored)]
    assert names == ["集镇村", "集镇村第一网格", "集镇村第二网格", "集镇村第三网格", "集镇村第十网格", "集镇村第十一网格"]
    # The tree itself keeps character order, which is why every list goes through tree_order.
    assert [a.name for a in stored][1:4] == ["集镇村第一网格", "集镇村第三网格", "集镇村第二网格"]
    grids_only = tree_order(Area.objects.filter(level=AreaLevel.GRID))
    assert [a.name for a in grids_only if a.name.startswith("集镇村")][:3] == [
        "集镇村第一网格", "集镇村第二网格", "集镇村第三网格"]


def test_the_household_forms_grid_picker_lists_grids_in_ordinal_order(cast, client, login):
    Area.objects.add_child(Area.objects.get(pk=cast.jiulong.pk), dict(name="九龙村第三网格", level=AreaLevel.GRID))
    login(cast.users.secretary)
    page = client.get("/org/households/new/").content.decode()
    positions = [page.index(f"九龙村第{n}网格</option>") for n in ("一", "二", "三")]
    assert positions == sorted(positions)
