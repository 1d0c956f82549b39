"""A reporter's phone number is stored and indexed in one form (zhenwu.lib.phone): a landline
registered with a hyphen is found by the number typed without one, and the data migration brings
numbers stored before into that form."""

import importlib

import pytest
from django.apps import apps
from django.db import connection

from zhenwu.concerns.models import Concern, ConcernFollower
from zhenwu.lib.crypto import blind_index, encrypt_text

pytestmark = pytest.mark.django_db

migration = importlib.import_module("zhenwu.concerns.migrations.0016_normalise_stored_phone_numbers")


def test_a_landline_is_found_however_the_dispatcher_types_it(submit):
    concern = submit(reporter_phone="0731-83456789").concern

    assert concern.reporter_phone == "073183456789"
    for typed in ("073183456789", "0731-83456789", "(0731) 8345-6789"):
        assert list(Concern.objects.with_reporter_phone(typed)) == [concern]


def _store_raw(concern, phone):
    """The row as the earlier normaliser left it: the hyphen kept, the index over that form."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {Concern._meta.db_table} SET reporter_phone = %s, reporter_phone_hash = %s WHERE id = %s",
            [encrypt_text(phone), blind_index(phone, purpose="concern_phone"), concern.pk],
        )


def test_the_migration_normalises_stored_numbers_and_their_index(submit):
    landline = submit(reporter_phone="073183456789").concern
    mobile = submit(reporter_phone="13800138000").concern
    no_phone = submit(reporter_phone="").concern
    _store_raw(landline, "0731-83456789")
    follower = ConcernFollower.objects.create(concern=mobile, token_hash="x" * 64, phone="0731-8345 6789")
    assert list(Concern.objects.with_reporter_phone("073183456789")) == []  # the drift the migration fixes

    migration.normalise_phones(apps, None)

    landline.refresh_from_db()
    assert landline.reporter_phone == "073183456789"
    assert landline.reporter_phone_hash == blind_index("073183456789", purpose="concern_phone")
    assert list(Concern.objects.with_reporter_phone("0731-83456789")) == [landline]
    assert Concern.objects.get(pk=mobile.pk).reporter_phone == "13800138000"
    assert Concern.objects.get(pk=no_phone.pk).reporter_phone_hash == ""
    follower.refresh_from_db()
    assert follower.phone == "073183456789"
    with connection.cursor() as cursor:  # still encrypted at rest
        cursor.execute(f"SELECT reporter_phone FROM {Concern._meta.db_table} WHERE id = %s", [landline.pk])
        assert "073183456789" not in cursor.fetchone()[0]
