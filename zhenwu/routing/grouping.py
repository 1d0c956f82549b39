"""Grouping concerns about one matter (热点), free of the database: zhenwu.routing.hot reads the
window's concerns and bench/hot.py a CSV; both group here.

Words: the content words of zhenwu.concerns.similar (the same segmenter as duplicate finding, with
the town's place names taught to it so 石灰嘴村 stays one word), minus the place names themselves,
village-group numbers (五组, 第三网格) and words that say nothing about the matter (咨询, 村里):
"the same place" is the village field, never a shared word, so two matters of one village are not
alike merely because both name it.

Links (pairs sharing a word, Ochiai coefficient of their word sets):
- same category, same village (or one text names the other's village: a 集镇村 resident writing
  about 九龙村's bridge): SAME_VILLAGE_SCORE;
- same category, other villages: CROSS_VILLAGE_SCORE (one policy, one company, one road named
  alike: the texts must say nearly the same thing);
- other categories: OTHER_CATEGORY_SCORE in any place (a miscategorised duplicate).
Groups grow by average linkage, strongest links first: two groups join only when the mean
similarity of all their cross pairs reaches GROUP_MEAN_SCORE, so a chain of weak links (补贴咨询 –
补贴到账 – 低保申请 …) never becomes one group.

Labels: the representative title (the member most alike to the others; place names dropped when the
group spans several villages) and the group's most distinctive shared words: in at least half the
members (and two), ranked by that share times their rarity in the window (idf), longer (more
specific) words first among equals.
"""

import bisect
import math
import re
from dataclasses import dataclass, field

from zhenwu.concerns.similar import content_words, similarity

SAME_VILLAGE_SCORE = 0.5
CROSS_VILLAGE_SCORE = 0.6
OTHER_CATEGORY_SCORE = 0.8
GROUP_MEAN_SCORE = 0.45
# A word in more than this share of the window's concerns (and more than 50 of them) links
# nothing by itself: comparing every pair sharing it would be quadratic.
COMMON_WORD_SHARE = 0.2
MAX_LABEL_WORDS = 5

# Words of any request that say nothing about which matter it is (besides similar.STOPWORDS).
GROUP_STOPWORDS = frozenset(
    """
    咨询 了解 村里 村部 组里 镇上 我家 家里 一户 一位 几户 有人 村委 村委会 社区 居委会 网格 小组
    什么 时候 多少 怎么办 办法 标准 今年 去年 几个 几天 好几 这几个 发生 经常 担心 出事 没人管
    """.split()
)
_GROUP_NUMBER = re.compile(r"^(第?[0-9一二三四五六七八九十百]+(组|网格|队|号|栋|单元|楼)|第[0-9一二三四五六七八九十]+)$")
_PLACE_SUFFIXES = ("社区居委会", "居委会", "社区", "街道", "网格", "村", "镇", "乡", "组")
_GRID = re.compile(r"第?[0-9一二三四五六七八九十]+(网格|组)$")


def place_words(names):
    """The words a list of place names contributes: each name, its grid part stripped, and its stem
    (九龙村 → 九龙, 集里桥社区 → 集里桥) when the stem keeps two characters."""
    words = set()
    for name in names:
        name = (name or "").strip()
        if not name:
            continue
        base = _GRID.sub("", name) or name
        for candidate in (name, base):
            if len(candidate) >= 2:
                words.add(candidate)
            for suffix in _PLACE_SUFFIXES:
                if candidate.endswith(suffix) and len(candidate) - len(suffix) >= 2:
                    words.add(candidate[: -len(suffix)])
                    break
    return words


def matter_words(text, places=frozenset()):
    """The words of `text` that say which matter it is: content words without places and numbers."""
    out = set()
    for word in content_words(text):
        if word in places or word in GROUP_STOPWORDS or _GROUP_NUMBER.match(word):
            continue
        if any(word in place for place in places if len(word) >= 2 and len(place) > len(word)):
            continue  # a fragment of a place name (嘴村 of 石灰嘴村) the segmenter still split off
        out.add(word)
    return out


@dataclass
class Group:
    members: list  # indexes into the rows
    words: list = field(default_factory=list)
    representative: int = 0


def _mentioned_villages(rows):
    """For each row, the villages of the window its text names (a 集镇村 resident writing about
    九龙村's bridge is about 九龙村)."""
    names = {}
    for r in rows:
        name = getattr(getattr(r, "village", None), "name", "") if r.village_id else ""
        if name and len(name) >= 2:
            names[r.village_id] = name
    return [{vid for vid, name in names.items() if name in f"{r.title} {r.text}"} for r in rows]


def _link_score(rows, mentioned, a, b):
    ra, rb = rows[a], rows[b]
    if ra.category_id != rb.category_id:
        return OTHER_CATEGORY_SCORE
    same_place = ra.village_id == rb.village_id or ra.village_id in mentioned[b] or rb.village_id in mentioned[a]
    return SAME_VILLAGE_SCORE if same_place else CROSS_VILLAGE_SCORE


def group_rows(rows, *, places=frozenset()):
    """Groups (of two or more) of `rows`, each with `title`, `text`, `town_id`, `village_id` and
    `category_id`; members in row order, distinctive words and the representative member."""
    places = frozenset(places)
    words = [matter_words(f"{r.title} {r.text}", places) for r in rows]
    index = {}
    for i, ws in enumerate(words):
        for w in ws:
            index.setdefault(w, []).append(i)
    scores = _candidate_scores(rows, words, index)

    def score(a, b):
        key = (a, b) if a < b else (b, a)
        value = scores.get(key)
        if value is None:  # below the lowest link score or sharing only common words: compare now
            value = scores[key] = similarity(words[a], words[b]) if rows[a].town_id == rows[b].town_id else 0.0
        return value

    mentioned = _mentioned_villages(rows)
    links = sorted(
        ((s, a, b) for (a, b), s in scores.items() if s >= _link_score(rows, mentioned, a, b)),
        key=lambda t: (-t[0], t[1], t[2]),
    )
    cluster = list(range(len(rows)))
    members = {i: [i] for i in range(len(rows))}
    for _, a, b in links:
        ca, cb = cluster[a], cluster[b]
        if ca == cb:
            continue
        left, right = members[ca], members[cb]
        mean = sum(score(x, y) for x in left for y in right) / (len(left) * len(right))
        if mean < GROUP_MEAN_SCORE:
            continue
        if len(left) < len(right):
            ca, cb, left, right = cb, ca, right, left
        left.extend(right)
        for x in right:
            cluster[x] = ca
        del members[cb]
    df = {w: len(ids) for w, ids in index.items()}
    groups = []
    for ids in members.values():
        if len(ids) < 2:
            continue
        ids = sorted(ids)
        groups.append(Group(
            members=ids, words=_label_words(ids, words, df, len(rows)),
            representative=max(ids, key=lambda i: (sum(score(i, j) for j in ids if j != i), -i)),
        ))
    return groups


def _candidate_scores(rows, words, index):
    """Similarity of every pair that may reach the lowest link score: pairs sharing an uncommon
    word, counted through the inverted index, and compared exactly only when the shared count plus
    the common words they might also share could reach that score."""
    common = max(50, int(len(rows) * COMMON_WORD_SHARE))
    floor = min(SAME_VILLAGE_SCORE, CROSS_VILLAGE_SCORE, OTHER_CATEGORY_SCORE)
    n_common = [sum(1 for w in ws if len(index[w]) > common) for ws in words]
    scores = {}
    for a, ws in enumerate(words):
        shared = {}
        for w in ws:
            ids = index[w]
            if len(ids) > common:
                continue
            for b in ids[bisect.bisect_right(ids, a):]:
                shared[b] = shared.get(b, 0) + 1
        for b, k in shared.items():
            if rows[a].town_id != rows[b].town_id:
                continue
            if (k + min(n_common[a], n_common[b])) / math.sqrt(len(ws) * len(words[b])) < floor:
                continue
            value = similarity(ws, words[b])
            if value >= floor:
                scores[(a, b)] = value
    return scores


def _label_words(ids, words, df, total):
    counts = {}
    for i in ids:
        for w in words[i]:
            counts[w] = counts.get(w, 0) + 1
    needed = max(2, math.ceil(len(ids) / 2))
    ranked = sorted(
        (w for w, n in counts.items() if n >= needed),
        key=lambda w: (-round((counts[w] / len(ids)) * math.log((1 + total) / (1 + df.get(w, 0))), 6), -len(w), w),
    )
    return ranked[:MAX_LABEL_WORDS]


def strip_places(title, places):
    """`title` without the place names it starts with or holds (longest first)."""
    out = title or ""
    for place in sorted(places, key=len, reverse=True):
        if len(place) >= 2 and len(out) > len(place):
            out = out.replace(place, "")
    out = _GRID.sub("", out)
    return re.sub(r"^(第?[0-9一二三四五六七八九十]+(组|网格))", "", out).strip(" ，,、") or title
