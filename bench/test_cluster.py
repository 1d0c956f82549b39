"""Keeps the cluster benchmark runnable: its quick mode starts two app servers and two workers on
one PostgreSQL and one Redis, kills one of each with SIGKILL under load, and must find every
acknowledged write once, every export done once, sessions and rate limits shared, and the cached
rates page the same on both servers."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from cluster import ADDRESS_LIMIT, reachable  # noqa: E402


def test_the_cluster_benchmark_runs_in_quick_mode_and_loses_nothing():
    why = reachable()
    if why:
        pytest.skip(f"the cluster benchmark needs PostgreSQL and Redis on this machine: {why}")
    proc = subprocess.run(
        [sys.executable, str(HERE / "cluster.py"), "--quick"],
        cwd=HERE.parent, capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    per_server = re.findall(r"server ([AB]): (\d+) requests in [\d.]+ s = ([\d.]+) req/s, errors (\d+)", out)
    assert [s for s, *_ in per_server] == ["A", "B"]
    assert all(int(n) > 0 and float(rps) > 0 and int(errors) == 0 for _, n, rps, errors in per_server)
    assert "sessions shared: yes" in out and "one-time key shared: yes" in out
    accepted, burst, refused = (int(n) for n in re.search(
        r"rate limit shared: (\d+) of a burst of (\d+) .* accepted, (\d+) refused", out).groups())
    assert accepted == ADDRESS_LIMIT and refused == burst - ADDRESS_LIMIT
    acked, once, lost, twice = (int(n) for n in re.search(
        r"acknowledged writes: (\d+), found exactly once (\d+), lost (\d+), twice (\d+)", out).groups())
    assert acked > ADDRESS_LIMIT and once == acked and lost == 0 and twice == 0
    queued, done, downloaded, killed_jobs, not_done = re.search(
        r"exports: (\d+) queued, done exactly once (\d+), downloaded through B (\d+); "
        r"worker 1 killed running job\(s\) \[([\d, ]*)\]; jobs not done (\d+)", out).groups()
    assert int(queued) > 0 and int(done) == int(queued) == int(downloaded) and int(not_done) == 0
    assert killed_jobs.strip(), "worker 1 was to be killed while it ran an export"
    pairs_same, pairs = (int(n) for n in re.search(r"cached rates page: (\d+) of (\d+) A/B pairs identical", out).groups())
    assert pairs >= 2 and pairs - pairs_same <= 1
    assert re.search(r"^errors 0;", out, re.M)
