"""INSERT many model instances at once, faster than QuerySet.bulk_create for large imports.

bulk_create builds its SQL value by value through the query compiler (and on SQLite caps a
statement at 999 parameters, 76 rows of a resident), which made it a third of a roster import.
`insert_many` prepares each value with the field's own `pre_save` / `get_db_prep_save` (so
encryption, JSON and time zones behave exactly as in `save()`), allocates the primary keys
first, and sends one `executemany` per batch.

Two shortcuts keep the per-value work small, both giving the values `save()` would:
- auto_now / auto_now_add fields are evaluated once per call: every row of one insert gets the
  same instant (set on each instance, as pre_save does), prepared for the database once;
- plain text and boolean fields (exactly CharField, TextField, BooleanField, not subclasses such
  as the encrypted fields) pass a value of exactly str / bool / None through unchanged, which is
  what their get_db_prep_save returns for it; any other value takes the field's own path.

Primary keys: on SQLite the caller's transaction already holds the write lock (settings start
every transaction with BEGIN IMMEDIATE), so the next ids are the table's high-water mark plus one;
on PostgreSQL they are drawn from the column's sequence. Other databases use bulk_create.
"""

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import AutoField, BooleanField, CharField, DateField, TextField, TimeField

# Field classes whose get_db_prep_save returns a value of these exact types unchanged (on every
# backend); tests/lib/test_bulk.py checks the claim against Django on the database under test.
PASS_THROUGH = {
    CharField: (str, type(None)),
    TextField: (str, type(None)),
    BooleanField: (bool, type(None)),
}


def _next_ids_sqlite(conn, table, count):
    quoted = conn.ops.quote_name(table)
    with conn.cursor() as cursor:
        cursor.execute(f"SELECT MAX(rowid) FROM {quoted}")
        high = cursor.fetchone()[0] or 0
        cursor.execute("SELECT seq FROM sqlite_sequence WHERE name = %s", [table])
        row = cursor.fetchone()
    if row is not None:
        high = max(high, row[0] or 0)  # AUTOINCREMENT never reuses an id, even a deleted one
    return range(high + 1, high + 1 + count)


def _next_ids_postgresql(conn, table, column, count):
    with conn.cursor() as cursor:
        cursor.execute(
            "SELECT nextval(pg_get_serial_sequence(%s, %s)) FROM generate_series(1, %s)",
            [conn.ops.quote_name(table), column, count],
        )
        return [row[0] for row in cursor.fetchall()]


def _is_auto_now(field):
    # DateTimeField is a DateField; every row of an insert is an add, so auto_now_add counts too.
    return isinstance(field, (DateField, TimeField)) and (field.auto_now or field.auto_now_add)


def insert_many(model, objs, *, batch_size=2000):
    """INSERT `objs` (new instances of `model`, primary keys unset) and set their primary keys.
    Must run inside a transaction. Returns the list of objects."""
    objs = list(objs)
    if not objs:
        return objs
    # The connection itself, not django.db.connection: that proxy looks the connection up again
    # on every attribute access, which cost more than preparing the value.
    conn = connections[DEFAULT_DB_ALIAS]
    if conn.vendor not in ("sqlite", "postgresql") or not conn.in_atomic_block:
        return model.objects.bulk_create(objs, batch_size=batch_size)
    meta = model._meta
    pk = meta.pk
    if not isinstance(pk, AutoField):  # Big/SmallAutoField pass too (AutoFieldMeta)
        return model.objects.bulk_create(objs, batch_size=batch_size)
    if conn.vendor == "sqlite":
        ids = _next_ids_sqlite(conn, meta.db_table, len(objs))
    else:
        ids = _next_ids_postgresql(conn, meta.db_table, pk.column, len(objs))
    fields = [f for f in meta.concrete_fields if f is not pk and not f.generated]  # the database computes those

    # Per field, worked out once: an auto_now column is one value for every row (`constant`);
    # a pass-through field lists the value types it passes unchanged (`types`).
    plan = []
    for field in fields:
        if _is_auto_now(field):
            now = field.pre_save(objs[0], True)
            for obj in objs[1:]:
                setattr(obj, field.attname, now)
            plan.append((field.get_db_prep_save(now, conn), None, None, field))
        else:
            plan.append((None, field.attname, PASS_THROUGH.get(type(field)), field))

    def row_of(obj, new_id):
        row = [new_id]
        for constant, attname, types, field in plan:
            if attname is None:
                row.append(constant)
                continue
            if types is not None:
                value = getattr(obj, attname)
                if type(value) in types:
                    row.append(value)
                    continue
            row.append(field.get_db_prep_save(field.pre_save(obj, True), conn))
        return row

    columns = ", ".join(conn.ops.quote_name(f.column) for f in [pk, *fields])
    placeholders = ", ".join(["%s"] * (len(fields) + 1))
    sql = f"INSERT INTO {conn.ops.quote_name(meta.db_table)} ({columns}) VALUES ({placeholders})"
    rows = []
    with transaction.atomic(savepoint=False), conn.cursor() as cursor:
        for obj, new_id in zip(objs, ids, strict=True):
            setattr(obj, pk.attname, new_id)
            rows.append(row_of(obj, new_id))
            obj._state.adding = False
            obj._state.db = conn.alias
            if len(rows) >= batch_size:
                cursor.executemany(sql, rows)
                rows = []
        if rows:
            cursor.executemany(sql, rows)
    return objs
