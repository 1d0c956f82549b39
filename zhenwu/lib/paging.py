"""The one way a list page is cut into pages.

`paginate(request, queryset)` reads `?page=` (a missing, malformed or too large number gives the
first or the last page, never an error) and returns a Django `Page`. The template shows it with
`{% include "includes/pager.html" %}`, whose links keep the request's other parameters (the
filters) through Django's `{% querystring %}` tag, so views pass no query string of their own.
"""

from django.core.paginator import Paginator

PER_PAGE = 20


def paginate(request, queryset, *, per_page=PER_PAGE):
    """The page of `queryset` (any sliceable sequence with a length) that `?page=` asks for."""
    return Paginator(queryset, per_page).get_page(request.GET.get("page"))
