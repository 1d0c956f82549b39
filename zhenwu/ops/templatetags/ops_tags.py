from django import template

from zhenwu.ops.backup import app_version

register = template.Library()


@register.simple_tag
def zhenwu_version():
    """The installed package version (pyproject), shown in every page's footer."""
    return app_version()
