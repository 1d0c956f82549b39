# ApiToken (personal staff API tokens) moves here from concerns in state only: its table keeps its
# name (db_table) and rows, and its content type is relabelled (concerns 0011 removed it from
# concerns' state).

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from zhenwu.core.migration_operations import move_content_types


class Migration(migrations.Migration):

    dependencies = [
        ('accounts', '0002_initial'),
        ('concerns', '0011_move_out_open311_tokens_workdays'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='ApiToken',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=80, verbose_name='用途')),
                        ('prefix', models.CharField(editable=False, max_length=12, verbose_name='令牌前缀')),
                        ('key_hash', models.CharField(editable=False, max_length=64, unique=True, verbose_name='令牌哈希')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='创建时间')),
                        ('last_used_at', models.DateTimeField(blank=True, null=True, verbose_name='最近使用')),
                        ('revoked_at', models.DateTimeField(blank=True, null=True, verbose_name='吊销时间')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.CASCADE, related_name='api_tokens', to=settings.AUTH_USER_MODEL, verbose_name='账号')),
                    ],
                    options={
                        'verbose_name': '个人接口令牌',
                        'verbose_name_plural': '个人接口令牌',
                        'db_table': 'concerns_apitoken',
                        'ordering': ['-created_at', '-id'],
                    },
                ),
            ],
            database_operations=[],
        ),
        move_content_types(['apitoken'], from_app='concerns', to_app='accounts'),
    ]
