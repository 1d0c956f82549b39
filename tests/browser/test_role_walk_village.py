"""The role walk (see test_role_walk.py) for the village's roles, the instructor and the party
member, and the resident's public pages."""

import pytest

from tests.browser.role_walk import DESKTOP, PHONE, walk, walk_roles

pytestmark = pytest.mark.browser

VILLAGE = ["gq_secretary", "gq_grid", "gq_instructor", "gq_member"]
PUBLIC = ["/concerns/report/", "/concerns/board/", "/concerns/board/rates/"]


def test_the_village_roles_meet_no_broken_link_empty_date_sideways_page_english_error_or_csp_violation(
    demo_town, browser, live_server, browser_login, tmp_path
):
    problems = walk_roles(browser, live_server, browser_login, VILLAGE, tmp_path)
    contexts = {width: browser.new_context(base_url=live_server.url, locale="zh-CN", timezone_id="Asia/Shanghai",
                                           **options) for width, options in (("phone", PHONE), ("desktop", DESKTOP))}
    report = walk(contexts, live_server.url, PUBLIC, role="resident")
    print(f"{report.role}: {len(report.rendered)} pages rendered twice, {report.requested} requested")
    problems += report.problems
    for context in contexts.values():
        context.close()
    assert not problems, "\n".join(problems)
