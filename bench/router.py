"""Benchmark the routing classifier (zhenwu/routing/classifier.py) on labelled messages, against a
plain TF-IDF + linear SVM baseline, and time its training at scale.

    .venv/bin/python bench/router.py --train ../shared/data/tipdm/messages.csv          # 5-fold CV
    .venv/bin/python bench/router.py --train a.csv --test b.csv                         # train/test
    .venv/bin/python bench/router.py --train ../shared/data/tipdm/messages.csv --scale 100000
    .venv/bin/python bench/router.py --train ../shared/data/tipdm/messages.csv --scale 100000 --full-length
    .venv/bin/python bench/router.py --train a.csv --test b.csv --curve                 # what history buys
    .venv/bin/python bench/router.py --quick                                            # small, for tests

CSV columns: `subject`,`body`,`label` or `text`,`label` (on either side; a history without
subjects, as of phone reports, trains too). Without --test the folds are stratified
(5 folds, fixed seed); each model is trained on four folds and scored on the fifth only, and
nothing is tuned on the folds (the model's settings are fixed in classifier.py). Printed for
both models: accuracy, macro-F1, per-class F1 (pooled over the folds' predictions) and
milliseconds per message (prediction one message at a time, as at intake, including segmentation;
CPU time of the process, since the wall clock of a shared machine says more about the neighbours).

--scale N trains our model on N synthetic concerns built from the training file (from 20,000 rows
the SVM is calibrated on a 10% hold-out instead of 3 folds): each takes a
random message's subject and 1–3 sentences drawn from other messages of the same label, so the
texts are distinct (body truncated to classifier.MAX_BODY as in use). These are shorter than the
real messages (TIPDM: about 150 characters against 330 after truncation); --full-length instead
cycles through the real messages, each body rotated at a random point, so the N texts are distinct
and exactly as long as the real ones.
"""

import argparse
import csv
import os
import random
import re
import resource
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(ROOT))

from sklearn.feature_extraction.text import TfidfVectorizer  # noqa: E402
from sklearn.model_selection import StratifiedKFold  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.svm import LinearSVC  # noqa: E402

from zhenwu.routing import classifier  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "tipdm" / "messages.csv"


def read_rows(path):
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        fields = set(reader.fieldnames or ())
        if "label" not in fields or not ({"subject", "body"} <= fields or "text" in fields):
            raise SystemExit(f"{path}: 需要列 subject,body,label 或 text,label（现有：{', '.join(sorted(fields))}）")
        rows = []
        for row in reader:
            label = (row.get("label") or "").strip()
            if not label:
                continue
            if "text" in fields and not {"subject", "body"} <= fields:
                rows.append(("", row["text"] or "", label))
            else:
                rows.append((row["subject"] or "", row["body"] or "", label))
    return rows


class Baseline:
    """Plain TF-IDF (segmenter words, default settings) + LinearSVC."""

    def __init__(self):
        segment = classifier.Segmenter()
        self.pipeline = make_pipeline(
            TfidfVectorizer(tokenizer=segment, token_pattern=None, lowercase=False), LinearSVC()
        )

    def fit(self, pairs, labels):
        self.pipeline.fit([f"{s} {b}" for s, b in pairs], labels)
        return self

    def predict(self, pairs):
        return list(self.pipeline.predict([f"{s} {b}" for s, b in pairs]))


class Ours:
    def fit(self, pairs, labels):
        self.model = classifier.fit_text_model(pairs, labels)
        return self

    def predict(self, pairs):
        return self.model.predict(pairs)


MODELS = [("ours (words + char 1-2-grams + subject words and chars; calibrated LinearSVC)", Ours),
          ("baseline (TF-IDF words + LinearSVC)", Baseline)]


def run_split(train, test):
    return {
        name: (classifier.score(true, predicted, seconds=seconds), fit_seconds)
        for name, ((true, predicted, seconds), fit_seconds) in _predictions(train, test).items()
    }


def run_cv(rows, folds=5, seed=42):
    labels = np.array([lab for *_, lab in rows])
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    pooled = {name: ([], [], 0.0, 0.0) for name, _ in MODELS}
    for train_idx, test_idx in splitter.split(np.zeros(len(rows)), labels):
        train = [rows[i] for i in train_idx]
        test = [rows[i] for i in test_idx]
        for name, (scores, fit_seconds) in _predictions(train, test).items():
            true, predicted, seconds, fit = pooled[name]
            true.extend(scores[0])
            predicted.extend(scores[1])
            pooled[name] = (true, predicted, seconds + scores[2], fit + fit_seconds)
    return {
        name: (classifier.score(true, predicted, seconds=seconds), fit / folds)
        for name, (true, predicted, seconds, fit) in pooled.items()
    }


def _predictions(train, test):
    out = {}
    for name, factory in MODELS:
        started = time.process_time()
        model = factory().fit([(s, b) for s, b, _ in train], [lab for *_, lab in train])
        fit_seconds = time.process_time() - started
        pairs = [(s, b) for s, b, _ in test]
        started = time.process_time()
        # One message at a time, as at intake; CPU time of this process (the machine is shared).
        predicted = [model.predict([pair])[0] for pair in pairs]
        seconds = time.process_time() - started
        out[name] = (([lab for *_, lab in test], predicted, seconds), fit_seconds)
    return out


CURVE_SIZES = (250, 500, 1000, 2000)


def run_curve(train, test, sizes=CURVE_SIZES, seed=11):
    """Macro-F1 of each model trained on the first n rows of one shuffle of `train` (so each size
    holds the smaller ones), n in `sizes` below len(train), then all: [(n, {name: macro-F1})].
    A model that cannot train on a share (one class only) gets None."""
    rows = list(train)
    random.Random(seed).shuffle(rows)
    out = []
    for n in [n for n in sizes if n < len(rows)] + [len(rows)]:
        share = rows[:n]
        figures = {}
        for name, factory in MODELS:
            try:
                model = factory().fit([(s, b) for s, b, _ in share], [lab for *_, lab in share])
            except ValueError:
                figures[name] = None
                continue
            predicted = model.predict([(s, b) for s, b, _ in test])
            figures[name] = classifier.score([lab for *_, lab in test], predicted).macro_f1
        out.append((n, figures))
    return out


def print_curve(curve):
    print("learning curve: macro-F1 on the test file by training rows")
    names = [name for name, _ in MODELS]
    print("  rows    " + "  ".join(f"{name.split(' ')[0]:>8}" for name in names))
    for n, figures in curve:
        print(f"  {n:>6,}  " + "  ".join(
            f"{figures[name]:>8.4f}" if figures[name] is not None else f"{'—':>8}" for name in names))


def full_length(rows, n, seed=3):
    """n distinct concerns as long as the real ones: real messages in turn, each body rotated."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        subject, body, label = rows[i % len(rows)]
        k = rng.randrange(max(len(body), 1))
        out.append((subject, body[k:] + body[:k], label))
    return out


def synthetic(rows, n, seed=7):
    """n distinct synthetic concerns: a real subject + 1-3 sentences of same-label messages."""
    rng = random.Random(seed)
    by_label = {}
    for subject, body, label in rows:
        sentences = [s for s in re.split(r"(?<=[。！？!?\n])", body) if len(s.strip()) > 4]
        by_label.setdefault(label, []).append((subject, sentences or [body]))
    labels = sorted(by_label)
    out = []
    for i in range(n):
        label = labels[i % len(labels)] if i < len(labels) else rng.choice(labels)
        pool = by_label[label]
        subject = rng.choice(pool)[0]
        parts = []
        for _ in range(rng.randint(1, 3)):
            parts.append(rng.choice(rng.choice(pool)[1]))
        out.append((subject, "".join(parts), label))
    return out


def _cpu():
    """CPU seconds of this process and its finished children."""
    own = resource.getrusage(resource.RUSAGE_SELF)
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def print_results(title, results):
    print(title)
    for name, (scores, fit_seconds) in results.items():
        print(f"  {name}")
        print(f"    accuracy {scores.accuracy:.4f}  macro-F1 {scores.macro_f1:.4f}  "
              f"{scores.ms_per_message:.2f} ms/message  (training {fit_seconds:.1f} s per fit, n={scores.n}; CPU times)")
        print("    per-class F1: " + "  ".join(f"{k} {v:.3f}" for k, v in sorted(scores.per_class.items())))


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--train", type=Path, default=None)
    parser.add_argument("--test", type=Path, default=None)
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--scale", type=int, default=0, help="time training on N synthetic concerns")
    parser.add_argument("--full-length", action="store_true",
                        help="--scale with real messages (rotated bodies) instead of 1-3 sentences")
    parser.add_argument("--quick", action="store_true", help="300 rows, 3 folds, --scale 2000")
    parser.add_argument("--curve", action="store_true",
                        help="macro-F1 of both models trained on 250, 500, 1,000, 2,000 and all rows of --train, "
                             "scored on --test (without --test: on a stratified quarter held out of --train)")
    args = parser.parse_args(argv)
    train_path = args.train or DEFAULT_DATA
    rows = read_rows(train_path)
    if args.quick:
        rng = random.Random(1)
        rng.shuffle(rows)
        rows = rows[:300]
        args.folds = 3
        args.scale = args.scale or 2000
    print(f"{len(rows):,} labelled messages from {train_path.name}, {len(set(r[2] for r in rows))} classes")
    if args.curve:
        if args.test:
            train, test = rows, read_rows(args.test)
        else:
            from sklearn.model_selection import train_test_split

            train, test = train_test_split(rows, test_size=0.25, random_state=0, stratify=[r[2] for r in rows])
        print_curve(run_curve(train, test))
        return
    if args.test:
        test = read_rows(args.test)
        print_results(f"train {train_path.name} → test {args.test.name} ({len(test):,} messages)",
                      run_split(rows, test))
    else:
        print_results(f"{args.folds}-fold stratified cross-validation (pooled predictions)",
                      run_cv(rows, folds=args.folds))
    if args.scale:
        data = full_length(rows, args.scale) if args.full_length else synthetic(rows, args.scale)
        started, cpu = time.perf_counter(), _cpu()
        model = classifier.fit_text_model([(s, b) for s, b, _ in data], [lab for *_, lab in data])
        seconds, cpu = time.perf_counter() - started, _cpu() - cpu
        chars = sum(len(s) + min(len(b), classifier.MAX_BODY) for s, b, _ in data) / len(data)
        kind = "full-length" if args.full_length else "synthetic"
        print(f"scale: trained on {len(data):,} {kind} concerns (mean {chars:.0f} characters) "
              f"in {cpu:.1f} s CPU ({seconds:.1f} s wall on this machine, "
              f"load {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs); {len(model.labels)} classes")


if __name__ == "__main__":
    main()
