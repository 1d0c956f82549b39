"""Encryption at rest for sensitive fields, and blind indexes to find them.

Field values are encrypted under the keys in settings.FIELD_ENCRYPTION_KEYS (Fernet-format keys,
newest first): the first key encrypts, every key decrypts, so a key can be rotated.

Two ciphertext formats are read. New values are AES-256-GCM ("g1:" + urlsafe base64 of key id,
nonce, ciphertext and tag), with a key derived from each configured key by HKDF-SHA256 and a
random 96-bit nonce; it is authenticated like Fernet and four times cheaper per value, which
counts when an import encrypts two values per row. Values written before (Fernet tokens, which
never contain ":") still decrypt with the same keys; re-saving a row rewrites them in the new
format. The key id (4 bytes of a hash of the derived key, not secret) picks the decrypting key
without trying each one.

A field that must be searched or de-duplicated (ID numbers) also stores an HMAC-SHA256 of the
normalised value under a separate key (settings.BLIND_INDEX_KEY).
"""

import base64
import binascii
import hashlib
import hmac
import json
import os
from functools import lru_cache

from cryptography.exceptions import InvalidTag
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

GCM_PREFIX = "g1:"
_GCM_AAD = GCM_PREFIX.encode()
_KEY_ID_BYTES = 4
_NONCE_BYTES = 12


def _key_bytes(key):
    return key.encode() if isinstance(key, str) else key


@lru_cache(maxsize=4)
def _fernet(keys):
    try:
        return MultiFernet([Fernet(_key_bytes(k)) for k in keys])
    except (ValueError, TypeError) as exc:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEYS holds an invalid Fernet key") from exc


def fernet():
    """The Fernet keys (job files are still encrypted with Fernet as a whole)."""
    return _fernet(tuple(settings.FIELD_ENCRYPTION_KEYS))


@lru_cache(maxsize=4)
def _gcm_keys(keys):
    """(key id of the encrypting key, {key id: AESGCM}) for the configured keys."""
    _fernet(keys)  # the same validation and message for a malformed key
    by_id, first = {}, None
    for key in keys:
        derived = HKDF(
            algorithm=hashes.SHA256(), length=32, salt=None, info=b"zhenwu field encryption aes-256-gcm v1"
        ).derive(base64.urlsafe_b64decode(_key_bytes(key)))
        key_id = hashlib.sha256(b"key id|" + derived).digest()[:_KEY_ID_BYTES]
        by_id.setdefault(key_id, AESGCM(derived))
        first = first or key_id
    return first, by_id


def encrypt_text(value):
    key_id, by_id = _gcm_keys(tuple(settings.FIELD_ENCRYPTION_KEYS))
    nonce = os.urandom(_NONCE_BYTES)
    sealed = by_id[key_id].encrypt(nonce, value.encode(), _GCM_AAD)
    return GCM_PREFIX + base64.urlsafe_b64encode(key_id + nonce + sealed).decode()


def decrypt_text(token):
    if not token.startswith(GCM_PREFIX):
        try:
            return fernet().decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise ImproperlyConfigured("an encrypted field cannot be decrypted with the configured keys") from exc
    _, by_id = _gcm_keys(tuple(settings.FIELD_ENCRYPTION_KEYS))
    try:
        raw = base64.urlsafe_b64decode(token[len(GCM_PREFIX):])
        aesgcm = by_id[raw[:_KEY_ID_BYTES]]
        start = _KEY_ID_BYTES + _NONCE_BYTES
        return aesgcm.decrypt(raw[_KEY_ID_BYTES:start], raw[start:], _GCM_AAD).decode()
    except (KeyError, InvalidTag, binascii.Error, ValueError) as exc:
        raise ImproperlyConfigured("an encrypted field cannot be decrypted with the configured keys") from exc


def blind_index(value, *, purpose):
    """Keyed hash of a normalised value; `purpose` keeps indexes of different fields apart."""
    if not value:
        return ""
    key = settings.BLIND_INDEX_KEY.encode()
    return hmac.new(key, f"{purpose}:{value}".encode(), hashlib.sha256).hexdigest()


def hash_token(token):
    """The stored form of a secret we issue (follow links, API keys and tokens): they are 256-bit
    random values, so a plain SHA-256 is a safe stored form."""
    return hashlib.sha256(token.encode()).hexdigest()


class EncryptedTextField(models.TextField):
    """A text value stored encrypted (see encrypt_text). Empty strings stay empty (nothing to protect)."""

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
