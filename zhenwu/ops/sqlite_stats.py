"""Planner statistics for SQLite after migrations.

SQLite's planner reads its statistics from `sqlite_stat1`, written by ANALYZE. A migration that
rebuilds a table (SQLite has no ALTER for most changes: Django copies the table) drops that table's
statistics, and without them a county-sized concerns table was sorted whole for the public board's
first page (2.2 s instead of 13 ms at 1,000,000 concerns). After every `migrate`, the tables that
hold rows but have no statistics are analysed again (post_migrate, see OpsConfig.ready). PostgreSQL
keeps its statistics through such changes and autovacuum refreshes them.
"""


def unanalysed_tables(connection):
    """Names of the tables that hold rows and have no statistics."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'sqlite_stat1'")
        has_stats = cursor.fetchone() is not None
        analysed = set()
        if has_stats:
            cursor.execute("SELECT DISTINCT tbl FROM sqlite_stat1")
            analysed = {row[0] for row in cursor.fetchall()}
        cursor.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")
        tables = [row[0] for row in cursor.fetchall() if row[0] not in analysed]
        quote = connection.ops.quote_name
        result = []
        for table in tables:
            cursor.execute(f"SELECT EXISTS (SELECT 1 FROM {quote(table)})")
            if cursor.fetchone()[0]:
                result.append(table)
    return result


def analyse_after_migrate(connection):
    """ANALYZE each table that holds rows without statistics; returns their names."""
    if connection.vendor != "sqlite":
        return []
    tables = unanalysed_tables(connection)
    with connection.cursor() as cursor:
        for table in tables:
            cursor.execute(f"ANALYZE {connection.ops.quote_name(table)}")
    return tables


def on_post_migrate(sender, using="default", verbosity=1, **kwargs):
    from django.db import connections

    tables = analyse_after_migrate(connections[using])
    if tables and verbosity >= 1:
        line = (f"  SQLite: planner statistics refreshed for {len(tables)} tables ({', '.join(tables[:5])}"
                f"{' …' if len(tables) > 5 else ''})")
        stdout = kwargs.get("stdout")
        stdout.write(line + "\n") if stdout is not None else print(line)
