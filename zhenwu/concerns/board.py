"""The public board's filters, in one place: the list (/concerns/board/) and its map
(/concerns/board/map.json) read the same parameters and narrow the same public concerns.

Parameters: `town` (only where the deployment serves several towns), `village`, `category`,
`status` (the residents' words, STATUS_FILTERS) and `q` (words of the title or part of the
number; public fields only). A value that names nothing is ignored, as if it were not given.
"""

from dataclasses import dataclass

from django.db.models import Q

from zhenwu.lib.params import int_or_none
from zhenwu.org.models import Area, AreaLevel

from .forms_public import served_towns
from .models import CLOCK_STATUSES, OPEN_STATUSES, PUBLIC_STATUSES, Category, Status

# Board status filter: what residents ask ("still being handled?"), not the internal states.
STATUS_FILTERS = {
    "processing": ("办理中", Q(status__in=[s for s in OPEN_STATUSES if s in PUBLIC_STATUSES])),
    "overdue": ("已超期", None),  # open and past the resolution deadline; needs the time
    "resolved": ("已办结待回访", Q(status=Status.RESOLVED)),
    "closed": ("已关闭", Q(status=Status.CLOSED)),
}
Q_MAX_CHARS = 60


def _village_options(town=None):
    """The villages and communities the filter offers: the town's where a town is chosen."""
    qs = Area.objects.filter(level__in=(AreaLevel.VILLAGE, AreaLevel.COMMUNITY))
    if town is not None:
        qs = qs.filter(path__startswith=town.path)
    return qs.only("id", "name", "path")


def _category_options():
    return Category.objects.filter(is_active=True).only("id", "name")


def _villages(town=None):
    return list(_village_options(town).order_by("path"))


def _pick(options, value):
    pk = int_or_none(value)
    return next((o for o in options if o.pk == pk), None)


@dataclass
class BoardFilters:
    """What the board's filter form offers (`towns`, `villages`, `categories`) and what the
    request chose (`town`, `village`, `category`, `status`, `q`)."""

    towns: list
    town: object
    villages: list
    village: object
    categories: list
    category: object
    status: str
    q: str

    def apply(self, concerns, *, now):
        """`concerns` (public ones) narrowed to the chosen filters."""
        if self.town is not None:
            concerns = concerns.filter(town=self.town)
        if self.village is not None:
            concerns = concerns.filter(village=self.village)
        if self.category is not None:
            concerns = concerns.filter(category=self.category)
        if self.status == "overdue":
            concerns = concerns.filter(status__in=CLOCK_STATUSES, resolution_due__lt=now)
        elif self.status:
            concerns = concerns.filter(STATUS_FILTERS[self.status][1])
        if self.q:
            # Public fields only: titles are stored with numbers masked; the text is never searched here.
            concerns = concerns.matching(self.q, fields=("title",))
        return concerns

    def context(self):
        """The filter form's values for the board's template."""
        return {
            "towns": self.towns if len(self.towns) > 1 else [],
            "town": self.town,
            "villages": self.villages,
            "village": self.village,
            "categories": self.categories,
            "category": self.category,
            "status": self.status,
            "q": self.q,
            "status_filters": [(key, label) for key, (label, _q) in STATUS_FILTERS.items()],
        }


def board_query_text(params):
    """The look-up box's text (`q`, or `ref`, its former name kept for old links)."""
    return (params.get("q") or params.get("ref") or "").strip()[:Q_MAX_CHARS]


def board_filters(params, *, options=True):
    """The filters a request's GET parameters choose (three small queries: towns, villages,
    categories, which the form lists anyway). With `options=False` (the map's data, which draws
    no form) the same choices are made without listing the options: the towns, then a village
    and a category only where one is asked for, one row each (`villages` and `categories` are
    then empty)."""
    towns = served_towns()
    town = _pick(towns, params.get("town")) if len(towns) > 1 else None
    if options:
        villages = _villages(town)
        categories = list(_category_options().order_by("sort_order", "code"))
        village, category = _pick(villages, params.get("village")), _pick(categories, params.get("category"))
    else:
        villages, categories = [], []
        village, category = _village(town, params.get("village")), _category(params.get("category"))
    return BoardFilters(
        towns=towns,
        town=town,
        villages=villages,
        village=village,
        categories=categories,
        category=category,
        status=params.get("status") if params.get("status") in STATUS_FILTERS else "",
        q=board_query_text(params),
    )


def _village(town, value):
    """The village or community `value` names among those the filter offers (as _pick over
    _villages(town) would find it), one row."""
    pk = int_or_none(value)
    return None if pk is None else _village_options(town).filter(pk=pk).first()


def _category(value):
    """The active category `value` names (as _pick over the form's categories would find it)."""
    pk = int_or_none(value)
    return None if pk is None else _category_options().filter(pk=pk).first()
