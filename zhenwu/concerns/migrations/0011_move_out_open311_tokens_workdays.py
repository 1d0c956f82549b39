# The Open311 models, the staff API tokens and the working-day overrides leave concerns in state
# only: their tables stay (db_table), and open311 0001, accounts 0003 and workdays 0001 take them
# over. Nothing is written to the database here.

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('concerns', '0010_mask_numbers_in_titles'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(name='Open311Request'),
                migrations.DeleteModel(name='ApiKey'),
                migrations.DeleteModel(name='ApiToken'),
                migrations.DeleteModel(name='WorkdayOverride'),
            ],
            database_operations=[],
        ),
    ]
