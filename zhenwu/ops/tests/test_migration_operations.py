"""The live-migration helpers build and drop a real index (CONCURRENTLY on PostgreSQL), the
batched backfill touches every row exactly once, and stored generated columns are added together
and computed for the rows already there and for those written after."""

import pytest
from django.apps import apps
from django.db import connection, models
from django.db.migrations.state import ProjectState
from django.utils import timezone

from zhenwu.core.migration_operations import (
    AddIndexConcurrentlyOnPostgres,
    AddStoredGeneratedFields,
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


def _columns():
    with connection.cursor() as cursor:
        return {c.name for c in connection.introspection.get_table_description(cursor, CommandRun._meta.db_table)}


@pytest.mark.django_db(transaction=True)
def test_stored_generated_fields_are_added_together_and_computed_for_every_row():
    now = timezone.now()
    CommandRun.objects.create(name="abc", started=now)
    fields = [
        ("name_length", models.GeneratedField(expression=models.functions.Length("name"),
                                              output_field=models.IntegerField(), db_persist=True)),
        ("name_upper", models.GeneratedField(expression=models.functions.Upper("name"),
                                             output_field=models.CharField(max_length=80), db_persist=True)),
    ]
    before = ProjectState.from_apps(apps)
    add = AddStoredGeneratedFields("commandrun", fields)
    after = before.clone()
    add.state_forwards("ops", after)
    table = connection.ops.quote_name(CommandRun._meta.db_table)
    try:
        with connection.schema_editor() as editor:
            add.database_forwards("ops", editor, before, after)
        assert {"name_length", "name_upper"} <= _columns()
        CommandRun.objects.create(name="defgh", started=now)
        CommandRun.objects.filter(name="abc").update(name="ab")
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT name, name_length, name_upper FROM {table} ORDER BY name")
            assert cursor.fetchall() == [("ab", 2, "AB"), ("defgh", 5, "DEFGH")]
    finally:
        with connection.schema_editor() as editor:
            add.database_backwards("ops", editor, after, before)
    assert not {"name_length", "name_upper"} & _columns()
