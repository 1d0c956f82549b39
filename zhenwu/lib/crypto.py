"""Encryption at rest for sensitive fields, and blind indexes to find them.

Values are encrypted with Fernet (AES-128-CBC + HMAC-SHA256, from the `cryptography` package)
under the keys in settings.FIELD_ENCRYPTION_KEYS; the first key encrypts, all keys decrypt, so a
key can be rotated. A field that must be searched or de-duplicated (ID numbers) also stores an
HMAC-SHA256 of the normalised value under a separate key (settings.BLIND_INDEX_KEY).
"""

import hashlib
import hmac
import json
from functools import lru_cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models


@lru_cache(maxsize=4)
def _fernet(keys):
    try:
        return MultiFernet([Fernet(k.encode() if isinstance(k, str) else k) for k in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS holds an invalid Fernet key") from exc


def fernet():
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


def encrypt_text(value):
    return fernet().encrypt(value.encode()).decode()


def decrypt_text(token):
    try:
        return fernet().decrypt(token.encode()).decode()
    except InvalidToken as exc:
        raise ImproperlyConfigured("an encrypted field cannot be decrypted with the configured keys") from exc


def blind_index(value, *, purpose):
    """Keyed hash of a normalised value; `purpose` keeps indexes of different fields apart."""
    if not value:
        return ""
    key = settings.BLIND_INDEX_KEY.encode()
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


class EncryptedTextField(models.TextField):
    """A text value stored as a Fernet token. Empty strings stay empty (nothing to protect)."""

    def get_prep_value(self, value):
        value = super().get_prep_value(value)
        if value in (None, ""):
            return value
        return encrypt_text(str(value))

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return value
        return decrypt_text(value)

    def get_lookup(self, lookup_name):
        if lookup_name != "isnull":
            raise TypeError(f"an encrypted field cannot be searched with {lookup_name}; use its blind index")
        return super().get_lookup(lookup_name)


class EncryptedJSONField(EncryptedTextField):
    """A JSON value (e.g. a list of sensitive tags) stored encrypted."""

    def get_prep_value(self, value):
        if value in (None, "", [], {}):
            return ""
        return encrypt_text(json.dumps(value, ensure_ascii=False, sort_keys=True))

    def from_db_value(self, value, expression, connection):
        if value in (None, ""):
            return []
        return json.loads(decrypt_text(value))

    def to_python(self, value):
        if isinstance(value, (list, dict)):
            return value
        if not value:
            return []
        return json.loads(value)
