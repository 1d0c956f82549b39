"""A web worker warms up at boot (jieba's dictionary, the router) and never fails to boot for it."""

import logging

import jieba
import pytest

from zhenwu.ops import warmup


@pytest.mark.django_db
def test_warm_up_loads_the_segmenter_dictionary_and_asks_the_router(monkeypatch):
    asked = []
    import zhenwu.routing.services as routing

    real = routing.predict
    monkeypatch.setattr(routing, "predict", lambda *a, **k: asked.append(a) or real(*a, **k))
    assert warmup.warm_up() >= 0
    assert jieba.dt.initialized
    assert asked == [warmup.SAMPLE]


def test_warm_up_without_a_database_logs_and_returns(caplog, monkeypatch):
    import zhenwu.routing.services as routing

    def unreachable(*args, **kwargs):
        raise RuntimeError("database unreachable")

    monkeypatch.setattr(routing, "predict", unreachable)
    with caplog.at_level(logging.WARNING, logger="zhenwu.ops.warmup"):
        assert warmup.warm_up() >= 0
    assert "warm-up incomplete" in caplog.text


def test_warm_up_can_be_turned_off(monkeypatch):
    import zhenwu.routing.services as routing

    monkeypatch.setenv("ZHENWU_WARM_UP", "0")
    monkeypatch.setattr(routing, "predict", lambda *a, **k: pytest.fail("warm-up ran although turned off"))
    assert warmup.warm_up() == 0.0
