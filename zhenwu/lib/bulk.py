"""INSERT many model instances at once, faster than QuerySet.bulk_create for large imports.

bulk_create builds its SQL value by value through the query compiler (and on SQLite caps a
statement at 999 parameters, 76 rows of a resident), which made it a third of a roster import.
`insert_many` prepares each value with the field's own `pre_save` / `get_db_prep_save` (so
encryption, JSON and time zones behave exactly as in `save()`), allocates the primary keys
first, and sends one `executemany` per batch.

Primary keys: on SQLite the caller's transaction already holds the write lock (settings start
every transaction with BEGIN IMMEDIATE), so the next ids are the table's high-water mark plus one;
on PostgreSQL they are drawn from the column's sequence. Other databases use bulk_create.
"""

from django.db import connection, transaction


def _next_ids_sqlite(table, count):
    quoted = connection.ops.quote_name(table)
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT MAX(rowid) FROM {quoted}")
        high = cursor.fetchone()[0] or 0
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
    if row is not None:
        high = max(high, row[0] or 0)  # AUTOINCREMENT never reuses an id, even a deleted one
    return range(high + 1, high + 1 + count)


def _next_ids_postgresql(table, column, count):
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [connection.ops.quote_name(table), column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def insert_many(model, objs, *, batch_size=2000):
    """INSERT `objs` (new instances of `model`, primary keys unset) and set their primary keys.
    Must run inside a transaction. Returns the list of objects."""
    objs = list(objs)
    if not objs:
        return objs
    if connection.vendor not in ("sqlite", "postgresql") or not connection.in_atomic_block:
        return model.objects.bulk_create(objs, batch_size=batch_size)
    meta = model._meta
    pk = meta.pk
    if not pk.auto_created and type(pk).__name__ not in ("AutoField", "BigAutoField"):
        return model.objects.bulk_create(objs, batch_size=batch_size)
    if connection.vendor == "sqlite":
        ids = _next_ids_sqlite(meta.db_table, len(objs))
    else:
        ids = _next_ids_postgresql(meta.db_table, pk.column, len(objs))
    fields = [f for f in meta.concrete_fields if f is not pk]
    columns = ", ".join(connection.ops.quote_name(f.column) for f in [pk, *fields])
    placeholders = ", ".join(["%s"] * (len(fields) + 1))
    sql = f"INSERT INTO {connection.ops.quote_name(meta.db_table)} ({columns}) VALUES ({placeholders})"
    rows = []
    with transaction.atomic(savepoint=False), connection.cursor() as cursor:
        for obj, new_id in zip(objs, ids, strict=True):
            setattr(obj, pk.attname, new_id)
            rows.append([new_id, *(f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields)])
            obj._state.adding = False
            obj._state.db = connection.alias
            if len(rows) >= batch_size:
                cursor.executemany(sql, rows)
                rows = []
        if rows:
            cursor.executemany(sql, rows)
    return objs
