"""The audit log's inserts maintain four indexes fewer on PostgreSQL (13 -> 9; one fewer on SQLite):
object_type's own index and its "_like" index duplicated audit_object_idx's first column; the
"_like" indexes of the two hash columns served no query (hashes are matched exactly). See zhenwu.core.migration_operations."""

from django.db import migrations, models

from zhenwu.core.migration_operations import DropFieldIndex, DropPatternIndexOnPostgres


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('audit', '0002_chain_guards'),
    ]

    operations = [
        DropFieldIndex(
            model_name='auditentry',
            name='object_type',
            field=models.CharField(blank=True, max_length=60, verbose_name='对象类型'),
        ),
        DropPatternIndexOnPostgres(model_name='auditentry', name='hash'),
        DropPatternIndexOnPostgres(model_name='auditentry', name='prev_hash'),
    ]
