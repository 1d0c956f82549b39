"""Migration helpers for live databases (docs/operations.md, "Upgrades"): indexes built with
CREATE INDEX CONCURRENTLY on PostgreSQL (no write lock on a big table) and plainly on SQLite, and
backfills in short batches.

Use them in a migration with `atomic = False`."""

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import transaction
from django.db.migrations.operations import AddIndex, RemoveIndex


class AddIndexConcurrentlyOnPostgres(AddIndexConcurrently):
    """CREATE INDEX CONCURRENTLY on PostgreSQL; an ordinary CREATE INDEX elsewhere."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return AddIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return AddIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)


class RemoveIndexConcurrentlyOnPostgres(RemoveIndexConcurrently):
    """DROP INDEX CONCURRENTLY on PostgreSQL; an ordinary DROP INDEX elsewhere."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        return RemoveIndex.database_forwards(self, app_label, schema_editor, from_state, to_state)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor == "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        return RemoveIndex.database_backwards(self, app_label, schema_editor, from_state, to_state)


def backfill_in_batches(queryset, update, *, fields, batch_size=2000):
    """Walk `queryset` by primary key in batches; `update(obj)` sets the new values, and each
    batch is written with bulk_update in its own short transaction (locks held for one batch
    only). For RunPython in a migration with `atomic = False`. Returns the number of rows."""
    done = 0
    last = None
    queryset = queryset.order_by("pk")
    while True:
        page = queryset if last is None else queryset.filter(pk__gt=last)
        batch = list(page[:batch_size])
        if not batch:
            return done
        for obj in batch:
            update(obj)
        with transaction.atomic(using=queryset.db):
            queryset.model._base_manager.using(queryset.db).bulk_update(batch, fields)
        done += len(batch)
        last = batch[-1].pk
