"""Training on a history without subjects (phone reports have no title) or with only some."""

import csv
import re
import subprocess
import sys
from pathlib import Path

import pytest

from zhenwu.routing import classifier

from .conftest import corpus_texts

ROOT = Path(__file__).resolve().parents[3]


def _history(with_subject):
    pairs, labels = [], []
    for code in ("road", "sanitation", "water"):
        for i, (subject, body) in enumerate(corpus_texts(code, 20)):
            pairs.append((subject if with_subject(i) else "", body))
            labels.append(code)
    return pairs, labels


def test_a_history_without_titles_trains_and_routes():
    pairs, labels = _history(lambda i: False)
    model = classifier.fit_text_model(pairs, labels)
    assert model.features.subject_vec_ is None and model.features.subject_chars_vec_ is None
    assert model.predict([("", "村道塌陷了一大块，车辆通行困难"), ("水管爆管漏水", "")]) == ["road", "water"]
    probe = pairs[:3] + [("有标题", "自来水停水三天了"), ("", "")]
    assert abs(model.features.transform(probe) - model.features.sklearn_transform(probe)).max() < 1e-6


def test_a_history_with_some_titles_uses_them():
    pairs, labels = _history(lambda i: i % 2 == 0)
    model = classifier.fit_text_model(pairs, labels)
    assert model.features.subject_vec_ is not None
    assert model.predict([("垃圾桶满了溢出来", "")]) == ["sanitation"]


def test_the_router_benchmark_trains_on_a_text_label_csv(tmp_path):
    pairs, labels = _history(lambda i: False)
    path = tmp_path / "phone.csv"
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        writer.writerows([body, label] for (_, body), label in zip(pairs, labels, strict=True))
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "router.py"), "--train", str(path), "--test", str(path)],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "macro-F1" in proc.stdout and "empty vocabulary" not in proc.stderr


def test_the_learning_curve_trains_on_text_and_scores_on_subjects_and_bodies(tmp_path):
    train, test = tmp_path / "train.csv", tmp_path / "test.csv"
    with open(train, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["text", "label"])
        for code in ("road", "sanitation", "water"):
            writer.writerows([body, code] for _, body in corpus_texts(code, 200))
    with open(test, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["subject", "body", "label"])
        for code in ("road", "sanitation", "water"):
            writer.writerows([subject, body, code] for subject, body in corpus_texts(code, 20, offset=3))
    proc = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "router.py"), "--train", str(train), "--test", str(test), "--curve"],
        cwd=ROOT, capture_output=True, text=True, timeout=300, check=False,
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    rows = re.findall(r"^\s+([\d,]+)\s+([\d.]+)\s+([\d.]+)$", proc.stdout, re.MULTILINE)
    assert [n for n, *_ in rows] == ["250", "500", "600"]
    for _, ours, baseline in rows:
        assert 0.5 < float(ours) <= 1 and 0 < float(baseline) <= 1


@pytest.mark.django_db
def test_the_town_trains_its_router_on_a_history_of_phone_reports_without_titles(history):
    """The department model learns from history alone (no category keywords to lend it words): a
    history of untitled phone reports used to fail on the empty subject vocabulary."""
    from zhenwu.concerns.models import Concern
    from zhenwu.routing import services

    Concern.objects.filter(pk__in=[c.pk for c in history]).update(title="")
    result = services.train_router()
    assert result.activated, result.message
    assert result.model.metrics["category"]["macro_f1"] >= 0.9
    assert "department" in result.model.metrics
