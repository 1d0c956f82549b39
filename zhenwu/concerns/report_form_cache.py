"""The resident's form as every resident of a deployment sees it, rendered once per web worker.

An unbound report form shows the same fields to everyone (the categories, the villages and grids,
the photo rules); drawing them was most of a GET's CPU (bench/http_bench.py, target `form`). The
page template keeps them in a `{% cache %}` fragment of the process-local "fragments" cache,
keyed by `ReportFormState.version`; the CSRF token and the one-time submission key are drawn
outside it, per request. A form with data or errors is never cached.

The version changes when anything the fields show may have changed:
- one query per page (which also answers whether photos are reviewed before publication): the
  number and highest id of areas and categories, the active categories, the towns publishing
  photos at once. An import or a restore that adds or removes rows changes it whatever path
  it took;
- an edit token in the shared cache, replaced whenever an area, a category or a photo setting
  is saved or deleted (services, admin, demo: receivers connected in ConcernsConfig.ready), so
  a rename in one worker reaches the others;
- and a fragment lives at most FRAGMENT_SECONDS, for an edit made by SQL past both.
"""

import uuid
from dataclasses import dataclass

from django.core.cache import cache
from django.db import connection, transaction

from zhenwu.org.models import Area

from .models import Category, PhotoSettings

FRAGMENT_CACHE = "fragments"
FRAGMENT_SECONDS = 300
EDIT_TOKEN_KEY = "zhenwu.concerns.report_form.edit_token"


@dataclass(frozen=True)
class ReportFormState:
    version: str
    photos_reviewed: bool  # no town publishes a new photo before staff have looked at it


def _table(model):
    return connection.ops.quote_name(model._meta.db_table)


def _counts():
    area, category, photo = _table(Area), _table(Category), _table(PhotoSettings)
    sql = (
        f"SELECT (SELECT COUNT(*) FROM {area}), (SELECT MAX(id) FROM {area}),"
        f" (SELECT COUNT(*) FROM {category}), (SELECT MAX(id) FROM {category}),"
        f" (SELECT COUNT(*) FROM {category} WHERE is_active),"
        f" (SELECT COUNT(*) FROM {photo} WHERE public_by_default)"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql)
        return cursor.fetchone()


def _edit_token():
    """The shared edit token; None when the shared cache does not answer (nothing is cached then)."""
    try:
        token = cache.get(EDIT_TOKEN_KEY)
        if token is None:
            token = uuid.uuid4().hex
            if not cache.add(EDIT_TOKEN_KEY, token, None):
                token = cache.get(EDIT_TOKEN_KEY) or token
        return token
    except Exception:  # a cache that fails costs the rendering, never the page
        return None


def report_form_state():
    """The form's version (None: draw it afresh) and whether photos are reviewed; one query."""
    counts = _counts()
    token = _edit_token()
    version = None if token is None else f"{token}:{':'.join(str(c) for c in counts)}"
    return ReportFormState(version=version, photos_reviewed=not counts[-1])


def _new_edit_token():
    try:
        cache.set(EDIT_TOKEN_KEY, uuid.uuid4().hex, None)
    except Exception:  # the fragments then live out FRAGMENT_SECONDS
        pass


def forget_rendered_form(**kwargs):
    """Receiver of post_save / post_delete of Area, Category and PhotoSettings: a new edit token
    now (a test, or a page drawn by this worker before the commit) and again after the commit (a
    page drawn meanwhile by another worker from the rows not yet committed)."""
    _new_edit_token()
    transaction.on_commit(_new_edit_token)
