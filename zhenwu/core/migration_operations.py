"""Migration helpers for live databases (docs/operations.md, "Upgrades"): indexes built with
CREATE INDEX CONCURRENTLY on PostgreSQL (no write lock on a big table) and plainly on SQLite, and
backfills in short batches.

Use them in a migration with `atomic = False`."""

from django.contrib.postgres.operations import AddIndexConcurrently, RemoveIndexConcurrently
from django.db import transaction
from django.db.migrations.operations import AddIndex, AlterField, RemoveIndex
from django.db.migrations.operations.base import Operation


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


def _field_index_names(schema_editor, model, field, *, pattern_only=False):
    """Names of the single-column, non-unique indexes on `field`'s column that Django made for
    the field itself (db_index, and on PostgreSQL the varchar_pattern_ops "_like" index), not
    those declared in Meta.indexes."""
    declared = {index.name for index in model._meta.indexes}
    with schema_editor.connection.cursor() as cursor:
        constraints = schema_editor.connection.introspection.get_constraints(cursor, model._meta.db_table)
    names = []
    for name, info in constraints.items():
        if name in declared or not info["index"] or info["unique"] or info["primary_key"]:
            continue
        if info["columns"] != [field.column]:
            continue
        if pattern_only and not name.endswith("_like"):
            continue
        names.append(name)
    return sorted(names)


def _drop_indexes(schema_editor, names):
    concurrently = "CONCURRENTLY " if schema_editor.connection.vendor == "postgresql" else ""
    for name in names:
        schema_editor.execute(f"DROP INDEX {concurrently}IF EXISTS {schema_editor.quote_name(name)}")


class DropFieldIndex(AlterField):
    """A field's own index dropped (db_index=True -> False) because a composite index leading
    with the same column serves its look-ups: every insert then maintains one index fewer.
    Unlike AlterField, SQLite's table is not rebuilt (a million concerns) and PostgreSQL drops
    CONCURRENTLY (use in a migration with `atomic = False`); the "_like" pattern index goes too."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            _drop_indexes(schema_editor, _field_index_names(schema_editor, model, model._meta.get_field(self.name)))

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        field = model._meta.get_field(self.name)
        schema_editor.execute(schema_editor._create_index_sql(model, fields=[field]))
        if schema_editor.connection.vendor == "postgresql":
            like = schema_editor._create_like_index_sql(model, field)
            if like is not None:
                schema_editor.execute(like)

    def describe(self):
        return f"Drop the own index of {self.model_name}.{self.name}"


class DropPatternIndexOnPostgres(Operation):
    """PostgreSQL only: drop the varchar_pattern_ops ("_like") index Django adds beside the index
    of an indexed or unique CharField, for columns only ever matched exactly (hashes, keys,
    reference numbers): LIKE never runs on them, and every insert maintained the index."""

    reduces_to_sql = False
    reversible = True

    def __init__(self, model_name, name):
        self.model_name = model_name
        self.name = name

    def deconstruct(self):
        return self.__class__.__qualname__, [], {"model_name": self.model_name, "name": self.name}

    def state_forwards(self, app_label, state):
        pass

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            field = model._meta.get_field(self.name)
            _drop_indexes(schema_editor, _field_index_names(schema_editor, model, field, pattern_only=True))

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return
        model = to_state.apps.get_model(app_label, self.model_name)
        if self.allow_migrate_model(schema_editor.connection.alias, model):
            like = schema_editor._create_like_index_sql(model, model._meta.get_field(self.name))
            if like is not None:
                schema_editor.execute(like)

    def describe(self):
        return f"Drop the pattern index of {self.model_name}.{self.name} on PostgreSQL"


def move_content_types(models, *, from_app, to_app):
    """A reversible RunPython for models moved from one app to another in state only
    (SeparateDatabaseAndState, same db_table): their django_content_type rows are relabelled, so the
    permissions, admin log entries and generic relations that point at them by id keep doing so.
    `models` are lower-case model names. A row already present under the new label (a post_migrate
    run in between) is left as it is, and so is the old one."""
    from django.db.migrations.operations import RunPython

    def relabel(source, target):
        def run(apps, schema_editor):
            from django.contrib.contenttypes.models import ContentType as LiveContentType

            content_types = apps.get_model("contenttypes", "ContentType").objects.using(
                schema_editor.connection.alias
            )
            for model in models:
                if not content_types.filter(app_label=target, model=model).exists():
                    content_types.filter(app_label=source, model=model).update(app_label=target)
            LiveContentType.objects.clear_cache()

        return run

    return RunPython(relabel(from_app, to_app), relabel(to_app, from_app))


class AddStoredGeneratedFields(Operation):
    """Add stored generated columns (GeneratedField, db_persist=True) to one model, all in one
    ALTER TABLE on PostgreSQL: adding a stored generated column rewrites the table (under an
    ACCESS EXCLUSIVE lock, the indexes rebuilt), so several columns cost one rewrite, not one
    each. SQLite cannot add a stored column to a table: it is rebuilt once with them all, as
    Django rebuilds a table for an altered column (its triggers are dropped with it: the migration
    puts back those it needs). Either way the table is locked for the rewrite: see
    docs/operations.md ("Upgrades") for when such a migration may run."""

    reversible = True

    def __init__(self, model_name, fields):
        self.model_name = model_name
        self.fields = fields

    def deconstruct(self):
        return self.__class__.__name__, [], {"model_name": self.model_name, "fields": self.fields}

    def state_forwards(self, app_label, state):
        for name, field in self.fields:
            state.add_field(app_label, self.model_name.lower(), name, field, True)

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        model = to_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        fields = [model._meta.get_field(name) for name, _field in self.fields]
        if schema_editor.connection.vendor == "sqlite":
            # Rebuilt as the new state's model: every column but the generated ones is copied.
            schema_editor._remake_table(model)
            return
        if schema_editor.connection.vendor != "postgresql":
            for field in fields:
                schema_editor.add_field(model, field)
            return
        clauses, params = [], []
        for field in fields:
            definition, field_params = schema_editor.column_sql(model, field)
            clauses.append(f"ADD COLUMN {schema_editor.quote_name(field.column)} {definition}")
            params.extend(field_params)
        schema_editor.execute(f"ALTER TABLE {schema_editor.quote_name(model._meta.db_table)} {', '.join(clauses)}",
                              params or None)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        model = from_state.apps.get_model(app_label, self.model_name)
        if not self.allow_migrate_model(schema_editor.connection.alias, model):
            return
        for name, _field in reversed(self.fields):
            schema_editor.remove_field(model, model._meta.get_field(name))

    def describe(self):
        return f"Add stored generated fields {', '.join(name for name, _f in self.fields)} to {self.model_name}"

    @property
    def migration_name_fragment(self):
        return f"{self.model_name.lower()}_{'_'.join(name for name, _f in self.fields)}"
