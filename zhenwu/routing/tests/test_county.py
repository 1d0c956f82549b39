"""The router in a county: one shared model with the town as a feature, suggestions limited to the
town's categories (the county's and its own extras) and its own departments."""

import datetime

import pytest
from django.utils import timezone

from zhenwu.concerns.models import Category, Concern, TownCategorySetting
from zhenwu.org.models import Department
from zhenwu.routing import services
from zhenwu.routing.text import town_token

from .conftest import corpus_texts, make_concern

TEA = (["茶园", "茶叶基地", "茶山"], ["灌溉渠堵了", "抽水泵坏了", "喷灌用不了"], ["茶苗干死", "今年减产"])
FIRE = (["烟花爆竹", "鞭炮"], ["在村口违规销售", "堆放在民房里", "晚上燃放扰民"], ["存在安全隐患", "孩子容易受伤"])


def phrases(parts, n):
    subjects, problems, effects = parts
    out = []
    for i in range(n):
        s, p, e = subjects[i % len(subjects)], problems[(i // 2) % len(problems)], effects[i % len(effects)]
        out.append((f"{s}{p}", f"我们这里的{s}{p}，{e}，请尽快处理。"))
    return out


@pytest.fixture
def county(routing_world, history, second_town):
    """官桥镇 (the cast's town, 72 handled concerns plus 12 of its own extra category 茶园灌溉)
    and 龙伏镇, whose history is thin: 8 road concerns to its 城建站 and 8 of its own extra
    category 烟花爆竹 to its 综治办. 龙伏镇 routes 道路交通 to its 城建站 and 环境卫生 to its
    环卫站 (TownCategorySetting)."""
    w = routing_world
    lf = second_town.town
    w.lf = second_town
    w.agri = Department.objects.create(name="农业站", town=w.cast.town)
    w.lf_urban = Department.objects.create(name="龙伏镇城建站", town=lf)
    w.lf_env = Department.objects.create(name="龙伏镇环卫站", town=lf)
    w.lf_safety = Department.objects.create(name="龙伏镇综治办", town=lf)
    w.tea = Category.objects.create(
        town=w.cast.town, code="GQ-1", name="茶园灌溉", default_department=w.agri,
        response_limit_days=1, resolution_limit_days=5, keywords="茶园 灌溉",
    )
    w.fire = Category.objects.create(
        town=lf, code="LF-1", name="烟花爆竹", default_department=w.lf_safety,
        response_limit_days=1, resolution_limit_days=3, keywords="烟花 鞭炮",
    )
    TownCategorySetting.objects.create(town=lf, category=w.road, default_department=w.lf_urban)
    TownCategorySetting.objects.create(town=lf, category=w.sanitation, default_department=w.lf_env)
    start = timezone.now() - datetime.timedelta(days=79)
    for i, (title, text) in enumerate(phrases(TEA, 12)):
        make_concern(w.cast, category=w.tea, title=title, text=text, department=w.agri,
                     received_at=start + datetime.timedelta(hours=6 * i + 1))
    lf_rows = [(w.road, w.lf_urban, t) for t in corpus_texts("road", 8, offset=3)]
    lf_rows += [(w.fire, w.lf_safety, t) for t in phrases(FIRE, 8)]
    for i, (category, department, (title, text)) in enumerate(lf_rows):
        concern = make_concern(w.cast, category=category, title=title, text=text, department=department,
                               area=second_town.grid, village=second_town.village,
                               received_at=start + datetime.timedelta(hours=5 * i + 2))
        Concern.objects.filter(pk=concern.pk).update(town=lf)
    result = services.train_router(by=w.users.town_admin)
    assert result.activated
    return w


TEXTS = [
    ("村道路面塌陷了一大块", "我们组的村道塌陷了，车辆通行困难。"),
    ("垃圾堆积好几天没人清运", "生活垃圾散发恶臭，村民意见很大。"),
    ("自来水停水三天了", "一家人没水喝。"),
    ("茶园灌溉渠堵了", "茶苗干死，请尽快处理。"),
    ("烟花爆竹在村口违规销售", "存在安全隐患。"),
    ("", "鞭炮堆放在民房里"),
]


def test_the_model_learns_the_town_as_a_feature(county):
    bundle = services._bundle_for(services.active_model())
    assert bundle.town_feature
    features = bundle.category.features
    assert town_token(county.cast.town.pk) in features.words_vec_.vocabulary_
    assert town_token(county.lf.town.pk) in features.words_vec_.vocabulary_


def test_suggestions_never_name_another_towns_extra_category_or_department(county):
    # Every text in both towns, one at a time and as the worker's batch (one model per fixture:
    # training is the slow part).
    for town in (county.cast.town, county.lf.town):
        singles = [services.predict(subject, body, town=town) for subject, body in TEXTS]
        batch = services.predict_many([(subject, body, town) for subject, body in TEXTS])
        for (subject, _), prediction in zip(TEXTS * 2, singles + batch, strict=True):
            assert prediction.has_suggestion, subject
            named = [prediction.category] + [c for c, _ in prediction.alternatives]
            assert all(c.town_id in (None, town.pk) for c in named), (town.name, subject, [c.code for c in named])
            assert prediction.department is not None and prediction.department.town_id == town.pk, subject


def test_each_town_gets_its_own_extra_category_and_its_own_departments(county):
    tea = services.predict("茶园灌溉渠堵了", "茶山抽水泵坏了，茶苗干死。", town=county.cast.town)
    assert (tea.category, tea.department) == (county.tea, county.agri)
    fire = services.predict("鞭炮晚上燃放扰民", "烟花爆竹在村口违规销售，存在安全隐患。", town=county.lf.town)
    assert (fire.category, fire.department) == (county.fire, county.lf_safety)


def test_the_same_county_category_goes_to_each_towns_own_department(county):
    text = ("路面坑洼不平", "我们组的路面坑洼不平，学生上学绕远路。")
    here = services.predict(*text, town=county.cast.town)
    there = services.predict(*text, town=county.lf.town)
    assert here.category == there.category == county.road
    assert here.department == county.urban
    assert there.department == county.lf_urban
    # 龙伏镇 has no sanitation history of its own: its own setting names the department.
    rubbish = services.predict("垃圾桶满了溢出来", "生活垃圾散发恶臭，气味熏人。", town=county.lf.town)
    assert (rubbish.category, rubbish.department) == (county.sanitation, county.lf_env)


def test_a_thin_town_learns_from_the_countys_history(county):
    """龙伏镇 has no water concerns of its own; the county's (官桥镇's) teach the model the words."""
    prediction = services.predict("水管爆管漏水", "供水管道爆管漏水，做饭洗衣都成问题。", town=county.lf.town)
    assert prediction.category == county.water
    # The county default department (水务站) is 官桥镇's, so it is never suggested in 龙伏镇.
    assert prediction.department is None or prediction.department.town_id == county.lf.town.pk
