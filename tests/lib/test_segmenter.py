"""One segmenter (zhenwu.lib.segmenter, rjieba) for routing, similarity and hot issues."""

import pickle
import re
from pathlib import Path

from zhenwu.lib import segmenter
from zhenwu.lib.segmenter import Segmenter, cut

ROOT = Path(__file__).resolve().parents[2]


def test_the_routers_words_reach_the_shared_segmentation():
    word = "九龙冲湾"
    assert word not in cut(f"{word}的路面塌陷")

    assert word in Segmenter([word])(f"{word}的路面塌陷")
    assert word in cut(f"{word}的路面塌陷")


def test_the_router_keeps_only_tokens_with_a_letter_digit_or_cjk_character():
    tokens = Segmenter()("村口的路灯坏了！！ 😀 abc 123")

    assert "路灯" in tokens and "abc" in tokens and "123" in tokens
    assert not {"！", " ", "😀"} & set(tokens) and all(segmenter.TOKEN.search(t) for t in tokens)


def test_a_segmenter_pickles_its_word_list_only_and_loads_under_its_old_module_path():
    from zhenwu.routing import classifier

    data = pickle.dumps(Segmenter(["乙", "甲甲"]))
    old_path = pickle.dumps(Segmenter(["乙", "甲甲"]), protocol=0).replace(
        b"zhenwu.lib.segmenter", b"zhenwu.routing.classifier"
    )

    assert len(data) < 200
    for blob in (data, old_path):
        loaded = pickle.loads(blob)  # noqa: S301 - our own bytes
        assert loaded.words == ("乙", "甲甲") and loaded("甲甲乙") == ["甲甲", "乙"]
    assert classifier.Segmenter is Segmenter


def test_a_process_keeps_a_bounded_number_of_word_lists():
    for i in range(segmenter.KEEP_SEGMENTERS + 2):
        Segmenter([f"词表{i}号"])("词表")
    assert len(segmenter._segmenters) <= segmenter.KEEP_SEGMENTERS


def test_nothing_imports_python_jieba():
    pattern = re.compile(r"^\s*(import jieba|from jieba\b)", re.M)
    sources = [*(ROOT / "zhenwu").rglob("*.py"), *(ROOT / "bench").rglob("*.py")]

    assert [str(p) for p in sources if pattern.search(p.read_text())] == []
    assert '"jieba' not in (ROOT / "pyproject.toml").read_text()


def test_rjiebas_unused_default_segmenter_is_never_built():
    """Importing the `rjieba` package builds a default segmenter with the whole dictionary (33 MB
    at its peak, 17 MB kept after clearing it); none of Zhenwu's code uses it, so the segmenter
    loads rjieba's compiled module without the package. Checked in a fresh process: segmenting
    works, the package was never imported, and the process grew by one dictionary only."""
    import json
    import subprocess
    import sys

    script = (
        "import json, sys\n"
        "def rss():\n"
        "    return int(open('/proc/self/status').read().split('VmRSS:')[1].split()[0]) / 1024\n"
        "before = rss()\n"
        "from zhenwu.lib import segmenter\n"
        "words = segmenter.cut('村口的路灯坏了')\n"
        "print(json.dumps([words, 'rjieba' in sys.modules, 'rjieba.rjieba' in sys.modules, rss() - before]))\n"
    )
    out = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, cwd=ROOT)
    words, package_imported, module_loaded, grown_mb = json.loads(out.stdout.strip().splitlines()[-1])
    assert "路灯" in words
    assert package_imported is False and module_loaded is True
    assert grown_mb < 38  # one dictionary (about 33 MB); with the package's default it was about 42
