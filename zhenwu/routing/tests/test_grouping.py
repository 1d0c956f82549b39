"""热点 grouping on a synthetic window: related concerns join (also across villages when the matter is
one), unrelated ones never do (not even in one village, not even all about 补贴), and labels hold
no place names or fragments of them."""

import datetime
from types import SimpleNamespace

from zhenwu.concerns.similar import similarity
from zhenwu.routing import grouping

PLACES = ["九龙村", "集镇村", "石灰嘴村", "九龙村第二网格", "石灰嘴村第一网格"]
ROAD, SOCIAL, FARM = 1, 2, 3

# (matter, village, category, title, text); the matter is the truth the grouping must find.
CORPUS = [
    ("bridge", "九龙村", ROAD, "九龙村石拱桥桥面开裂", "九龙村石拱桥桥面开裂，栏杆松动，孩子上学要过桥，很危险。"),
    ("bridge", "九龙村", ROAD, "石拱桥栏杆松动", "九龙村石拱桥的栏杆松动了，桥面也开裂，担心出事。"),
    ("bridge", "九龙村", ROAD, "石拱桥开裂危险", "九龙村石拱桥桥面开裂很危险，栏杆松动，请派人看看。"),
    ("bridge", "集镇村", ROAD, "九龙村石拱桥", "九龙村石拱桥桥面开裂栏杆松动，集镇村的孩子也走这座桥上学，很危险。"),
    ("lamp", "九龙村", ROAD, "九龙村二组路灯不亮", "九龙村二组路灯坏了一个月，晚上走路看不清。"),
    ("pothole", "九龙村", ROAD, "九龙村三组村道坑洼", "九龙村三组村道坑洼不平，下雨积水，电动车打滑。"),
    ("elderly", "石灰嘴村", SOCIAL, "石灰嘴村高龄补贴未到账", "石灰嘴村一组老人的高龄补贴这几个月没有到账。"),
    ("elderly", "石灰嘴村", SOCIAL, "高龄补贴没到账", "石灰嘴村三组八十多岁老人的高龄补贴几个月没到账了。"),
    ("disabled", "石灰嘴村", SOCIAL, "石灰嘴村残疾人两项补贴", "石灰嘴村村民咨询残疾人生活补贴和护理补贴的申请办法。"),
    ("doctor", "石灰嘴村", SOCIAL, "石灰嘴村家庭医生签约", "石灰嘴村老人咨询家庭医生签约怎么办理，补贴怎么算。"),
    ("farm", "石灰嘴村", FARM, "石灰嘴村农业补贴咨询", "石灰嘴村村民咨询今年耕地地力保护补贴什么时候发放。"),
    ("farm", "石灰嘴村", FARM, "耕地地力保护补贴", "石灰嘴村五组村民问耕地地力保护补贴什么时候发放、标准多少。"),
    ("farm", "九龙村", FARM, "九龙村农业补贴咨询", "九龙村村民咨询今年耕地地力保护补贴什么时候发放、发放标准是多少。"),
    ("noise", "集镇村", ROAD, "集镇村夜间货车噪音", "集镇村老街晚上十一点后货车来往，噪音很大，影响休息。"),
]


def _rows():
    start = datetime.datetime(2026, 11, 1, 8, tzinfo=datetime.UTC)
    return [
        SimpleNamespace(pk=i + 1, title=title, text=text, town_id=1, village_id=village,
                        village=SimpleNamespace(name=village), category_id=category,
                        received_at=start + datetime.timedelta(hours=i), matter=matter)
        for i, (matter, village, category, title, text) in enumerate(CORPUS)
    ]


def _grouped(rows):
    places = grouping.place_words(PLACES)
    return grouping.group_rows(rows, places=places), places


def test_related_concerns_join_and_unrelated_never_do():
    rows = _rows()
    groups, _ = _grouped(rows)
    found = sorted(sorted(rows[i].matter for i in g.members) for g in groups)
    # Every group holds one matter, and each matter raised more than once is exactly one group.
    assert found == [["bridge"] * 4, ["elderly"] * 2, ["farm"] * 3]


def test_a_text_naming_another_village_is_about_that_place():
    """A 集镇村 resident on 九龙村's bridge in other words joins 九龙村's reports; the same words
    about 集镇村's own bridge would need near-identical text."""
    def row(pk, village, title, text):
        return SimpleNamespace(pk=pk, title=title, text=text, town_id=1, village_id=village,
                               village=SimpleNamespace(name=village), category_id=ROAD)

    places = grouping.place_words(PLACES)
    jiulong = row(1, "九龙村", "九龙村石拱桥栏杆断了", "九龙村石拱桥栏杆断了，孩子过桥很危险，请尽快修。")
    visitor = row(2, "集镇村", "石拱桥栏杆断了", "九龙村那座石拱桥栏杆断了，我们集镇村的孩子上学也走这座桥。")
    words = [grouping.matter_words(f"{r.title} {r.text}", places) for r in (jiulong, visitor)]
    assert grouping.SAME_VILLAGE_SCORE <= similarity(*words) < grouping.CROSS_VILLAGE_SCORE
    assert [g.members for g in grouping.group_rows([jiulong, visitor], places=places)] == [[0, 1]]
    elsewhere = row(2, "集镇村", "石拱桥栏杆断了", "那座石拱桥栏杆断了，我们的孩子上学也走这座桥。")
    assert similarity(words[0], grouping.matter_words(f"{elsewhere.title} {elsewhere.text}", places)) == similarity(*words)
    assert grouping.group_rows([jiulong, elsewhere], places=places) == []


def test_labels_hold_no_place_names_or_fragments():
    rows = _rows()
    groups, places = _grouped(rows)
    assert {"石灰嘴村", "石灰嘴", "九龙"} <= places
    for group in groups:
        for word in group.words:
            assert not any(word in place for place in PLACES), word
    by_matter = {rows[g.members[0]].matter: g for g in groups}
    assert "石拱桥" in by_matter["bridge"].words
    assert {"高龄", "补贴"} <= set(by_matter["elderly"].words)
    assert "耕地" in by_matter["farm"].words
    bridge = by_matter["bridge"]
    assert grouping.strip_places(rows[bridge.representative].title, places) in (
        "石拱桥桥面开裂", "石拱桥栏杆松动", "石拱桥开裂危险", "石拱桥")


def test_a_place_name_alone_links_nothing():
    rows = _rows()
    places = grouping.place_words(PLACES)
    lamp, pothole = rows[4], rows[5]
    assert grouping.matter_words(f"{lamp.title} {lamp.text}", places).isdisjoint(
        grouping.matter_words(f"{pothole.title} {pothole.text}", places))


def test_a_weak_chain_does_not_make_one_group():
    """Lamp–(lamp and rubbish) and (lamp and rubbish)–rubbish are alike, lamp and rubbish are not:
    linking pairs alone would make one group of three; average linkage keeps the lamp apart."""
    texts = [
        ("路灯坏了", "学校门口路灯坏了，晚上很黑，学生回家看不清路。"),
        ("路灯坏了垃圾成堆", "学校门口路灯坏了，晚上很黑，旁边垃圾成堆发臭。"),
        ("垃圾成堆发臭", "学校门口垃圾成堆发臭，苍蝇很多，没人清运。"),
    ]
    rows = [SimpleNamespace(pk=i, title=t, text=x, town_id=1, village_id="九龙村", category_id=ROAD)
            for i, (t, x) in enumerate(texts)]
    words = [grouping.matter_words(f"{r.title} {r.text}") for r in rows]
    assert similarity(words[0], words[1]) >= grouping.SAME_VILLAGE_SCORE
    assert similarity(words[1], words[2]) >= grouping.SAME_VILLAGE_SCORE
    assert similarity(words[0], words[2]) < 0.2
    assert [g.members for g in grouping.group_rows(rows)] == [[1, 2]]


def test_place_words_of_names():
    words = grouping.place_words(["石灰嘴村第一网格", "集里桥社区", "官桥社区居委会", "五组"])
    assert {"石灰嘴村第一网格", "石灰嘴村", "石灰嘴", "集里桥社区", "集里桥", "官桥社区居委会", "官桥"} <= words


def test_a_mass_of_identical_reports_is_one_group_with_its_near_duplicates():
    """Sixty residents send the same text (every word of it in most of the window), three others
    say it in their own words: one group of all, however common its words are."""
    def row(pk, title, text):
        return SimpleNamespace(pk=pk, title=title, text=text, town_id=1, village_id="九龙村", category_id=ROAD)

    same = [row(i, "石拱桥桥面开裂", "九龙村石拱桥桥面开裂，栏杆松动，很危险。") for i in range(60)]
    own = [row(60, "石拱桥栏杆松动", "石拱桥栏杆松动，桥面开裂。"),
           row(61, "石拱桥开裂", "九龙村的石拱桥桥面开裂栏杆松动，孩子过桥危险。"),
           row(62, "石拱桥危险", "石拱桥桥面开裂，栏杆也松动了，危险。")]
    other = [row(63, "路灯不亮", "九龙村二组路灯坏了一个月。")]
    groups = grouping.group_rows(same + own + other, places=grouping.place_words(PLACES))
    assert [g.members for g in groups] == [list(range(63))]
    assert groups[0].representative == 0 and "石拱桥" in groups[0].words


def test_landmarks_are_named_roads_companies_and_estates_never_kinds_of_things():
    places = sorted(grouping.place_words(PLACES), key=len, reverse=True)
    assert grouping.landmarks("我们门口那条岸山路是断头路", places) == {"岸山路"}
    assert grouping.landmarks("宏达砂石有限公司的货车扬尘", places) == {"宏达砂石有限公司"}
    assert grouping.landmarks("金桂花园小区门口垃圾没人收", places) == {"金桂花园"}
    for generic in ("九龙村水泥路开裂", "学校门口路灯坏了", "村里养猪场很臭", "九龙村石拱桥开裂", "九龙村二组路面坑洼"):
        assert grouping.landmarks(generic, places) == set(), generic
    assert grouping.landmarks("梅杨线又塌方了", places, known={"梅杨线", "金桂苑"}) == {"梅杨线"}


def test_one_named_road_groups_across_villages_and_an_unnamed_one_does_not():
    """The same words about the 岸山路 from two villages are one matter (the road is the place);
    about 'this cement road' they are two villages' roads, alike but not alike enough."""
    def rows(road):
        return [SimpleNamespace(pk=pk, title="", text=text.format(road=road), town_id=1, village_id=village,
                                village=SimpleNamespace(name=village), category_id=ROAD)
                for pk, village, text in ((1, "九龙村", "{road}断头路修不通，车开到头要倒回去，晚上很危险。"),
                                          (2, "集镇村", "{road}修到一半断了，车开到头要倒回去，希望接通。"))]

    places = grouping.place_words(PLACES)
    named, unnamed = rows("岸山路"), rows("这条水泥路")
    words = [grouping.matter_words(r.text, places) for r in unnamed]
    assert grouping.SAME_VILLAGE_SCORE <= similarity(*words) < grouping.CROSS_VILLAGE_SCORE
    assert [g.members for g in grouping.group_rows(named, places=places)] == [[0, 1]]
    assert grouping.group_rows(unnamed, places=places) == []
    for r in unnamed:
        r.village_id = "九龙村"
    assert [g.members for g in grouping.group_rows(unnamed, places=places)] == [[0, 1]]  # one village: one road
    known = [SimpleNamespace(**{**vars(r), "village_id": v}) for r, v in zip(rows("梅杨线"), ("九龙村", "集镇村"), strict=True)]
    assert grouping.group_rows(known, places=places) == []
    assert [g.members for g in grouping.group_rows(known, places=places, known_landmarks={"梅杨线"})] == [[0, 1]]
