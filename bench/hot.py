"""Group messages into hot issues (热点) with exactly the product's grouping code, and score it.

    .venv/bin/python bench/hot.py --messages messages.csv --out groups.csv [--window-days 14]
    .venv/bin/python bench/hot.py --quick          # the built-in labelled corpus of 15 messages
    .venv/bin/python bench/hot.py --synthetic 5100 [--distinct 125] [--messages FILE] [--out FILE]

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

--synthetic N writes (to --messages, or a temporary file) and groups N generated messages: a
window where many residents send the same few texts (`--distinct` of them, five phrasings of each
matter, repeated with varying tails), the load that once took the grouping half an hour.
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

SYNTHETIC_VILLAGES = ["九龙村", "集镇村", "石灰嘴村", "梅园村", "杨梅村", "岸山村", "金刚村", "官桥社区"]
# (category, the thing, three things wrong with it): a resident names the thing and one or two of them.
SYNTHETIC_MATTERS = [
    ("道路", "石拱桥", "桥面开裂", "栏杆松动", "桥墩被水冲空"), ("道路", "村道", "坑洼不平", "下雨积水", "路基塌了一块"),
    ("道路", "路灯", "坏了一个月", "晚上看不清路", "电线裸露"), ("道路", "渡口码头", "台阶塌了", "上下船危险", "没有救生圈"),
    ("道路", "公交站台", "雨棚被风刮倒", "站牌看不清", "座椅坏了"), ("环境", "垃圾站", "满了没人清运", "发臭招苍蝇", "垃圾桶破了"),
    ("环境", "排水沟", "堵塞不通", "污水漫到路上", "盖板缺了"), ("环境", "养猪场", "粪水直排进河", "臭味熏人", "死猪乱扔"),
    ("环境", "广场舞音响", "晚上十点后还响", "声音太大", "吵得老人睡不着"), ("环境", "砂石场", "货车扬尘", "噪音扰民", "占道堆放"),
    ("供水", "自来水", "停水三天", "没有提前通知", "水压太低"), ("供水", "水管", "爆管漏水", "水表转得飞快", "维修没人来"),
    ("供水", "井水", "发黄浑浊", "有异味", "不敢喝"), ("社保", "高龄补贴", "几个月没到账", "不知道找谁", "标准变了没说明"),
    ("社保", "残疾人护理补贴", "申请后一直没批", "材料被退回", "评定等级不对"), ("社保", "医保缴费", "手机上交不了", "扣款两次", "发票打不出"),
    ("社保", "低保复核", "材料交了没回音", "被取消了", "名单没公示"), ("农业", "耕地地力保护补贴", "什么时候发放", "面积算少了", "银行卡没收到"),
    ("农业", "灌溉渠", "漏水严重", "田里放不进水", "闸门锈死"), ("农业", "野猪", "拱坏红薯地", "晚上进村", "咬伤了狗"),
    ("住房", "危房改造", "验收后款没拨", "施工队跑了", "评定不公平"), ("住房", "后山", "雨后滑坡", "石头滚到屋后", "裂缝越来越大"),
    ("教育", "校车", "早上经常迟到", "超载", "司机开得快"), ("教育", "学校食堂", "饭菜分量少", "价格涨了", "卫生差"),
    ("治安", "充电桩", "电线被偷", "收费太贵", "经常跳闸"),
]
# How residents phrase one matter: which of its three problems they name.
SYNTHETIC_PHRASINGS = [(0, 1), (1, 2), (0, 2), (0,), (1,)]
SYNTHETIC_TAILS = ["，请尽快处理。", "，希望早日解决。", "，麻烦派人看看。", "。", "，老人小孩都受影响。", "，大家意见很大。"]


def synthetic_rows(n, *, distinct=125, start=datetime(2026, 11, 20, 8)):
    """`n` messages of `distinct` texts over fourteen days, each message from its own resident:
    text d is matter d // 5 (a thing in its village, the truth) in phrasing d % 5 (one or two of its
    problems), so texts of one matter share the thing and sometimes a problem; ended by a varying
    tail."""
    texts = []
    for d in range(distinct):
        m = d // len(SYNTHETIC_PHRASINGS)
        category, thing, *problems = SYNTHETIC_MATTERS[m % len(SYNTHETIC_MATTERS)]
        place = SYNTHETIC_VILLAGES[(m + m // len(SYNTHETIC_MATTERS)) % len(SYNTHETIC_VILLAGES)]
        said = "，".join(problems[k] for k in SYNTHETIC_PHRASINGS[d % len(SYNTHETIC_PHRASINGS)])
        texts.append((category, place, thing, f"{place}{thing}{said}", f"m{m}"))
    rows = []
    for i in range(n):
        category, place, thing, text, matter = texts[i % distinct]
        at = start + timedelta(minutes=(i * 240) % (14 * 24 * 60 - 1))
        rows.append((str(i + 1), f"r{i}", text[:20], text + SYNTHETIC_TAILS[i % len(SYNTHETIC_TAILS)],
                     at.isoformat(timespec="minutes"), place, category, matter))
    return rows


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
    parser.add_argument("--synthetic", type=int, default=0, metavar="N", help="group N generated messages")
    parser.add_argument("--distinct", type=int, default=125, help="distinct texts of --synthetic")
    args = parser.parse_args(argv)
    if args.quick or args.synthetic:
        import tempfile

        folder = Path(tempfile.mkdtemp(prefix="hot-"))
        args.messages, args.out = args.messages or folder / "messages.csv", args.out or folder / "groups.csv"
        with open(args.messages, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(FIELDS)
            writer.writerows(synthetic_rows(args.synthetic, distinct=args.distinct) if args.synthetic else CORPUS)
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
    for number, issue in enumerate(groups[:40] if args.synthetic else groups, 1):
        print(f"  {number:>3}. {issue.residents} 位群众 · {len(issue.concerns)} 件 · "
              f"{'、'.join(issue.villages) or '—'} · {issue.label} （{'、'.join(issue.words)}）")
    if any(r.matter for r in rows):
        purity, coverage = scores(rows, assignment)
        print(f"purity {purity:.3f}  coverage {coverage:.3f}")


if __name__ == "__main__":
    main()
