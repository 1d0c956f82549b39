"""Group messages into hot issues (热点) with exactly the product's grouping code, and score it.

    .venv/bin/python bench/hot.py --messages messages.csv --out groups.csv [--window-days 14]

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
    parser.add_argument("--messages", type=Path, required=True)
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--window-days", type=int, default=None)
    args = parser.parse_args(argv)
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
