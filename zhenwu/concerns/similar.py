"""Finding concerns that are probably the same matter, by Chinese text similarity.

Used before a resident submits ("is it one of these? follow it instead") and by dispatchers
looking for the original of a duplicate. Text is segmented by zhenwu.lib.segmenter (rjieba, with
the town's dictionary words); two texts are compared by
the Ochiai coefficient of their sets of content words (|A∩B| / sqrt(|A|·|B|)), which, unlike
Jaccard, does not punish a short report of a matter described at length elsewhere.

Candidates are the open concerns of the same village or category, however old (a matter still open
after a year, such as a road waiting for its project, is still the same matter): those of the same
village first, then the newest, at most `candidates` rows, so the cost stays flat however many
concerns the town has. Matches of the same village rank before those of other villages: a
resident's matter is first of all a place.
"""

import math
import re
from dataclasses import dataclass

from django.db.models import Case, Q, Value, When

from zhenwu.lib.segmenter import add_words, cut

from .models import OPEN_STATUSES, PUBLIC_STATUSES, Concern

# Words that say nothing about which matter it is.
STOPWORDS = frozenset(
    """
    的 了 在 是 我 我们 你们 他们 有 和 与 及 或 也 都 就 要 会 能 可以 没有 不 很 还 又 把 被 给 让
    这个 那个 这里 那里 这边 那边 一个 一些 什么 怎么 为什么 如何 问题 情况 反映 希望 请求 要求 请
    帮忙 解决 处理 尽快 政府 领导 相关 部门 现在 已经 一直 目前 多次 经常 每天 今天 昨天 谢谢 麻烦
    村民 居民 群众 百姓 附近 周边 门口 旁边 这条 那条 非常 特别 严重 影响 存在 导致 造成 进行
    """.split()
)
_WORD = re.compile(r"[\u4e00-\u9fff]{2,}|[a-zA-Z0-9]{3,}")


def content_words(text):
    """The set of content words of a text (two or more CJK characters, or 3+ letters/digits)."""
    words = set()
    for word in cut(text or ""):
        word = word.strip().lower()
        if _WORD.fullmatch(word) and word not in STOPWORDS:
            words.add(word)
    return words


def teach_words(words):
    """Teach the shared segmenter words of the town (place names), each then kept whole."""
    add_words(words)


def similarity(a, b):
    if not a or not b:
        return 0.0
    return len(a & b) / math.sqrt(len(a) * len(b))


@dataclass
class Match:
    concern: Concern
    score: float
    shared: list


def find_similar_concerns(
    text,
    *,
    village=None,
    category=None,
    queryset=None,
    include_unreviewed=False,
    exclude=None,
    limit=5,
    min_score=0.3,
    candidates=300,
):
    """Open concerns of the same village or category whose text looks like `text`: the same
    village's first, then by score (then the newest).

    Residents are offered only concerns already on the public board (accepted and open);
    dispatchers may pass include_unreviewed=True to see new ones too."""
    words = content_words(text)
    if not words or (village is None and category is None):
        return []
    statuses = (
        OPEN_STATUSES if include_unreviewed else tuple(s for s in OPEN_STATUSES if s in PUBLIC_STATUSES)
    )
    qs = Concern.objects.all() if queryset is None else queryset
    place = Q()
    if village is not None:
        place |= Q(village=village)
    if category is not None:
        place |= Q(category=category)
    qs = qs.filter(place, status__in=statuses)
    if exclude is not None:
        qs = qs.exclude(pk=exclude.pk)
    rows = qs.select_related("category", "village").defer(
        "reporter_name", "reporter_phone", "resolution_text"
    )
    matches = []
    if village is not None:
        rows = rows.order_by(Case(When(village=village, then=Value(0)), default=Value(1)), "-received_at", "-id")
    else:
        rows = rows.order_by("-received_at", "-id")
    for concern in rows[:candidates]:
        other = content_words(f"{concern.title} {concern.text}")
        score = similarity(words, other)
        if score >= min_score:
            matches.append(Match(concern, round(score, 3), sorted(words & other)))
    village_id = getattr(village, "pk", village)
    matches.sort(
        key=lambda m: (m.concern.village_id != village_id, -m.score, -m.concern.received_at.timestamp())
    )
    return matches[:limit]
