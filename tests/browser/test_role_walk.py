"""Every role walks the demo town (官桥镇) in a real browser, at phone and at desktop width, from
its navigation one link deep (tests/browser/role_walk.py says what fails the walk). The town office's
roles are here, one test each; the village's roles and the resident are in
test_role_walk_village.py, so that the suite's two workers share the walks (the suite runs both
files first: see pytest_collection_modifyitems in conftest.py)."""

import pytest

from tests.browser.role_walk import _fetch, walk_role

pytestmark = pytest.mark.browser

TOWN_OFFICE = ["gq_admin", "gq_leader", "gq_dispatcher", "gq_handler"]


# The first test of a process loads the demo town (about a minute; two beside a full suite) before it
# walks: more than the suite's 300 s per test would allow on a loaded machine.
@pytest.mark.timeout(600)
@pytest.mark.parametrize("username", TOWN_OFFICE)
def test_a_town_office_role_meets_no_broken_link_empty_date_sideways_page_english_error_or_csp_violation(
    demo_town, browser, live_server, browser_login, tmp_path, username
):
    problems = walk_role(browser, live_server, browser_login, username, tmp_path)
    assert not problems, "\n".join(problems)


def test_the_walks_link_check_sees_what_the_server_answers(live_server, transactional_db):
    """The walk's own link check (role_walk._fetch, sent outside the browser with its cookies)
    tells a missing page, a refused page and a followed redirect apart."""
    from django.test import Client

    from zhenwu.accounts.models import Role, User

    member = User.objects.create_user(username="walk_member", password="x-Walk-2026", role=Role.MEMBER,
                                       full_name="党员")
    client = Client()
    client.force_login(member)
    cookies = [{"name": "sessionid", "value": client.cookies["sessionid"].value}]
    assert _fetch(live_server.url + "/no-such-page/", cookies) == (404, True)
    assert _fetch(live_server.url + "/concerns/list/", cookies) == (403, True)
    assert _fetch(live_server.url + "/", cookies) == (200, True)
    # Signed out, a staff page redirects to the sign-in page, which is followed.
    assert _fetch(live_server.url + "/concerns/list/", []) == (200, True)
