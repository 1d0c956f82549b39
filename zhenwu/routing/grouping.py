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
- same category, other villages naming one landmark (a road, a company, an estate: landmarks()):
  SAME_VILLAGE_SCORE, the landmark is the place;
- same category, other villages otherwise: CROSS_VILLAGE_SCORE (one policy named alike: the texts
  must say nearly the same thing);
- other categories: OTHER_CATEGORY_SCORE in any place (a miscategorised duplicate).
Groups grow by average linkage, strongest links first: two groups join only when the mean
similarity of all their cross pairs reaches GROUP_MEAN_SCORE, so a chain of weak links (补贴咨询 –
补贴到账 – 低保申请 …) never becomes one group. Identical reports (same words, place, category and
places named) are one weighted node, and the sums of cross similarities are carried from groups
into their merger, so a window of mass duplicates costs its distinct texts, not their pairs.

Decisions (zhenwu.routing.hot_decisions: a person merged, split or dismissed) are applied on top
of the computed groups, oldest first, each naming rows of the window: a merge joins every group its
rows are in, a split takes its rows out of their groups into one new group, a dismissal takes its
row out of its group (alone). Later decisions win; a new concern still joins by the rules above.

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

# A landmark is a name (two to six characters) before one of these: 岸山路, 宏达砂石有限公司, 金桂花园.
_LANDMARK = re.compile(
    r"([\u4e00-\u9fffA-Za-z0-9]{2,12}?)(有限公司|公司|工厂|厂|矿|大道|公路|路|街|巷|大桥|小区|花园|家园|新村|"
    r"学校|小学|中学|幼儿园|卫生院|医院|市场|水库|电站|码头)"
    r"(?![灯面口边段基上旁道况线费])"  # 路灯, 路面, 街道: a word, not a landmark's end
)
# A name ends at one of these (那条岸山路 → 岸山路), and names that are kinds, not names, are no landmark.
_NAME_BREAK = re.compile(r"[的在到和与是了把被从往向那这条个座家位说讲问里上下边旁对给让叫去来过有没很都也就还又及或]")
GENERIC_LANDMARK_NAMES = frozenset(
    """
    水泥 砂石 柏油 沥青 通村 村级 村组 组级 乡村 进村 出村 断头 主干 入户 机耕 生产 田间 乡间 门前 屋后 附近
    高速 国道 省道 县道 乡道 养猪 养鸡 养殖 垃圾 停车 农贸 菜市 中心 私人 民办 公办 村办 镇上 城里 县城 新修
    """.split()
)


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


MERGE, SPLIT, DISMISS = "merge", "split", "dismiss"


@dataclass(frozen=True)
class Decision:
    key: object  # the caller's name for it (a HotIssueDecision's pk)
    kind: str  # MERGE, SPLIT or DISMISS
    members: tuple  # indexes into the rows (those still bound by it)


@dataclass
class Group:
    members: list  # indexes into the rows
    words: list = field(default_factory=list)
    representative: int = 0
    decisions: list = field(default_factory=list)  # keys of the merges and splits that shaped it
    dismissed: list = field(default_factory=list)  # (row index, decision key) taken out of it


def landmarks(text, places=(), known=frozenset()):
    """The named places `text` speaks of besides villages: the town's `known` landmarks (dictionary
    place words that are not areas) it contains, and names before a landmark suffix (岸山路,
    宏达砂石有限公司, 金桂花园), without a leading place name (`places`, longest first) and never a
    kind of thing (水泥路, 养猪场)."""
    text = text or ""
    found = {w for w in known if len(w) >= 2 and w in text}
    for m in _LANDMARK.finditer(text):
        name = _NAME_BREAK.split(m.group(1))[-1]
        for place in places:
            if len(place) >= 2 and name.startswith(place):
                name = name[len(place):]
                break
        name = name[-6:]
        if len(name) >= 2 and name not in GENERIC_LANDMARK_NAMES:
            found.add(name + m.group(2))
    return frozenset(found)


def _mentioned_villages(rows):
    """For each row, the villages of the window its text names (a 集镇村 resident writing about
    九龙村's bridge is about 九龙村)."""
    names = {}
    for r in rows:
        name = getattr(getattr(r, "village", None), "name", "") if r.village_id else ""
        if name and len(name) >= 2:
            names[r.village_id] = name
    return [{vid for vid, name in names.items() if name in f"{r.title} {r.text}"} for r in rows]


def _link_score(rows, mentioned, named, a, b):
    ra, rb = rows[a], rows[b]
    if ra.category_id != rb.category_id:
        return OTHER_CATEGORY_SCORE
    same_place = (
        ra.village_id == rb.village_id or ra.village_id in mentioned[b] or rb.village_id in mentioned[a]
        or not named[a].isdisjoint(named[b])
    )
    return SAME_VILLAGE_SCORE if same_place else CROSS_VILLAGE_SCORE


def group_rows(rows, *, places=frozenset(), decisions=(), known_landmarks=frozenset()):
    """Groups (of two or more) of `rows`, each with `title`, `text`, `town_id`, `village_id` and
    `category_id`; members in row order, distinctive words and the representative member.
    `decisions` (Decision, oldest first) are applied on top of the computed groups;
    `known_landmarks` are the town's named roads, companies and estates (see landmarks())."""
    places = frozenset(places)
    words = [matter_words(f"{r.title} {r.text}", places) for r in rows]
    mentioned = _mentioned_villages(rows)
    longest_first = sorted(places, key=len, reverse=True)
    named = [landmarks(f"{r.title} {r.text}", longest_first, known_landmarks) for r in rows]
    nodes, node_of = _collapse(rows, words, mentioned, named)
    heads = [ids[0] for ids in nodes]
    n_rows, n_words = [rows[i] for i in heads], [words[i] for i in heads]
    n_mentioned, n_named = [mentioned[i] for i in heads], [named[i] for i in heads]
    weight = [len(ids) for ids in nodes]
    index = {}
    for a, ws in enumerate(n_words):
        for w in ws:
            index.setdefault(w, []).append(a)
    scores = _candidate_scores(n_rows, n_words, index)

    def score(a, b):
        if a == b:
            return 1.0 if n_words[a] else 0.0
        key = (a, b) if a < b else (b, a)
        value = scores.get(key)
        if value is None:  # below the lowest link score or sharing only common words: compare now
            value = scores[key] = similarity(n_words[a], n_words[b]) if n_rows[a].town_id == n_rows[b].town_id else 0.0
        return value

    links = sorted(
        ((s, a, b) for (a, b), s in scores.items() if s >= _link_score(n_rows, n_mentioned, n_named, a, b)),
        key=lambda t: (-t[0], t[1], t[2]),
    )
    clusters = _average_linkage(len(nodes), weight, links, score)
    df = {w: sum(weight[a] for a in ids) for w, ids in index.items()}
    groups = []
    computed = [sorted(i for a in ids for i in nodes[a]) for ids in clusters]
    for ids, shaped_by, dismissed in apply_decisions(computed, len(rows), decisions):
        if len(ids) < 2:
            continue
        count = {}
        for i in ids:
            count[node_of[i]] = count.get(node_of[i], 0) + 1
        best = max(count, key=lambda a: (sum(c * score(a, b) for b, c in count.items()) - score(a, a), -heads[a]))
        groups.append(Group(
            members=ids, words=_label_words(count, n_words, df, len(rows)),
            representative=min(i for i in ids if node_of[i] == best),
            decisions=shaped_by, dismissed=dismissed,
        ))
    return groups


def _collapse(rows, words, mentioned, named):
    """Rows that are one report for the grouping (same town, village, category, words, villages and
    landmarks named) as one node: a mass of identical reports is compared once, not once per pair of them.
    Returns (nodes as lists of row indexes in row order, the node of each row)."""
    nodes, node_of, seen = [], [], {}
    for i, r in enumerate(rows):
        key = (r.town_id, r.village_id, r.category_id, frozenset(words[i]), frozenset(mentioned[i]), named[i]) if words[i] else i
        a = seen.get(key)
        if a is None:
            a = seen[key] = len(nodes)
            nodes.append([])
        nodes[a].append(i)
        node_of.append(a)
    return nodes, node_of


def _average_linkage(n, weight, links, score):
    """Clusters (lists of nodes) of `n` weighted nodes, joined along `links` (strongest first) when
    the weighted mean similarity of all their cross pairs reaches GROUP_MEAN_SCORE.

    A node of w identical rows counts as w rows. The sum of cross similarities of two clusters is
    kept once computed and carried into a merged cluster (S(A∪B, X) = S(A, X) + S(B, X)), so a
    refused pair is not recomputed for its every link and a grown cluster rarely from scratch:
    rescanning all cross pairs of rows for every link made 5,100 messages of 125 texts take
    minutes (bench/hot.py --synthetic)."""
    cluster = list(range(n))
    members = {a: [a] for a in range(n)}
    size = list(weight)
    sums = {}  # (cluster, cluster), lower id first -> weighted sum of cross similarities
    known = {}  # cluster -> the clusters it has a sum with

    def cross(ca, cb):
        key = (ca, cb) if ca < cb else (cb, ca)
        value = sums.get(key)
        if value is None:
            value = sums[key] = sum(weight[x] * weight[y] * score(x, y) for x in members[ca] for y in members[cb])
            known.setdefault(ca, set()).add(cb)
            known.setdefault(cb, set()).add(ca)
        return value

    for _, a, b in links:
        ca, cb = cluster[a], cluster[b]
        if ca == cb or cross(ca, cb) / (size[ca] * size[cb]) < GROUP_MEAN_SCORE:
            continue
        if len(members[ca]) < len(members[cb]):
            ca, cb = cb, ca
        # cb joins ca (the larger, keeping its id): only the smaller side is relabelled.
        for x in members[cb]:
            cluster[x] = ca
        members[ca].extend(members.pop(cb))
        size[ca] += size[cb]
        near_a, near_b = known.pop(ca, set()), known.pop(cb, set())
        sums.pop((ca, cb) if ca < cb else (cb, ca), None)
        known[ca] = set()
        for x in (near_a | near_b) - {ca, cb}:
            sa = sums.pop((ca, x) if ca < x else (x, ca), None)
            sb = sums.pop((cb, x) if cb < x else (x, cb), None)
            known[x] -= {ca, cb}
            if sa is not None and sb is not None:
                sums[(ca, x) if ca < x else (x, ca)] = sa + sb
                known[x].add(ca)
                known[ca].add(x)
    return [sorted(ids) for ids in members.values()]


def apply_decisions(clusters, n, decisions):
    """`clusters` (lists of row indexes covering some of range(n)) after `decisions`, oldest first:
    [(sorted members, keys of the merges/splits that shaped it, [(row, dismissal key)])]."""
    label = list(range(n))
    members = {i: {i} for i in range(n)}
    for ids in clusters:
        head = ids[0]
        for i in ids:
            members.pop(i, None)
            label[i] = head
        members[head] = set(ids)
    shaped = {}
    dismissed = {}
    fresh = n

    def detach(rows):
        for i in rows:
            old = label[i]
            members[old].discard(i)
            if not members[old]:
                del members[old]

    for d in decisions:
        live = sorted({i for i in d.members if 0 <= i < n})
        if not live:
            continue
        if d.kind == MERGE:
            targets = {label[i] for i in live}
            if len(targets) < 2:
                shaped.setdefault(label[live[0]], []).append(d.key)
                continue
            joined, keys, gone = set(), [], []
            for t in sorted(targets):
                joined |= members.pop(t)
                keys += shaped.pop(t, [])
                gone += dismissed.pop(t, [])
            target = fresh
            fresh += 1
            for i in joined:
                label[i] = target
            members[target] = joined
            shaped[target] = [*keys, d.key]
            dismissed[target] = gone
        elif d.kind == SPLIT:
            for old in {label[i] for i in live}:
                if members[old] - set(live):
                    shaped.setdefault(old, []).append(d.key)
            detach(live)
            target = fresh
            fresh += 1
            for i in live:
                label[i] = target
            members[target] = set(live)
            shaped[target] = [d.key]
        elif d.kind == DISMISS:
            for i in live:
                old = label[i]
                if len(members[old]) < 2:
                    continue
                detach([i])
                dismissed.setdefault(old, []).append((i, d.key))
                label[i] = fresh
                members[fresh] = {i}
                fresh += 1
    return [
        (sorted(ids), list(dict.fromkeys(shaped.get(key, []))), dismissed.get(key, []))
        for key, ids in members.items()
    ]


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


def _label_words(count, words, df, total):
    """`count`: node -> its rows in the group; `words`: each node's words."""
    counts = {}
    for a, c in count.items():
        for w in words[a]:
            counts[w] = counts.get(w, 0) + c
    size = sum(count.values())
    needed = max(2, math.ceil(size / 2))
    ranked = sorted(
        (w for w, k in counts.items() if k >= needed),
        key=lambda w: (-round((counts[w] / size) * math.log((1 + total) / (1 + df.get(w, 0))), 6), -len(w), w),
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
