""""Today" is Beijing's today everywhere (timezone.localdate()/now()), whatever the host's clock
zone: between 00:00 and 08:00 in Beijing a UTC host is still on the day before."""

import datetime
import re
import time
import zoneinfo
from pathlib import Path

import pytest
import time_machine

from zhenwu.lib.idnumber import InvalidIdNumber, check_digit, validate_id_number

ROOT = Path(__file__).resolve().parents[2] / "zhenwu"
BEIJING = zoneinfo.ZoneInfo("Asia/Shanghai")
# 01:00 on 1 March in Beijing is 17:00 on 28 February in UTC. Given in UTC (not a ZoneInfo, which
# time-machine would also make the process's clock zone).
ONE_AM_BEIJING = datetime.datetime(2026, 2, 28, 17, 0, tzinfo=datetime.UTC)
assert ONE_AM_BEIJING.astimezone(BEIJING).hour == 1


def _id_number(birth):
    first17 = f"430181{birth:%Y%m%d}123"
    return first17 + check_digit(first17)


@pytest.fixture
def utc_host(monkeypatch):
    """The process clock zone of a host set to UTC (Django sets TZ from TIME_ZONE; undo that)."""
    monkeypatch.setenv("TZ", "UTC")
    time.tzset()
    yield
    monkeypatch.undo()
    time.tzset()


def test_at_one_in_the_morning_in_beijing_a_birth_dated_beijing_today_is_accepted(utc_host):
    with time_machine.travel(ONE_AM_BEIJING, tick=False):
        assert datetime.date.today() == datetime.date(2026, 2, 28)  # the host's naive day is yesterday
        number, birth = validate_id_number(_id_number(datetime.date(2026, 3, 1)))

        assert birth == datetime.date(2026, 3, 1)
        with pytest.raises(InvalidIdNumber, match="不可能"):
            validate_id_number(_id_number(datetime.date(2026, 3, 2)))


@pytest.mark.django_db
def test_a_resident_born_beijing_today_is_registered_at_one_in_the_morning(utc_host, cast):
    from zhenwu.org.services import add_resident

    with time_machine.travel(ONE_AM_BEIJING, tick=False):
        resident = add_resident(household=cast.households.jiulong, name="新生儿", relation="子女",
                                id_number=_id_number(datetime.date(2026, 3, 1)))

    assert resident.birth_date == datetime.date(2026, 3, 1)


NAIVE = re.compile(r"\bdate\.today\(\)|\bdatetime\.(now|today|utcnow)\(\)|\butcnow\(")


def test_no_code_or_test_reads_the_clock_without_a_time_zone():
    offenders = [
        f"{path.relative_to(ROOT.parent)}:{number}"
        for path in ROOT.rglob("*.py")
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if NAIVE.search(line) and path != Path(__file__)
    ]
    assert offenders == [], "use django.utils.timezone.localdate() / now()"
