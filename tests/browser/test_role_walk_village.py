"""The role walk (see test_role_walk.py) for the village's roles, the instructor and the party
member, one test each, and the resident's public pages."""

import pytest

from tests.browser.role_walk import walk_public, walk_role

pytestmark = pytest.mark.browser

VILLAGE = ["gq_secretary", "gq_grid", "gq_instructor", "gq_member"]
PUBLIC = ["/concerns/report/", "/concerns/board/", "/concerns/board/rates/"]


# The first test of a process loads the demo town (about a minute; two beside a full suite) before it
# walks: more than the suite's 300 s per test would allow on a loaded machine.
@pytest.mark.timeout(600)
@pytest.mark.parametrize("username", VILLAGE)
def test_a_village_role_meets_no_broken_link_empty_date_sideways_page_english_error_or_csp_violation(
    demo_town, browser, live_server, browser_login, tmp_path, username
):
    problems = walk_role(browser, live_server, browser_login, username, tmp_path)
    assert not problems, "\n".join(problems)


def test_a_resident_meets_no_broken_link_empty_date_sideways_page_english_error_or_csp_violation(
    demo_town, browser, live_server, tmp_path
):
    problems = walk_public(browser, live_server, PUBLIC, tmp_path)
    assert not problems, "\n".join(problems)
