"""Benchmark 不落一人: the town-wide coverage page and the county-wide xlsx export on a county.

    .venv/bin/python bench/coverage.py             # 30 towns, 12,000 members, 20 required items,
                                                   # 300,000 sign-ins (plus leave and home lessons)
    .venv/bin/python bench/coverage.py --quick     # 2 towns, 400 members, 5 items (bench/test_coverage.py)
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/zhenwu .venv/bin/python bench/coverage.py

The county is built in a fresh database in a child process: a temporary SQLite file, or, when
DATABASE_URL names a PostgreSQL server, a temporary database created on that server and dropped
afterwards. Rows are written with bulk inserts (this measures reading, not loading). Each town has
a committee with 10 village branches of 40 members (10 % elderly); the campaign applies to the
county committee; every town holds one session per required item and every branch 10 more (second
chances and optional items); each member signs in to 25 of the 30 sessions expected of them;
about 6,000 approved leaves; elderly members with gaps get a confirmed home lesson (60 %).

Measured through the real views with Django's test client (a town leader and a county leader):
- the town-wide coverage page: median and worst of 5 requests after one warm-up, and its queries;
- the county-wide export: time to build and stream the whole workbook, its size, and memory —
  the tracemalloc peak of an export of one town and of the whole county. Members are read and
  written one batch at a time, so the peak follows the batch size (shown with batches of 1,000
  and of 250 members), not the size of the county; and the process's RSS growth.
"""

import argparse
import json
import os
import random
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from open311 import _postgres_database  # noqa: E402

FULL = {"towns": 30, "branches": 10, "members_per_branch": 40, "items": 20, "branch_sessions": 10, "attend": 25}
QUICK = {"towns": 2, "branches": 4, "members_per_branch": 50, "items": 5, "branch_sessions": 3, "attend": 6}


def _maxrss_mb():
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # kB on Linux


def build_county(size, rng):
    """The county, its towns, branches, members, the campaign and what happened in it."""
    import datetime
    from zoneinfo import ZoneInfo

    from zhenwu.accounts.models import Role, User
    from zhenwu.org.models import Area, AreaLevel, Member, PartyOrg, PartyOrgKind
    from zhenwu.study.models import (
        Attendance,
        Campaign,
        CampaignItem,
        HomeLesson,
        HomeLessonItem,
        LeaveRequest,
        LeaveStatus,
        SessionItem,
        SessionKind,
        SignInMethod,
        StudySession,
    )

    tz = ZoneInfo("Asia/Shanghai")
    county = Area.objects.add_root(dict(name="浏阳市", level=AreaLevel.COUNTY, code="430181"))
    county_committee = PartyOrg.objects.add_root(dict(name="中共浏阳市委", kind=PartyOrgKind.COMMITTEE, area=county))
    towns = []
    for t in range(size["towns"]):
        town = Area.objects.add_child(county, dict(name=f"第{t + 1}镇", level=AreaLevel.TOWN, code=f"4301811{t:02d}"))
        committee = PartyOrg.objects.add_child(county_committee, dict(name=f"中共第{t + 1}镇委员会",
                                                                      kind=PartyOrgKind.COMMITTEE, area=town))
        branches = []
        for b in range(size["branches"]):
            village = Area.objects.add_child(town, dict(name=f"第{t + 1}镇{b + 1}村", level=AreaLevel.VILLAGE,
                                                        code=f"4301811{t:02d}{200 + b}"))
            branches.append(PartyOrg.objects.add_child(committee, dict(name=f"第{t + 1}镇{b + 1}村党支部",
                                                                       kind=PartyOrgKind.BRANCH, area=village)))
        towns.append((town, committee, branches))

    members = []
    for _, _, branches in towns:
        for branch in branches:
            for n in range(size["members_per_branch"]):
                members.append(Member(party_org=branch, name=f"党员{branch.pk}-{n}", is_elderly=rng.random() < 0.1))
    members = Member.objects.bulk_create(members, batch_size=2000)
    by_branch = {}
    for m in members:
        by_branch.setdefault(m.party_org_id, []).append(m)

    campaign = Campaign.objects.create(name="主题教育", starts_on=datetime.date(2019, 9, 1),
                                       ends_on=datetime.date(2019, 11, 30))
    campaign.party_orgs.set([county_committee])
    items = CampaignItem.objects.bulk_create(
        [CampaignItem(campaign=campaign, kind="required", title=f"规定动作{i + 1}", position=i + 1)
         for i in range(size["items"])]
        + [CampaignItem(campaign=campaign, kind="optional", title=f"自选动作{i + 1}", position=100 + i)
           for i in range(3)]
    )
    required, optional = items[:size["items"]], items[size["items"]:]

    start = datetime.datetime(2019, 9, 2, 9, 0, tzinfo=tz)
    sessions, session_items, session_orgs, expected = [], [], [], []  # expected: (session, members)
    through = StudySession.party_orgs.through
    for t, (_, committee, branches) in enumerate(towns):
        town_members = [m for b in branches for m in by_branch[b.pk]]
        for i, item in enumerate(required):
            s = StudySession(campaign=campaign, kind=SessionKind.STUDY_CLASS, title=f"{committee.name}{item.title}",
                             starts_at=start + datetime.timedelta(days=i * 3, hours=t % 5),
                             ends_at=start + datetime.timedelta(days=i * 3, hours=t % 5 + 2))
            sessions.append(s)
            session_items.append((s, item))
            session_orgs.append((s, committee))
            expected.append((s, town_members))
        for branch in branches:
            for j in range(size["branch_sessions"]):
                item = required[rng.randrange(len(required))] if j % 2 == 0 else optional[j % len(optional)]
                s = StudySession(campaign=campaign, kind=SessionKind.PARTY_LESSON, title=f"{branch.name}党课{j + 1}",
                                 starts_at=start + datetime.timedelta(days=j * 5 + 1),
                                 ends_at=start + datetime.timedelta(days=j * 5 + 1, hours=2))
                sessions.append(s)
                session_items.append((s, item))
                session_orgs.append((s, branch))
                expected.append((s, by_branch[branch.pk]))
    StudySession.objects.bulk_create(sessions, batch_size=2000)
    SessionItem.objects.bulk_create([SessionItem(session=s, item=i) for s, i in session_items], batch_size=5000)
    through.objects.bulk_create([through(studysession_id=s.pk, partyorg_id=o.pk) for s, o in session_orgs],
                                batch_size=5000)

    # Each member signs in to `attend` of the sessions expected of them; some of the rest are
    # excused on approved leave.
    per_member = {}
    for s, group in expected:
        for m in group:
            per_member.setdefault(m.pk, []).append(s)
    attendance, leaves, count = [], [], 0
    for member_id, expected_sessions in per_member.items():
        chosen = set(rng.sample(range(len(expected_sessions)), min(size["attend"], len(expected_sessions))))
        for index, s in enumerate(expected_sessions):
            if index in chosen:
                attendance.append(Attendance(session_id=s.pk, member_id=member_id, method=SignInMethod.QR,
                                             signed_at=s.starts_at))
            elif rng.random() < 0.1:
                leaves.append(LeaveRequest(session_id=s.pk, member_id=member_id, reason="外出务工",
                                           status=LeaveStatus.APPROVED))
        if len(attendance) >= 20000:
            count += len(Attendance.objects.bulk_create(attendance, batch_size=5000))
            attendance = []
    count += len(Attendance.objects.bulk_create(attendance, batch_size=5000))
    LeaveRequest.objects.bulk_create(leaves, batch_size=5000)

    # Home lessons for most elderly members, covering the required items they missed.
    from zhenwu.study.coverage import pair_statuses

    elderly = [m for m in members if m.is_elderly and rng.random() < 0.6]
    lessons, lesson_items = [], []
    for chunk_start in range(0, len(elderly), 1000):
        chunk = elderly[chunk_start:chunk_start + 1000]
        statuses = pair_statuses([m.pk for m in chunk], [i.pk for i in required])
        for m in chunk:
            gaps = [i for i in required if statuses.get((m.pk, i.pk)) != "done"]
            if gaps:
                lesson = HomeLesson(member=m, given_on=datetime.date(2019, 11, 1), content="送学上门",
                                    confirmation="signed", confirmed_at=start)
                lessons.append(lesson)
                lesson_items.append((lesson, gaps))
    HomeLesson.objects.bulk_create(lessons, batch_size=2000)
    HomeLessonItem.objects.bulk_create([HomeLessonItem(lesson=lesson, item=i) for lesson, gaps in lesson_items
                                        for i in gaps], batch_size=5000)

    first_town, first_committee, _ = towns[0]
    town_leader = User.objects.create(username="town_leader", role=Role.LEADER, area=first_town,
                                      party_org=first_committee)
    county_leader = User.objects.create(username="county_leader", role=Role.LEADER, area=county,
                                        party_org=county_committee)
    return {
        "campaign": campaign, "town_leader": town_leader, "county_leader": county_leader,
        "members": len(members), "required": len(required), "sessions": len(sessions), "attendance": count,
        "leaves": len(leaves), "lessons": len(lessons),
    }


def child(quick):
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from scratch_db import migrate_database

    from zhenwu.study.coverage import write_coverage

    migrate_database()
    size = QUICK if quick else FULL
    started = time.perf_counter()
    county = build_county(size, random.Random(20191014))
    build_s = time.perf_counter() - started
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")  # SQLite and PostgreSQL alike
    campaign = county["campaign"]

    client = Client()
    client.force_login(county["town_leader"])
    url = f"/study/campaigns/{campaign.pk}/coverage/"
    response = client.get(url)
    assert response.status_code == 200, response.status_code
    page_times = []
    for _ in range(5):
        t0 = time.perf_counter()
        response = client.get(url)
        page_times.append(time.perf_counter() - t0)
        assert response.status_code == 200
    queries = []

    def count_query(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    with connection.execute_wrapper(count_query):
        body = client.get(url).content.decode()
    assert "完成率" in body

    county_client = Client()
    county_client.force_login(county["county_leader"])
    county_page = []
    for _ in range(2):
        t0 = time.perf_counter()
        response = county_client.get(url)
        county_page.append(time.perf_counter() - t0)
        assert response.status_code == 200, response.status_code

    export_url = f"/study/campaigns/{campaign.pk}/coverage/export/"
    rss_before = _maxrss_mb()
    t0 = time.perf_counter()
    response = county_client.get(export_url)
    size_bytes = sum(len(chunk) for chunk in response.streaming_content)
    export_s = time.perf_counter() - t0
    rss_after = _maxrss_mb()
    assert response.status_code == 200

    def traced_export(user, batch_size=1000):
        tracemalloc.start()
        _, rows = write_coverage(campaign, user=user, batch_size=batch_size)
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        return rows, peak

    town_rows, town_peak = traced_export(county["town_leader"])
    county_rows, county_peak = traced_export(county["county_leader"])
    _, small_batch_peak = traced_export(county["county_leader"], batch_size=250)
    print(json.dumps({
        "vendor": connection.vendor,
        "members": county["members"], "required": county["required"], "sessions": county["sessions"],
        "attendance": county["attendance"], "leaves": county["leaves"], "lessons": county["lessons"],
        "build_s": round(build_s, 1),
        "town_page_ms_median": round(1000 * statistics.median(page_times), 1),
        "town_page_ms_max": round(1000 * max(page_times), 1),
        "town_page_queries": len(queries),
        "county_page_ms": round(1000 * min(county_page), 1),
        "export_s": round(export_s, 2),
        "export_mb": round(size_bytes / 1e6, 2),
        "export_rows": county_rows,
        "export_rss_growth_mb": round(rss_after - rss_before, 1),
        "town_export_rows": town_rows,
        "town_export_peak_mb": round(town_peak / 1e6, 2),
        "county_export_peak_mb": round(county_peak / 1e6, 2),
        "county_export_peak_250_mb": round(small_batch_peak / 1e6, 2),
    }))


def run(quick):
    with tempfile.TemporaryDirectory(prefix="zhenwu-bench-") as tmp:
        env = dict(os.environ)
        url = os.environ.get("DATABASE_URL", "")
        drop = None
        if url.startswith(("postgres://", "postgresql://")):
            database_url, drop = _postgres_database(url)
        else:
            database_url = f"sqlite:///{tmp}/bench.sqlite3"
        env.update(
            ZHENWU_DATA_DIR=tmp,
            ZHENWU_MEDIA_ROOT=str(Path(tmp) / "media"),
            DATABASE_URL=database_url,
            DJANGO_SETTINGS_MODULE="zhenwu.settings",
            ZHENWU_LOG_LEVEL="WARNING",
            ZHENWU_DEBUG="0",  # DEBUG keeps every SQL statement in memory
            PYTHONPATH=str(ROOT) + os.pathsep + env.get("PYTHONPATH", ""),
        )
        env.pop("ZHENWU_ENV", None)
        args = [sys.executable, str(Path(__file__).resolve()), "--child"] + (["--quick"] if quick else [])
        try:
            proc = subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, check=False)
        finally:
            if drop is not None:
                drop()
        if proc.returncode != 0:
            sys.stderr.write(proc.stdout + proc.stderr)
            raise SystemExit("coverage benchmark child failed")
        return json.loads(proc.stdout.strip().splitlines()[-1])


def main(argv=None):
    parser = argparse.ArgumentParser(description="Coverage (不落一人) benchmark")
    parser.add_argument("--quick", action="store_true", help="a small county (run by bench/test_coverage.py)")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        child(args.quick)
        return None
    r = run(args.quick)
    print(f"coverage benchmark ({r['vendor']}, {os.cpu_count()} CPUs{', quick' if args.quick else ''})")
    print(f"county: {r['members']} members, {r['required']} required items, {r['sessions']} sessions, "
          f"{r['attendance']} sign-ins, {r['leaves']} leaves, {r['lessons']} home lessons (built in {r['build_s']} s)")
    print(f"town-wide coverage page: median {r['town_page_ms_median']} ms, worst {r['town_page_ms_max']} ms, "
          f"{r['town_page_queries']} queries")
    print(f"county-wide coverage page: {r['county_page_ms']} ms")
    print(f"county-wide export: {r['export_s']} s for {r['export_rows']} members ({r['export_mb']} MB xlsx), "
          f"RSS growth {r['export_rss_growth_mb']} MB")
    print(f"export peak memory (tracemalloc): one town ({r['town_export_rows']} members) {r['town_export_peak_mb']} MB, "
          f"county ({r['export_rows']} members) {r['county_export_peak_mb']} MB in batches of 1000 members, "
          f"{r['county_export_peak_250_mb']} MB in batches of 250")
    return r


if __name__ == "__main__":
    main()
