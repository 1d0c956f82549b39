"""The concerns pages name no app above concerns: their templates load no tag library of those apps,
reverse none of their URLs and include none of their templates; those apps reach the pages only
through the slots concerns declares (concerns.signals, zhenwu.core.slots), and without a receiver
the pages render whole."""

import re
from pathlib import Path

import pytest
from django.conf import settings

from zhenwu.concerns.signals import concern_detail_cards, inbox_row_category
from zhenwu.core.slots import get_slot

from .staff_helpers import in_state, text

TEMPLATES = Path(settings.BASE_DIR) / "zhenwu" / "templates" / "concerns"
# The apps above concerns in the layers contract (pyproject.toml, docs/architecture.md).
ABOVE = ("routing", "reports", "ops", "open311", "grid", "activities")


def _libraries_of(app):
    folder = Path(settings.BASE_DIR) / "zhenwu" / app / "templatetags"
    return {p.stem for p in folder.glob("*.py") if p.stem != "__init__"} if folder.is_dir() else set()


def _upper_libraries():
    return set().union(*(_libraries_of(app) for app in ABOVE)) | {"routing_tags"}


def _naming_an_app_above(source):
    found = []
    for load in re.findall(r"{%\s*load\s+([^%]+?)\s*%}", source):
        found += [f"loads {name}" for name in load.split() if name in _upper_libraries()]
    apps = "|".join(ABOVE)
    found += [f"url {m}" for m in re.findall(rf"{{%\s*url\s+[\"']((?:{apps}):[\w-]+)", source)]
    found += [f"template {m}" for m in re.findall(rf"{{%\s*(?:include|extends)\s+[\"']((?:{apps})/[^\"']+)", source)]
    return found


def test_no_concerns_template_names_an_app_above_concerns():
    sources = sorted(TEMPLATES.rglob("*.html"))
    assert len(sources) > 20  # the folder is where this test looks
    offenders = {p.name: found for p in sources if (found := _naming_an_app_above(p.read_text()))}
    assert offenders == {}


@pytest.mark.parametrize("source,found", [
    ('{% load partials routing_tags %}', ["loads routing_tags"]),
    ('{% load grid_tags %}', ["loads grid_tags"]),
    ("<a href=\"{% url 'routing:apply_suggestion' c.pk %}\">", ["url routing:apply_suggestion"]),
    ('{% include "routing/_suggestion_row.html" %}', ["template routing/_suggestion_row.html"]),
    ('{% load partials slots %}{% url "concerns:inbox" %}{% include "concerns/staff_flags.html" %}', []),
])
def test_the_check_finds_each_way_of_naming_an_app_above(source, found):
    assert _naming_an_app_above(source) == found


def test_the_staff_pages_slots_are_declared_by_concerns():
    assert get_slot("concerns.concern_detail_cards") is concern_detail_cards
    assert get_slot("concerns.inbox_row_category") is inbox_row_category


@pytest.fixture
def no_receivers():
    """The slots with their receivers taken off (as if no app above were installed), put back after."""
    saved = {slot: list(slot.receivers) for slot in (concern_detail_cards, inbox_row_category)}
    for slot in saved:
        slot.receivers = []
        slot.sender_receivers_cache.clear()
    yield
    for slot, receivers in saved.items():
        slot.receivers = receivers
        slot.sender_receivers_cache.clear()


def test_the_inbox_and_the_concern_page_render_with_no_app_filling_their_slots(client, login, submit, world, no_receivers):
    concern = in_state("received", submit=submit, world=world)
    login(world.users.dispatcher)
    inbox = client.get("/concerns/inbox/")
    assert inbox.status_code == 200 and concern.reference in text(inbox) and "建议" not in text(inbox)
    page = client.get(f"/concerns/{concern.pk}/")
    assert page.status_code == 200 and concern.title in text(page) and "智能分派建议" not in text(page)
