"""Routing pages and hooks: who sees the model list and hot issues, the suggestion on the concern
page and in the inbox, settings and dictionary by the town admin, hot-issue grouping and its
two actions through the concern workflow, and the train_router command."""

import datetime

import pytest
from django.core.management import call_command
from django.urls import reverse
from django.utils import timezone

from conftest import PASSWORD
from zhenwu.concerns.models import Channel, Concern, ConcernEvent, EventKind, Status
from zhenwu.concerns.services import submit_concern
from zhenwu.routing import hot, services
from zhenwu.routing.models import RouterModel, RouterWord, RoutingSettings, RoutingSuggestion

from .conftest import make_concern, worker_pass

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    "role,status",
    [("town_admin", 200), ("leader", 200), ("dispatcher", 200), ("handler", 403), ("secretary", 403),
     ("grid_worker", 403), ("member", 403)],
)
def test_model_list_access(client, login, routing_world, role, status):
    login(getattr(routing_world.users, role))
    assert client.get(reverse("routing:model_list")).status_code == status


@pytest.mark.parametrize(
    "role,status",
    [("town_admin", 200), ("leader", 200), ("dispatcher", 200), ("handler", 403), ("secretary", 403),
     ("grid_worker", 403), ("instructor", 403)],
)
def test_hot_issue_access(client, login, routing_world, role, status):
    login(getattr(routing_world.users, role))
    assert client.get(reverse("routing:hot_issue_list")).status_code == status


def test_anonymous_is_sent_to_login(client, routing_world):
    response = client.get(reverse("routing:hot_issue_list"))
    assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def test_only_the_town_admin_changes_settings_and_words(client, login, routing_world):
    w = routing_world
    login(w.users.dispatcher)
    assert client.post(reverse("routing:settings_save", args=[w.cast.town.pk]),
                       {"auto_dispatch": "on", "threshold": "0.8"}).status_code == 403
    assert client.post(reverse("routing:word_add"), {"word": "九龙冲", "kind": "place"}).status_code == 403
    assert not RoutingSettings.objects.exists() and not RouterWord.objects.exists()

    client.logout()
    login(w.users.town_admin)
    client.post(reverse("routing:settings_save", args=[w.cast.town.pk]), {"auto_dispatch": "on", "threshold": "0.85"})
    row = RoutingSettings.objects.get(town=w.cast.town)
    assert row.auto_dispatch and str(row.threshold) == "0.85"
    response = client.post(reverse("routing:settings_save", args=[w.cast.town.pk]), {"threshold": "1.5"}, follow=True)
    assert "置信度下限须为0.50至0.99之间的小数" in response.content.decode()
    row.refresh_from_db()
    assert str(row.threshold) == "0.85" and row.auto_dispatch
    client.post(reverse("routing:word_add"), {"word": "九龙冲", "kind": "place"})
    assert RouterWord.objects.filter(word="九龙冲").exists()
    page = client.get(reverse("routing:model_list")).content.decode()
    assert "九龙冲" in page and "已开启" in page


def test_suggestion_on_the_concern_page_and_in_the_inbox(client, login, routing_world, history,
                                                         django_capture_on_commit_callbacks,
                                                         django_assert_max_num_queries):
    w = routing_world
    services.train_router()
    concerns = [
        submit_concern(text=text, category=w.road, area=w.cast.jiulong_grid, channel=Channel.WEB).concern
        for text in ("我们组的自来水停水三天了", "垃圾桶满了溢出来，气味熏人", "村道塌陷了一大块")
    ]
    login(w.users.dispatcher)
    # Until the worker's pass the inbox and the concern page say so, honestly.
    inbox = client.get(reverse("concerns:inbox")).content.decode()
    assert inbox.count("建议生成中") == 3 and "建议：" not in inbox
    assert "建议生成中" in client.get(reverse("concerns:concern_detail", args=[concerns[0].pk])).content.decode()
    worker_pass()  # the worker's follow-ups: intake, then suggestion, auto-dispatch
    page = client.get(reverse("concerns:concern_detail", args=[concerns[0].pk])).content.decode()
    assert "智能分派建议" in page and "供水" in page and "水务站" in page and "按建议派单" in page
    assert "其他可能" in page
    with django_assert_max_num_queries(20):
        inbox = client.get(reverse("concerns:inbox")).content.decode()
    assert inbox.count("建议：") == 3 and "建议：供水 → 水务站" in inbox

    # The dispatcher accepts: category changed and dispatched, as the dispatcher's own acts.
    suggestion = RoutingSuggestion.objects.get(concern=concerns[0])
    client.post(reverse("routing:apply_suggestion", args=[concerns[0].pk]), {"suggestion": suggestion.pk})
    concern = Concern.objects.get(pk=concerns[0].pk)
    assert concern.status == Status.DISPATCHED and concern.department == w.water_dept
    assert concern.category == w.water
    assert ConcernEvent.objects.get(concern=concern, kind=EventKind.DISPATCHED).actor == w.users.dispatcher


def test_grid_workers_do_not_see_the_suggestion(client, login, routing_world, history,
                                               django_capture_on_commit_callbacks):
    w = routing_world
    services.train_router()
    concern = submit_concern(text="我们组的自来水停水三天了", category=w.road, area=w.cast.jiulong_grid,
                             channel=Channel.VISIT, by=w.users.grid_worker).concern
    worker_pass()  # the worker's follow-ups: intake, then suggestion, auto-dispatch
    login(w.users.grid_worker)
    page = client.get(reverse("concerns:concern_detail", args=[concern.pk])).content.decode()
    assert "智能分派建议" not in page


def test_undo_from_the_concern_page(client, login, routing_world, history, django_capture_on_commit_callbacks):
    w = routing_world
    services.train_router()
    RoutingSettings.objects.create(town=w.cast.town, auto_dispatch=True, threshold="0.50")
    concern = submit_concern(text="我们组的自来水停水三天了，一家人没水喝，做饭洗衣都成问题。",
                             category=w.water, area=w.cast.jiulong_grid, channel=Channel.WEB).concern
    worker_pass()  # the worker's follow-ups: intake, then suggestion, auto-dispatch
    suggestion = RoutingSuggestion.objects.get(concern=concern)
    assert suggestion.auto_dispatched
    login(w.users.dispatcher)
    page = client.get(reverse("concerns:concern_detail", args=[concern.pk])).content.decode()
    assert "按此建议自动派单" in page and "撤销自动派单" in page
    client.post(reverse("routing:undo_auto_dispatch", args=[suggestion.pk]), {"reason": "先核实"})
    concern.refresh_from_db()
    assert concern.status == Status.RETURNED
    page = client.get(reverse("concerns:concern_detail", args=[concern.pk])).content.decode()
    assert "已于" in page and "撤销" in page and "先核实" in page


def _hot_corpus(w, now):
    """Five residents on the 九龙村 bridge (one in 集镇村), two unrelated concerns."""
    texts = [
        ("九龙村石拱桥桥面开裂", "九龙村石拱桥桥面开裂，栏杆松动，孩子上学要过桥，很危险。", w.cast.jiulong_grid, "a"),
        ("石拱桥栏杆松动", "九龙村石拱桥的栏杆松动了，桥面也开裂，担心出事。", w.cast.jiulong_grid2, "b"),
        ("石拱桥开裂危险", "九龙村石拱桥桥面开裂很危险，栏杆松动，请派人看看。", w.cast.jiulong_grid, "c"),
        ("又说石拱桥", "石拱桥桥面开裂，栏杆松动，还是没人管。", w.cast.jiulong_grid, "c"),  # same resident again
        ("九龙村石拱桥", "九龙村石拱桥桥面开裂栏杆松动，集镇村的孩子也走这座桥上学，很危险。", w.cast.jizhen_grid, "d"),
        ("垃圾没人收", "集镇村老街垃圾堆了三天没人收。", w.cast.jizhen_grid, "e"),
        ("路灯不亮", "九龙村二组路灯坏了一个月。", w.cast.jiulong_grid2, "f"),
    ]
    rows = []
    for i, (title, text, area, phone) in enumerate(texts):
        rows.append(make_concern(
            w.cast, category=w.road, title=title, text=text, status=Status.RECEIVED, area=area,
            received_at=now - datetime.timedelta(days=3, hours=-i), phone_hash=phone,
        ))
    return rows


def test_hot_issues_group_alike_concerns_by_text_and_place(routing_world):
    w = routing_world
    now = timezone.now()
    rows = _hot_corpus(w, now)
    old = make_concern(w.cast, category=w.road, title="石拱桥桥面开裂", text="九龙村石拱桥桥面开裂栏杆松动",
                       status=Status.RECEIVED, received_at=now - datetime.timedelta(days=40), phone_hash="z")
    groups = hot.hot_issue_groups(w.users.leader, days=14)
    assert len(groups) == 1
    group = groups[0]
    assert sorted(group.ids) == sorted(r.pk for r in rows[:5])
    assert old.pk not in group.ids  # outside the window
    assert group.residents == 4  # resident "c" wrote twice
    assert group.villages == ["九龙村", "集镇村"]
    assert group.since == rows[0].received_at
    assert "石拱桥" in group.words
    assert hot.hot_issue_groups(w.users.handler) == []
    assert hot.hot_issue_groups(w.users.leader, days=14, min_residents=5) == []


def test_hot_issue_page_and_coordinated_dispatch(client, login, routing_world, django_assert_max_num_queries):
    w = routing_world
    rows = _hot_corpus(w, timezone.now())
    login(w.users.leader)
    page = client.get(reverse("routing:hot_issue_list")).content.decode()
    assert "4</strong> 位群众反映" in page and "九龙村、集镇村" in page
    assert "统一派单" not in page  # leaders see; dispatchers act
    client.logout()
    login(w.users.dispatcher)
    with django_assert_max_num_queries(12):
        page = client.get(reverse("routing:hot_issue_list")).content.decode()
    assert "统一派单" in page and "合并立项" in page
    ids = [r.pk for r in rows[:5]]
    client.post(reverse("routing:hot_issue_act"), {"action": "dispatch", "ids": ids, "department": w.urban.pk})
    assert set(Concern.objects.filter(pk__in=ids).values_list("status", "department")) == {
        (Status.DISPATCHED, w.urban.pk)
    }
    assert ConcernEvent.objects.filter(concern_id__in=ids, kind=EventKind.DISPATCHED).count() == 5


def test_hot_issue_becomes_one_project(client, login, routing_world):
    w = routing_world
    rows = _hot_corpus(w, timezone.now())
    for row in rows[:5]:
        row.status = Status.ACCEPTED
        row.save(update_fields=["status"])
    login(w.users.dispatcher)
    ids = [r.pk for r in rows[:5]]
    response = client.post(reverse("routing:hot_issue_act"),
                           {"action": "project", "ids": ids, "name": "九龙村石拱桥维修", "department": w.urban.pk})
    assert response.status_code == 302
    projects = {c.project_id for c in Concern.objects.filter(pk__in=ids)}
    assert len(projects) == 1 and None not in projects
    assert ConcernEvent.objects.filter(concern_id__in=ids, kind=EventKind.PROJECT_STARTED).count() == 1
    assert ConcernEvent.objects.filter(concern_id__in=ids, kind=EventKind.PROJECT_JOINED).count() == 4


def test_hot_issue_actions_refuse_outsiders_and_stale_groups(client, login, routing_world):
    w = routing_world
    rows = _hot_corpus(w, timezone.now())
    ids = [r.pk for r in rows[:5]]
    login(w.users.leader)
    assert client.post(reverse("routing:hot_issue_act"),
                       {"action": "dispatch", "ids": ids, "department": w.urban.pk}).status_code == 403
    with pytest.raises(services.RoutingError):
        hot.dispatch_group(w.users.dispatcher, ids + [999999], department=w.urban)
    assert not Concern.objects.filter(pk__in=ids, status=Status.DISPATCHED).exists()


def test_train_router_command(routing_world, history, capsys):
    call_command("train_router")
    out = capsys.readouterr().out
    assert "v1" in out and "首个模型，直接启用" in out and "宏F1" in out
    call_command("train_router")
    out = capsys.readouterr().out
    assert "v2" in out and "在同一批14件上" in out
    assert RouterModel.objects.count() == 2


def test_demo_adds_village_names_and_trains_once(routing_world, history):
    from zhenwu.routing.demo import extend_demo_town

    line = extend_demo_town()
    assert "词典加入村名2个" in line and "v1" in line
    assert set(RouterWord.objects.values_list("word", flat=True)) == {"九龙村", "集镇村"}
    assert RouterModel.objects.get().is_active
    assert extend_demo_town() == "智能分派：已有分派模型，未做修改。"
    assert RouterModel.objects.count() == 1 and RouterWord.objects.count() == 2


def test_a_county_held_concern_offers_the_suggestion_as_a_button_only_for_a_county_department(
        client, login, routing_world):
    """The county centre dispatches only to county departments: a suggestion of the town's own
    office stays on the card as information, never as a button the dispatch would refuse."""
    from zhenwu.accounts.models import Role, User
    from zhenwu.concerns import services as concern_services
    from zhenwu.org.models import Department

    w = routing_world
    county_dispatcher = User(username="dispatch_ly", role=Role.DISPATCHER, area=w.cast.county)
    county_dispatcher.set_password(PASSWORD)
    county_dispatcher.save()
    housing = Department.objects.create(name="县住建局", town=w.cast.county)
    concern = make_concern(w.cast, category=w.road, title="县城管网衔接处溢水", text="县城管网衔接处溢水",
                           status=Status.ACCEPTED)
    concern = concern_services.escalate_concern_to_county(concern, by=w.users.dispatcher, reason="涉及县级主管网")
    suggestion = RoutingSuggestion.objects.create(concern=concern, category=w.road, department=w.cast.urban,
                                                  confidence=0.9, department_confidence=0.9)
    login(county_dispatcher)
    page = client.get(reverse("concerns:concern_detail", args=[concern.pk])).content.decode()
    assert "智能分派建议" in page and w.cast.urban.name in page and "按建议派单" not in page
    assert "类别默认" not in page  # the category's default department is the town's

    suggestion.department = housing
    suggestion.save()
    page = client.get(reverse("concerns:concern_detail", args=[concern.pk])).content.decode()
    assert "按建议派单（道路交通 → 县住建局）" in page
    client.post(reverse("routing:apply_suggestion", args=[concern.pk]), {"suggestion": suggestion.pk})
    concern = Concern.objects.get(pk=concern.pk)
    assert concern.status == Status.DISPATCHED and concern.department == housing
