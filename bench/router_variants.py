"""The feature/model variants tried for the routing classifier, scored so that nothing is tuned on
the folds bench/router.py reports.

    .venv/bin/python bench/router_variants.py [--only NAME ...]

For each variant it prints macro-F1 of
- dev_cv: 5-fold CV on the 672 TIPDM rows outside the README's 918-row test block (the selection
  criterion: the single-SVM variant with the best dev_cv became classifier.py's default; NB-SVM on
  the same features scored 0.002 higher, about one message in 672, at one SVM per class and
  without calibrated probabilities, so it was not adopted);
- dev->test: trained on those 672 rows, scored on the 918-row test block;
- all_cv: 5-fold CV on all 1,590 rows with bench/router.py's folds (for reference only).
Scores here are the raw linear model's argmax (no probability calibration), so they differ a
little from bench/router.py's figures for the same settings.
"""

import argparse
import csv
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
from scipy import sparse

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sklearn.feature_extraction.text import CountVectorizer, TfidfVectorizer  # noqa: E402
from sklearn.linear_model import LogisticRegression, RidgeClassifier, SGDClassifier  # noqa: E402
from sklearn.metrics import accuracy_score, f1_score  # noqa: E402
from sklearn.model_selection import StratifiedKFold  # noqa: E402
from sklearn.naive_bayes import ComplementNB  # noqa: E402
from sklearn.svm import LinearSVC  # noqa: E402

from zhenwu.routing import classifier as C  # noqa: E402

DATA = ROOT.parent / "shared" / "data" / "tipdm" / "messages.csv"
TEST_BLOCK_SOURCE = "Syucryingstar/NLP_tipdm:结果数据/分类结果.xlsx"

OLD = {"body": 400, "word": 1.0, "subject_char": 0}  # the settings before this search
CHOSEN = {"body": 800, "word": 0.5, "subject_char": 0.6}
VARIANTS = [
    ("previous default (body 400, words 1, char 1-2, subject words 0.6, SVM C 0.5)", {}),
    ("body 800", {"body": 800}),
    ("body 2000", {"body": 2000}),
    ("char 1-3", {"char_ngrams": (1, 3)}),
    ("char 2-3", {"char_ngrams": (2, 3)}),
    ("char min_df 1", {"char_min_df": 1}),
    ("no char", {"char": 0}),
    ("no words", {"word": 0}),
    ("no subject words", {"subject": 0}),
    ("word 1-2-grams", {"word_ngrams": 2}),
    ("+ subject chars 0.6", {"subject_char": 0.6}),
    ("+ subject chars 1.0", {"subject_char": 1.0}),
    ("SVM C 0.2", {"C": 0.2}),
    ("SVM C 1", {"C": 1}),
    ("SVM not class-balanced", {"balanced": False}),
    ("logistic regression C 10", {"model": "lr", "C": 10}),
    ("logistic regression C 30", {"model": "lr", "C": 30}),
    ("ridge classifier", {"model": "ridge"}),
    ("SGD modified Huber", {"model": "sgd"}),
    ("Complement NB (word counts) alpha 0.3", {"model": "cnb", "alpha": 0.3}),
    ("Complement NB alpha 1", {"model": "cnb", "alpha": 1.0}),
    ("ensemble SVM + Complement NB", {"model": "ens", "members": ("svm", "cnb")}),
    ("ensemble SVM + ridge", {"model": "ens", "members": ("svm", "ridge")}),
    ("body 800 + subject chars 0.6", {"body": 800, "subject_char": 0.6}),
    ("body 800 + subject chars, no words", {"body": 800, "subject_char": 0.6, "word": 0}),
    ("body 800 + words 0.5", {"body": 800, "word": 0.5}),
    ("CHOSEN: body 800 + subject chars 0.6 + words 0.5", CHOSEN),
    ("chosen, subject chars 1.0", {**CHOSEN, "subject_char": 1.0}),
    ("chosen, SVM C 0.3", {**CHOSEN, "C": 0.3}),
    ("chosen, subject words 0.3", {**CHOSEN, "subject": 0.3}),
    ("chosen features, NB-SVM", {**CHOSEN, "model": "nbsvm"}),
]


def _identity(tokens):
    return tokens


class Data:
    def __init__(self, path):
        with open(path, newline="", encoding="utf-8") as handle:
            self.rows = list(csv.DictReader(handle))
        self.y = np.array([r["label"] for r in self.rows])
        self.test_block = np.array([r["source"].startswith(TEST_BLOCK_SOURCE) for r in self.rows])
        self._prepared = {}
        self.segment = C.Segmenter(())

    def prepared(self, body):
        if body not in self._prepared:
            out = []
            for r in self.rows:
                subject, text = C.normalise(r["subject"], C.MAX_SUBJECT), C.normalise(r["body"], body)
                out.append((subject, text, self.segment(subject), self.segment(text)))
            self._prepared[body] = out
        return self._prepared[body]


def features(prepared, fit_idx, p):
    common = dict(sublinear_tf=True, dtype=np.float32)
    words = [s + b for _, _, s, b in prepared]
    if p.get("word_ngrams") == 2:
        words = [t + [f"{a}_{b}" for a, b in zip(t, t[1:], strict=False)] for t in words]
    blocks = [
        (p.get("word", 1.0), TfidfVectorizer(analyzer=_identity, **common), words),
        (p.get("char", 1.0), TfidfVectorizer(analyzer="char", ngram_range=p.get("char_ngrams", (1, 2)),
                                              min_df=p.get("char_min_df", 2), **common),
         [f"{s} {b}" for s, b, _, _ in prepared]),
        (p.get("subject", 0.6), TfidfVectorizer(analyzer=_identity, **common), [s for _, _, s, _ in prepared]),
        (p.get("subject_char", 0), TfidfVectorizer(analyzer="char", ngram_range=(1, 2), **common),
         [s for s, _, _, _ in prepared]),
    ]
    out = []
    for weight, vec, docs in blocks:
        if weight:
            vec.fit([docs[i] for i in fit_idx])
            out.append(vec.transform(docs) * weight)
    return sparse.hstack(out, format="csr")


def linear(kind, p):
    balanced = "balanced" if p.get("balanced", True) else None
    if kind == "svm":
        return LinearSVC(C=p.get("C", 0.5), class_weight=balanced)
    if kind == "lr":
        return LogisticRegression(C=p.get("C", 10), class_weight=balanced, max_iter=2000)
    if kind == "ridge":
        return RidgeClassifier(class_weight=balanced)
    if kind == "sgd":
        return SGDClassifier(loss="modified_huber", alpha=1e-4, class_weight=balanced, max_iter=20, tol=None,
                             random_state=0)
    raise ValueError(kind)


def scores(kind, p, X, counts, y, tr, te):
    """Class scores (softmax-like, comparable across models) of rows te after fitting on rows tr."""
    if kind == "cnb":
        model = ComplementNB(alpha=p.get("alpha", 0.3)).fit(counts[tr], y[tr])
        return model.classes_, model.predict_proba(counts[te])
    if kind == "nbsvm":  # Wang & Manning: features scaled by each class's log-count ratio, one SVM per class
        binary = (X[tr] > 0).astype(np.float32)
        classes, columns = np.unique(y[tr]), []
        for label in classes:
            pos = y[tr] == label
            p_pos = 1 + np.asarray(binary[pos].sum(0)).ravel()
            p_neg = 1 + np.asarray(binary[~pos].sum(0)).ravel()
            ratio = np.log((p_pos / p_pos.sum()) / (p_neg / p_neg.sum()))
            scaled = X.multiply(ratio).tocsr()
            svm = LinearSVC(C=p.get("C", 0.5), class_weight="balanced").fit(scaled[tr], pos)
            columns.append(svm.decision_function(scaled[te]))
        return classes, np.vstack(columns).T
    model = linear(kind, p).fit(X[tr], y[tr])
    s = np.exp(3 * model.decision_function(X[te]))
    return model.classes_, s / s.sum(1, keepdims=True)


def fit_predict(data, p, tr, te):
    prepared = data.prepared(p.get("body", 400))
    X = features(prepared, tr, p)
    counts = None
    kind = p.get("model", "svm")
    kinds = p["members"] if kind == "ens" else (kind,)
    if "cnb" in kinds:
        docs = [s + b + ["S_" + t for t in s] for _, _, s, b in prepared]
        counts = CountVectorizer(analyzer=_identity).fit([docs[i] for i in tr]).transform(docs)
    total = None
    for k in kinds:
        classes, s = scores(k, p, X, counts, data.y, tr, te)
        total = s if total is None else total + (0.5 * s if k == "cnb" else s)
    return classes[np.argmax(total, axis=1)]


def cv(data, p, idx, folds=5, seed=42):
    predicted = np.empty(len(idx), dtype=object)
    for tr, te in StratifiedKFold(folds, shuffle=True, random_state=seed).split(idx, data.y[idx]):
        predicted[te] = fit_predict(data, p, idx[tr], idx[te])
    true, predicted = data.y[idx], predicted.astype(str)
    return f1_score(true, predicted, average="macro"), accuracy_score(true, predicted)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--only", nargs="*", help="names (substrings) of the variants to run")
    args = parser.parse_args(argv)
    warnings.filterwarnings("ignore")
    data = Data(args.data)
    dev, test = np.where(~data.test_block)[0], np.where(data.test_block)[0]
    everything = np.arange(len(data.rows))
    print(f"{len(dev)} dev rows (outside the test block), {len(test)} test-block rows")
    for name, variant in VARIANTS:
        if args.only and not any(o in name for o in args.only):
            continue
        p = {**OLD, **variant}
        started = time.process_time()
        dev_f1, _ = cv(data, p, dev)
        test_f1 = f1_score(data.y[test], fit_predict(data, p, dev, test), average="macro")
        all_f1, all_acc = cv(data, p, everything)
        print(json.dumps({"variant": name, "dev_cv_f1": round(dev_f1, 4), "dev->test_f1": round(test_f1, 4),
                          "all_cv_f1": round(all_f1, 4), "all_cv_acc": round(all_acc, 4),
                          "cpu_s": round(time.process_time() - started, 1)}, ensure_ascii=False), flush=True)


if __name__ == "__main__":
    main()
