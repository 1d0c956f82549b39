import pytest


@pytest.fixture(autouse=True)
def fast_password_hasher(settings):
    """The cast's nine accounts hash their password once each; PBKDF2 would spend seconds on it."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
