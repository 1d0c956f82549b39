"""The named cast every test can use: one town with two villages, their grids and branches, and
one account of each role (two grid workers in different grids)."""

from pathlib import Path
from types import SimpleNamespace

import pytest

PASSWORD = "Zhenwu#2026"


def pytest_addoption(parser):
    parser.addoption(
        "--clock", metavar="WHEN",
        help="run with the clock moved to WHEN (ISO 8601, e.g. 2027-01-04T10:00+08:00) and ticking on; "
             "the demo and many fixtures count back from now, so this finds tests and data that break "
             "as the calendar moves on. The browser's own clock is not moved: add -m 'not browser'.",
    )


def pytest_configure(config):
    clock = config.getoption("--clock")
    if clock:  # in each xdist worker too (they get the same options)
        import time_machine

        config._zhenwu_clock = time_machine.travel(clock, tick=True)
        config._zhenwu_clock.start()
    # The cast hashes nine passwords per test; PBKDF2 at production strength makes that ~3 s.
    from django.conf import settings

    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    # Each test process keeps its own counters (the shared file cache would mix parallel workers).
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"},
                       "fragments": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "fragments"}}
    # Tests read live rates (the locmem cache outlives a test); the page cache's own tests turn it on.
    settings.ZHENWU_PUBLIC_RATES_CACHE_SECONDS = 0
    settings.ZHENWU_BOARD_MAP_CACHE_SECONDS = 0  # likewise the board's map data
    settings.ZHENWU_OPEN311_LIST_CACHE_SECONDS = 0  # and Open311's lists of requests


# The files whose tests take longest in all (the demo town is loaded in each, then walked role by
# role or checked app by app). `make test` hands whole files to its two workers in collection order
# (--dist loadfile --no-loadscope-reorder: without it pytest-xdist sorts files by their number of
# tests, which sent the walks, four and five tests long, near the end of the run); started first,
# they run beside the rest instead of after it. Each worker starts on one walk file and the first
# to want more gets test_demo_town, which then reuses the demo town that walk loaded
# (tests/demo_snapshot.py).
LONGEST_FILES = ("tests/browser/test_role_walk.py", "tests/browser/test_role_walk_village.py", "tests/test_demo_town.py")


def _run_longest_first(items):
    rank = {path: index for index, path in enumerate(LONGEST_FILES)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::")[0], len(rank)))  # stable: the rest keep their order


def pytest_collection_modifyitems(config, items):
    """On PostgreSQL (CI's second half), the tests that do not depend on the database engine are
    not run again: browser tests (what pages show and do), the benchmarks' quick runs (each
    builds its own scratch SQLite database) and the demo town's checks of its own data
    (tests/test_demo_town.py: a load of about 85 s on PostgreSQL, then what the generated history
    says; the bulk rows against the services' rows, tests/test_demo_replay.py, do run here). They
    run in the SQLite half; together they would cost CI about nine of its twenty minutes twice.
    ZHENWU_FULL_ON_POSTGRES=1 runs them here too."""
    import os

    _run_longest_first(items)
    if not os.environ.get("DATABASE_URL", "").startswith("postgres") or os.environ.get("ZHENWU_FULL_ON_POSTGRES") == "1":
        return
    skip = pytest.mark.skip(reason="engine-independent: run in the SQLite half (ZHENWU_FULL_ON_POSTGRES=1 runs it)")
    for item in items:
        if item.get_closest_marker("browser") or item.nodeid.startswith(("bench/", "tests/test_demo_town.py")):
            item.add_marker(skip)


@pytest.fixture(scope="session")
def migrated_sqlite_template(tmp_path_factory, worker_id):
    """One migrated SQLite database for the benchmarks' --quick runs (bench/scratch_db.py) and the
    tests that set up a real installation (see `migrated_sqlite`), built once per test run, under
    a lock, by whichever xdist worker needs it first; its path is handed to the scripts in
    ZHENWU_BENCH_MIGRATED_SQLITE. (A fixture of this file, not of a
    bench/conftest.py: bench is no package, and a second top-level `conftest` module would shadow
    this one's PASSWORD for every test importing it.)"""
    import fcntl
    import os

    from bench.scratch_db import TEMPLATE_VARIABLE, build_template

    shared = tmp_path_factory.getbasetemp()
    if worker_id != "master":
        shared = shared.parent  # the directory every worker's base directory sits in
    path = shared / "bench-migrated.sqlite3"
    with open(shared / "bench-migrated.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not path.exists():
            data_dir = shared / "bench-migrated-data"
            data_dir.mkdir(exist_ok=True)
            build_template(path, data_dir)
    os.environ[TEMPLATE_VARIABLE] = str(path)
    yield path
    os.environ.pop(TEMPLATE_VARIABLE, None)


@pytest.fixture
def migrated_sqlite(migrated_sqlite_template):
    """A function placing a copy of the migrated SQLite database at a path: a new installation's
    database whose `manage.py migrate` then has nothing to apply (migrating from nothing costs
    about 27 s of CPU). The copy holds only what migrating writes (content types, permissions)."""
    from bench.scratch_db import copy_sqlite

    return lambda path: copy_sqlite(migrated_sqlite_template, Path(path))


@pytest.fixture(autouse=True)
def _bench_scratch_databases(request):
    if request.node.nodeid.startswith("bench/"):
        request.getfixturevalue("migrated_sqlite_template")


@pytest.fixture(autouse=True)
def _fresh_process_caches():
    """Configuration kept in process memory does not outlive a test's rolled-back rows."""
    yield
    from django.core.cache import caches

    from zhenwu.open311.api import clear_config_cache

    clear_config_cache()
    caches["fragments"].clear()


def build_second_town(county):
    """龙伏镇 beside the cast's town in its county, with one village (新安村) and its grid: a
    deployment serving several towns."""
    from zhenwu.org.models import Area, AreaLevel

    county = Area.objects.get(pk=county.pk)  # the tree's counters as stored now
    town = Area.objects.add_child(county, dict(name="龙伏镇", level=AreaLevel.TOWN, code="430181120"))
    village = Area.objects.add_child(town, dict(name="新安村", level=AreaLevel.VILLAGE, code="430181120201"))
    grid = Area.objects.add_child(village, dict(name="新安村第一网格", level=AreaLevel.GRID, code="430181120201-01"))
    return SimpleNamespace(town=town, village=village, grid=grid)


@pytest.fixture
def second_town(cast):
    return build_second_town(cast.county)


def build_cast():
    from zhenwu.accounts.models import Role, User
    from zhenwu.org.models import (
        Area,
        AreaLevel,
        Department,
        Household,
        Member,
        PartyOrg,
        PartyOrgKind,
        Resident,
    )

    county = Area.objects.add_root(dict(name="浏阳市", level=AreaLevel.COUNTY, code="430181"))
    town = Area.objects.add_child(county, dict(name="官桥镇", level=AreaLevel.TOWN, code="430181110"))
    jiulong = Area.objects.add_child(town, dict(name="九龙村", level=AreaLevel.VILLAGE, code="430181110201"))
    jizhen = Area.objects.add_child(town, dict(name="集镇村", level=AreaLevel.VILLAGE, code="430181110202"))
    jiulong_grid = Area.objects.add_child(
        jiulong, dict(name="九龙村第一网格", level=AreaLevel.GRID, code="430181110201-01")
    )
    jiulong_grid2 = Area.objects.add_child(
        jiulong, dict(name="九龙村第二网格", level=AreaLevel.GRID, code="430181110201-02")
    )
    jizhen_grid = Area.objects.add_child(
        jizhen, dict(name="集镇村第一网格", level=AreaLevel.GRID, code="430181110202-01")
    )

    committee = PartyOrg.objects.add_root(
        dict(name="中共官桥镇委员会", kind=PartyOrgKind.COMMITTEE, area=town)
    )
    jiulong_org = PartyOrg.objects.add_child(
        committee, dict(name="九龙村党总支", kind=PartyOrgKind.GENERAL_BRANCH, area=jiulong)
    )
    jiulong_branch = PartyOrg.objects.add_child(
        jiulong_org, dict(name="九龙村第一党支部", kind=PartyOrgKind.BRANCH, area=jiulong)
    )
    jizhen_org = PartyOrg.objects.add_child(
        committee, dict(name="集镇村党总支", kind=PartyOrgKind.GENERAL_BRANCH, area=jizhen)
    )

    urban = Department.objects.create(name="城建办", town=town)
    Department.objects.create(name="党建办", town=town)

    h1 = Household.objects.create(grid=jiulong_grid, number="JL-0001", address="九龙村一组12号")
    h2 = Household.objects.create(grid=jiulong_grid2, number="JL-0002", address="九龙村二组3号")
    h3 = Household.objects.create(grid=jizhen_grid, number="JZ-0001", address="集镇村老街8号")
    r1 = Resident.objects.create(
        household=h1,
        name="黎明",
        relation="户主",
        id_number="430181195001011236",
        phone="13800138000",
        tags=["living_alone_elderly"],
        sensitive_tags=["disabled"],
    )
    r2 = Resident.objects.create(household=h2, name="王芳", relation="户主", phone="13912345678")
    r3 = Resident.objects.create(household=h3, name="张强", relation="户主", phone="13700001111")

    m_jl = Member.objects.create(
        party_org=jiulong_branch, name="黎干亮", phone="13600000001", is_elderly=True
    )
    m_jz = Member.objects.create(party_org=jizhen_org, name="彭镇铭", phone="13600000002", is_migrant=True)

    def user(username, role, **scope):
        u = User(username=username, role=role, full_name=username, **scope)
        u.set_password(PASSWORD)
        u.save()
        return u

    users = SimpleNamespace(
        town_admin=user("admin1", Role.TOWN_ADMIN, area=town, party_org=committee),
        leader=user("leader1", Role.LEADER, area=town, party_org=committee),
        dispatcher=user("dispatch1", Role.DISPATCHER, area=town),
        handler=user("handler1", Role.HANDLER, department=urban),
        secretary=user("secretary1", Role.SECRETARY, area=jiulong, party_org=jiulong_org),
        grid_worker=user("grid1", Role.GRID_WORKER, area=jiulong_grid),
        other_grid_worker=user("grid2", Role.GRID_WORKER, area=jizhen_grid),
        instructor=user("instructor1", Role.INSTRUCTOR, party_org=jiulong_org),
        member=user("member1", Role.MEMBER),
    )
    m_jl.user = users.member
    m_jl.save(update_fields=["user"])
    return SimpleNamespace(
        county=county,
        town=town,
        jiulong=jiulong,
        jizhen=jizhen,
        jiulong_grid=jiulong_grid,
        jiulong_grid2=jiulong_grid2,
        jizhen_grid=jizhen_grid,
        committee=committee,
        jiulong_org=jiulong_org,
        jiulong_branch=jiulong_branch,
        jizhen_org=jizhen_org,
        urban=urban,
        households=SimpleNamespace(jiulong=h1, jiulong2=h2, jizhen=h3),
        residents=SimpleNamespace(jiulong=r1, jiulong2=r2, jizhen=r3),
        members=SimpleNamespace(jiulong=m_jl, jizhen=m_jz),
        users=users,
    )


@pytest.fixture
def cast(db):
    return build_cast()


@pytest.fixture
def login(client):
    """Log a cast user in through the real login form (second factor marked done for admins)."""

    def _login(user, *, verified=True):
        response = client.post("/accounts/login/", {"username": user.username, "password": PASSWORD})
        assert response.status_code == 302, response.content[:500]
        if verified and user.needs_second_factor:
            from django_otp.plugins.otp_totp.models import TOTPDevice

            device, _ = TOTPDevice.objects.get_or_create(user=user, name="test", defaults={"confirmed": True})
            session = client.session
            session["otp_device_id"] = device.persistent_id
            session.save()
        return client

    return _login
