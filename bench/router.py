"""Benchmark the routing classifier (zhenwu/routing/classifier.py) on labelled messages, against a
plain TF-IDF + linear SVM baseline, and time its training at scale.

    .venv/bin/python bench/router.py --train ../shared/data/tipdm/messages.csv          # 5-fold CV
    .venv/bin/python bench/router.py --train a.csv --test b.csv                         # train/test
    .venv/bin/python bench/router.py --train ../shared/data/tipdm/messages.csv --scale 100000
    .venv/bin/python bench/router.py --train ../shared/data/tipdm/messages.csv --scale 100000 --full-length
    .venv/bin/python bench/router.py --train a.csv --test b.csv --curve                 # what history buys
    .venv/bin/python bench/router.py --quick                                            # small, for tests
    .venv/bin/python bench/router.py --towns 2                                          # a county's towns

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

--towns N generates a county history of N towns from the training file (each message goes to one
town, the first town getting most: 80% / 20% for two, so the second town's own history is thin),
where each town files one county class under an extra category of its own (a label no other town
may be given) and routes the classes to departments of its own (the second town merges some that
the first keeps apart). It then cross-validates, stratified by town and label, the two ways a
county router can learn: (a) one shared model with the town as a feature (a town word leading the
subject, zhenwu.routing.text.with_town) and (b) per-town models, a town below MIN_TOWN_ROWS
training rows using the county model (all towns' rows) instead; plus, for reference, the shared
model without the town feature. Suggestions are limited to what the town offers (the county's
categories and its own extras; its own departments), as in zhenwu.routing.services.predict_many.
Printed per approach and town: category and department macro-F1 (the department model's), the
department macro-F1 had the department been the one the town's training rows of the suggested
category went to most often, and how many suggestions named another town's extra category or
department (always 0: the limit is part of every approach).
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
from zhenwu.routing.text import prepare, with_town  # noqa: E402

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


# --- a county of several towns -----------------------------------------------------------------

TOWN_NAMES = ("官桥镇", "龙伏镇", "沙市镇", "淳口镇")
DEPARTMENT_NAMES = ("城建办", "交通站", "环保办", "社保所", "文化站", "经发办", "卫健办", "综合办", "农业站")
MIN_TOWN_ROWS = 300  # approach (b): a town with fewer training rows uses the county model


def town_names(n):
    return [TOWN_NAMES[i] if i < len(TOWN_NAMES) else f"第{i + 1}镇" for i in range(n)]


def county_history(rows, towns, seed=5):
    """[(town, subject, body, category, department)]: see --towns in the module docstring."""
    rng = random.Random(seed)
    labels = sorted({label for *_, label in rows})
    names = town_names(towns)
    weights = [1 / (i + 1) ** 2 for i in range(towns)]
    out = []
    for subject, body, label in rows:
        t = rng.choices(range(towns), weights)[0]
        j = labels.index(label)
        extra = labels[(3 * t) % len(labels)]
        category = f"{names[t]}自设·{label}" if label == extra else label
        # The first town keeps a department per class; each next one merges more classes.
        kinds = max(2, len(labels) - 2 * t)
        department = f"{names[t]}·{DEPARTMENT_NAMES[(j % kinds) % len(DEPARTMENT_NAMES)]}"
        out.append((names[t], subject, body, category, department))
    return out


def _offered(label, town, names):
    """Whether a category label may be suggested in `town`: the county's, or the town's own."""
    owner = next((n for n in names if label.startswith(f"{n}自设·")), None)
    return owner is None or owner == town


def _limited(model, pairs, allowed):
    """The best label of each pair among those `allowed` (the town's), as predict_many does."""
    proba = model.proba(pairs)
    mask = np.array([allowed(label) for label in model.labels])
    if not mask.any():
        return [None] * len(pairs)
    proba = np.where(mask, proba, -1.0)
    return [model.labels[i] for i in np.argmax(proba, axis=1)]


class SharedModel:
    """(a) one model for the county, the town a feature of the text."""

    name = "shared model, town as a feature"
    town_feature = True

    def fit(self, train):
        pairs = [self._pair(r) for r in train]
        self.category = classifier.fit_text_model(pairs, [r[3] for r in train])
        self.department = classifier.fit_text_model(pairs, [r[4] for r in train])
        return self

    def _pair(self, row):
        pair = prepare(row[1], row[2])
        return with_town(pair, row[0]) if self.town_feature else pair

    def predict(self, town, rows, names):
        pairs = [self._pair(r) for r in rows]
        return (_limited(self.category, pairs, lambda label: _offered(label, town, names)),
                _limited(self.department, pairs, lambda label: label.startswith(f"{town}·")))


class SharedWithoutTown(SharedModel):
    name = "shared model, no town feature (the router before)"
    town_feature = False


class PerTownModels:
    """(b) a model per town with MIN_TOWN_ROWS training rows or more, else the county's."""

    name = f"per-town models, county model below {MIN_TOWN_ROWS} rows"

    def fit(self, train, county=None):
        """`county`: the shared model without the town, fitted on the same rows (reused)."""
        self.county = county or SharedWithoutTown().fit(train)
        self.towns = {}
        for town in sorted({r[0] for r in train}):
            own = [r for r in train if r[0] == town]
            if len(own) >= MIN_TOWN_ROWS and len({r[3] for r in own}) >= 2 and len({r[4] for r in own}) >= 2:
                self.towns[town] = SharedWithoutTown().fit(own)
        return self

    def predict(self, town, rows, names):
        return self.towns.get(town, self.county).predict(town, rows, names)


TOWN_APPROACHES = (SharedModel, PerTownModels, SharedWithoutTown)


def run_towns(history, folds=5, seed=42):
    """Cross-validated per-town figures of each approach: {name: {town: {...}}}."""
    names = sorted({r[0] for r in history}, key=lambda n: [r[0] for r in history].index(n))
    strata = np.array([f"{r[0]}|{r[3]}" for r in history])
    splitter = StratifiedKFold(n_splits=folds, shuffle=True, random_state=seed)
    pooled = {a.name: {t: ([], [], [], [], []) for t in names} for a in TOWN_APPROACHES}
    leaks = dict.fromkeys(pooled, 0)
    for train_idx, test_idx in splitter.split(np.zeros(len(history)), strata):
        train = [history[i] for i in train_idx]
        usual = _usual_departments(train)
        fitted = {}
        for approach in (SharedModel, SharedWithoutTown, PerTownModels):
            # Per-town models fall back to the very model fitted as the shared one without town.
            extra = {"county": fitted[SharedWithoutTown]} if approach is PerTownModels else {}
            model = fitted[approach] = approach().fit(train, **extra)
            for town in names:
                test = [history[i] for i in test_idx if history[i][0] == town]
                categories, departments = model.predict(town, test, names)
                true_c, pred_c, true_d, pred_d, via_c = pooled[approach.name][town]
                true_c += [r[3] for r in test]
                pred_c += categories
                true_d += [r[4] for r in test]
                pred_d += departments
                via_c += [usual.get((town, c), "") for c in categories]
                leaks[approach.name] += sum(
                    not _offered(c, town, names) or not d.startswith(f"{town}·")
                    for c, d in zip(categories, departments, strict=True)
                )
    out = {}
    for name, by_town in pooled.items():
        out[name] = {"leaks": leaks[name], "towns": {}}
        for town, (true_c, pred_c, true_d, pred_d, via_c) in by_town.items():
            out[name]["towns"][town] = {
                "n": len(true_c),
                "category": classifier.score(true_c, pred_c).macro_f1,
                "department": classifier.score(true_d, pred_d).macro_f1,
                "department_via_category": classifier.score(true_d, via_c).macro_f1,
            }
    return out


def _usual_departments(train):
    """{(town, category): the department its training rows went to most often}: the department
    suggested from the category instead of the department model (printed beside it)."""
    counts = {}
    for town, _, _, category, department in train:
        key = (town, category)
        counts.setdefault(key, {}).setdefault(department, 0)
        counts[key][department] += 1
    return {key: max(c.items(), key=lambda item: item[1])[0] for key, c in counts.items()}


def print_towns(history, results, folds):
    counts = {}
    for row in history:
        counts[row[0]] = counts.get(row[0], 0) + 1
    print(f"county history: {len(history):,} messages in {len(counts)} towns ("
          + ", ".join(f"{t} {n:,}" for t, n in counts.items())
          + "); each town files one class under an extra category of its own and has departments of its own")
    print(f"{folds}-fold cross-validation stratified by town and category (pooled predictions): per-town macro-F1")
    for name, result in results.items():
        print(f"  {name}")
        for town, figures in result["towns"].items():
            print(f"    {town}  category macro-F1 {figures['category']:.4f}  "
                  f"department macro-F1 {figures['department']:.4f}  (n={figures['n']:,}; "
                  f"department from the category's usual one in the town: {figures['department_via_category']:.4f})")
        mean = sum(f["category"] for f in result["towns"].values()) / len(result["towns"])
        print(f"    mean over towns: category macro-F1 {mean:.4f}; "
              f"suggestions naming another town's extra category or department: {result['leaks']}")
    best = max(
        (a.name for a in TOWN_APPROACHES[:2]),
        key=lambda n: sum(f["category"] for f in results[n]["towns"].values()),
    )
    print(f"better of (a) and (b) by the mean over towns of category macro-F1: {best}")


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
    parser.add_argument("--towns", type=int, default=0,
                        help="generate a county history of N towns (N >= 2) from --train and compare a shared "
                             "model with the town as a feature against per-town models with a county fallback")
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
    if args.towns:
        if args.towns < 2:
            raise SystemExit("--towns 至少为2")
        history = county_history(rows, args.towns)
        print_towns(history, run_towns(history, folds=args.folds), args.folds)
        return
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
