"""Template tags of 网格与联户."""

from django import template
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from zhenwu.org.models import AreaLevel

register = template.Library()


@register.simple_tag
def coverage_rows(rows):
    """The rows of the coverage table. Built here rather than in a template loop: a county's page
    has some 1,500 rows, which the template engine took 90 ms to render (a few microseconds per
    variable) and this takes a few."""
    overdue_url = reverse("grid:overdue_list")

    def cells(r):
        if r.overdue:
            key = "grid" if r.area.level == AreaLevel.GRID else "village"
            overdue = format_html('<a class="overdue" href="{}?{}={}">{}</a>', overdue_url, key, r.area.pk, r.overdue)
        else:
            overdue = "0"
        percent = f"{r.percent}%" if r.percent is not None else "—"
        return (r.indent, r.area.name, r.households, r.linked, r.covered, overdue, percent)

    return format_html_join(
        "\n",
        '<tr><td style="padding-left:{}em">{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td><td>{}</td></tr>',
        (cells(r) for r in rows),
    )
