from django.db import migrations, models

# Each link takes its household's grid (one probe of the households' primary key per link).
BACKFILL = (
    "UPDATE grid_householdlink SET grid_id = ("
    "SELECT h.grid_id FROM org_household h WHERE h.id = grid_householdlink.household_id)"
)


class Migration(migrations.Migration):

    dependencies = [
        ('grid', '0003_link_last_visited_on'),
        ('org', '0002_resident_alone_elderly_idx'),
    ]

    operations = [
        migrations.AddField(
            model_name='householdlink',
            name='grid',
            field=models.ForeignKey(
                db_index=False, editable=False, null=True, on_delete=models.deletion.PROTECT, related_name='+',
                to='org.area', verbose_name='户所在网格',
            ),
        ),
        migrations.RunSQL(BACKFILL, reverse_sql=migrations.RunSQL.noop, elidable=True),
        migrations.AlterField(
            model_name='householdlink',
            name='grid',
            field=models.ForeignKey(
                db_index=False, editable=False, on_delete=models.deletion.PROTECT, related_name='+',
                to='org.area', verbose_name='户所在网格',
            ),
        ),
        migrations.AddIndex(
            model_name='householdlink',
            index=models.Index(fields=['grid', 'household'], name='grid_link_grid_idx'),
        ),
    ]
