"""Keeps the router benchmark runnable: its quick mode cross-validates our model and the TF-IDF +
LinearSVC baseline on 300 TIPDM messages and times training on 2,000 synthetic concerns."""

import re
import subprocess
import sys
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
DATA = HERE.parent.parent / "shared" / "data" / "tipdm" / "messages.csv"


@pytest.mark.skipif(not DATA.exists(), reason="TIPDM messages not present")
def test_the_router_benchmark_runs_in_quick_mode():
    proc = subprocess.run(
        [sys.executable, str(HERE / "router.py"), "--quick"],
        cwd=HERE.parent, capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert out.startswith("300 labelled messages from messages.csv, 7 classes")
    figures = re.findall(r"accuracy ([\d.]+)  macro-F1 ([\d.]+)  ([\d.]+) ms/message", out)
    assert len(figures) == 2  # ours and the baseline
    for accuracy, macro_f1, ms in figures:
        assert 0.3 < float(accuracy) <= 1 and 0.3 < float(macro_f1) <= 1 and float(ms) > 0
    assert out.count("per-class F1:") == 2 and "交通运输" in out
    assert "ours" in out and "baseline" in out
    assert re.search(r"scale: trained on 2,000 synthetic concerns .* in [\d.]+ s CPU", out)


def test_a_csv_without_labels_is_refused(tmp_path):
    bad = tmp_path / "bad.csv"
    bad.write_text("subject,body\n标题,内容\n", encoding="utf-8")
    proc = subprocess.run(
        [sys.executable, str(HERE / "router.py"), "--train", str(bad)],
        cwd=HERE.parent, capture_output=True, text=True, timeout=120, check=False,
    )
    assert proc.returncode != 0 and "需要列 subject,body,label 或 text,label" in proc.stderr


@pytest.mark.skipif(not DATA.exists(), reason="TIPDM messages not present")
def test_the_router_benchmark_compares_county_approaches_per_town():
    proc = subprocess.run(
        [sys.executable, str(HERE / "router.py"), "--quick", "--towns", "2"],
        cwd=HERE.parent, capture_output=True, text=True, timeout=600, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    out = proc.stdout
    assert re.search(r"county history: 300 messages in 2 towns \(官桥镇 \d+, 龙伏镇 \d+\)", out)
    for approach in ("shared model, town as a feature", "per-town models, county model below 300 rows"):
        assert f"  {approach}\n" in out
    figures = re.findall(r"    (\S+)  category macro-F1 ([\d.]+)  department macro-F1 ([\d.]+)  \(n=[\d,]+; "
                         r"department from the category's usual one in the town: [\d.]+\)", out)
    assert [town for town, *_ in figures] == ["官桥镇", "龙伏镇"] * 3
    assert all(0.2 < float(c) <= 1 and 0 < float(d) <= 1 for _, c, d in figures)
    assert out.count("suggestions naming another town's extra category or department: 0") == 3
    assert re.search(r"better of \(a\) and \(b\) by the mean over towns of category macro-F1: (shared|per-town)", out)
