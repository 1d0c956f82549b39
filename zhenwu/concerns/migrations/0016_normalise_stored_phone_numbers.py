"""Phone numbers stored before zhenwu.lib.phone: a landline kept its hyphen ("0571-87654321") while
the same number typed without one was stored and indexed as digits, so a look-up by phone
(`reporter_phone_hash`, a blind index of the normalised number) missed one of them. Every stored
reporter phone (and follower's SMS phone) is rewritten in the one normal form, its index with it
(the follower's `phone_hash`, added by 0013, too).

The values are encrypted: the historical fields decrypt on read and encrypt on write as the model
does. A value that does not parse as a phone number is left as it is. Backwards is a no-op: the
digits-only form is a valid stored number for the earlier code too (only look-ups typed with a
hyphen would miss it there, as they missed digits-only numbers before).
"""

from django.db import migrations

BATCH = 500


def _normal(value):
    from zhenwu.lib.phone import InvalidPhone, normalise_phone

    try:
        return normalise_phone(value)
    except InvalidPhone:
        return value


def normalise_phones(apps, schema_editor):
    from zhenwu.lib.crypto import blind_index

    Concern = apps.get_model("concerns", "Concern")
    ConcernFollower = apps.get_model("concerns", "ConcernFollower")

    changed = []
    rows = Concern.objects.exclude(reporter_phone_hash="").values_list("pk", "reporter_phone")
    for pk, phone in rows.iterator(chunk_size=2000):
        normal = _normal(phone)
        if normal != phone:
            changed.append(Concern(pk=pk, reporter_phone=normal,
                                   reporter_phone_hash=blind_index(normal, purpose="concern_phone")))
        if len(changed) >= BATCH:
            Concern.objects.bulk_update(changed, ["reporter_phone", "reporter_phone_hash"])
            changed = []
    if changed:
        Concern.objects.bulk_update(changed, ["reporter_phone", "reporter_phone_hash"])

    changed = []
    # An encrypted field takes no lookup but isnull: every follower is read, the empty ones skipped.
    for pk, phone in ConcernFollower.objects.values_list("pk", "phone").iterator(chunk_size=2000):
        normal = _normal(phone)
        if phone and normal != phone:
            changed.append(ConcernFollower(pk=pk, phone=normal, phone_hash=blind_index(normal, purpose="concern_phone")))
        if len(changed) >= BATCH:
            ConcernFollower.objects.bulk_update(changed, ["phone", "phone_hash"])
            changed = []
    if changed:
        ConcernFollower.objects.bulk_update(changed, ["phone", "phone_hash"])


class Migration(migrations.Migration):
    dependencies = [("concerns", "0015_event_kinds_of_extensions_and_call_backs")]
    operations = [migrations.RunPython(normalise_phones, migrations.RunPython.noop)]
