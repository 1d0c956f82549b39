"""Titles written before titles were masked: phone and ID numbers in them masked now (a title is
derived from the text's first sentence and shown in every staff list)."""

from django.db import migrations


def mask_titles(apps, schema_editor):
    from zhenwu.lib.masking import mask_numbers

    Concern = apps.get_model("concerns", "Concern")
    changed = []
    for pk, title in Concern.objects.values_list("pk", "title").iterator(chunk_size=2000):
        masked = mask_numbers(title)
        if masked != title:
            changed.append(Concern(pk=pk, title=masked[:60]))
        if len(changed) >= 500:
            Concern.objects.bulk_update(changed, ["title"])
            changed = []
    if changed:
        Concern.objects.bulk_update(changed, ["title"])


class Migration(migrations.Migration):
    dependencies = [("concerns", "0009_index_diet")]
    operations = [migrations.RunPython(mask_titles, migrations.RunPython.noop)]
