# WorkdayOverride moves here from concerns in state only: its table keeps its name (db_table) and
# rows, and its content type is relabelled (concerns 0011 removed it from concerns' state).

from django.db import migrations, models

from zhenwu.core.migration_operations import move_content_types


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('concerns', '0011_move_out_open311_tokens_workdays'),
        ('contenttypes', '0002_remove_content_type_name'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='WorkdayOverride',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('date', models.DateField(unique=True, verbose_name='日期')),
                        ('is_workday', models.BooleanField(verbose_name='是工作日')),
                        ('note', models.CharField(blank=True, max_length=100, verbose_name='说明')),
                    ],
                    options={
                        'verbose_name': '工作日调整',
                        'verbose_name_plural': '工作日调整',
                        'db_table': 'concerns_workdayoverride',
                        'ordering': ['date'],
                    },
                ),
            ],
            database_operations=[],
        ),
        move_content_types(['workdayoverride'], from_app='concerns', to_app='workdays'),
    ]
