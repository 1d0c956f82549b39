"""Routing suggestions: training, suggesting at intake, automatic dispatch and its undo.

The router reads concerns (labels = the final category and department of handled concerns) and
acts on them only through zhenwu.concerns.services, so every state change keeps the concern
workflow's checks, events, audit entries and notifications. Concerns never call the router: when
the worker has taken a batch of new concerns in, concerns.signals.intake_completed queues them
here (PendingSuggestion, `queue_new_concerns`), and the router's own worker task
(`suggest_for_new_concerns`) scores each batch's texts together, off the resident's request and
outside any write transaction, then stores each suggestion in a short transaction of its own. A
router failure is logged, never loses or delays an accepted concern, and is retried a bounded
number of times (MAX_ATTEMPTS, waiting longer after each).

Automatic dispatch acts as the town's system account 智能分派 (an inactive account that cannot
log in; town_admin role so that the workflow's rules let it dispatch and hand back). It happens
only when the town turned it on and both the category's and the department's confidence reach
the town's threshold; the suggestion row records it, and undo hands the concern back to the
dispatchers' inbox (退单 by the system account, reason naming the person who undid it), with the
original category restored if the router had changed it.
"""

import hashlib
import hmac
import io
import logging
import pickle
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

from django.conf import settings
from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from zhenwu.accounts.models import User
from zhenwu.audit.models import AuditAction
from zhenwu.audit.services import diff, record_create, record_delete, record_event, snapshot
from zhenwu.concerns import access as concern_access
from zhenwu.concerns import services as concern_services
from zhenwu.concerns.models import Category, Concern, Status
from zhenwu.core.errors import DomainError
from zhenwu.core.roles import Role
from zhenwu.jobs.services import follow_up_task
from zhenwu.org.models import Area, Department

from . import text as router_text
from .models import (
    ModelSource,
    PendingSuggestion,
    RouterModel,
    RouterWord,
    RoutingSettings,
    RoutingSuggestion,
    WordKind,
)

if TYPE_CHECKING:  # numpy, scipy, sklearn: imported only where models are fitted or loaded
    from . import classifier

log = logging.getLogger(__name__)

HANDLED_STATUSES = (Status.RESOLVED, Status.CLOSED)
# Concerns the router may dispatch on its own: new ones nobody has looked at yet.
AUTO_DISPATCH_STATES = (Status.RECEIVED,)
HOLDOUT_SHARE = 0.2
MIN_HOLDOUT = 10
MIN_HISTORY = 30  # below this, history joins the keyword cold start instead of replacing it
ALTERNATIVES = 3
SUGGEST_BATCH = 50  # concerns scored together in one pass of the worker task
MAX_ATTEMPTS = 5  # failed tries before a queued concern is given up (logged)
RETRY_STEP = timedelta(minutes=1)  # wait after the n-th failure: n steps
SYSTEM_USERNAME_PREFIX = "router-"
SYSTEM_FULL_NAME = "智能分派"


class RoutingError(DomainError):
    """A refused request, with a Chinese message for the user."""


# --- artefacts -------------------------------------------------------------------------------


def _sign(data):
    key = hashlib.sha256(f"zhenwu.routing.artefact:{settings.SECRET_KEY}".encode()).digest()
    return hmac.new(key, data, hashlib.sha256).hexdigest()


def dump_artefact(bundle):
    buffer = io.BytesIO()
    pickle.dump(bundle, buffer, protocol=pickle.HIGHEST_PROTOCOL)
    data = buffer.getvalue()
    return data, _sign(data)


def load_artefact(row):
    """Unpickle a stored model only if its signature proves this application wrote it."""
    data = bytes(row.artefact)
    if not row.artefact_signature or not hmac.compare_digest(_sign(data), row.artefact_signature):
        raise RoutingError(f"模型 v{row.version} 的签名不符，拒绝加载")
    return pickle.loads(data)  # noqa: S301 - signed by us (HMAC of SECRET_KEY) just above


@dataclass
class Bundle:
    """What an artefact holds: the category model (labels: Category.code), the department model
    (labels: Department pk as text) or None, per town and category the department its concerns
    went to most often ({(town pk, code): department pk}), and whether the town is a feature of
    the text (`town_feature`; artefacts written before it are read as False).

    One shared model for the county, the town a feature (a town word leading the subject,
    router_text.with_town), rather than a model per town with a county fallback: measured by
    `bench/router.py --towns 2` (a generated two-town history, the second town's own history
    thin: 285 of 1,590 messages), the shared model with the town scored a per-town category
    macro-F1 of 0.8707 and 0.7824 against 0.8670 and 0.7021 for per-town models (the thin town
    falling back to the county model). The big town loses nothing by sharing, and the thin town
    learns its own habits (its extra category, its departments) from its few concerns while
    borrowing the county's vocabulary for the rest; one model also costs one training run, not
    thirty. What a town may be suggested is limited at prediction (predict_many): the county's
    categories and its own extras, its own departments."""

    category: "classifier.TextModel"
    department: "classifier.TextModel | None"
    usual_department: dict
    words: tuple = ()
    town_feature: bool = False


_cache = {"pk": None, "signature": None, "bundle": None}
_cache_lock = threading.Lock()


def active_model():
    return RouterModel.objects.filter(is_active=True).defer("artefact").first()


def _bundle_for(row):
    with _cache_lock:
        if _cache["pk"] == row.pk and _cache["signature"] == row.artefact_signature:
            return _cache["bundle"]
    full = RouterModel.objects.get(pk=row.pk)
    bundle = load_artefact(full)
    with _cache_lock:
        _cache.update(pk=row.pk, signature=full.artefact_signature, bundle=bundle)
    return bundle


# --- predicting ------------------------------------------------------------------------------


@dataclass
class Prediction:
    category: Category | None = None
    confidence: float = 0.0
    department: Department | None = None
    department_confidence: float = 0.0
    alternatives: list = field(default_factory=list)  # [(Category, p)]
    reason: str = ""

    @property
    def has_suggestion(self):
        return self.category is not None


def predict(subject, body, *, town=None, model=None):
    """The suggestion for a text: category, department, confidences and alternatives — or an
    honest no-suggestion (with the reason) for empty or emoji-only text or without a model.
    Never raises for any text."""
    return predict_many([(subject, body, town)], model=model)[0]


def predict_many(items, *, model=None):
    """predict() for many (subject, body, town) at once: the model and the active categories
    and departments are read once, and the classifier scores every text in one call.

    In a county a town is offered the county's categories and its own extras, never another
    town's, and only its own departments: for the suggested category, the department the town
    set for it (its TownCategorySetting, or its own extra category's default), else the
    department model's best among the town's departments, else the department the town's
    concerns of that category went to most often, else the category's default department in the
    town (category_setting_for)."""
    row = model or active_model()
    if row is None:
        return [Prediction(reason="尚未训练分派模型") for _ in items]
    out = [None] * len(items)
    todo = []
    for i, (subject, body, _town) in enumerate(items):
        if router_text.has_content(subject, body):
            todo.append(i)
        else:
            out[i] = Prediction(reason="内容中没有可识别的文字，无法给出建议")
    if not todo:
        return out
    bundle = _bundle_for(row)
    pairs = [
        _with_town(bundle, router_text.prepare(items[i][0], items[i][1]), items[i][2].pk if items[i][2] else None)
        for i in todo
    ]
    categories = {c.code: c for c in Category.objects.filter(is_active=True).select_related("default_department")}
    category_proba = bundle.category.proba(pairs)
    department_proba = departments = None
    if bundle.department is not None:
        department_proba = bundle.department.proba(pairs)
        departments = {str(d.pk): d for d in Department.objects.filter(is_active=True)}
    usual = {}
    town_defaults = {}
    for k, i in enumerate(todo):
        town = items[i][2]
        def offered(code, town=town):
            # The county's categories, and a town's own extra ones for that town only.
            c = categories.get(code)
            return c if c is not None and (c.town_id is None or town is None or c.town_id == town.pk) else None

        ranked = _ranked_proba(bundle.category, category_proba[k], offered)
        if not ranked:
            out[i] = Prediction(reason="模型中的类别均已停用")
            continue
        best, confidence = ranked[0]
        department, department_confidence = None, 0.0
        key = (town.pk if town is not None else None, best.pk)
        if key not in town_defaults:
            town_defaults[key] = concern_services.category_setting_for(best, town_id=key[0])
        setting = town_defaults[key]

        def usable(candidate, town=town):
            return candidate is not None and candidate.is_active and (town is None or candidate.town_id == town.pk)

        town_rule = setting.own_department or best.town_id is not None  # its setting, or its own category
        if town_rule and usable(setting.default_department):
            # The town's own rule for this category (本镇默认承办部门) is what its dispatchers
            # follow; a model learned mostly from other towns' concerns does not overrule it.
            department, department_confidence = setting.default_department, confidence
        elif department_proba is not None:

            def resolve(pk, town=town):
                d = departments.get(pk)
                return d if d is not None and (town is None or d.town_id == town.pk) else None

            ranked_departments = _ranked_proba(bundle.department, department_proba[k], resolve)
            if ranked_departments:
                department, department_confidence = ranked_departments[0]
        if department is None:
            pk = _usual_department(bundle, town, best.code)
            candidate = None
            if pk is not None:
                if pk not in usual:
                    usual[pk] = Department.objects.filter(pk=pk, is_active=True).first()
                candidate = usual[pk]
            if not usable(candidate):
                # The category's default department in this town (its own, else the county's).
                candidate = setting.default_department
            if usable(candidate):
                department, department_confidence = candidate, confidence
        out[i] = Prediction(
            category=best,
            confidence=confidence,
            department=department,
            department_confidence=department_confidence,
            alternatives=ranked[1 : 1 + ALTERNATIVES],
            reason="" if department is not None else "没有可建议的承办部门",
        )
    return out


def _with_town(bundle, pair, town_id):
    """The text a bundle reads: with the town's word when it learned the town as a feature."""
    return router_text.with_town(pair, town_id) if bundle.town_feature else pair


def _usual_department(bundle, town, code):
    """The department the town's concerns of this category went to most often; without a town
    (or a bundle written before towns counted), the county's."""
    usual = bundle.usual_department
    if town is not None and (town.pk, code) in usual:
        return usual[(town.pk, code)]
    return usual.get(code) if town is None or not bundle.town_feature else None


def _ranked_proba(model, proba, resolve):
    """[(object, p)] best first, over the labels that still exist; p renormalised over them."""
    kept = []
    for label, p in zip(model.labels, proba, strict=True):
        obj = resolve(label)
        if obj is not None:
            kept.append((obj, float(p)))
    total = sum(p for _, p in kept)
    if total <= 0:
        return []
    kept = [(obj, p / total) for obj, p in kept]
    kept.sort(key=lambda item: -item[1])
    return kept


# --- suggestions for concerns ----------------------------------------------------------------


def queue_new_concerns(sender, *, concerns, **kwargs):
    """Receiver of concerns.signals.intake_completed (connected in RoutingConfig.ready), inside the
    intake's transaction: queue the batch for suggest_for_new_concerns. One INSERT. Whether a model
    is active is not asked here but by the worker task for each batch it takes, so a model
    activated after the intake (and before the batch is scored) is the one used."""
    if not concerns:
        return
    PendingSuggestion.objects.bulk_create(
        [PendingSuggestion(concern_id=c.pk) for c in concerns], ignore_conflicts=True
    )


@follow_up_task("routing.suggest_for_new_concerns")
def suggest_for_new_concerns(*, limit=SUGGEST_BATCH, now=None):
    """The router's worker task: for a batch of queued concerns that are due (oldest first), store
    the active model's suggestion (one per concern and model, all texts scored in one call, before
    any write) and dispatch automatically where the town allows it and the suggestion is confident
    enough — each concern in its own short transaction. A failure (of the batch's scoring or of one
    concern) counts an attempt on the rows concerned and leaves them queued until `retry_after`;
    after MAX_ATTEMPTS they are dropped. Safe on several workers: a concern's queue row is deleted
    in the transaction that stores its suggestion, and only the worker that deleted it goes on.
    Returns how many queued concerns this pass handled (0: nothing due)."""
    now = now or timezone.now()
    due = PendingSuggestion.objects.filter(retry_after__lte=now)
    if not due.exists():
        return 0  # the idle pass: one read of a small indexed table, no write lock
    batch = list(due.select_related("concern__town").order_by("id")[:limit])
    row = active_model()  # asked for each batch: a model activated since the last pass is used
    if row is None:  # no model active now: these concerns get no suggestion (as at intake before)
        PendingSuggestion.objects.filter(pk__in=[p.pk for p in batch]).delete()
        return len(batch)
    try:
        predictions = predict_many([(p.concern.title, p.concern.text, p.concern.town) for p in batch], model=row)
    except Exception:
        log.exception("routing suggestions failed for concerns %s…", batch[0].concern_id)
        _attempt_failed(batch, now=now)
        return len(batch)
    for pending, prediction in zip(batch, predictions, strict=True):
        try:
            with transaction.atomic():
                _suggest_queued(pending, row, prediction)
        except Exception:
            log.exception("routing suggestion failed for concern %s", pending.concern_id)
            _attempt_failed([pending], now=now)
    return len(batch)


def _suggest_queued(pending, row, prediction):
    if not PendingSuggestion.objects.filter(pk=pending.pk).delete()[0]:
        return None  # another worker took it
    concern = Concern.objects.select_related("category", "town").get(pk=pending.concern_id)
    if RoutingSuggestion.objects.filter(concern=concern, model=row).exists():
        return None
    return _store_suggestion(concern, row, prediction)


def _attempt_failed(pendings, *, now):
    """Count a failed attempt on each queued row; give up (drop the row, log) after MAX_ATTEMPTS."""
    with transaction.atomic():
        for pending in pendings:
            pending.attempts += 1
            if pending.attempts >= MAX_ATTEMPTS:
                log.error("routing gave up on concern %s after %s attempts", pending.concern_id, pending.attempts)
                PendingSuggestion.objects.filter(pk=pending.pk).delete()
                continue
            pending.retry_after = now + RETRY_STEP * pending.attempts
            PendingSuggestion.objects.filter(pk=pending.pk).update(
                attempts=pending.attempts, retry_after=pending.retry_after
            )


def _store_suggestion(concern, row, prediction):
    suggestion = RoutingSuggestion.objects.create(
        concern=concern,
        model=row,
        category=prediction.category,
        department=prediction.department,
        confidence=round(prediction.confidence, 4),
        department_confidence=round(prediction.department_confidence, 4),
        alternatives=[
            {"category": c.pk, "name": c.name, "p": round(p, 4)} for c, p in prediction.alternatives
        ],
        reason=prediction.reason,
    )
    record_create(suggestion, note=f"诉求{concern.reference}的分派建议")
    _maybe_auto_dispatch(suggestion)
    return suggestion


def town_settings(town):
    if town is None:
        return RoutingSettings(auto_dispatch=False)
    return RoutingSettings.objects.filter(town=town).first() or RoutingSettings(town=town)


def may_auto_dispatch(suggestion, town_setting):
    threshold = float(town_setting.threshold)
    return (
        town_setting.auto_dispatch
        and suggestion.category_id is not None
        and suggestion.department_id is not None
        and suggestion.confidence >= threshold
        and suggestion.department_confidence >= threshold
    )


def system_user(town):
    """The town's 智能分派 account (created on first use; inactive, no password)."""
    user = User.objects.filter(username=f"{SYSTEM_USERNAME_PREFIX}{town.code}").first()
    if user is None:
        user = User(
            username=f"{SYSTEM_USERNAME_PREFIX}{town.code}",
            full_name=SYSTEM_FULL_NAME,
            role=Role.TOWN_ADMIN,
            area=town,
            is_active=False,
        )
        user.set_unusable_password()
        user.save()
        record_create(user, note=f"{town.name}智能分派系统账号")
    return user


def _maybe_auto_dispatch(suggestion):
    concern = suggestion.concern
    if concern.status not in AUTO_DISPATCH_STATES or concern.town_id is None:
        return False
    if not may_auto_dispatch(suggestion, town_settings(concern.town)):
        return False
    actor = system_user(concern.town)
    before = snapshot(suggestion)
    try:
        # A savepoint: a refused step leaves the concern as it was, in the inbox.
        with transaction.atomic():
            if suggestion.category_id != concern.category_id:
                suggestion.original_category_id = concern.category_id
                concern_services.recategorise_concern(
                    concern, by=actor, category=suggestion.category,
                    reason=f"智能分派建议（置信度{suggestion.confidence:.0%}）",
                )
            concern_services.dispatch_concern(
                concern, by=actor, department=suggestion.department,
                note=f"自动派单：置信度 类别{suggestion.confidence:.0%} 部门{suggestion.department_confidence:.0%}",
            )
    except concern_services.ConcernError as exc:
        log.info("auto-dispatch of %s refused: %s", concern.reference, exc.message)
        suggestion.original_category_id = None
        return False
    suggestion.auto_dispatched = True
    suggestion.auto_dispatched_at = timezone.now()
    suggestion.save(update_fields=["auto_dispatched", "auto_dispatched_at", "original_category"])
    record_event(
        action=AuditAction.UPDATE, obj=suggestion, changes=diff(before, snapshot(suggestion)),
        note=f"自动派单{concern.reference}至{suggestion.department.name}",
    )
    return True


def latest_suggestions(concern_ids):
    """{concern_id: latest RoutingSuggestion} in one query."""
    rows = (
        RoutingSuggestion.objects.filter(concern_id__in=list(concern_ids))
        .select_related("category", "department", "model", "original_category", "undone_by")
        .defer("model__artefact", "model__metrics")
        .order_by("concern_id", "-created_at", "-id")
    )
    out = {}
    for row in rows:
        out.setdefault(row.concern_id, row)
    return out


def can_undo(user, suggestion):
    return (
        suggestion.is_undoable
        and getattr(user, "role", None) in (Role.TOWN_ADMIN, Role.DISPATCHER)
        and concern_access.can_dispatch(user, suggestion.concern)
    )


@transaction.atomic
def undo_auto_dispatch(suggestion, *, by, reason=""):
    """Hand an automatically dispatched concern back to the dispatchers' inbox (退单 recorded on
    its timeline), restoring its category if the router had changed it. History is kept: the
    suggestion stays, marked undone by whom, when and why."""
    suggestion = RoutingSuggestion.objects.select_for_update().select_related("concern").get(pk=suggestion.pk)
    if not suggestion.auto_dispatched:
        raise RoutingError("该诉求不是自动派单的，无需撤销")
    if suggestion.undone_at is not None:
        raise RoutingError("自动派单已撤销")
    if not can_undo(by, suggestion):
        raise RoutingError("只有本镇民情受理员可以撤销自动派单")
    concern = suggestion.concern
    if concern.status not in (Status.DISPATCHED, Status.IN_PROGRESS):
        raise RoutingError(f"诉求当前为{concern.get_status_display()}，不能撤销自动派单")
    reason = (reason or "").strip()[:200]
    actor = system_user(concern.town)
    who = by.display_name
    try:
        concern_services.return_concern(
            concern, by=actor, reason=f"撤销自动派单（{who}）" + (f"：{reason}" if reason else "")
        )
        original = suggestion.original_category
        if original is not None and original.is_active and original.pk != suggestion.category_id:
            concern_services.recategorise_concern(
                concern, by=by, category=original, reason="撤销自动派单，恢复原类别"
            )
    except concern_services.ConcernError as exc:
        raise RoutingError(exc.message) from exc
    before = snapshot(suggestion)
    suggestion.undone_at = timezone.now()
    suggestion.undone_by = by
    suggestion.undo_reason = reason
    suggestion.save(update_fields=["undone_at", "undone_by", "undo_reason"])
    record_event(
        action=AuditAction.UPDATE, obj=suggestion, changes=diff(before, snapshot(suggestion)),
        note=f"撤销{concern.reference}的自动派单",
    )
    return suggestion


# --- settings and words ----------------------------------------------------------------------


def _require_admin(user, town=None):
    if getattr(user, "role", None) != Role.TOWN_ADMIN or user.area_id is None:
        raise RoutingError("只有镇管理员可以修改智能分派设置")
    if town is not None and user.area_id != town.pk and not town.path.startswith(user.area.path):
        raise RoutingError("只能修改本镇的设置")


@transaction.atomic
def save_settings(*, town, by, auto_dispatch, threshold):
    _require_admin(by, town)
    try:
        threshold = Decimal(str(threshold)).quantize(Decimal("0.01"))
    except (InvalidOperation, ValueError):
        raise RoutingError("置信度下限须为0.50至0.99之间的小数", field="threshold") from None
    if not Decimal("0.50") <= threshold <= Decimal("0.99"):
        raise RoutingError("置信度下限须为0.50至0.99之间的小数", field="threshold")
    row = RoutingSettings.objects.select_for_update().filter(town=town).first()
    before = snapshot(row) if row else None
    row = row or RoutingSettings(town=town)
    row.auto_dispatch = bool(auto_dispatch)
    row.threshold = threshold
    row.updated_by = by
    row.save()
    record_event(
        action=AuditAction.UPDATE if before else AuditAction.CREATE, obj=row,
        changes=diff(before or {}, snapshot(row)),
        note=f"自动派单{'开启' if row.auto_dispatch else '关闭'}，置信度下限{row.threshold}",
    )
    return row


@transaction.atomic
def add_word(*, word, kind, by):
    _require_admin(by)
    word = (word or "").strip()
    if not word or len(word) > 30 or any(ch.isspace() for ch in word):
        raise RoutingError("词语须为1至30个字且不含空格", field="word")
    if not router_text.has_content(word, ""):
        raise RoutingError("词语须含汉字、字母或数字", field="word")
    if kind not in WordKind.values:
        raise RoutingError("词语类型不正确", field="kind")
    if RouterWord.objects.filter(word=word).exists():
        raise RoutingError(f"“{word}”已在词典中", field="word")
    row = RouterWord.objects.create(word=word, kind=kind, created_by=by)
    record_create(row, note=f"分词词典添加“{word}”")
    return row


@transaction.atomic
def delete_word(row, *, by):
    _require_admin(by)
    record_delete(row, note=f"分词词典删除“{row.word}”")
    row.delete()


def dictionary_words():
    """The town's words plus every active category's keywords and name."""
    words = set(RouterWord.objects.values_list("word", flat=True))
    for name, keywords in Category.objects.filter(is_active=True).values_list("name", "keywords"):
        words.update(_split_keywords(keywords))
        words.add(name)
    return sorted(w for w in words if 1 < len(w) <= 30)


def _split_keywords(text):
    return [w for w in (text or "").replace("，", " ").replace(",", " ").replace("、", " ").split() if w]


# --- training --------------------------------------------------------------------------------


@dataclass
class TrainResult:
    model: RouterModel
    activated: bool
    message: str


def _history_rows():
    """(received_at, subject, body, category code, department pk, town pk) of handled concerns
    whose category is still active, oldest first."""
    rows = (
        Concern.objects.filter(status__in=HANDLED_STATUSES, category__is_active=True)
        .order_by("received_at", "id")
        .values_list("received_at", "title", "text", "category__code", "department_id", "town_id")
    )
    return [
        (at, title, text[: router_text.MAX_BODY * 2], code, dept, town)
        for at, title, text, code, dept, town in rows
    ]


def _keyword_rows():
    """The cold start: one short 'message' per category from its name, description and keywords
    (a town's own extra category's with the town's word, as its concerns will have)."""
    rows = []
    for category in Category.objects.filter(is_active=True):
        keywords = _split_keywords(category.keywords)
        texts = [category.name, " ".join(keywords), category.description]
        texts += keywords
        for text in texts:
            if text and text.strip():
                rows.append((category.name, text, category.code, category.town_id))
    return rows


def read_seed_csv(path):
    """Seed corpus: CSV with subject,body,label or text,label; label = category code or name."""
    import csv

    codes = {}
    for code, name in Category.objects.filter(is_active=True).values_list("code", "name"):
        codes[code] = code
        codes[name] = code
    rows, unknown = [], set()
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        fields = set(reader.fieldnames or ())
        if "label" not in fields or not ({"subject", "body"} <= fields or "text" in fields):
            raise RoutingError(f"种子语料须有列 subject,body,label 或 text,label（现有：{'、'.join(sorted(fields))}）")
        for number, row in enumerate(reader, start=2):
            label = (row.get("label") or "").strip()
            code = codes.get(label)
            if code is None:
                unknown.add(label or f"第{number}行为空")
                continue
            if "subject" in fields:
                rows.append((row.get("subject") or "", row.get("body") or "", code))
            else:
                rows.append(("", row.get("text") or "", code))
    return rows, sorted(unknown)


def _usual_departments(history):
    """{code: department pk} over the county and {(town pk, code): department pk} per town: the
    department each category's concerns went to most often."""
    counts = {}
    for h in history:
        code, dept, town = h[3], h[4], h[5]
        if dept is not None:
            for key in (code, (town, code)) if town is not None else (code,):
                counts.setdefault(key, {}).setdefault(dept, 0)
                counts[key][dept] += 1
    return {key: max(c.items(), key=lambda item: item[1])[0] for key, c in counts.items()}


def _history_pair(h):
    """A handled concern's text with its town as a feature (see Bundle)."""
    return router_text.with_town(router_text.prepare(h[1], h[2]), h[5])


def _fit_bundle(rows, history, words, fit=None):
    """`rows`: (subject, body, code, town pk or None) — the seed rows and the county categories'
    keyword rows belong to no town and carry no town word; a town's own category's keyword rows
    carry its town."""
    from . import classifier  # numpy, scipy, sklearn: only in the process that trains

    fit = fit or classifier.fit_text_model
    pairs = [router_text.with_town(router_text.prepare(s, b), town) for s, b, _, town in rows]
    category = fit(pairs, [code for _, _, code, _ in rows], words=words)
    with_department = [h for h in history if h[4] is not None]
    department = None
    if len({h[4] for h in with_department}) >= 2:
        department = fit(
            [_history_pair(h) for h in with_department], [str(h[4]) for h in with_department], words=words
        )
    return Bundle(category=category, department=department,
                  usual_department=_usual_departments(history), words=tuple(words), town_feature=True)


def _scores(bundle, holdout):
    from . import classifier

    pairs = [_holdout_pair(bundle, h) for h in holdout]
    result = {"category": classifier.evaluate(bundle.category, pairs, [h[3] for h in holdout]).as_dict()}
    with_department = [h for h in holdout if h[4] is not None]
    if with_department:
        predicted = _departments_for(bundle, with_department)
        result["department"] = classifier.score(
            [str(h[4]) for h in with_department], predicted
        ).as_dict()
    return result


def _holdout_pair(bundle, h):
    return _with_town(bundle, router_text.prepare(h[1], h[2]), h[5])


def _departments_for(bundle, holdout):
    pairs = [_holdout_pair(bundle, h) for h in holdout]
    if bundle.department is not None:
        return bundle.department.predict(pairs)
    town_feature = bundle.town_feature
    return [
        str(bundle.usual_department.get((h[5], code) if town_feature else code, ""))
        for h, code in zip(holdout, bundle.category.predict(pairs), strict=True)
    ]


def _next_version():
    return (RouterModel.objects.aggregate(v=Max("version"))["v"] or 0) + 1


def train_router(*, by=None, seed_rows=(), now=None, fit=None):
    """Train a new version on the handled concerns (plus the category keywords when history is
    short, plus `seed_rows`), evaluate it on the latest HOLDOUT_SHARE of the handled concerns
    (time split: trained on the earlier ones only), and activate it only if it scores at least
    as well as the active version on the same held-out concerns (macro-F1 of the category, then
    accuracy). Every version is kept with its evaluation. `fit` replaces the fitting function
    (tests). Returns TrainResult."""
    now = now or timezone.now()
    history = _history_rows()
    words = dictionary_words()
    seed = [(s, b, code, None) for s, b, code in seed_rows]
    keyword_rows = _keyword_rows() if len(history) < MIN_HISTORY else []
    if not history and not seed and not keyword_rows:
        raise RoutingError("没有可用于训练的数据：请先设置诉求类别及关键词，或提供种子语料")
    labels = {row[2] for row in seed + keyword_rows} | {h[3] for h in history}
    if len(labels) < 2:
        raise RoutingError("训练数据至少需要两个类别")

    holdout_size = int(len(history) * HOLDOUT_SHARE)
    holdout = history[-holdout_size:] if holdout_size >= MIN_HOLDOUT else []
    metrics = {"history": len(history), "seed": len(seed), "keywords": len(keyword_rows)}
    active = RouterModel.objects.filter(is_active=True).first()
    if holdout:
        earlier = history[: len(history) - len(holdout)]
        trial_rows = [(h[1], h[2], h[3], h[5]) for h in earlier] + seed + keyword_rows
        trial = _fit_bundle(trial_rows, earlier, words, fit)
        metrics.update(_scores(trial, holdout))
        metrics["holdout"] = {
            "n": len(holdout),
            "from": holdout[0][0].isoformat(),
            "to": holdout[-1][0].isoformat(),
            "method": f"时间切分：用较早的{len(earlier)}件训练，在最新的{len(holdout)}件上评估",
        }
    rows = [(h[1], h[2], h[3], h[5]) for h in history] + seed + keyword_rows
    bundle = _fit_bundle(rows, history, words, fit)

    activate, decision = True, "首个模型，直接启用"
    if active is not None:
        if not holdout:
            activate, decision = False, "已办结诉求太少，无法与当前模型比较，未启用"
        else:
            current = _scores(_bundle_for(active), holdout)
            metrics["compared_with"] = {"version": active.version, **current}
            new_key = (metrics["category"]["macro_f1"], metrics["category"]["accuracy"])
            old_key = (current["category"]["macro_f1"], current["category"]["accuracy"])
            activate = new_key >= old_key
            decision = (
                f"在同一批{len(holdout)}件上：宏F1 {new_key[0]:.3f}（v{active.version}为{old_key[0]:.3f}），"
                + ("不低于当前模型，已启用" if activate else "低于当前模型，未启用")
            )
    metrics["decision"] = decision
    data, signature = dump_artefact(bundle)
    with transaction.atomic():
        if activate:
            RouterModel.objects.filter(is_active=True).update(is_active=False)
        row = RouterModel.objects.create(
            version=_next_version(),
            created_at=now,
            created_by=by,
            source=ModelSource.HISTORY if len(history) >= MIN_HISTORY else ModelSource.COLD_START,
            trained_on=len(rows),
            metrics=metrics,
            is_active=activate,
            activated_at=now if activate else None,
            note=decision[:300],
            artefact=data,
            artefact_signature=signature,
        )
        record_event(
            action=AuditAction.CREATE, obj=row,
            changes={"version": [None, row.version], "trained_on": [None, row.trained_on],
                     "is_active": [None, activate]},
            note=f"训练分派模型v{row.version}：{decision}"[:300],
        )
    return TrainResult(row, activate, decision)


@transaction.atomic
def activate_model(row, *, by):
    """Switch back to an earlier version by hand (town admin)."""
    _require_admin(by)
    load_artefact(RouterModel.objects.get(pk=row.pk))  # refuse a tampered artefact before switching
    RouterModel.objects.filter(is_active=True).exclude(pk=row.pk).update(is_active=False)
    RouterModel.objects.filter(pk=row.pk).update(is_active=True, activated_at=timezone.now())
    record_event(action=AuditAction.UPDATE, obj=row, changes={"is_active": [False, True]},
                 note=f"手动启用分派模型v{row.version}")


# --- live accuracy ---------------------------------------------------------------------------


def acceptance(model, *, days=90, now=None):
    """How often the dispatchers' final choice agreed with this model's suggestions, over the
    concerns it suggested for that have since been dispatched."""
    since = (now or timezone.now()) - timedelta(days=days)
    rows = RoutingSuggestion.objects.filter(
        model=model, created_at__gte=since, category__isnull=False,
        concern__department__isnull=False,
    ).values_list("category_id", "department_id", "concern__category_id", "concern__department_id")
    total = category_hits = department_hits = 0
    for cat, dept, final_cat, final_dept in rows:
        total += 1
        category_hits += cat == final_cat
        department_hits += dept == final_dept
    if not total:
        return None
    return {"n": total, "category": category_hits / total, "department": department_hits / total}


def towns_for(user):
    """The towns whose settings `user` sees (their own town, or the towns of their county)."""
    area = getattr(user, "area", None)
    if area is None:
        return Area.objects.none()
    if area.level == "town":
        return Area.objects.filter(pk=area.pk)
    return Area.objects.filter(level="town", path__startswith=area.path)
