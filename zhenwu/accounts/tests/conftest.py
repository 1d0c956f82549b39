"""Helpers for the account tests: real TOTP tokens computed from a device's key."""

import datetime
import zoneinfo

import pytest
from django_otp.oath import totp

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")
LOGIN_URL = "/accounts/login/"
# A Monday morning in Beijing; tests that depend on time start here.
MONDAY_9AM = datetime.datetime(2026, 3, 2, 9, 0, tzinfo=SHANGHAI)


def token_for(device, *, drift=0):
    """The token an authenticator app shows now for this device."""
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift + drift):06d}"


def wrong_token_for(device):
    """A six-digit token that matches none of the windows the device accepts right now."""
    valid = {token_for(device, drift=d) for d in range(-device.tolerance, device.tolerance + 1)}
    return next(f"{n:06d}" for n in range(123456, 10**6) if f"{n:06d}" not in valid)


@pytest.fixture
def confirmed_device():
    """Give a user a confirmed TOTP device (as if enrolled earlier)."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    def _device(user):
        return TOTPDevice.objects.create(user=user, name="身份验证器", confirmed=True)

    return _device


@pytest.fixture
def client_factory():
    """Another browser: each call gives a fresh test client with its own cookies."""
    from django.test import Client

    return Client
