"""Keeps the hot-issue benchmark runnable and honest on a small labelled corpus: near-duplicates
across villages (one bridge, one subsidy policy) join, unrelated matters of one village (a lamp, a
pothole, two different subsidies) do not, and no label holds a place name or a piece of one."""

import csv
import re
import subprocess
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from hot import CORPUS  # noqa: E402

PLACES = ("九龙村", "集镇村", "石灰嘴村")


def _run(tmp_path, *extra):
    messages = tmp_path / "messages.csv"
    with open(messages, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "resident", "subject", "body", "time", "place", "category", "matter"])
        writer.writerows(CORPUS)
    out = tmp_path / "groups.csv"
    proc = subprocess.run(
        [sys.executable, str(HERE / "hot.py"), "--messages", str(messages), "--out", str(out), *extra],
        cwd=HERE.parent, capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with open(out, newline="", encoding="utf-8") as handle:
        groups = {row["id"]: row["group"] for row in csv.DictReader(handle)}
    return proc.stdout, groups


def test_the_hot_benchmark_groups_one_matter_per_group(tmp_path):
    out, groups = _run(tmp_path, "--window-days", "14")
    assert set(groups) == {row[0] for row in CORPUS}
    matter = {row[0]: row[7] for row in CORPUS}
    found = {}
    for mid, group in groups.items():
        if group:
            found.setdefault(group, set()).add(matter[mid])
    assert sorted(sorted(m) for m in found.values()) == [["bridge"], ["elderly"], ["farm"]]
    assert groups["15"] == ""  # outside the 14-day window
    assert {groups["1"], groups["2"], groups["3"], groups["4"]} == {"1"}  # four residents, two villages
    assert "purity 1.000  coverage 0.900" in out  # 9 of 10: the old bridge report is outside the window
    labels = re.findall(r"^\s+\d+\. .* · (.*) （(.*)）$", out, re.MULTILINE)
    assert len(labels) == 3
    for _title, words in labels:
        for word in words.split("、"):
            assert not any(word in place for place in PLACES), word
    assert labels[0][0] in ("石拱桥桥面开裂", "石拱桥栏杆松动", "石拱桥开裂危险", "石拱桥")


def test_quick_mode_runs_on_the_built_in_corpus():
    proc = subprocess.run([sys.executable, str(HERE / "hot.py"), "--quick"], cwd=HERE.parent,
                          capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("15 messages, 3 groups, 10 grouped") and "purity 1.000  coverage 1.000" in proc.stdout


def test_without_a_window_the_whole_file_is_one(tmp_path):
    out, groups = _run(tmp_path)
    assert groups["15"] == groups["1"] != ""
    assert "purity 1.000  coverage 1.000" in out


def test_synthetic_mass_duplicates_are_grouped_one_matter_per_group():
    proc = subprocess.run([sys.executable, str(HERE / "hot.py"), "--synthetic", "400", "--distinct", "25"],
                          cwd=HERE.parent, capture_output=True, text=True, timeout=300, check=False)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert proc.stdout.startswith("400 messages, ") and "purity 1.000  coverage 1.000" in proc.stdout
