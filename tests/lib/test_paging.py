"""The one paging helper and the one pager: pages by `?page=`, and the pager's links keep the
request's filters ({% querystring %}) while replacing only the page number."""

import re
from pathlib import Path

from django.template.loader import render_to_string
from django.test import RequestFactory

from zhenwu.lib.paging import paginate

ROOT = Path(__file__).resolve().parents[2] / "zhenwu"


def _links(html):
    return [href.replace("&amp;", "&") for href in re.findall(r'href="([^"]*)"', html)]


def test_paginate_reads_the_page_parameter_and_forgives_a_bad_one():
    rows = list(range(45))
    factory = RequestFactory()

    assert list(paginate(factory.get("/x/", {"page": "2"}), rows)) == list(range(20, 40))
    assert list(paginate(factory.get("/x/", {"page": "9"}), rows, per_page=20)) == list(range(40, 45))
    assert list(paginate(factory.get("/x/", {"page": "abc"}), rows, per_page=10)) == list(range(10))


def test_the_pager_keeps_the_filters_and_replaces_only_the_page():
    request = RequestFactory().get("/concerns/list/", {"status": "open", "q": "路灯", "page": "2"})
    page = paginate(request, list(range(70)))

    html = render_to_string("includes/pager.html", {"page": page}, request=request)

    assert "第 2 / 4 页" in html
    assert _links(html) == [
        "/concerns/list/?status=open&q=%E8%B7%AF%E7%81%AF&page=1",
        "/concerns/list/?status=open&q=%E8%B7%AF%E7%81%AF&page=3",
    ]


def test_a_single_page_shows_no_pager():
    request = RequestFactory().get("/x/")

    assert render_to_string("includes/pager.html", {"page": paginate(request, [1, 2])}, request=request).strip() == ""


def test_no_view_pages_by_hand_and_no_template_writes_its_own_pager():
    views = [p for p in ROOT.rglob("*.py") if "tests" not in p.parts and p.name != "paging.py"]
    templates = [p for p in (ROOT / "templates").rglob("*.html") if p.name != "pager.html"]

    assert [str(p) for p in views if "Paginator(" in p.read_text()] == []
    assert [str(p) for p in templates if "next_page_number" in p.read_text()] == []
