"""A person's decisions on the 热点 groups: applied on top of the computed grouping (pure, on row
indexes), remembered through the services (audited, scoped, lapsing member by member) and posted
from the page (htmx fragment or redirect)."""

import datetime
from types import SimpleNamespace

import pytest
from django.urls import reverse
from django.utils import timezone

from zhenwu.audit.models import AuditEntry
from zhenwu.concerns.models import Concern, Status
from zhenwu.routing import grouping, hot, hot_decisions
from zhenwu.routing.models import HotIssueDecision
from zhenwu.routing.services import RoutingError

from .conftest import make_concern

# --- grouping.apply_decisions: decisions on top of computed clusters ------------------------------


def _apply(clusters, n, *decisions):
    plain = [grouping.Decision(key=k, kind=kind, members=tuple(m)) for k, kind, m in decisions]
    return sorted((ids, keys, gone) for ids, keys, gone in grouping.apply_decisions(clusters, n, plain) if len(ids) > 1 or gone)


def test_a_merge_joins_every_group_its_concerns_are_in():
    # Computed: {0,1,2} and {3,4}; the merge names 1 and 4 only, yet both groups join whole.
    assert _apply([[0, 1, 2], [3, 4]], 6, ("m", "merge", [1, 4])) == [([0, 1, 2, 3, 4], ["m"], [])]


def test_a_split_takes_the_picked_concerns_into_a_group_of_their_own():
    out = _apply([[0, 1, 2, 3]], 5, ("s", "split", [2, 3]))
    assert out == [([0, 1], ["s"], []), ([2, 3], ["s"], [])]


def test_a_dismissal_leaves_the_concern_alone_and_is_shown_on_its_old_group():
    assert _apply([[0, 1, 2]], 3, ("d", "dismiss", [1])) == [([0, 2], [], [(1, "d")])]


def test_later_decisions_win_and_a_dismissed_concern_follows_no_merge_of_its_old_group():
    out = _apply([[0, 1, 2], [3, 4]], 5, ("m", "merge", [0, 3]), ("d", "dismiss", [4]), ("s", "split", [0, 3]))
    # merged {0..4}; 4 dismissed; then 0 and 3 split off: {1,2} keeps the merge's mark and the dismissal.
    assert ([1, 2], ["m", "s"], [(4, "d")]) in out and ([0, 3], ["s"], []) in out
    assert not any(4 in ids for ids, _, _ in out)


def test_decisions_about_concerns_outside_the_window_change_nothing():
    assert _apply([[0, 1]], 2, ("m", "merge", []), ("d", "dismiss", [7])) == [([0, 1], [], [])]


def test_group_rows_applies_decisions_and_labels_the_merged_group():
    def row(pk, title, text):
        return SimpleNamespace(pk=pk, title=title, text=text, town_id=1, village_id="九龙村", category_id=1)

    rows = [
        row(1, "石拱桥栏杆松动", "九龙村石拱桥栏杆松动，桥面开裂。"),
        row(2, "石拱桥桥面开裂", "九龙村石拱桥桥面开裂，栏杆松动。"),
        row(3, "桥头路灯不亮", "石拱桥桥头路灯坏了，晚上过桥看不清。"),
        row(4, "桥头路灯坏了", "石拱桥桥头的路灯坏了一个月。"),
    ]
    places = grouping.place_words(["九龙村"])
    assert sorted(g.members for g in grouping.group_rows(rows, places=places)) == [[0, 1], [2, 3]]
    merged = grouping.group_rows(rows, places=places, decisions=[grouping.Decision(9, "merge", (0, 2))])
    assert [(g.members, g.decisions) for g in merged] == [([0, 1, 2, 3], [9])]
    assert {"桥头", "栏杆"} <= set(merged[0].words)  # the label is of the merged members


# --- the services and what the page shows -------------------------------------------------------

pytestmark = pytest.mark.django_db


@pytest.fixture
def window(routing_world):
    """Two computed groups in 九龙村: the stone bridge (four residents) and the dead street lamps
    by the school (three), and one unrelated concern."""
    w = routing_world
    now = timezone.now()
    texts = [
        ("九龙村石拱桥桥面开裂", "九龙村石拱桥桥面开裂，栏杆松动，孩子上学要过桥，很危险。", "a"),
        ("石拱桥栏杆松动", "九龙村石拱桥的栏杆松动了，桥面也开裂，担心出事。", "b"),
        ("石拱桥开裂危险", "九龙村石拱桥桥面开裂很危险，栏杆松动，请派人看看。", "c"),
        ("石拱桥又开裂", "石拱桥桥面开裂，栏杆松动，还是没人管。", "d"),
        ("学校门口路灯不亮", "九龙村学校门口路灯坏了，晚上学生放学看不清路。", "e"),
        ("学校路灯坏了", "九龙村学校门口的路灯坏了半个月，学生放学很黑。", "f"),
        ("路灯坏了学生看不清", "学校门口路灯坏了，学生晚上放学看不清路。", "g"),
        ("垃圾没人收", "集镇村老街垃圾堆了三天没人收。", "h"),
    ]
    rows = [
        make_concern(w.cast, category=w.road, title=t, text=x, status=Status.ACCEPTED,
                     received_at=now - datetime.timedelta(days=2, hours=-i), phone_hash=p)
        for i, (t, x, p) in enumerate(texts)
    ]
    return SimpleNamespace(w=w, bridge=rows[:4], lamp=rows[4:7], other=rows[7], leader=w.users.leader)


def _groups(user):
    return sorted((sorted(g.ids) for g in hot.hot_issue_groups(user, days=14)), key=len, reverse=True)


def _group_of(user, concern):
    return next(g for g in hot.hot_issue_groups(user, days=14) if concern.pk in g.ids)


def _pks(rows):
    return sorted(r.pk for r in rows)


def test_the_window_holds_two_computed_groups(window):
    assert _groups(window.leader) == [_pks(window.bridge), _pks(window.lamp)]


def test_a_merge_is_remembered_for_everyone_and_audited(window):
    decision = hot_decisions.merge_hot_issues(ids=_pks(window.bridge), other_ids=",".join(str(p) for p in _pks(window.lamp)), by=window.leader)
    assert _groups(window.w.users.dispatcher) == [_pks(window.bridge + window.lamp)]
    group = hot.hot_issue_groups(window.leader)[0]
    assert group.adjustments == [decision] and group.residents == 7
    assert "合并为一组" in decision.summary
    entry = AuditEntry.objects.get(object_type="routing.HotIssueDecision", object_id=str(decision.pk))
    assert entry.actor_id == window.leader.pk and window.bridge[0].reference in str(entry.changes)


def test_a_dismissed_member_leaves_its_group_until_restored(window):
    gone = window.bridge[3]
    [decision] = hot_decisions.dismiss_hot_issue_members(ids=_pks(window.bridge), picked=[gone.pk], by=window.leader)
    bridge = _group_of(window.leader, window.bridge[0])
    assert gone.pk not in bridge.ids and bridge.dismissed == [(gone, decision)]
    hot_decisions.restore_hot_issue_decision(decision, by=window.w.users.dispatcher)
    assert gone.pk in _group_of(window.leader, window.bridge[0]).ids
    decision.refresh_from_db()
    assert decision.revoked_by == window.w.users.dispatcher
    assert AuditEntry.objects.filter(object_type="routing.HotIssueDecision", action="update").count() == 1
    with pytest.raises(RoutingError, match="已撤销"):
        hot_decisions.restore_hot_issue_decision(decision, by=window.leader)


def test_a_dismissal_lapses_when_the_text_changes_or_the_concern_is_reopened(window):
    first, second = window.bridge[2], window.bridge[3]
    hot_decisions.dismiss_hot_issue_members(ids=_pks(window.bridge), picked=[first.pk, second.pk], by=window.leader)
    # Two residents are left: below the bar, so the group goes and its dismissals are listed apart.
    page = hot.hot_issue_page(window.leader)
    assert [sorted(g.ids) for g in page.groups] == [_pks(window.lamp)] and len(page.other_adjustments) == 2
    Concern.objects.filter(pk=first.pk).update(text=first.text + "桥下还有人钓鱼。")
    Concern.objects.filter(pk=second.pk).update(reopen_count=1)
    assert _groups(window.leader)[0] == _pks(window.bridge)
    assert hot.hot_issue_page(window.leader).other_adjustments == []


def test_a_merge_binds_its_open_members_and_lapses_when_all_close(window):
    hot_decisions.merge_hot_issues(ids=_pks(window.bridge), other_ids=_pks(window.lamp), by=window.leader)
    Concern.objects.filter(pk__in=_pks(window.bridge[:3])).update(status=Status.CLOSED)
    assert _groups(window.leader) == [_pks(window.bridge[3:] + window.lamp)]
    Concern.objects.filter(pk__in=_pks(window.bridge + window.lamp)).update(status=Status.CLOSED)
    rows = list(Concern.objects.all())
    assert hot_decisions.decisions_in_force(rows) == []


def test_a_split_group_is_shown_even_below_the_bar(window):
    picked = window.bridge[2:]
    decision = hot_decisions.split_hot_issue(ids=_pks(window.bridge), picked=_pks(picked), by=window.leader)
    groups = {tuple(sorted(g.ids)): g for g in hot.hot_issue_groups(window.leader)}
    assert set(groups) == {tuple(_pks(window.bridge[:2])), tuple(_pks(picked)), tuple(_pks(window.lamp))}
    assert groups[tuple(_pks(picked))].residents == 2 and groups[tuple(_pks(picked))].adjustments == [decision]


def test_adjustments_are_refused_outside_the_rules(window):
    leader, bridge, lamp = window.leader, _pks(window.bridge), _pks(window.lamp)
    with pytest.raises(RoutingError, match="只有镇领导"):
        hot_decisions.merge_hot_issues(ids=bridge, other_ids=lamp, by=window.w.users.handler)
    with pytest.raises(RoutingError, match="同一组") as err:
        hot_decisions.merge_hot_issues(ids=bridge, other_ids=bridge[:1], by=leader)
    assert err.value.field == "other"
    with pytest.raises(RoutingError, match="至少一件"):
        hot_decisions.split_hot_issue(ids=bridge, picked=bridge, by=leader)
    with pytest.raises(RoutingError, match="全部"):
        hot_decisions.dismiss_hot_issue_members(ids=bridge[:2], picked=bridge[:2], by=leader)
    with pytest.raises(RoutingError, match="所选诉求不正确"):
        hot_decisions.merge_hot_issues(ids=bridge, other_ids="1,x", by=leader)
    Concern.objects.filter(pk=lamp[0]).update(status=Status.CLOSED)
    with pytest.raises(RoutingError, match="已办结"):
        hot_decisions.merge_hot_issues(ids=bridge, other_ids=lamp, by=leader)
    assert not HotIssueDecision.objects.exists() and not AuditEntry.objects.filter(object_type="routing.HotIssueDecision").exists()


def test_a_leader_adjusts_from_the_page_with_htmx_and_without(client, login, window):
    login(window.leader)
    page = client.get(reverse("routing:hot_issue_list")).content.decode()
    assert "调整分组" in page and "与另一组合并" in page
    response = client.post(
        reverse("routing:hot_issue_merge"),
        {"ids": _pks(window.bridge), "other": ",".join(map(str, _pks(window.lamp))), "days": 14},
        HTTP_HX_REQUEST="true",
    )
    body = response.content.decode()
    assert response.status_code == 200 and "已合并两组热点" in body and "<html" not in body
    assert "7</strong> 位群众反映" in body and "撤销" in body
    decision = HotIssueDecision.objects.get()
    response = client.post(reverse("routing:hot_issue_restore", args=[decision.pk]), {"days": 14})
    assert response.status_code == 302 and response["Location"].endswith("?days=14")
    page = client.get(response["Location"]).content.decode()
    assert "已撤销调整" in page and _groups(window.leader) == [_pks(window.bridge), _pks(window.lamp)]
    response = client.post(reverse("routing:hot_issue_split"), {"ids": _pks(window.bridge), "days": 14}, HTTP_HX_REQUEST="true")
    assert "请勾选要拆分出去的诉求" in response.content.decode()


def test_people_outside_the_hot_page_cannot_adjust(client, login, window):
    login(window.w.users.handler)
    assert client.post(reverse("routing:hot_issue_dismiss"),
                       {"ids": _pks(window.bridge), "picked": [window.bridge[0].pk]}).status_code == 403
    decision = hot_decisions.merge_hot_issues(ids=_pks(window.bridge), other_ids=_pks(window.lamp), by=window.leader)
    assert client.post(reverse("routing:hot_issue_restore", args=[decision.pk])).status_code == 403
    decision.refresh_from_db()
    assert decision.revoked_at is None


def test_the_page_with_decisions_stays_within_its_queries(client, login, window, django_assert_max_num_queries):
    hot_decisions.merge_hot_issues(ids=_pks(window.bridge), other_ids=_pks(window.lamp), by=window.leader)
    hot_decisions.dismiss_hot_issue_members(ids=_pks(window.bridge + window.lamp), picked=[window.lamp[0].pk], by=window.leader)
    login(window.w.users.dispatcher)
    with django_assert_max_num_queries(13):
        page = client.get(reverse("routing:hot_issue_list")).content.decode()
    assert "恢复" in page and window.lamp[0].reference in page
