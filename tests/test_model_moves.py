"""Models moved between apps in state only (concerns 0011; open311 0001, accounts 0003, workdays
0001): migrating back before the move and forward again keeps every row of the moved tables, reads
them through the models of either side, and keeps their content types (so permissions) by id.
Run on SQLite and on PostgreSQL (DATABASE_URL, as .ci/run does)."""

import datetime

import pytest
from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from zhenwu.accounts.models import ApiToken, User
from zhenwu.concerns.models import Category
from zhenwu.open311.models import ApiKey, Open311Request, Open311Status
from zhenwu.workdays.models import WorkdayOverride

BEFORE_THE_MOVES = [("concerns", "0010_mask_numbers_in_titles")]
# model name -> (app before the move, app after it, fields compared)
MOVED = {
    "WorkdayOverride": ("concerns", "workdays", ["id", "date", "is_workday", "note"]),
    "ApiToken": ("concerns", "accounts", ["id", "user_id", "name", "prefix", "key_hash", "created_at", "revoked_at"]),
    "ApiKey": ("concerns", "open311", ["id", "name", "prefix", "key_hash", "created_by_id", "rate_limit_per_minute",
                                       "queued", "revoked_at"]),
    "Open311Request": ("concerns", "open311", ["id", "token", "api_key_id", "concern_id", "status", "category_id",
                                               "attributes", "media_url", "contact", "submission", "error"]),
}


def _migrate(targets=None):
    """Migrate the test database to `targets` (None: every app's latest); the apps of that state."""
    executor = MigrationExecutor(connection)
    targets = targets or executor.loader.graph.leaf_nodes()
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


def _rows(apps, side):
    """Every moved table's rows, read through the models of one side ("before" or "after")."""
    found = {}
    for name, (before, after, fields) in MOVED.items():
        model = apps.get_model(before if side == "before" else after, name)
        found[name] = list(model.objects.order_by("id").values_list(*fields))
    return found


def _content_type_ids():
    return {
        (label, model): pk
        for pk, label, model in ContentType.objects.filter(
            model__in=[name.lower() for name in MOVED]
        ).values_list("id", "app_label", "model")
    }


@pytest.fixture
def moved_rows(transactional_db):
    user = User.objects.create(username="tok1", role="dispatcher", full_name="调度员")
    category = Category.objects.create(code="road", name="道路交通")
    WorkdayOverride.objects.create(date=datetime.date(2026, 10, 8), is_workday=False, note="镇防汛调休")
    WorkdayOverride.objects.create(date=datetime.date(2026, 10, 11), is_workday=True)
    ApiToken.objects.create(user=user, name="统计脚本", prefix="abcd1234", key_hash="a" * 64)
    ApiToken.objects.create(user=user, name="旧脚本", prefix="efgh5678", key_hash="b" * 64, revoked_at=timezone.now())
    key = ApiKey.objects.create(name="市12345热线", prefix="k1", key_hash="c" * 64, created_by=user, queued=True)
    ApiKey.objects.create(name="巡查App", prefix="k2", key_hash="d" * 64, rate_limit_per_minute=30)
    Open311Request.objects.create(
        token="t-1", api_key=key, status=Open311Status.QUEUED, category=category,
        attributes={"kind": "pothole"}, contact={"email": "li@example.com"}, submission={"description": "路面坑洼"},
    )
    Open311Request.objects.create(
        token="t-2", api_key=key, status=Open311Status.FAILED, category=category, error="该类别已不存在"
    )
    yield
    _migrate()  # whatever happened, leave the database at the latest state for the next test


def test_migrating_back_before_the_moves_and_forward_again_keeps_every_row(moved_rows):
    after = _rows(_migrate(), "after")
    assert all(len(rows) == 2 for rows in after.values())
    types = _content_type_ids()
    permission = Permission.objects.get(codename="add_apikey")

    back = _migrate(BEFORE_THE_MOVES)
    assert _rows(back, "before") == after
    # The content types went back to concerns under the same ids; the permission still points at them.
    assert _content_type_ids() == {("concerns", model): pk for (_, model), pk in types.items()}
    assert Permission.objects.get(pk=permission.pk).content_type_id == types[("open311", "apikey")]
    # A row written before the move is there after it, too.
    back.get_model("concerns", "WorkdayOverride").objects.create(date=datetime.date(2026, 12, 31), is_workday=False)

    forward = _migrate()
    again = _rows(forward, "after")
    assert again["WorkdayOverride"][-1][1:3] == (datetime.date(2026, 12, 31), False)
    again["WorkdayOverride"].pop()
    assert again == after
    assert _content_type_ids() == types
    assert ContentType.objects.get_for_model(ApiKey).pk == types[("open311", "apikey")]
    # The current models work on the moved tables: the encrypted fields decrypt, the relations join.
    request = Open311Request.objects.select_related("api_key__created_by").get(token="t-1")
    assert request.contact == {"email": "li@example.com"} and request.api_key.created_by.username == "tok1"


def test_the_moved_models_keep_their_tables():
    assert {m._meta.db_table for m in (WorkdayOverride, ApiToken, ApiKey, Open311Request)} == {
        "concerns_workdayoverride", "concerns_apitoken", "concerns_apikey", "concerns_open311request",
    }
