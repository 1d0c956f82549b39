"""The router on a fixed small corpus: suggestions at intake for every channel, automatic
dispatch only above the town's threshold, undo with full history, the training gate, bad input."""


import pytest
import time_machine
from django.utils import timezone

from zhenwu.audit.models import AuditEntry
from zhenwu.concerns.models import Channel, ConcernEvent, EventKind, Notification, Status
from zhenwu.concerns.services import complete_pending_intakes, submit_concern
from zhenwu.concerns.similar import content_words
from zhenwu.routing import classifier, services
from zhenwu.routing.models import (
    PendingSuggestion,
    RouterModel,
    RouterWord,
    RoutingSettings,
    RoutingSuggestion,
)

from .conftest import corpus_texts, worker_pass

pytestmark = pytest.mark.django_db


@pytest.fixture
def trained(history):
    result = services.train_router()
    assert result.activated
    return result.model


def _submit(w, text, *, channel=Channel.WEB, by=None, category=None):
    return submit_concern(
        text=text, category=category or w.road, area=w.cast.jiulong_grid, channel=channel, by=by,
        reporter_phone="13800138000",
    ).concern


def test_first_model_is_evaluated_on_the_latest_concerns_and_activated(trained, routing_world):
    metrics = trained.metrics
    assert metrics["holdout"]["n"] == 14  # 20% of 72, the newest
    assert metrics["category"]["macro_f1"] >= 0.9
    assert set(metrics["category"]["per_class"]) == {"road", "sanitation", "water"}
    assert "department" in metrics
    assert trained.trained_on == 72 and trained.is_active


@pytest.mark.parametrize("channel", Channel.values)
def test_every_channel_gets_a_suggestion(trained, routing_world, channel, django_capture_on_commit_callbacks):
    w = routing_world
    by = None if channel in (Channel.WEB, Channel.API) else w.users.dispatcher
    concern = _submit(w, "我们组的自来水停水三天了，一家人没水喝。", channel=channel, by=by)
    worker_pass()  # the worker's follow-ups: intake, then suggestion, auto-dispatch
    suggestion = RoutingSuggestion.objects.get(concern=concern)
    assert suggestion.category == w.water
    assert suggestion.department == w.water_dept
    assert 0 < suggestion.confidence <= 1
    assert [a["name"] for a in suggestion.alternatives] == ["道路交通", "环境卫生"] or len(suggestion.alternatives) == 2
    assert suggestion.model == trained


def test_a_router_failure_never_loses_the_concern_and_the_batch_is_retried_until_routing_recovers(
        trained, routing_world, monkeypatch, django_capture_on_commit_callbacks):
    def broken(*args, **kwargs):
        raise RuntimeError("database is locked")

    monkeypatch.setattr(services, "predict_many", broken)
    concerns = [_submit(routing_world, text) for text in ("垃圾堆积好几天没人清运", "我们组的自来水停水三天了")]
    assert complete_pending_intakes() == 2  # the intake does not wait for the router
    for concern in concerns:
        concern.refresh_from_db()
        assert concern.status == Status.RECEIVED and not concern.intake_pending
        # The dispatchers still hear of it.
        assert Notification.objects.filter(recipient=routing_world.users.dispatcher, concern=concern).exists()
    assert services.suggest_for_new_concerns() == 2  # tried, failed
    assert not RoutingSuggestion.objects.exists()
    assert services.suggest_for_new_concerns() == 0  # waits before trying again: the worker may sleep
    assert list(PendingSuggestion.objects.values_list("attempts", flat=True)) == [1, 1]

    monkeypatch.undo()  # the passing fault is over
    with time_machine.travel(timezone.now() + services.RETRY_STEP, tick=False):
        assert services.suggest_for_new_concerns() == 2
    suggestions = {s.concern_id: s for s in RoutingSuggestion.objects.all()}
    assert set(suggestions) == {c.pk for c in concerns}
    assert suggestions[concerns[1].pk].category == routing_world.water
    assert not PendingSuggestion.objects.exists()


def test_retries_of_a_concern_the_router_cannot_read_are_bounded(trained, routing_world, monkeypatch, caplog):
    def broken(*args, **kwargs):
        raise RuntimeError("model exploded")

    monkeypatch.setattr(services, "_store_suggestion", broken)  # fails for this concern, every time
    concern = _submit(routing_world, "垃圾堆积好几天没人清运")
    complete_pending_intakes()
    now = timezone.now()
    tries = 0
    for _ in range(3 * services.MAX_ATTEMPTS):
        now += services.RETRY_STEP * services.MAX_ATTEMPTS  # later than any wait
        tries += bool(services.suggest_for_new_concerns(now=now))
    assert tries == services.MAX_ATTEMPTS
    assert not PendingSuggestion.objects.exists()  # given up, not retried for ever
    assert f"gave up on concern {concern.pk}" in caplog.text
    assert not RoutingSuggestion.objects.exists()
    concern.refresh_from_db()
    assert concern.status == Status.RECEIVED  # still in the dispatchers' inbox


def test_a_batch_the_worker_takes_while_no_model_is_active_gets_no_suggestion_and_is_not_kept(routing_world):
    _submit(routing_world, "垃圾堆积好几天没人清运")
    assert complete_pending_intakes() == 1
    assert services.suggest_for_new_concerns() == 1  # taken, no model: dropped
    assert not PendingSuggestion.objects.exists() and not RoutingSuggestion.objects.exists()
    assert services.suggest_for_new_concerns() == 0


def test_a_model_activated_after_the_intake_is_used_for_the_next_batch(routing_world, trained):
    """The active model is looked up for each batch, not fixed when the concern was taken in."""
    RouterModel.objects.update(is_active=False)
    first = _submit(routing_world, "垃圾堆积好几天没人清运")
    assert complete_pending_intakes() == 1  # no model active at intake: queued all the same
    services.activate_model(trained, by=routing_world.users.town_admin)
    second = _submit(routing_world, "我们组的自来水停水三天了")
    assert complete_pending_intakes() == 1
    assert services.suggest_for_new_concerns() == 2
    suggestions = {s.concern_id: s for s in RoutingSuggestion.objects.all()}
    assert set(suggestions) == {first.pk, second.pk}
    assert {s.model_id for s in suggestions.values()} == {trained.pk}
    assert suggestions[second.pk].category == routing_world.water


def test_the_worker_suggests_for_a_batch_in_one_pass_and_only_once(trained, routing_world):
    w = routing_world
    texts = ["我们组的自来水停水三天了，一家人没水喝。", "垃圾堆积好几天没人清运", "村道塌陷了一大块", "😀"]
    concerns = [_submit(w, text) for text in texts]
    assert not RoutingSuggestion.objects.exists()  # nothing on the request path
    assert all(c.intake_pending for c in concerns)
    assert complete_pending_intakes() == 4
    assert not RoutingSuggestion.objects.exists()  # nor inside the intake's transaction
    assert services.suggest_for_new_concerns() == 4
    suggestions = {s.concern_id: s for s in RoutingSuggestion.objects.all()}
    assert len(suggestions) == 4
    assert suggestions[concerns[0].pk].category == w.water
    assert suggestions[concerns[0].pk].department == w.water_dept
    assert not suggestions[concerns[3].pk].has_suggestion and suggestions[concerns[3].pk].reason
    # One batch predicts as one-by-one would.
    single = services.predict(concerns[1].title, concerns[1].text, town=w.cast.town)
    assert suggestions[concerns[1].pk].category == single.category
    assert float(suggestions[concerns[1].pk].confidence) == round(single.confidence, 4)
    assert complete_pending_intakes() == 0
    assert services.suggest_for_new_concerns() == 0
    assert RoutingSuggestion.objects.count() == 4


def _auto(w, threshold):
    return RoutingSettings.objects.create(town=w.cast.town, auto_dispatch=True, threshold=threshold)


def test_low_confidence_never_auto_dispatches(trained, routing_world, django_capture_on_commit_callbacks):
    w = routing_world
    _auto(w, "0.99")
    # Mixed words of two categories: the router is unsure.
    concern = _submit(w, "垃圾堆在村道上，路面坑洼不平")
    worker_pass()  # the worker's follow-ups: intake, then suggestion, auto-dispatch
    suggestion = RoutingSuggestion.objects.get(concern=concern)
    assert suggestion.confidence < 0.99
    concern.refresh_from_db()
    assert concern.status == Status.RECEIVED and concern.department is None
    assert not suggestion.auto_dispatched
    assert not ConcernEvent.objects.filter(concern=concern, kind=EventKind.DISPATCHED).exists()


def test_auto_dispatch_is_off_unless_the_town_turns_it_on(trained, routing_world,
                                                          django_capture_on_commit_callbacks):
    w = routing_world
    RoutingSettings.objects.create(town=w.cast.town, auto_dispatch=False, threshold="0.50")
    concern = _submit(w, "我们组的自来水停水三天了，一家人没水喝，做饭洗衣都成问题。")
    worker_pass()  # the worker's follow-ups: intake, then suggestion, auto-dispatch
    concern.refresh_from_db()
    assert concern.status == Status.RECEIVED


def test_confident_suggestion_is_dispatched_and_undo_keeps_full_history(
    trained, routing_world, django_capture_on_commit_callbacks
):
    w = routing_world
    _auto(w, "0.50")
    # Registered as 道路交通 by the resident, but it is about water.
    concern = _submit(w, "我们组的自来水停水三天了，一家人没水喝，做饭洗衣都成问题。", category=w.road)
    worker_pass()  # the worker's follow-ups: intake, then suggestion, auto-dispatch
    suggestion = RoutingSuggestion.objects.get(concern=concern)
    assert suggestion.confidence >= 0.5 and suggestion.auto_dispatched
    concern.refresh_from_db()
    assert concern.status == Status.DISPATCHED
    assert concern.department == w.water_dept and concern.category == w.water
    assert suggestion.original_category == w.road
    dispatch = ConcernEvent.objects.get(concern=concern, kind=EventKind.DISPATCHED)
    assert dispatch.actor_label == "智能分派" and "自动派单" in dispatch.internal_note

    services.undo_auto_dispatch(suggestion, by=w.users.dispatcher, reason="应由村里先核实")
    concern.refresh_from_db()
    assert concern.status == Status.RETURNED and concern.department is None
    assert concern.category == w.road  # restored
    kinds = list(ConcernEvent.objects.filter(concern=concern).order_by("at", "id").values_list("kind", flat=True))
    assert kinds == [
        EventKind.SUBMITTED, EventKind.RECATEGORISED, EventKind.ACCEPTED, EventKind.DISPATCHED,
        EventKind.RETURNED, EventKind.RECATEGORISED,
    ]
    returned = ConcernEvent.objects.get(concern=concern, kind=EventKind.RETURNED)
    assert "撤销自动派单（dispatch1）" in returned.reason and "应由村里先核实" in returned.reason
    suggestion.refresh_from_db()
    assert suggestion.auto_dispatched and suggestion.undone_by == w.users.dispatcher
    assert suggestion.undone_at is not None
    assert AuditEntry.objects.filter(object_type="routing.RoutingSuggestion", object_id=str(suggestion.pk),
                                     note__contains="撤销").exists()
    # The concern is back in the dispatcher's inbox, and cannot be undone twice.
    from zhenwu.concerns.models import Concern

    assert Concern.objects.visible_to(w.users.dispatcher).inbox().filter(pk=concern.pk).exists()
    with pytest.raises(services.RoutingError):
        services.undo_auto_dispatch(suggestion, by=w.users.dispatcher)


def test_only_dispatchers_undo(trained, routing_world, django_capture_on_commit_callbacks):
    w = routing_world
    _auto(w, "0.50")
    concern = _submit(w, "我们组的自来水停水三天了，一家人没水喝，做饭洗衣都成问题。", category=w.water)
    worker_pass()  # the worker's follow-ups: intake, then suggestion, auto-dispatch
    suggestion = RoutingSuggestion.objects.get(concern=concern)
    assert suggestion.auto_dispatched
    for user in (w.users.leader, w.users.handler, w.users.grid_worker):
        with pytest.raises(services.RoutingError):
            services.undo_auto_dispatch(suggestion, by=user)


def test_retraining_never_replaces_a_better_model_with_a_worse_one(trained, routing_world):
    def shuffled_labels(pairs, labels, **kwargs):
        labels = list(labels)
        return classifier.fit_text_model(pairs, labels[1:] + labels[:1], **kwargs)

    worse = services.train_router(fit=shuffled_labels)
    assert not worse.activated
    worse.model.refresh_from_db()
    assert not worse.model.is_active
    assert worse.model.metrics["compared_with"]["version"] == trained.version
    assert worse.model.metrics["category"]["macro_f1"] < worse.model.metrics["compared_with"]["category"]["macro_f1"]
    assert RouterModel.objects.get(is_active=True) == trained
    assert RouterModel.objects.count() == 2  # the worse version is kept with its evaluation

    same = services.train_router()
    assert same.activated  # at least as good on the same held-out concerns
    assert RouterModel.objects.get(is_active=True) == same.model
    assert same.model.metrics["compared_with"]["version"] == trained.version


def test_cold_start_from_category_keywords(routing_world):
    result = services.train_router()
    assert result.activated and result.model.source == "cold_start"
    prediction = services.predict("", "村道路面塌陷了", town=routing_world.cast.town)
    assert prediction.category == routing_world.road
    assert prediction.department == routing_world.urban


def test_cold_start_with_a_seed_corpus(routing_world, tmp_path):
    path = tmp_path / "seed.csv"
    lines = ["subject,body,label"]
    for code, name in (("road", "道路交通"), ("sanitation", "环境卫生"), ("water", "water")):
        for subject, body in corpus_texts(code, 10):
            lines.append(f"{subject},{body.replace(',', '，')},{name}")
    lines.append("无标签,随便写写,不存在的类别")
    path.write_text("\n".join(lines), encoding="utf-8")
    rows, unknown = services.read_seed_csv(path)
    assert len(rows) == 30 and unknown == ["不存在的类别"]
    result = services.train_router(seed_rows=rows)
    assert result.model.metrics["seed"] == 30
    assert services.predict("水龙头爆管漏水", "").category == routing_world.water


@pytest.mark.parametrize(
    "subject,body",
    [
        ("", ""),
        ("", "   \n\t "),
        ("😀😀🙏", "👍👍👍🔥"),
        ("", "路" * 100_000),
        ("", "垃圾" * 50_000),
        ("Water pipe burst 水管爆了", "The tap water stopped, 我们停水三天了 please help ðŸ’§"),
        ("\x00\x01", "\ud800 broken surrogate"),
    ],
)
def test_bad_input_gets_a_suggestion_or_an_honest_none(trained, routing_world, subject, body):
    prediction = services.predict(subject, body, town=routing_world.cast.town)
    if prediction.has_suggestion:
        assert 0 < prediction.confidence <= 1
        assert prediction.category in (routing_world.road, routing_world.sanitation, routing_world.water)
    else:
        assert prediction.reason


def test_empty_and_emoji_text_get_no_suggestion(trained, routing_world):
    assert services.predict("", "").reason == "内容中没有可识别的文字，无法给出建议"
    assert not services.predict("😀", "🙏🙏").has_suggestion


def test_no_model_means_no_suggestion_row(routing_world, django_capture_on_commit_callbacks):
    concern = _submit(routing_world, "垃圾堆积好几天没人清运")
    worker_pass()  # the worker's follow-ups: intake, then suggestion, auto-dispatch
    assert not RoutingSuggestion.objects.filter(concern=concern).exists()
    assert services.predict("垃圾", "").reason == "尚未训练分派模型"


def test_a_tampered_artefact_is_never_loaded(trained):
    row = RouterModel.objects.get(pk=trained.pk)
    row.artefact = bytes(row.artefact) + b"x"
    row.save(update_fields=["artefact"])
    services._cache.update(pk=None, signature=None, bundle=None)
    with pytest.raises(services.RoutingError):
        services.load_artefact(row)


def test_dictionary_words_reach_the_segmenter(routing_world, history):
    w = routing_world
    services.add_word(word="九龙冲", kind="place", by=w.users.town_admin)
    assert "九龙冲" in services.dictionary_words()
    assert "村道" in services.dictionary_words()  # category keyword
    model = services.train_router().model
    bundle = services.load_artefact(model)
    assert "九龙冲" in bundle.words
    assert "九龙冲" in bundle.category.features.segmenter_("九龙冲的路面塌陷")
    # The duplicate finder's segmentation (lib.segmenter.cut) knows the town's words too.
    assert "九龙冲" in content_words("九龙冲的路面塌陷")
    with pytest.raises(services.RoutingError):
        services.add_word(word="九龙冲", kind="place", by=w.users.town_admin)
    with pytest.raises(services.RoutingError):
        services.add_word(word="新词", kind="place", by=w.users.dispatcher)
    assert RouterWord.objects.count() == 1


def test_the_fast_transform_equals_the_vectorizers_own():
    pairs, labels = [], []
    for code in ("road", "sanitation", "water"):
        for subject, body in corpus_texts(code, 20):
            pairs.append((subject, body))
            labels.append(code)
    model = classifier.fit_text_model(pairs, labels)
    probe = pairs[:5] + [("", ""), ("😀", "🙏"), ("Mixed 水管 text", "路" * 100_000), ("新词", "没见过的字词组合")]
    fast = model.features.transform(probe)
    reference = model.features.sklearn_transform(probe)
    assert fast.shape == reference.shape
    assert abs(fast - reference).max() < 1e-6
