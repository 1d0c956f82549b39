# ApiKey and Open311Request move here from concerns in state only: their tables keep their names
# (db_table) and rows, and their content types are relabelled (concerns 0011 removed them from
# concerns' state).

import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

import zhenwu.lib.crypto
from zhenwu.core.migration_operations import move_content_types


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('concerns', '0011_move_out_open311_tokens_workdays'),
        ('contenttypes', '0002_remove_content_type_name'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='ApiKey',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(max_length=80, verbose_name='名称')),
                        ('prefix', models.CharField(editable=False, max_length=12, verbose_name='密钥前缀')),
                        ('key_hash', models.CharField(editable=False, max_length=64, unique=True, verbose_name='密钥哈希')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='创建时间')),
                        ('last_used_at', models.DateTimeField(blank=True, null=True, verbose_name='最近使用')),
                        ('rate_limit_per_minute', models.PositiveIntegerField(default=60, verbose_name='每分钟请求上限')),
                        ('queued', models.BooleanField(default=False, verbose_name='排队受理（返回token）')),
                        ('revoked_at', models.DateTimeField(blank=True, null=True, verbose_name='吊销时间')),
                        ('created_by', models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.SET_NULL, related_name='+', to=settings.AUTH_USER_MODEL, verbose_name='创建人')),
                    ],
                    options={
                        'verbose_name': '接口密钥',
                        'verbose_name_plural': '接口密钥',
                        'db_table': 'concerns_apikey',
                        'ordering': ['-created_at', '-id'],
                        'constraints': [models.CheckConstraint(condition=models.Q(('rate_limit_per_minute__gte', 1)), name='api_key_rate_positive')],
                    },
                ),
                migrations.CreateModel(
                    name='Open311Request',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('token', models.CharField(max_length=40, unique=True, verbose_name='token')),
                        ('status', models.CharField(choices=[('queued', '排队中'), ('done', '已登记'), ('failed', '登记失败')], max_length=8, verbose_name='状态')),
                        ('attributes', models.JSONField(blank=True, default=dict, verbose_name='补充问题答案')),
                        ('media_url', models.URLField(blank=True, max_length=500, verbose_name='媒体链接')),
                        ('address_id', models.CharField(blank=True, max_length=60, verbose_name='地址编号')),
                        ('contact', zhenwu.lib.crypto.EncryptedJSONField(blank=True, verbose_name='联系信息')),
                        ('submission', zhenwu.lib.crypto.EncryptedJSONField(blank=True, verbose_name='待登记内容')),
                        ('error', models.CharField(blank=True, max_length=300, verbose_name='失败原因')),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='提交时间')),
                        ('api_key', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='open311.apikey', verbose_name='接口密钥')),
                        ('category', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='concerns.category', verbose_name='类别')),
                        ('concern', models.OneToOneField(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='open311', to='concerns.concern', verbose_name='诉求')),
                    ],
                    options={
                        'verbose_name': 'Open311请求',
                        'verbose_name_plural': 'Open311请求',
                        'db_table': 'concerns_open311request',
                        'ordering': ['-created_at', '-id'],
                    },
                ),
            ],
            database_operations=[],
        ),
        move_content_types(['apikey', 'open311request'], from_app='concerns', to_app='open311'),
    ]
