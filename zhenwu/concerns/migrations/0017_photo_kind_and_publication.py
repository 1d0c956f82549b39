"""Photo kinds (诉求人/办理前/办理后), per-photo publication and the town's photo settings.

Existing photos: every existing photo becomes the resident's (kind "reported") and NOT public
(is_public False), including photos of concerns already on the public board. Until now those
photos went public automatically without the form saying so; residents never agreed to their
publication and they may show faces, number plates or house numbers. Hiding them loses nothing
that matters (the concern, its text and its timeline stay public; staff and the reporter still
see every photo) and a dispatcher or the department can publish any of them again with one
click (audited), whereas keeping them public would go on exposing what nobody reviewed. So no
data step is needed: the fields' defaults are the chosen state. Reversible (the fields and the
settings table are dropped).
"""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('concerns', '0016_normalise_stored_phone_numbers'),
        ('org', '0003_resident_tags_statistics'),
    ]

    operations = [
        migrations.AddField(
            model_name='concernphoto',
            name='is_public',
            field=models.BooleanField(default=False, verbose_name='在公示栏公开'),
        ),
        migrations.AddField(
            model_name='concernphoto',
            name='kind',
            field=models.CharField(choices=[('reported', '诉求人'), ('before', '办理前'), ('after', '办理后')], default='reported', max_length=10, verbose_name='照片类型'),
        ),
        migrations.CreateModel(
            name='PhotoSettings',
            fields=[
                ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                ('public_by_default', models.BooleanField(default=False, help_text='不勾选时，照片须经工作人员审核、逐张选择后才在公示栏显示', verbose_name='新照片默认公开')),
                ('updated_at', models.DateTimeField(auto_now=True, verbose_name='修改时间')),
                ('town', models.OneToOneField(on_delete=django.db.models.deletion.CASCADE, related_name='concern_photo_settings', to='org.area', verbose_name='镇')),
            ],
            options={
                'verbose_name': '照片公开设置',
                'verbose_name_plural': '照片公开设置',
            },
        ),
    ]
