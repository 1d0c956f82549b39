"""A date field filled by the server is shown filled in the browser (Chromium empties an
<input type="date"> whose value is not ISO)."""

import datetime

import pytest

from zhenwu.study import services

pytestmark = pytest.mark.browser


def test_the_campaign_edit_form_shows_its_dates_in_the_browser(desktop_page, cast, browser_login):
    campaign = services.create_campaign(
        name="不忘初心、牢记使命主题教育", starts_on=datetime.date(2019, 9, 1), ends_on=datetime.date(2019, 11, 30),
        party_orgs=[cast.committee], by=cast.users.town_admin,
    )
    page = desktop_page
    browser_login(page, cast.users.town_admin)
    page.goto(f"/study/campaigns/{campaign.pk}/edit/")
    for name, expected in [("starts_on", "2019-09-01"), ("ends_on", "2019-11-30")]:
        field = page.locator(f'input[name="{name}"]')
        html_value = field.get_attribute("value")
        shown = field.evaluate("el => el.value")
        assert shown, f"{name}: the browser shows an empty field for value={html_value!r}"
        assert shown == html_value == expected
