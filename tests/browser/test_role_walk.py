"""Every role walks the demo town (官桥镇) in a real browser, at phone and at desktop width, from
its navigation one link deep (tests/browser/role_walk.py says what fails the walk). The town office's
roles are here, one test each; the village's roles and the resident are in
test_role_walk_village.py, so that the suite's two workers share the walks (the suite runs both
files first: see pytest_collection_modifyitems in conftest.py)."""

import pytest

from tests.browser.role_walk import walk_role

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
