"""Every date and date-time input of the project renders an ISO value, which is the only value an
HTML date input shows (Chromium empties the field for "2026/12/04", the zh-hans default), and the
fields still accept what the browser submits and what zh-hans accepted before."""

import datetime
import importlib
import pkgutil
import re
from zoneinfo import ZoneInfo

import pytest
from django import forms
from django.urls import reverse
from django.utils import translation

import zhenwu

SHANGHAI = ZoneInfo("Asia/Shanghai")
A_DATE = datetime.date(2026, 12, 4)
# 01:30 UTC is 09:30 in Shanghai: a widget showing UTC would give the wrong hour.
A_DATETIME = datetime.datetime(2026, 12, 4, 1, 30, tzinfo=datetime.UTC)


def _form_modules():
    for info in pkgutil.walk_packages(zhenwu.__path__, "zhenwu."):
        leaf = info.name.rsplit(".", 1)[-1]
        if ".tests" in info.name or ".migrations" in info.name:
            continue
        if leaf.startswith("forms") or leaf in {"filters", "forms"}:
            yield importlib.import_module(info.name)


def _date_fields():
    """(form class, field name, field) for every date or date-time field declared in our forms."""
    seen = set()
    for module in _form_modules():
        for obj in vars(module).values():
            if (isinstance(obj, type) and issubclass(obj, forms.BaseForm) and obj.__module__ == module.__name__
                    and obj not in seen):
                seen.add(obj)
                for name, field in getattr(obj, "base_fields", {}).items():
                    if isinstance(field, (forms.DateField, forms.DateTimeField)):
                        yield obj, name, field


DATE_FIELDS = list(_date_fields())


def _value_attr(html):
    match = re.search(r'value="([^"]*)"', html)
    return match and match.group(1)


def test_discovery_finds_the_forms_the_issue_names():
    found = {f"{form.__module__}.{form.__name__}.{name}" for form, name, _ in DATE_FIELDS}
    for expected in [
        "zhenwu.study.forms.CampaignForm.starts_on",
        "zhenwu.study.forms.HomeLessonForm.given_on",
        "zhenwu.study.forms.MentorshipForm.started_on",
        "zhenwu.study.forms.SiteCheckForm.checked_on",
        "zhenwu.study.forms.GuidanceForm.visited_on",
        "zhenwu.study.forms.SessionForm.starts_at",
        "zhenwu.reports.filters.ReportFilterForm.start",
    ]:
        assert expected in found, sorted(found)


@pytest.mark.parametrize(("form", "name", "field"), DATE_FIELDS,
                         ids=[f"{f.__module__.removeprefix('zhenwu.')}.{f.__name__}.{n}" for f, n, _ in DATE_FIELDS])
def test_every_date_input_renders_an_iso_value(form, name, field, settings):
    with translation.override("zh-hans"), translation_time_zone():
        if isinstance(field, forms.DateTimeField):
            html = field.widget.render(name, field.prepare_value(A_DATETIME))
            assert 'type="datetime-local"' in html, html
            assert _value_attr(html) == "2026-12-04T09:30", html
        else:
            html = field.widget.render(name, field.prepare_value(A_DATE))
            assert 'type="date"' in html, html
            assert _value_attr(html) == "2026-12-04", html


def translation_time_zone():
    from django.utils import timezone

    return timezone.override("Asia/Shanghai")


@pytest.mark.parametrize("typed", ["2026-12-04", "2026/12/04", "2026年12月4日"])
def test_date_fields_accept_iso_and_the_zh_hans_formats(typed):
    with translation.override("zh-hans"):
        assert forms.DateField().clean(typed) == A_DATE


@pytest.mark.parametrize("typed", ["2026-12-04T09:30", "2026-12-04T09:30:00", "2026-12-04 09:30", "2026/12/04 09:30"])
def test_date_time_fields_accept_iso_and_the_zh_hans_formats(typed):
    from zhenwu.study.forms import SessionForm

    field = SessionForm.base_fields["starts_at"]
    with translation.override("zh-hans"):
        assert field.clean(typed) == datetime.datetime(2026, 12, 4, 9, 30, tzinfo=SHANGHAI)


@pytest.fixture
def campaign(cast):
    from zhenwu.study import services

    return services.create_campaign(
        name="不忘初心、牢记使命主题教育", starts_on=datetime.date(2019, 9, 1), ends_on=datetime.date(2019, 11, 30),
        party_orgs=[cast.committee], by=cast.users.town_admin,
    )


def test_campaign_edit_page_shows_its_two_dates_in_iso(cast, login, campaign):
    client = login(cast.users.town_admin)
    html = client.get(reverse("study:campaign_edit", args=[campaign.pk])).content.decode()
    assert re.search(r'<input type="date" name="starts_on" value="2019-09-01"', html), html
    assert re.search(r'<input type="date" name="ends_on" value="2019-11-30"', html), html


@pytest.mark.parametrize("url_name", ["reports:dashboard", "reports:ledger_list"])
def test_report_range_filters_show_iso_dates(cast, login, url_name):
    client = login(cast.users.town_admin)
    html = client.get(reverse(url_name)).content.decode()  # the default period, filled by the server
    values = re.findall(r'<input type="date"[^>]*value="([^"]*)"', html)
    assert values, html
    assert all(re.fullmatch(r"\d{4}-\d{2}-\d{2}", v) for v in values), values
