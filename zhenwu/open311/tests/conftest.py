"""The concern tests' fixtures (categories routed to the cast's departments, `submit`, an SMS
outbox): Open311 requests are concerns taken in through another door."""

from zhenwu.concerns.tests.conftest import (  # noqa: F401  (fixtures)
    SHANGHAI,
    fast_password_hasher,
    local,
    outbox,
    submit,
    world,
)
