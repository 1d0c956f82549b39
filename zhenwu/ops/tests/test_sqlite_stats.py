"""After a migration, SQLite tables that hold rows but lost their statistics are analysed again."""

import pytest
from django.db import connection

from zhenwu.ops.sqlite_stats import analyse_after_migrate, unanalysed_tables

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's own statistics"),
]


def stats_for(table):
    with connection.cursor() as cursor:
        cursor.execute("SELECT name FROM sqlite_master WHERE name = 'sqlite_stat1'")
        if cursor.fetchone() is None:
            return []
        cursor.execute("SELECT idx, stat FROM sqlite_stat1 WHERE tbl = %s", [table])
        return cursor.fetchall()


def test_a_rebuilt_table_with_rows_gets_its_statistics_back_and_empty_ones_are_left():
    with connection.cursor() as cursor:
        cursor.execute("CREATE TABLE zz_rebuilt (id INTEGER PRIMARY KEY, kind TEXT)")
        cursor.execute("CREATE INDEX zz_rebuilt_kind ON zz_rebuilt (kind)")
        cursor.executemany("INSERT INTO zz_rebuilt (kind) VALUES (%s)", [("a" if i % 3 else "b",) for i in range(300)])
        cursor.execute("CREATE TABLE zz_empty (id INTEGER PRIMARY KEY)")
    assert "zz_rebuilt" in unanalysed_tables(connection)
    assert "zz_empty" not in unanalysed_tables(connection)
    assert stats_for("zz_rebuilt") == []

    assert "zz_rebuilt" in analyse_after_migrate(connection)
    assert ("zz_rebuilt_kind", "300 150") in stats_for("zz_rebuilt")
    assert "zz_rebuilt" not in unanalysed_tables(connection)  # analysed tables are left alone next time
    assert "zz_rebuilt" not in analyse_after_migrate(connection)


def test_migrate_runs_it(monkeypatch):
    from django.core.management import call_command

    import zhenwu.ops.sqlite_stats as stats

    seen = []
    monkeypatch.setattr(stats, "analyse_after_migrate", lambda conn: seen.append(conn.alias) or [])
    call_command("migrate", verbosity=0)
    assert seen == ["default"]
