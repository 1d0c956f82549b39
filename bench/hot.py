"""Group messages into hot issues (热点) with exactly the product's grouping code, and score it.

    .venv/bin/python bench/hot.py --messages messages.csv --out groups.csv [--window-days 14]
    .venv/bin/python bench/hot.py --quick          # the built-in labelled corpus of 15 messages

Input CSV columns: `id`, `resident`, `subject`, `body`, `time` (ISO date-time), optional `place`
(the village), optional `category` (messages without one count as one category) and optional
`matter` (the truth: which matter a message is about). The whole file is one window unless
--window-days N: then each message is grouped within the N days ending at the newest message
(older messages are left ungrouped). Place names are the file's `place` values, taught to the
segmenter as the town's areas are.

Writes `id,group` for every message (empty group: ungrouped; groups are numbered by distinct
residents, most first) and prints each group: residents, messages, villages and label. With a
`matter` column it also prints purity (share of grouped messages whose group's most common matter
is theirs) and coverage (share of messages whose matter was raised at least twice that are grouped
with another message of that matter).
"""

import argparse
import csv
import os
import sys
import time
from collections import Counter
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "zhenwu.settings")


# A small labelled corpus (--quick and the tests): near-duplicates across villages, unrelated
# matters of one village. id, resident, subject, body, time, place, category, matter
CORPUS = [
    ("1", "a", "九龙村石拱桥桥面开裂", "九龙村石拱桥桥面开裂，栏杆松动，孩子上学要过桥，很危险。", "2026-11-02T08:00", "九龙村", "道路", "bridge"),
    ("2", "b", "石拱桥栏杆松动", "九龙村石拱桥的栏杆松动了，桥面也开裂，担心出事。", "2026-11-02T09:00", "九龙村", "道路", "bridge"),
    ("3", "c", "石拱桥开裂危险", "九龙村石拱桥桥面开裂很危险，栏杆松动，请派人看看。", "2026-11-03T10:00", "九龙村", "道路", "bridge"),
    ("4", "d", "九龙村石拱桥", "九龙村石拱桥桥面开裂栏杆松动，集镇村的孩子也走这座桥上学，很危险。", "2026-11-03T11:00", "集镇村", "道路", "bridge"),
    ("5", "e", "九龙村二组路灯不亮", "九龙村二组路灯坏了一个月，晚上走路看不清。", "2026-11-04T08:00", "九龙村", "道路", "lamp"),
    ("6", "f", "九龙村三组村道坑洼", "九龙村三组村道坑洼不平，下雨积水，电动车打滑。", "2026-11-04T09:00", "九龙村", "道路", "pothole"),
    ("7", "g", "石灰嘴村高龄补贴未到账", "石灰嘴村一组老人的高龄补贴这几个月没有到账。", "2026-11-05T08:00", "石灰嘴村", "社会保障", "elderly"),
    ("8", "h", "高龄补贴没到账", "石灰嘴村三组八十多岁老人的高龄补贴几个月没到账了。", "2026-11-05T09:00", "石灰嘴村", "社会保障", "elderly"),
    ("9", "i", "石灰嘴村残疾人两项补贴", "石灰嘴村村民咨询残疾人生活补贴和护理补贴的申请办法。", "2026-11-05T10:00", "石灰嘴村", "社会保障", "disabled"),
    ("10", "j", "石灰嘴村家庭医生签约", "石灰嘴村老人咨询家庭医生签约怎么办理，补贴怎么算。", "2026-11-06T08:00", "石灰嘴村", "社会保障", "doctor"),
    ("11", "k", "石灰嘴村农业补贴咨询", "石灰嘴村村民咨询今年耕地地力保护补贴什么时候发放。", "2026-11-06T09:00", "石灰嘴村", "农业", "farm"),
    ("12", "l", "耕地地力保护补贴", "石灰嘴村五组村民问耕地地力保护补贴什么时候发放、标准多少。", "2026-11-06T10:00", "石灰嘴村", "农业", "farm"),
    ("13", "m", "九龙村农业补贴咨询", "九龙村村民咨询今年耕地地力保护补贴什么时候发放、发放标准是多少。", "2026-11-07T08:00", "九龙村", "农业", "farm"),
    ("14", "n", "集镇村夜间货车噪音", "集镇村老街晚上十一点后货车来往，噪音很大，影响休息。", "2026-11-07T09:00", "集镇村", "道路", "noise"),
    ("15", "o", "石拱桥又开裂了", "九龙村石拱桥桥面开裂，栏杆松动，一个多月了。", "2026-10-01T08:00", "九龙村", "道路", "bridge"),
]
FIELDS = ["id", "resident", "subject", "body", "time", "place", "category", "matter"]


def read_messages(path):
    with open(path, newline="", encoding="utf-8-sig") as handle:
        reader = csv.DictReader(handle)
        fields = set(reader.fieldnames or ())
        needed = {"id", "resident", "subject", "body", "time"}
        if not needed <= fields:
            raise SystemExit(f"{path}: 需要列 id,resident,subject,body,time（现有：{', '.join(sorted(fields))}）")
        rows = []
        for n, row in enumerate(reader):
            place = (row.get("place") or "").strip()
            category = (row.get("category") or "").strip()
            rows.append(SimpleNamespace(
                pk=n, id=row["id"], title=row["subject"] or "", text=row["body"] or "",
                received_at=datetime.fromisoformat(row["time"].strip()),
                reporter_phone_hash=(row["resident"] or "").strip(),
                town_id=1, village_id=place or None, village=SimpleNamespace(name=place),
                category_id=category, category=SimpleNamespace(name=category or "—"),
                matter=(row.get("matter") or "").strip(),
            ))
    return rows


def group_messages(rows, *, window_days=None):
    """(groups as HotIssue, seconds) using zhenwu.routing.hot.group_concerns on the window."""
    from zhenwu.concerns.similar import teach_words
    from zhenwu.routing import grouping, hot

    if window_days and rows:
        newest = max(r.received_at for r in rows)
        rows = [r for r in rows if r.received_at >= newest - timedelta(days=window_days)]
    places = frozenset(grouping.place_words({r.village.name for r in rows if r.village.name}))
    teach_words(sorted(places))
    started = time.process_time()
    groups = hot.group_concerns(rows, min_residents=1, places=places)
    return groups, time.process_time() - started


def scores(rows, assignment):
    """(purity, coverage) of `assignment` (row pk → group number) against the rows' matters."""
    matters = {r.pk: r.matter for r in rows if r.matter}
    members = {}
    for pk, g in assignment.items():
        members.setdefault(g, []).append(pk)
    grouped = right = 0
    for pks in members.values():
        counted = Counter(matters.get(pk, "") for pk in pks)
        grouped += len(pks)
        right += counted.most_common(1)[0][1]
    raised = Counter(matters.values())
    repeated = [r for r in rows if r.matter and raised[r.matter] >= 2]
    covered = 0
    for r in repeated:
        g = assignment.get(r.pk)
        if g is not None and any(matters.get(o) == r.matter for o in members[g] if o != r.pk):
            covered += 1
    return (right / grouped if grouped else 1.0), (covered / len(repeated) if repeated else 1.0)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--messages", type=Path)
    parser.add_argument("--out", type=Path)
    parser.add_argument("--quick", action="store_true", help="the built-in labelled corpus of 15 messages")
    parser.add_argument("--window-days", type=int, default=None)
    args = parser.parse_args(argv)
    if args.quick:
        import tempfile

        folder = Path(tempfile.mkdtemp(prefix="hot-"))
        args.messages, args.out = folder / "messages.csv", args.out or folder / "groups.csv"
        with open(args.messages, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(FIELDS)
            writer.writerows(CORPUS)
    elif not args.messages or not args.out:
        parser.error("--messages and --out are required (or --quick)")
    import django

    django.setup()
    rows = read_messages(args.messages)
    groups, seconds = group_messages(rows, window_days=args.window_days)
    assignment = {}
    for number, issue in enumerate(groups, 1):
        for c in issue.concerns:
            assignment[c.pk] = number
    with open(args.out, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["id", "group"])
        for r in rows:
            writer.writerow([r.id, assignment.get(r.pk, "")])
    print(f"{len(rows):,} messages, {len(groups)} groups, {len(assignment):,} grouped "
          f"({seconds:.1f} s CPU to group)")
    for number, issue in enumerate(groups, 1):
        print(f"  {number:>3}. {issue.residents} 位群众 · {len(issue.concerns)} 件 · "
              f"{'、'.join(issue.villages) or '—'} · {issue.label} （{'、'.join(issue.words)}）")
    if any(r.matter for r in rows):
        purity, coverage = scores(rows, assignment)
        print(f"purity {purity:.3f}  coverage {coverage:.3f}")


if __name__ == "__main__":
    main()
