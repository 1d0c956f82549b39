"""The text classifier behind routing suggestions, free of Django so bench/router.py can use it.

A message is (subject, body). Features, all sparse, each block L2-normalised and then weighted:
- words: word segmentation (zhenwu.lib.segmenter: precise mode, no HMM, plus the town's own words) → TF-IDF of words,
  sublinear tf (weight 0.5);
- characters: TF-IDF of character 1–2-grams of the same text (robust to words the segmenter splits
  badly, typos and dialect spellings; pairs seen once are dropped once there is history; weight 1);
- subject: the subject's words and its character 1–2-grams again (weight 0.6 each), so the
  one-line summary weighs more.
The classifier is a class-balanced linear SVM calibrated into probabilities (sigmoid, 3-fold), the
probability of the top class being the confidence; a cold start with too few rows per class uses
a class-balanced logistic regression instead. These settings (weights, body length, C) were chosen
by 5-fold cross-validation on the 672 TIPDM rows outside its 918-row test block, never on the
folds bench/router.py scores. Long text is truncated before anything else (MAX_SUBJECT / MAX_BODY
characters), so a 100,000-character message costs no more than a normal one.

Segmentation is the project's one segmenter, zhenwu.lib.segmenter (rjieba: jieba's algorithm and
dictionary as compiled Rust, about ten times faster than jieba: segmenting 100,000 concerns takes
seconds, not a minute; the character TF-IDF and the SVM are now most of a big training run).
Everything here works offline on the CPU. `Segmenter` is imported here so that models pickled when
it lived in this module still load.
"""

import time
from dataclasses import dataclass, field

import numpy as np
from scipy import sparse
from sklearn.base import BaseEstimator, ClassifierMixin, TransformerMixin
from sklearn.calibration import CalibratedClassifierCV
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import accuracy_score, f1_score
from sklearn.svm import LinearSVC

from zhenwu.lib.segmenter import Segmenter  # noqa: F401  (models pickled with routing.classifier.Segmenter load)

# The text preparation lives apart, free of numpy/scipy/sklearn, so web processes can check text
# without loading them (zhenwu.routing.text); re-exported here for bench/router.py and the tests.
from .text import _TOKEN, MAX_BODY, MAX_SUBJECT, has_content, normalise, prepare  # noqa: F401

# Below this many training rows (or rows of the smallest class) the SVM cannot be calibrated
# with cross-validation; a logistic regression then gives the confidence.
MIN_ROWS_FOR_SVM = 30
MIN_CLASS_FOR_SVM = 3

# From this many rows training calibrates on a held-out share instead of cross-validation (one
# SVM fit instead of four).
HOLDOUT_ROWS = 20_000
CALIBRATION_SHARE = 0.1

def _segment_pairs(segment, pairs):
    subjects, texts = [], []
    for subject, body in pairs:
        subject, body = prepare(subject, body)
        sub = segment(subject)
        subjects.append(sub)
        texts.append((subject, body, sub + segment(body)))
    return subjects, texts


def _identity(tokens):
    return tokens


class RouterFeatures(BaseEstimator, TransformerMixin):
    """(subject, body) pairs → one sparse matrix of word, character, subject-word and
    subject-character features (each block L2-normalised, then weighted)."""

    def __init__(self, words=(), word_weight=0.5, char_weight=1.0, subject_weight=0.6,
                 subject_char_weight=0.6, char_ngrams=(1, 2), char_min_df=2, max_features=300_000):
        self.words = words
        self.word_weight = word_weight
        self.char_weight = char_weight
        self.subject_weight = subject_weight
        self.subject_char_weight = subject_char_weight
        self.char_ngrams = char_ngrams
        self.char_min_df = char_min_df
        self.max_features = max_features

    def _tokens(self, pairs):
        return _segment_pairs(self.segmenter_, pairs)

    def _vectorizers(self, rows):
        common = dict(sublinear_tf=True, dtype=np.float32)
        words = TfidfVectorizer(analyzer=_identity, max_features=self.max_features, **common)
        # Rare character pairs are noise once there is history; a cold start keeps every one.
        chars = TfidfVectorizer(
            analyzer="char", ngram_range=tuple(self.char_ngrams), max_features=self.max_features,
            min_df=self.char_min_df if rows >= 50 else 1, **common
        )
        subject = TfidfVectorizer(analyzer=_identity, **common)
        subject_chars = TfidfVectorizer(analyzer="char", ngram_range=tuple(self.char_ngrams), **common)
        return words, chars, subject, subject_chars

    def _blocks(self):
        """(vectorizer, weight) of each block, aligned with _documents; the vectorizer is None for
        a block not in use: one that had no vocabulary in training (no row had a subject: phone
        reports have none) or the subject-character block of a model pickled before it existed."""
        return [(self.words_vec_, self.word_weight), (self.chars_vec_, self.char_weight),
                (getattr(self, "subject_vec_", None), self.subject_weight),
                (getattr(self, "subject_chars_vec_", None), self.subject_char_weight)]

    def _used(self, docs):
        """(vectorizer, weight, documents) of the blocks in use."""
        return [(vec, weight, d) for (vec, weight), d in zip(self._blocks(), docs, strict=True) if vec is not None]

    @staticmethod
    def _documents(subjects, texts):
        """The document each block reads: all words, subject + body text, subject words, subject text."""
        return ([t[2] for t in texts], [f"{t[0]} {t[1]}" for t in texts], subjects, [t[0] for t in texts])

    def fit(self, pairs, y=None):
        self.fit_transform(pairs, y)
        return self

    def fit_transform(self, pairs, y=None):
        self.segmenter_ = Segmenter(self.words)
        subjects, texts = self._tokens(pairs)
        vectorizers = list(self._vectorizers(len(texts)))
        if not self.subject_char_weight:
            vectorizers[3] = None
        matrices = []
        for i, docs in enumerate(self._documents(subjects, texts)):
            if vectorizers[i] is None:
                continue
            try:
                matrices.append(vectorizers[i].fit_transform(docs) * self._weights()[i])
            except ValueError as exc:  # no vocabulary in this field (no row has a subject): unused
                if "vocabulary" not in str(exc) and "no terms remain" not in str(exc):
                    raise
                vectorizers[i] = None
        if not matrices:
            raise ValueError("训练文本中没有可用的词语")
        self.words_vec_, self.chars_vec_, self.subject_vec_, self.subject_chars_vec_ = vectorizers
        return sparse.hstack(matrices, format="csr")

    def _weights(self):
        return (self.word_weight, self.char_weight, self.subject_weight, self.subject_char_weight)

    def transform(self, pairs):
        """Same values as the vectorizers' own transform (tests check it), computed straight from
        their vocabularies and idf: a single message costs a fraction of sklearn's per-call
        overhead, which dominated the time of a suggestion."""
        subjects, texts = self._tokens(pairs)
        blocks, width = self._fast_parts()
        in_use = [vec is not None for vec, _ in self._blocks()]
        indptr, indices, data = [0], [], []
        for row_docs in zip(*self._documents(subjects, texts), strict=True):
            row = 0
            row_docs = [d for d, used in zip(row_docs, in_use, strict=True) if used]
            for (vocabulary, idf, offset, weight, analyzer), doc in zip(blocks, row_docs, strict=True):
                counts = {}
                for term in analyzer(doc):
                    j = vocabulary.get(term)
                    if j is not None:
                        counts[j] = counts.get(j, 0) + 1
                if not counts:
                    continue
                cols = np.fromiter(counts.keys(), dtype=np.int64, count=len(counts))
                values = (1.0 + np.log(np.fromiter(counts.values(), dtype=np.float64, count=len(counts)))) * idf[cols]
                values *= weight / np.sqrt(np.dot(values, values))
                indices.append(cols + offset)
                data.append(values)
                row += len(cols)
            indptr.append(indptr[-1] + row)
        matrix = sparse.csr_matrix(
            (
                np.concatenate(data).astype(np.float32) if data else np.zeros(0, np.float32),
                np.concatenate(indices) if indices else np.zeros(0, np.int64),
                np.asarray(indptr),
            ),
            shape=(len(texts), width),
        )
        matrix.sort_indices()
        return matrix

    def _fast_parts(self):
        parts = getattr(self, "_fast", None)
        if parts is None:
            blocks, offset = [], 0
            for vec, weight in self._blocks():
                if vec is None:
                    continue
                blocks.append((vec.vocabulary_, vec.idf_.astype(np.float64), offset, weight, vec.build_analyzer()))
                offset += len(vec.vocabulary_)
            parts = self._fast = (blocks, offset)
        return parts

    def sklearn_transform(self, pairs):
        """The reference computation (kept for the equivalence test)."""
        subjects, texts = self._tokens(pairs)
        return sparse.hstack([vec.transform(docs) * weight for vec, weight, docs in
                              self._used(self._documents(subjects, texts))], format="csr")

    def __getstate__(self):
        state = super().__getstate__()
        state.pop("_fast", None)
        return state


class RouterClassifier(BaseEstimator, ClassifierMixin):
    """A class-balanced linear SVM whose scores are calibrated into probabilities (sigmoid, fitted
    on cross-validated scores; one SVM on all rows predicts). Too little data for calibration folds (a cold
    start from keywords) falls back to a class-balanced logistic regression."""

    def __init__(self, C_svm=0.5, C_lr=10.0, calibration_folds=3):
        self.C_svm = C_svm
        self.C_lr = C_lr
        self.calibration_folds = calibration_folds

    def fit(self, X, y):
        y = np.asarray(y)
        self.classes_, counts = np.unique(y, return_counts=True)
        self.model_ = None
        self.calibrated_ = False
        if len(self.classes_) < 2:
            return self
        if len(y) >= HOLDOUT_ROWS and counts.min() >= 20:
            self.model_ = _holdout_calibrated(X, y, self.C_svm)
            self.calibrated_ = True
            return self
        if len(y) >= MIN_ROWS_FOR_SVM and counts.min() >= MIN_CLASS_FOR_SVM:
            folds = int(min(self.calibration_folds, counts.min()))
            self.model_ = CalibratedClassifierCV(
                LinearSVC(C=self.C_svm, class_weight="balanced"), method="sigmoid", cv=folds,
                ensemble=False,
            )
            self.calibrated_ = True
        else:
            self.model_ = LogisticRegression(C=self.C_lr, class_weight="balanced", max_iter=1000)
        self.model_.fit(X, y)
        return self

    def predict_proba(self, X):
        if self.model_ is None:
            return np.ones((X.shape[0], 1))
        return self.model_.predict_proba(X)

    def predict(self, X):
        return self.classes_[np.argmax(self.predict_proba(X), axis=1)]


def _holdout_calibrated(X, y, C_svm):
    """Big training sets: one SVM on 90% of the rows, its scores calibrated on the other 10%."""
    from sklearn.frozen import FrozenEstimator
    from sklearn.model_selection import train_test_split

    fit_idx, cal_idx = train_test_split(
        np.arange(len(y)), test_size=CALIBRATION_SHARE, stratify=y, random_state=0
    )
    svm = LinearSVC(C=C_svm, class_weight="balanced").fit(X[fit_idx], y[fit_idx])
    return CalibratedClassifierCV(FrozenEstimator(svm), method="sigmoid").fit(X[cal_idx], y[cal_idx])


@dataclass
class TextModel:
    """A fitted features + classifier pair for one label (category or department)."""

    features: RouterFeatures
    classifier: RouterClassifier

    @property
    def labels(self):
        return list(self.classifier.classes_)

    def proba(self, pairs):
        return self.classifier.predict_proba(self.features.transform(pairs))

    def predict(self, pairs):
        return list(self.classifier.classes_[np.argmax(self.proba(pairs), axis=1)])


def fit_text_model(pairs, labels, *, words=(), **params):
    features = RouterFeatures(words=words, **{k: v for k, v in params.items() if k in _FEATURE_PARAMS})
    X = features.fit_transform(pairs)
    classifier = RouterClassifier(**{k: v for k, v in params.items() if k in _CLASSIFIER_PARAMS})
    classifier.fit(X, labels)
    return TextModel(features, classifier)


_FEATURE_PARAMS = {
    "word_weight", "char_weight", "subject_weight", "subject_char_weight", "char_ngrams", "char_min_df",
    "max_features",
}
_CLASSIFIER_PARAMS = {"C_lr", "C_svm", "calibration_folds"}


@dataclass
class Scores:
    accuracy: float
    macro_f1: float
    per_class: dict = field(default_factory=dict)
    n: int = 0
    ms_per_message: float = 0.0

    def as_dict(self):
        return {
            "accuracy": round(self.accuracy, 4),
            "macro_f1": round(self.macro_f1, 4),
            "per_class": {k: round(v, 4) for k, v in self.per_class.items()},
            "n": self.n,
            "ms_per_message": round(self.ms_per_message, 3),
        }


def score(true, predicted, *, seconds=0.0):
    labels = sorted(set(true) | set(predicted))
    per_class = f1_score(true, predicted, labels=labels, average=None, zero_division=0)
    present = sorted(set(true))
    return Scores(
        accuracy=float(accuracy_score(true, predicted)),
        macro_f1=float(f1_score(true, predicted, labels=present, average="macro", zero_division=0)),
        per_class={label: float(f) for label, f in zip(labels, per_class, strict=True) if label in present},
        n=len(true),
        ms_per_message=seconds * 1000 / max(len(true), 1),
    )


def evaluate(model, pairs, labels):
    started = time.perf_counter()
    predicted = model.predict(pairs)
    return score(list(labels), predicted, seconds=time.perf_counter() - started)
