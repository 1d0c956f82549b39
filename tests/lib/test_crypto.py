"""zhenwu.lib.crypto: AES-GCM for new values, Fernet values still readable, key rotation."""

import pytest
from cryptography.fernet import Fernet
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test import override_settings

from zhenwu.lib.crypto import GCM_PREFIX, decrypt_text, encrypt_text
from zhenwu.org.models import Household, Resident

OLD_KEY = Fernet.generate_key().decode()
NEW_KEY = Fernet.generate_key().decode()


def _raw_column(pk, column):
    with connection.cursor() as cursor:
        cursor.execute(f"SELECT {column} FROM org_resident WHERE id = %s", [pk])
        return cursor.fetchone()[0]


def test_new_values_are_aes_gcm_with_a_fresh_nonce_each_time():
    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY]):
        first, second = encrypt_text("430181195001011236"), encrypt_text("430181195001011236")
        assert first.startswith(GCM_PREFIX) and second.startswith(GCM_PREFIX)
        assert first != second and "430181195001011236" not in first
        assert decrypt_text(first) == decrypt_text(second) == "430181195001011236"
        assert decrypt_text(encrypt_text("王建国 ✓")) == "王建国 ✓"


def test_a_value_written_with_fernet_before_the_switch_still_decrypts():
    legacy = Fernet(OLD_KEY.encode()).encrypt(b"13907310000").decode()
    with override_settings(FIELD_ENCRYPTION_KEYS=[OLD_KEY]):
        assert decrypt_text(legacy) == "13907310000"
    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY, OLD_KEY]):  # rotated: old key still decrypts
        assert decrypt_text(legacy) == "13907310000"
    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY]), pytest.raises(ImproperlyConfigured):
        decrypt_text(legacy)


def test_after_a_key_rotation_old_values_decrypt_and_new_ones_use_the_new_key():
    with override_settings(FIELD_ENCRYPTION_KEYS=[OLD_KEY]):
        old = encrypt_text("甲")
    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY, OLD_KEY]):
        new = encrypt_text("乙")
        assert decrypt_text(old) == "甲" and decrypt_text(new) == "乙"
    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY]):  # old key dropped after re-saving
        assert decrypt_text(new) == "乙"
        with pytest.raises(ImproperlyConfigured):
            decrypt_text(old)


def test_a_tampered_or_truncated_value_is_refused():
    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY]):
        token = encrypt_text("13907310000")
        body = token[len(GCM_PREFIX):]
        flipped = body[:20] + ("A" if body[20] != "A" else "B") + body[21:]
        for bad in (GCM_PREFIX + flipped, token[:-4], GCM_PREFIX + "!!", GCM_PREFIX):
            with pytest.raises(ImproperlyConfigured):
                decrypt_text(bad)


def test_an_invalid_key_is_reported_as_a_configuration_error():
    with override_settings(FIELD_ENCRYPTION_KEYS=["not-a-key"]), pytest.raises(ImproperlyConfigured):
        encrypt_text("x")


def test_rows_stored_with_fernet_read_back_and_are_rewritten_as_aes_gcm_when_saved(cast):
    household = Household.objects.create(grid=cast.jiulong_grid, number="CR-1", address="九龙村1号")
    with override_settings(FIELD_ENCRYPTION_KEYS=[NEW_KEY, OLD_KEY]):
        resident = Resident.objects.create(household=household, name="测试", phone="13900001111",
                                           sensitive_tags=["disabled"])
        legacy = Fernet(OLD_KEY.encode())
        with connection.cursor() as cursor:  # as an older release wrote it
            cursor.execute(
                "UPDATE org_resident SET phone = %s, sensitive_tags = %s WHERE id = %s",
                [legacy.encrypt(b"13900002222").decode(), legacy.encrypt(b'["disabled"]').decode(), resident.pk],
            )
        stored = Resident.objects.get(pk=resident.pk)
        assert stored.phone == "13900002222" and stored.sensitive_tags == ["disabled"]
        stored.save()
        assert _raw_column(resident.pk, "phone").startswith(GCM_PREFIX)
        assert _raw_column(resident.pk, "sensitive_tags").startswith(GCM_PREFIX)
        assert Resident.objects.get(pk=resident.pk).phone == "13900002222"
