"""The main navigation marks exactly one tab as the current page."""

import re

import pytest
from django.urls import NoReverseMatch, reverse

from zhenwu.accounts.navigation import MENU, menu_for

ROLES = ["town_admin", "leader", "dispatcher", "handler", "secretary", "grid_worker", "instructor", "member"]


def nav_of(html):
    return re.search(r'<nav class="mainnav".*?</nav>', html, re.S).group(0)


@pytest.mark.parametrize("role", ROLES)
def test_every_page_of_a_roles_navigation_marks_exactly_its_own_tab(cast, client, login, role):
    user = getattr(cast.users, role)
    login(user)
    checked = 0
    for item in menu_for(user):
        response = client.get(item["url"])
        if response.status_code != 200:
            continue
        nav = nav_of(response.content.decode())
        current = re.findall(r'<a href="([^"]+)" aria-current="page"', nav)
        assert current == [item["url"]], (item["label"], current)
        checked += 1
    assert checked >= 3


@pytest.mark.parametrize("path, label", [
    ("/grid/meetings/", "民情茶室"),
    ("/grid/meetings/7/", "民情茶室"),
    ("/grid/", "联户走访"),
    ("/grid/visits/new/", "联户走访"),
    ("/reports/briefings/3/", "简报"),
    ("/reports/", "数据看板"),
    ("/", "首页"),
])
def test_a_sub_page_belongs_to_the_tab_with_the_longest_matching_address(cast, path, label):
    items = menu_for(cast.users.town_admin, path)
    assert [item["label"] for item in items if item["active"]] == [label]


def test_no_two_menu_addresses_are_identical():
    urls = []
    for _label, name, _roles in MENU:
        try:
            urls.append(reverse(name))
        except NoReverseMatch:
            continue
    assert len(urls) == len(set(urls))
