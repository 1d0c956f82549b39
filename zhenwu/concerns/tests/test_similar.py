"""Likely duplicates are found by Chinese text similarity within the village or category."""

import pytest

from zhenwu.concerns import services
from zhenwu.concerns.similar import content_words, find_similar_concerns, similarity


def test_content_words_segment_chinese_and_drop_filler():
    words = content_words("九龙村学校门口污水横流，希望政府尽快解决！")
    assert {"学校", "污水", "横流"} <= words
    assert not words & {"希望", "政府", "尽快", "解决", "门口"}


def test_similarity_is_one_for_the_same_words_and_zero_for_none_shared():
    assert similarity({"学校", "污水"}, {"学校", "污水"}) == 1
    assert similarity({"学校", "污水"}, {"路灯", "损坏"}) == 0
    assert similarity(set(), {"路灯"}) == 0


@pytest.fixture
def board(world, submit):
    d = world.users.dispatcher
    sewage = services.accept_concern(submit(text="九龙村学校门口污水横流，学生上学要绕道走。").concern, by=d)
    road = services.accept_concern(
        submit(text="梅园到杨梅的路坑洼不平，雨天无法通行。", area=world.cast.jizhen).concern, by=d
    )
    lamp = services.accept_concern(
        submit(text="九龙村二组路灯坏了一个月，晚上漆黑一片。", category=world.lamp).concern, by=d
    )
    unreviewed = submit(text="学校旁边排水沟堵塞，污水漫到路上。").concern
    return dict(sewage=sewage, road=road, lamp=lamp, unreviewed=unreviewed)


def test_a_resident_is_offered_the_open_concern_about_the_same_sewage(world, board):
    matches = find_similar_concerns(
        "九龙学校旁边的污水没人管，臭气熏天", village=world.cast.jiulong, category=world.sanitation
    )
    assert [m.concern for m in matches] == [board["sewage"]]
    assert {"学校", "污水"} <= set(matches[0].shared)


def test_residents_are_not_offered_unreviewed_concerns_but_dispatchers_are(world, board):
    text = "学校排水沟堵塞，污水横流"
    public = find_similar_concerns(text, village=world.cast.jiulong)
    assert board["unreviewed"] not in [m.concern for m in public]
    staff = find_similar_concerns(text, village=world.cast.jiulong, include_unreviewed=True)
    assert board["unreviewed"] in [m.concern for m in staff]


def test_concerns_of_another_village_and_category_are_not_offered(world, board):
    matches = find_similar_concerns(
        "梅园到杨梅的路坑洼不平", village=world.cast.jiulong, category=world.sanitation
    )
    assert board["road"] not in [m.concern for m in matches]
    matches = find_similar_concerns("梅园到杨梅的路坑洼不平", category=world.road)
    assert [m.concern for m in matches] == [board["road"]]


def test_closed_and_merged_concerns_are_not_offered(world, board):
    u = world.users
    services.dispatch_concern(board["sewage"], by=u.dispatcher)
    services.resolve_concern(board["sewage"], by=u.handler, outcome="fixed", text="已疏通")
    assert find_similar_concerns("学校门口污水横流", village=world.cast.jiulong) == []


def test_unrelated_text_or_no_place_finds_nothing(world, board):
    assert find_similar_concerns("广场舞音响太吵", village=world.cast.jiulong) == []
    assert find_similar_concerns("学校门口污水横流") == []
    assert find_similar_concerns("的了", village=world.cast.jiulong) == []


def test_an_old_concern_still_open_is_offered_however_old(world, submit):
    import time_machine

    from .conftest import local

    with time_machine.travel(local(2025, 3, 1, 9, 0), tick=False):
        old = services.accept_concern(
            submit(text="岸山路路面破损严重，大车过不去。", area=world.cast.jizhen).concern, by=world.users.dispatcher
        )
    matches = find_similar_concerns("岸山路路面破损，车子过不去", village=world.cast.jizhen)
    assert [m.concern for m in matches] == [old]


def test_the_same_villages_concerns_come_before_a_closer_match_elsewhere(world, submit):
    d = world.users.dispatcher
    elsewhere = services.accept_concern(
        submit(text="集镇学校门口污水横流，学生上学要绕道走。", category=world.sanitation, area=world.cast.jizhen).concern,
        by=d,
    )
    here = services.accept_concern(
        submit(text="九龙村污水管道破裂，学校附近有臭味。", category=world.sanitation).concern, by=d
    )
    matches = find_similar_concerns(
        "学校门口污水横流，学生上学要绕道走", village=world.cast.jiulong, category=world.sanitation
    )
    assert [m.concern for m in matches] == [here, elsewhere]
    assert matches[1].score > matches[0].score
