"""The router fills the concern pages' slots (concerns.signals, zhenwu.core.slots) with exactly what
its template tags (routing_tags) wrote in the same places before the slots: the expected fragments
below are the output of those pages at branch h11-layers for the same rows, byte for byte. Each kind
of concern (a suggestion, a "no suggestion", one being made, none) for each kind of reader (the
dispatcher who may apply it, a leader who may only read it, a grid worker who is not shown it); and
the inbox still loads its page's suggestions in one query, however many rows it shows. One change
from those pages, on purpose: a reader the suggestion is not for gets nothing in either slot (both
receivers return None), where the card used to leave two blank lines."""

import re

import pytest
from django.template import Context, Template
from django.test import RequestFactory
from django.urls import reverse

from zhenwu.concerns.models import Concern, Status
from zhenwu.core.slots import fill_slot
from zhenwu.routing.models import RoutingSuggestion

from .conftest import make_concern

pytestmark = pytest.mark.django_db

CELL = '<td data-label="类别"><div>道路交通<br><small class="muted">默认：城建办</small>{}\n</div></td>'
ROWS = {
    "suggested": CELL.format('<br><small class="routing-hint" title="智能分派建议">建议：供水 → 水务站 96%</small>'),
    "no_suggestion": CELL.format('<br><small class="muted">无建议</small>'),
    "pending": CELL.format('<br><small class="muted" title="后台正在生成智能分派建议，稍后刷新">建议生成中…</small>'),
    "none": CELL.format(""),
}

CARD = (
    '\n\n<div class="card routing-card" id="routing-suggestion">\n'
    '  <h2 class="u-mt-0">智能分派建议 <small class="muted">（仅供参考，以受理员的选择为准）</small></h2>\n'
    "  \n{}\n</div>\n\n"
)
SUGGESTED = (
    '  <dl class="kv">\n'
    '    <dt>建议类别</dt><dd><strong>供水</strong> <span class="tag">置信度 96%</span></dd>\n'
    '    <dt>建议部门</dt><dd><strong>水务站</strong> <small class="muted">96%</small></dd>\n'
    '    <dt>其他可能</dt><dd><span class="tag">环境卫生 2%</span><span class="tag">道路交通 2%</span></dd>\n'
    "    \n  </dl>\n  \n{}  \n  \n  "
)
APPLY = (
    '  \n  <form method="post" action="/routing/concerns/{pk}/apply/" class="actions">'
    '<input type="hidden" name="csrfmiddlewaretoken" value="TOKEN">\n'
    '    <input type="hidden" name="suggestion" value="{spk}">\n'
    '    <button type="submit">按建议派单（供水 → 水务站）</button>\n  </form>\n'
)
CARDS = {
    ("dispatcher", "suggested"): CARD.format(SUGGESTED.format(APPLY)),
    ("leader", "suggested"): CARD.format(SUGGESTED.format("")),
    "no_suggestion": CARD.format('  <p class="muted">无建议：文字太少，无法判断</p>\n  '),
    "pending": CARD.format('  <p class="muted">建议生成中：后台正在处理这条新诉求，稍后刷新本页即可看到建议。</p>\n  '),
    "none": CARD.format('  <p class="muted">暂无建议（尚未启用分派模型）。</p>\n  '),
    "not_shown": "",  # the receiver returns None: nothing at all, not even the template's blank lines
}

# Around the concern page's slot: the end of the facts card, and the start of the text card.
BEFORE_SLOT = "    </dl>\n  </div>\n\n  "
AFTER_SLOT = '\n\n  <div class="card">\n    <h2 class="u-mt-0">诉求内容'


@pytest.fixture
def kinds(routing_world):
    """One received concern of each kind, with the router's suggestion rows made directly."""
    w = routing_world

    def received(title):
        return make_concern(w.cast, category=w.road, title=title, text=title, status=Status.RECEIVED)

    made = {kind: received(title) for kind, title in
            (("suggested", "自来水停水"), ("no_suggestion", "嗯"), ("pending", "村道塌陷"), ("none", "垃圾没人清运"))}
    Concern.objects.filter(pk=made["pending"].pk).update(intake_pending=True)
    suggestion = RoutingSuggestion.objects.create(
        concern=made["suggested"], category=w.water, department=w.water_dept, confidence=0.96,
        department_confidence=0.961, alternatives=[{"name": "环境卫生", "p": 0.02}, {"name": "道路交通", "p": 0.02}],
    )
    RoutingSuggestion.objects.create(concern=made["no_suggestion"], reason="文字太少，无法判断")
    made["suggestion"] = suggestion
    return made


def _category_cell(page, concern):
    start = page.index('<td data-label="类别">', page.index(f'<tr id="concern-{concern.pk}">'))
    return page[start:page.index("</td>", start) + len("</td>")]


def _slot_on_concern_page(page):
    start = page.index(BEFORE_SLOT) + len(BEFORE_SLOT)
    return re.sub(r'name="csrfmiddlewaretoken" value="\w+"', 'name="csrfmiddlewaretoken" value="TOKEN"',
                  page[start:page.index(AFTER_SLOT)])


@pytest.mark.parametrize("htmx", [False, True], ids=["page", "results"])
def test_the_inbox_rows_show_the_same_hint_as_before_the_slots(client, login, routing_world, kinds, htmx):
    login(routing_world.users.dispatcher)
    headers = {"HTTP_HX_REQUEST": "true"} if htmx else {}
    page = client.get(reverse("concerns:inbox"), **headers).content.decode()
    assert page.lstrip().startswith("<!doctype") is not htmx
    for kind, expected in ROWS.items():
        assert _category_cell(page, kinds[kind]) == expected, kind


@pytest.mark.parametrize("role", ["dispatcher", "leader", "grid_worker"])
def test_the_concern_page_shows_the_same_card_as_before_the_slots(client, login, routing_world, kinds, role):
    login(getattr(routing_world.users, role))
    for kind in ("suggested", "no_suggestion", "pending", "none"):
        concern = kinds[kind]
        response = client.get(reverse("concerns:concern_detail", args=[concern.pk]))
        assert response.status_code == 200
        if role == "grid_worker":
            expected = CARDS["not_shown"]
        else:
            expected = CARDS.get((role, kind)) or CARDS[kind]
        expected = expected.replace("{pk}", str(concern.pk)).replace("{spk}", str(kinds["suggestion"].pk))
        assert _slot_on_concern_page(response.content.decode()) == expected, kind


def test_other_lists_of_concerns_show_no_hint(client, login, routing_world, kinds):
    login(routing_world.users.dispatcher)
    page = client.get(reverse("concerns:concern_list")).content.decode()
    assert _category_cell(page, kinds["suggested"]) == '<td data-label="类别"><div>道路交通</div></td>'
    assert "建议" not in page


def test_the_inbox_loads_its_suggestions_in_one_query_for_any_number_of_rows(
    client, login, routing_world, kinds, django_assert_max_num_queries
):
    w = routing_world
    login(w.users.dispatcher)
    with django_assert_max_num_queries(20) as few:
        client.get(reverse("concerns:inbox"))
    for i in range(12):
        concern = make_concern(w.cast, category=w.road, title=f"路灯不亮{i}", text="路灯不亮", status=Status.RECEIVED)
        RoutingSuggestion.objects.create(concern=concern, category=w.road, department=w.urban, confidence=0.9)
    with django_assert_max_num_queries(len(few.captured_queries)) as many:
        page = client.get(reverse("concerns:inbox")).content.decode()
    assert page.count("建议：") == 13
    suggestion_queries = [q for q in many.captured_queries if 'FROM "routing_routingsuggestion"' in q["sql"]]
    assert len(suggestion_queries) == 1


@pytest.mark.parametrize("role", ["dispatcher", "leader", "grid_worker"])
def test_both_router_slots_answer_a_reader_they_are_not_for_with_nothing_and_others_with_a_fragment(
    routing_world, kinds, role
):
    """One rule for the card and the hint: None (left out by the slot) for a reader the router's
    suggestions are not for, whatever the concern; for the others always a fragment (a string),
    which says itself when there is no suggestion."""
    request = RequestFactory().get("/")
    request.user = getattr(routing_world.users, role)
    context = Context({"request": request})
    context.template = Template("")
    shown = role != "grid_worker"
    for kind in ("suggested", "no_suggestion", "pending", "none"):
        concern = kinds[kind]
        card = fill_slot("concerns.concern_detail_cards", context, concern=concern)
        hint = fill_slot("concerns.inbox_row_category", context, concern=concern, page=[concern])
        if shown:
            assert len(card) == 1 and "智能分派建议" in card[0], kind
            assert len(hint) == 1 and isinstance(hint[0], str), kind
        else:
            assert card == [] and hint == [], kind
