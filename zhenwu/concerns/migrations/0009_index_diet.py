"""Indexes an intake no longer maintains (written by hand; see zhenwu.core.migration_operations).

- Foreign keys whose own index duplicated the first column of a composite one (area, category,
  department, town, village of a concern; the concern of an event): dropped.
- Foreign keys few concerns set (registered_by, duplicate_of, project): the full index becomes a
  partial one of the rows that set them; the partial one is built first (CONCURRENTLY on
  PostgreSQL) so look-ups always have an index.
- PostgreSQL's "_like" pattern indexes of columns only ever matched exactly (reference,
  idempotency key, follow-token hash, phone blind index): dropped.

A PostgreSQL concern went from 29 indexes to 20 (three of them partial and nearly empty), an
event from 5 to 4. No table is rebuilt on SQLite (AlterField would copy every concern)."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from zhenwu.core.migration_operations import AddIndexConcurrentlyOnPostgres, DropFieldIndex, DropPatternIndexOnPostgres


def _fk(**kwargs):
    return models.ForeignKey(db_index=False, on_delete=django.db.models.deletion.PROTECT, **kwargs)


class Migration(migrations.Migration):
    atomic = False

    dependencies = [
        ('concerns', '0008_rate_summary'),
        ('org', '0001_initial'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        AddIndexConcurrentlyOnPostgres(
            model_name='concern',
            index=models.Index(condition=models.Q(('registered_by__isnull', False)), fields=['registered_by'], name='concern_registered_by_idx'),
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name='concern',
            index=models.Index(condition=models.Q(('duplicate_of__isnull', False)), fields=['duplicate_of'], name='concern_duplicate_of_idx'),
        ),
        AddIndexConcurrentlyOnPostgres(
            model_name='concern',
            index=models.Index(condition=models.Q(('project__isnull', False)), fields=['project'], name='concern_project_idx'),
        ),
        DropFieldIndex(
            model_name='concern',
            name='area',
            field=_fk(related_name='concerns', to='org.area', verbose_name='村(社区)/网格'),
        ),
        DropFieldIndex(
            model_name='concern',
            name='category',
            field=_fk(related_name='concerns', to='concerns.category', verbose_name='类别'),
        ),
        DropFieldIndex(
            model_name='concern',
            name='department',
            field=_fk(blank=True, null=True, related_name='concerns', to='org.department', verbose_name='承办部门'),
        ),
        DropFieldIndex(
            model_name='concern',
            name='duplicate_of',
            field=_fk(blank=True, null=True, related_name='duplicates', to='concerns.concern', verbose_name='重复于'),
        ),
        DropFieldIndex(
            model_name='concern',
            name='project',
            field=_fk(blank=True, null=True, related_name='concerns', to='concerns.project', verbose_name='所属项目'),
        ),
        DropFieldIndex(
            model_name='concern',
            name='registered_by',
            field=models.ForeignKey(blank=True, db_index=False, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='登记人'),
        ),
        DropFieldIndex(
            model_name='concern',
            name='town',
            field=_fk(null=True, related_name='+', to='org.area', verbose_name='镇'),
        ),
        DropFieldIndex(
            model_name='concern',
            name='village',
            field=_fk(null=True, related_name='+', to='org.area', verbose_name='村(社区)'),
        ),
        DropFieldIndex(
            model_name='concernevent',
            name='concern',
            field=_fk(related_name='events', to='concerns.concern', verbose_name='诉求'),
        ),
        DropPatternIndexOnPostgres(model_name='concern', name='reference'),
        DropPatternIndexOnPostgres(model_name='concern', name='idempotency_key'),
        DropPatternIndexOnPostgres(model_name='concern', name='follow_token_hash'),
        DropPatternIndexOnPostgres(model_name='concern', name='reporter_phone_hash'),
    ]
