"""A web worker warms up at boot (jieba's dictionary) and never fails to boot for it."""

import logging

import jieba
import pytest

from zhenwu.ops import warmup


def test_warm_up_loads_the_segmenter_dictionary(monkeypatch):
    import zhenwu.concerns.similar as similar

    asked = []
    real = similar.content_words
    monkeypatch.setattr(similar, "content_words", lambda text: asked.append(text) or real(text))
    assert warmup.warm_up() >= 0
    assert jieba.dt.initialized
    assert asked == [warmup.SAMPLE[1]]


def test_a_failing_warm_up_logs_and_returns(caplog, monkeypatch):
    import zhenwu.concerns.similar as similar

    def broken(text):
        raise RuntimeError("dictionary unreadable")

    monkeypatch.setattr(similar, "content_words", broken)
    with caplog.at_level(logging.WARNING, logger="zhenwu.ops.warmup"):
        assert warmup.warm_up() >= 0
    assert "warm-up incomplete" in caplog.text


def test_warm_up_can_be_turned_off(monkeypatch):
    import zhenwu.concerns.similar as similar

    monkeypatch.setenv("ZHENWU_WARM_UP", "0")
    monkeypatch.setattr(similar, "content_words", lambda text: pytest.fail("warm-up ran although turned off"))
    assert warmup.warm_up() == 0.0
