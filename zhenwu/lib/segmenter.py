"""The one Chinese word segmenter: jieba's algorithm and dictionary compiled in Rust (rjieba, the
jieba-rs binding; the same tokens as jieba's precise mode, about ten times faster). It works
offline and ships its dictionary inside the package.

- `Segmenter(words)`: the router's tokenizer (zhenwu.routing.classifier): precise mode without
  HMM, the town's own words (place names, category keywords) added, only tokens that carry a
  letter, digit or CJK character kept. Picklable: only the word list is stored with a model.
- `cut(text)`: the duplicate finder's and hot issues' segmentation (zhenwu.concerns.similar),
  precise mode with HMM. It knows every word a `Segmenter` was built with in this process, so
  the town's words reach similarity as they reach the router, without the apps naming each other.

A built rjieba object is never changed afterwards (a word list gets a new one), so threads may
cut with it freely; each holds the dictionary (~25 MB), hence at most KEEP_SEGMENTERS word lists
per process besides the shared one.
"""

import functools
import os
import re
import sys
import threading

# A token worth a feature: CJK, letters or digits (punctuation, emoji and spaces are dropped).
TOKEN = re.compile(r"[\u4e00-\u9fff\u3400-\u4dbfA-Za-z0-9]")
KEEP_SEGMENTERS = 2
MIN_WORD_FREQ = 1000

_lock = threading.Lock()
_segmenters = {}  # word list (sorted tuple) → rjieba.Jieba
_shared = {"words": frozenset(), "jieba": None}


@functools.cache
def _jieba():
    """rjieba's `Jieba` class, without running the package's `__init__`: importing `rjieba` builds
    a default segmenter with the whole dictionary (33 MB at its peak, 17 MB of it kept after
    `clear()`, in every web worker) that Zhenwu never uses, since each segmenter here is built
    with the town's words. The compiled module is loaded from the package's directory by the
    import system's own extension loader, under its own name (`rjieba.rjieba`)."""
    import importlib.machinery
    import importlib.util

    module = sys.modules.get("rjieba.rjieba")
    if module is None:
        package = importlib.util.find_spec("rjieba")  # finds the package, runs nothing
        for suffix in importlib.machinery.EXTENSION_SUFFIXES:
            path = os.path.join(package.submodule_search_locations[0], "rjieba" + suffix)
            if os.path.exists(path):
                break
        else:
            raise ImportError("rjieba's compiled module was not found")
        loader = importlib.machinery.ExtensionFileLoader("rjieba.rjieba", path)
        module = importlib.util.module_from_spec(importlib.util.spec_from_loader("rjieba.rjieba", loader))
        loader.exec_module(module)
        sys.modules["rjieba.rjieba"] = module  # one instance, should the package be imported later
    return module.Jieba


def _build(words):
    jieba = _jieba()()
    for word in sorted(words):
        jieba.add_word(word, max(jieba.suggest_freq(word), MIN_WORD_FREQ), None)
    return jieba


def _cut(jieba, text, hmm):
    try:
        return jieba.cut(text, hmm)
    except UnicodeEncodeError:  # a lone surrogate, which Rust strings cannot hold
        return jieba.cut(text.encode("utf-8", "replace").decode("utf-8"), hmm)


def _share(words):
    """Add `words` to the shared segmenter (a new one replaces it; called under _lock)."""
    if words and not set(words) <= _shared["words"]:
        merged = _shared["words"] | set(words)
        _shared.update(words=merged, jieba=_build(merged))


def segmenter_for(words):
    """The rjieba segmenter with `words` (a sorted tuple) added, one per word list and process."""
    with _lock:
        jieba = _segmenters.get(words)
        if jieba is None:
            jieba = _build(words)
            _share(words)
            while len(_segmenters) >= KEEP_SEGMENTERS:
                _segmenters.pop(next(iter(_segmenters)))
            _segmenters[words] = jieba
        return jieba


def add_words(words):
    """Teach the shared segmenter (`cut`) words of the town (place names), each then kept whole;
    the segmenter is rebuilt only when a word is new to it."""
    words = {w.strip() for w in words if w and w.strip()}
    with _lock:
        _share(words)


def cut(text):
    """The words of `text` (precise mode with HMM), the town's words included; all tokens kept."""
    if not text:
        return []
    jieba = _shared["jieba"]
    if jieba is None:
        with _lock:
            if _shared["jieba"] is None:
                _shared["jieba"] = _build(_shared["words"])
            jieba = _shared["jieba"]
    return _cut(jieba, text, True)


class Segmenter:
    """Word segmentation (precise mode, no HMM) with extra words, added to the dictionary when the
    segmenter is first used; only the word list is pickled."""

    def __init__(self, words=()):
        self.words = tuple(sorted({w.strip() for w in words if w and w.strip()}))
        self._tokenizer = None

    def __getstate__(self):
        return {"words": self.words}

    def __setstate__(self, state):
        self.words = tuple(state.get("words", ()))
        self._tokenizer = None

    def _get(self):
        if self._tokenizer is None:
            self._tokenizer = segmenter_for(self.words)
        return self._tokenizer

    def __call__(self, text):
        if not text:
            return []
        return [t for t in _cut(self._get(), text, False) if t != " " and TOKEN.search(t)]
