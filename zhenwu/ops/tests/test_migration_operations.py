"""The live-migration helpers build and drop a real index (CONCURRENTLY on PostgreSQL), and the
batched backfill touches every row exactly once."""

import pytest
from django.apps import apps
from django.db import connection, models
from django.db.migrations.state import ProjectState
from django.utils import timezone

from zhenwu.core.migration_operations import (
    AddIndexConcurrentlyOnPostgres,
    RemoveIndexConcurrentlyOnPostgres,
    backfill_in_batches,
)
from zhenwu.ops.models import CommandRun


def _indexes():
    with connection.cursor() as cursor:
        return connection.introspection.get_constraints(cursor, CommandRun._meta.db_table)


@pytest.mark.django_db(transaction=True)
def test_index_is_built_and_dropped_on_this_database():
    index = models.Index(fields=["finished"], name="ops_test_finished_idx")
    before = ProjectState.from_apps(apps)
    add = AddIndexConcurrentlyOnPostgres("commandrun", index)
    after = before.clone()
    add.state_forwards("ops", after)
    with connection.schema_editor(atomic=False) as editor:
        add.database_forwards("ops", editor, before, after)
    assert "ops_test_finished_idx" in _indexes()

    remove = RemoveIndexConcurrentlyOnPostgres("commandrun", "ops_test_finished_idx")
    final = after.clone()
    remove.state_forwards("ops", final)
    with connection.schema_editor(atomic=False) as editor:
        remove.database_forwards("ops", editor, after, final)
    assert "ops_test_finished_idx" not in _indexes()


@pytest.mark.django_db
def test_backfill_updates_every_row_once_in_batches():
    now = timezone.now()
    CommandRun.objects.bulk_create([CommandRun(name=f"c{i}", started=now) for i in range(25)])
    seen = []

    def update(run):
        seen.append(run.pk)
        run.error = f"filled {run.name}"

    assert backfill_in_batches(CommandRun.objects.all(), update, fields=["error"], batch_size=7) == 25
    assert len(seen) == len(set(seen)) == 25
    assert all(r.error == f"filled {r.name}" for r in CommandRun.objects.all())
