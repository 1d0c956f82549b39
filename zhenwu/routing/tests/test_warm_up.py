"""The router's app step of a web worker's warm-up (RoutingConfig.warm_up, run by
zhenwu.ops.warmup in gunicorn's master before it forks)."""

from django.apps import apps

from zhenwu.lib import segmenter
from zhenwu.org.models import Area
from zhenwu.routing import hot


def test_the_towns_place_words_are_taught_before_the_dictionary_is_built(cast, monkeypatch):
    """The hot issues page needs the place words; taught at boot, the page finds them and builds
    no dictionary of its own in a forked worker."""
    monkeypatch.setattr(hot, "_taught", frozenset())
    monkeypatch.setitem(segmenter._shared, "words", frozenset())
    monkeypatch.setitem(segmenter._shared, "jieba", None)

    assert apps.get_app_config("routing").warm_up() > 0
    assert {"九龙村", "九龙"} <= segmenter._shared["words"]
    assert set(Area.objects.values_list("name", flat=True)) <= segmenter._shared["words"]
    built = segmenter._shared["jieba"]
    assert built is not None
    hot.town_places()  # what the hot issues page calls
    segmenter.cut("九龙村的路灯坏了")
    assert segmenter._shared["jieba"] is built
