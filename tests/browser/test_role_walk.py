"""Every role walks the demo town (官桥镇) in a real browser, at phone and at desktop width, from
its navigation one link deep (tests/browser/role_walk.py says what fails the walk). The town office's
roles are here; the village's roles and the resident are in test_role_walk_village.py, so that the
suite's two workers share the walks."""

import pytest

from tests.browser.role_walk import walk_roles

pytestmark = pytest.mark.browser

TOWN_OFFICE = ["gq_admin", "gq_leader", "gq_dispatcher", "gq_handler"]


def test_the_town_office_roles_meet_no_broken_link_empty_date_sideways_page_english_error_or_csp_violation(
    demo_town, browser, live_server, browser_login, tmp_path
):
    problems = walk_roles(browser, live_server, browser_login, TOWN_OFFICE, tmp_path)
    assert not problems, "\n".join(problems)
