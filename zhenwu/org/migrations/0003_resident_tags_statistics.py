from django.db import migrations

# PostgreSQL cannot estimate how many residents match the 独居老人 LIKE of the partial index
# org_resident_alone_elderly_idx (it guesses 0.01%: 80 of a county's 800,000, where 40,000 do), so
# it hashed the whole index for a grid's coverage instead of probing it for the grid's few
# households (5 ms instead of 0.4). Statistics on the expression the LIKE reads give it the real
# share. Expression statistics need PostgreSQL 14; SQLite has no such thing and needs none.
NAME = "org_resident_tags_upper_stats"


def create(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql" or connection.pg_version < 140000:
        return
    schema_editor.execute(f"CREATE STATISTICS IF NOT EXISTS {NAME} ON (UPPER(tags::text)) FROM org_resident")
    schema_editor.execute("ANALYZE org_resident")


def drop(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(f"DROP STATISTICS IF EXISTS {NAME}")


class Migration(migrations.Migration):

    dependencies = [
        ('org', '0002_resident_alone_elderly_idx'),
    ]

    operations = [
        migrations.RunPython(create, drop, elidable=True),
    ]
