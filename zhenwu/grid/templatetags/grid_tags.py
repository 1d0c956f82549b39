"""Template tags of 网格与联户."""

from django import template
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from zhenwu.lib.styling import indent_class
from zhenwu.org.models import AreaLevel

register = template.Library()


@register.simple_tag
def coverage_rows(rows, town=None):
    """The rows of the coverage table. Built here rather than in a template loop: a town's page
    has some 50 rows, a county's (before it listed towns only) 1,500, which the template engine took
    90 ms to render (a few microseconds per variable) and this takes a few.

    A town's row (on a county account's page) links to that town's page; the overdue counts link
    to the overdue list of the row's area. `town`: the town a county account drilled into, which
    the list needs to find that town's villages and grids."""
    coverage_url = reverse("grid:coverage")
    overdue_url = reverse("grid:overdue_list")
    prefix = f"town={town.pk}&" if town is not None else ""
    keys = {AreaLevel.GRID: "grid", AreaLevel.VILLAGE: "village", AreaLevel.COMMUNITY: "village"}

    def cells(r):
        key = keys.get(r.area.level)
        if r.area.level == AreaLevel.TOWN and r.indent:  # a county's town: drill down
            name = format_html('<a href="{}?town={}">{}</a>', coverage_url, r.area.pk, r.area.name)
            query = f"town={r.area.pk}"
        else:
            name = r.area.name
            query = f"{prefix}{key}={r.area.pk}" if key else prefix.rstrip("&")
        if r.overdue:
            target = f"{overdue_url}?{query}" if query else overdue_url
            overdue = format_html('<a class="overdue" href="{}">{}</a>', target, r.overdue)
        else:
            overdue = "0"
        percent = f"{r.percent}%" if r.percent is not None else "—"
        return (indent_class(r.indent), name, r.households, r.linked, r.covered, overdue, percent)

    return format_html_join(
        "\n",
        '<tr><td class="{}">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>',
        (cells(r) for r in rows),
    )
