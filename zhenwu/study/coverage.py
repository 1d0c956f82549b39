"""不落一人: members × required items, each pair done, made up, excused or missing.

A pair (member, required item) is
- done      when the member signed in to a session that satisfies the item and, if the item has a
            notes rule (CampaignItem.notes_rule), their 学习笔记 of that same session meets it:
            submitted (待审阅 or 已审阅; a note returned for more does not count) or checked (已审阅);
- made up   when not done, but a confirmed home lesson for the member names the item (a home
            lesson needs no notes: it is given to those who cannot come, often cannot write);
- notes due when neither, but the member signed in to a session satisfying the item: they came,
            their notes are missing or not yet good enough (缺笔记);
- excused   when none of these, but the member's leave from a session satisfying the item was
            approved;
- missing   otherwise.
Only done and made up count as completed: an excused member still owes the item, and so does one
whose notes are due. `Counts.missing` counts every pair not completed nor excused (notes due
included); `Counts.notes_due` says how many of those are only waiting for notes.

The figures come from grouped aggregate queries (distinct members per organisation and item), so
the number of queries does not grow with the number of members. Lists of who misses what are
read one organisation (or one bounded batch of members) at a time.
"""

import tempfile
from dataclasses import dataclass, field

from django.db.models import BooleanField, Count, Exists, ExpressionWrapper, F, OuterRef, Q
from django.utils import timezone

from zhenwu.org.models import Area, AreaLevel, Member, PartyOrg

from .access import _minimal, org_q, scope_paths
from .models import (
    Attendance,
    HomeLessonItem,
    ItemKind,
    LeaveRequest,
    LeaveStatus,
    NotesRule,
    NoteStatus,
    StudyNote,
)


class Status:
    DONE = "done"
    MADE_UP = "made_up"
    NOTES_DUE = "notes_due"
    EXCUSED = "excused"
    MISSING = "missing"

    LABELS = {"done": "已完成", "made_up": "已补学", "notes_due": "缺笔记", "excused": "请假", "missing": "未完成"}
    SHORT = {"done": "✓", "made_up": "补", "notes_due": "记", "excused": "假", "missing": "✗"}


# Notes that satisfy each rule.
NOTE_STATUSES_FOR = {
    NotesRule.SUBMITTED: (NoteStatus.SUBMITTED, NoteStatus.CHECKED),
    NotesRule.CHECKED: (NoteStatus.CHECKED,),
}


@dataclass
class Counts:
    total: int = 0
    done: int = 0
    made_up: int = 0
    excused: int = 0
    notes_due: int = 0  # part of `missing`: attended, notes not (yet) meeting the item's rule

    @property
    def missing(self):
        return self.total - self.done - self.made_up - self.excused

    @property
    def completed(self):
        return self.done + self.made_up

    @property
    def completion(self):
        """Completed share in percent (one decimal); 100 when nothing is owed."""
        return round(100 * self.completed / self.total, 1) if self.total else 100.0

    def add(self, other):
        self.total += other.total
        self.done += other.done
        self.made_up += other.made_up
        self.excused += other.excused
        self.notes_due += other.notes_due


@dataclass
class OrgRow:
    org: PartyOrg
    town: Area | None
    members: int
    counts: Counts


@dataclass
class TownRow:
    town: Area | None
    members: int = 0
    counts: Counts = field(default_factory=Counts)


@dataclass
class Summary:
    items: list
    orgs: list
    towns: list
    per_item: list
    overall: Counts
    members: int


def required_items(campaign):
    return list(campaign.items.filter(kind=ItemKind.REQUIRED).order_by("position", "id"))


def campaign_paths(campaign):
    return _minimal(campaign.party_orgs.values_list("path", flat=True))


def member_q(campaign_paths_, *, user=None, org=None, prefix=""):
    """Q over members (through `prefix`, e.g. "member__") expected by the campaign, within the
    user's scope and, if given, in one organisation (exactly that one)."""
    q = Q(**{f"{prefix}is_active": True}) & org_q(campaign_paths_, field=f"{prefix}party_org")
    if user is not None:
        q &= org_q(scope_paths(user), field=f"{prefix}party_org")
    if org is not None:
        q &= Q(**{f"{prefix}party_org_id": org.pk})
    return q


def _attendance_items():
    """Sign-ins, one row per item their session satisfies, with that item (`item`) and its notes rule
    (`rule`). Both come from the same join, so `rule` is the rule of `item`."""
    return Attendance.objects.annotate(item=F("session__session_items__item_id"),
                                       rule=F("session__session_items__item__notes_rule"))


def _notes_ok():
    """Over _attendance_items(): the member's notes of that session meet the item's rule (always,
    for an item without one)."""
    notes = StudyNote.objects.filter(member_id=OuterRef("member_id"), session_id=OuterRef("session_id"))
    q = Q(rule=NotesRule.NONE)
    for rule, statuses in NOTE_STATUSES_FOR.items():
        q |= Q(rule=rule) & Exists(notes.filter(status__in=statuses))
    return q


def _done_exists(member_ref, item_ref):
    return Exists(_attendance_items().filter(member_id=member_ref, item=item_ref).filter(_notes_ok()))


def _attended_exists(member_ref, item_ref):
    return Exists(Attendance.objects.filter(member_id=member_ref, session__session_items__item_id=item_ref))


def _made_up_exists(member_ref, item_ref):
    return Exists(HomeLessonItem.objects.filter(lesson__member_id=member_ref, item_id=item_ref,
                                                lesson__confirmed_at__isnull=False))


def _done_pairs(item_ids, mq):
    return _attendance_items().filter(mq, item__in=item_ids).filter(_notes_ok())


def _notes_due_pairs(item_ids, mq):
    """Sign-ins for items with a notes rule whose member has no session of the item with good
    enough notes, nor a home lesson for it."""
    return (_attendance_items().filter(mq, item__in=item_ids).exclude(rule=NotesRule.NONE)
            .filter(~_done_exists(OuterRef("member_id"), OuterRef("item")),
                    ~_made_up_exists(OuterRef("member_id"), OuterRef("item"))))


def _made_up_pairs(item_ids, mq):
    return HomeLessonItem.objects.filter(mq, item_id__in=item_ids, lesson__confirmed_at__isnull=False)


def _excused_pairs(item_ids, mq):
    return (LeaveRequest.objects.annotate(item=F("session__session_items__item_id"))
            .filter(mq, item__in=item_ids, status=LeaveStatus.APPROVED))


def _grouped(rows, org_key, item_key, target):
    for row in rows:
        target[(row[org_key], row[item_key])] = row["n"]


def summary(campaign, *, user=None):
    """Completion per organisation, per town, per item and overall, within the user's scope."""
    items = required_items(campaign)
    item_ids = [i.pk for i in items]
    paths = campaign_paths(campaign)
    members_per_org, orgs, towns_by_path = _expected_orgs(paths, user)
    done, made_up, excused, notes_due = {}, {}, {}, {}
    if item_ids and members_per_org:
        mq = member_q(paths, user=user, prefix="member__")
        _grouped(
            _done_pairs(item_ids, mq).values("member__party_org_id", "item")
            .annotate(n=Count("member_id", distinct=True)),
            "member__party_org_id", "item", done,
        )
        _grouped(
            _made_up_pairs(item_ids, member_q(paths, user=user, prefix="lesson__member__"))
            .filter(~_done_exists(OuterRef("lesson__member_id"), OuterRef("item_id")))
            .values("lesson__member__party_org_id", "item_id")
            .annotate(n=Count("lesson__member_id", distinct=True)),
            "lesson__member__party_org_id", "item_id", made_up,
        )
        _grouped(
            _excused_pairs(item_ids, mq)
            .filter(~_attended_exists(OuterRef("member_id"), OuterRef("item")),
                    ~_made_up_exists(OuterRef("member_id"), OuterRef("item")))
            .values("member__party_org_id", "item")
            .annotate(n=Count("member_id", distinct=True)),
            "member__party_org_id", "item", excused,
        )
        noted = [i.pk for i in items if i.notes_rule]
        if noted:
            _grouped(
                _notes_due_pairs(noted, mq).values("member__party_org_id", "item")
                .annotate(n=Count("member_id", distinct=True)),
                "member__party_org_id", "item", notes_due,
            )

    org_rows, towns, per_item = [], {}, {i.pk: Counts() for i in items}
    overall = Counts()
    for org in orgs:
        n = members_per_org[org.pk]
        counts = Counts()
        for item_id in item_ids:
            key = (org.pk, item_id)
            c = Counts(total=n, done=done.get(key, 0), made_up=made_up.get(key, 0), excused=excused.get(key, 0),
                       notes_due=notes_due.get(key, 0))
            counts.add(c)
            per_item[item_id].add(c)
        town = _town_of(org, towns_by_path)
        org_rows.append(OrgRow(org=org, town=town, members=n, counts=counts))
        town_row = towns.setdefault(town.pk if town else None, TownRow(town=town))
        town_row.members += n
        town_row.counts.add(counts)
        overall.add(counts)
    town_rows = sorted(towns.values(), key=lambda t: t.town.path if t.town else "~")
    return Summary(
        items=items,
        orgs=org_rows,
        towns=town_rows,
        per_item=[(item, per_item[item.pk]) for item in items],
        overall=overall,
        members=sum(members_per_org.values()),
    )


def _expected_orgs(paths, user):
    """({org pk: expected members}, those organisations in tree order with their places,
    {path: town} above them), within the user's scope."""
    members_per_org = dict(
        Member.objects.filter(member_q(paths, user=user)).values_list("party_org_id").annotate(n=Count("id"))
    )
    orgs = list(PartyOrg.objects.filter(pk__in=members_per_org).select_related("area").order_by("path"))
    return members_per_org, orgs, _towns_for(orgs)


def _towns_for(orgs):
    """{path: town} for the towns above the organisations' places (one query)."""
    steplen = Area.steplen
    candidates = set()
    for org in orgs:
        if org.area_id:
            path = org.area.path
            candidates.update(path[:i] for i in range(steplen, len(path) + 1, steplen))
    if not candidates:
        return {}
    return {a.path: a for a in Area.objects.filter(path__in=candidates, level=AreaLevel.TOWN)}


def _town_of(org, towns_by_path):
    if not org.area_id:
        return None
    path = org.area.path
    for i in range(len(path), 0, -Area.steplen):
        town = towns_by_path.get(path[:i])
        if town is not None:
            return town
    return None


# --- statuses of individual members -------------------------------------------------------------


def pair_statuses(member_ids, item_ids):
    """{(member_id, item_id): status} for the given members and items (three queries: leave,
    sign-ins with whether their notes meet the rule, home lessons). The
    `order_by()` drops the models' default ordering, which would otherwise turn DISTINCT pairs
    into one row per sign-in."""
    member_ids = list(member_ids)
    statuses = {}
    if not member_ids or not item_ids:
        return statuses
    for pair in (LeaveRequest.objects.annotate(item=F("session__session_items__item_id"))
                 .filter(member_id__in=member_ids, item__in=item_ids, status=LeaveStatus.APPROVED)
                 .order_by().values_list("member_id", "item").distinct()):
        statuses[pair] = Status.EXCUSED
    attended = (_attendance_items().filter(member_id__in=member_ids, item__in=item_ids)
                .annotate(ok=ExpressionWrapper(_notes_ok(), output_field=BooleanField()))
                .order_by().values_list("member_id", "item", "ok").distinct())
    done = set()
    for member_id, item_id, ok in attended:
        if ok:
            done.add((member_id, item_id))
        else:
            statuses[(member_id, item_id)] = Status.NOTES_DUE
    for pair in (HomeLessonItem.objects.filter(lesson__member_id__in=member_ids, item_id__in=item_ids,
                                               lesson__confirmed_at__isnull=False)
                 .order_by().values_list("lesson__member_id", "item_id").distinct()):
        statuses[pair] = Status.MADE_UP
    for pair in done:
        statuses[pair] = Status.DONE
    return statuses


@dataclass
class MemberRow:
    member: Member
    cells: list  # [(item, status)]

    @property
    def missing_items(self):
        """Items not completed nor excused (those only waiting for notes included)."""
        return [item for item, status in self.cells if status in (Status.MISSING, Status.NOTES_DUE)]

    @property
    def notes_due_items(self):
        return [item for item, status in self.cells if status == Status.NOTES_DUE]

    @property
    def excused_items(self):
        return [item for item, status in self.cells if status == Status.EXCUSED]


def org_grid(campaign, org, *, user=None, items=None):
    """Every expected member of one organisation with the status of each required item."""
    items = items if items is not None else required_items(campaign)
    members = list(Member.objects.filter(member_q(campaign_paths(campaign), user=user, org=org)).order_by("name", "id"))
    statuses = pair_statuses([m.pk for m in members], [i.pk for i in items])
    return [
        MemberRow(member=m, cells=[(i, statuses.get((m.pk, i.pk), Status.MISSING)) for i in items])
        for m in members
    ]


def member_statuses(member, campaign):
    """[(item, status)] of one member's required items in a campaign."""
    items = required_items(campaign)
    statuses = pair_statuses([member.pk], [i.pk for i in items])
    return [(i, statuses.get((member.pk, i.pk), Status.MISSING)) for i in items]


# --- the xlsx ledger ----------------------------------------------------------------------------


def _cells_of(ws):
    """A function making `ws`'s cells: text stored as text, never a formula. openpyxl is imported
    here, not at the top, so web workers load it only when a file is written (docs/architecture.md)."""
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    def cell_of(value):
        if isinstance(value, str):
            value = ILLEGAL_CHARACTERS_RE.sub("", value)
        cell = WriteOnlyCell(ws, value=value)
        if isinstance(value, str):
            cell.data_type = "s"  # never a formula
        return cell

    return cell_of


def write_coverage(campaign, *, user=None, batch_size=1000):
    """The coverage ledger as .xlsx in a temporary file (positioned at 0): one row per member, one
    column per required item. Members are read one batch of organisations at a time, so memory
    stays level however large the county. Returns (file, member count)."""
    items = required_items(campaign)
    item_ids = [i.pk for i in items]
    paths = campaign_paths(campaign)
    members_per_org, orgs, towns_by_path = _expected_orgs(paths, user)
    from openpyxl import Workbook
    from openpyxl.utils import get_column_letter

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("不落一人")
    headers = ["镇（乡）", "党组织", "姓名", "送学对象", *[i.title for i in items], "已完成", "已补学", "请假", "未完成项目"]
    widths = [10, 22, 10, 14, *[12] * len(items), 8, 8, 8, 40]
    for index, width in enumerate(widths, start=1):
        ws.column_dimensions[get_column_letter(index)].width = width
    ws.freeze_panes = "E3"
    title = f"{campaign.name} 规定动作完成情况（导出时间 {timezone.localtime():%Y-%m-%d %H:%M}）"
    cell = _cells_of(ws)
    ws.append([cell(title)])
    ws.append([cell(h) for h in headers])

    count = 0
    batch = []
    batch_size_now = 0
    for org in orgs:
        batch.append(org)
        batch_size_now += members_per_org[org.pk]
        if batch_size_now >= batch_size:
            count += _write_batch(ws, batch, paths, user, items, item_ids, towns_by_path)
            batch, batch_size_now = [], 0
    if batch:
        count += _write_batch(ws, batch, paths, user, items, item_ids, towns_by_path)
    out = tempfile.TemporaryFile(suffix=".xlsx")
    wb.save(out)
    out.seek(0)
    return out, count


def _flags(is_elderly, is_ill, is_migrant):
    return "、".join(label for flag, label in ((is_elderly, "年老体弱"), (is_ill, "患病/残疾"),
                                                (is_migrant, "流动党员")) if flag)


def _write_batch(ws, orgs, paths, user, items, item_ids, towns_by_path):
    cell = _cells_of(ws)
    by_org = {o.pk: o for o in orgs}
    rows = list(
        Member.objects.filter(member_q(paths, user=user), party_org_id__in=list(by_org))
        .values_list("id", "party_org_id", "name", "is_elderly", "is_ill", "is_migrant")
    )
    statuses = pair_statuses([r[0] for r in rows], item_ids)
    order = {pk: index for index, pk in enumerate(by_org)}
    rows.sort(key=lambda r: (order[r[1]], r[2], r[0]))
    labels = Status.LABELS
    for member_id, org_id, name, elderly, ill, migrant in rows:
        org = by_org[org_id]
        town = _town_of(org, towns_by_path)
        cells = [statuses.get((member_id, item_id), Status.MISSING) for item_id in item_ids]
        missing = [item.title + ("（缺笔记）" if status == Status.NOTES_DUE else "")
                   for item, status in zip(items, cells, strict=True) if status in (Status.MISSING, Status.NOTES_DUE)]
        # Typed text (names, titles) is written as text cells so it can never become a formula; the
        # fixed labels and counts go in as plain values (openpyxl spends most of the export
        # time per cell object).
        ws.append([
            cell(town.name if town else ""),
            cell(org.name),
            cell(name),
            _flags(elderly, ill, migrant),
            *[labels[s] for s in cells],
            cells.count(Status.DONE),
            cells.count(Status.MADE_UP),
            cells.count(Status.EXCUSED),
            cell("、".join(missing)),
        ])
    return len(rows)


def missing_by_org(campaign, *, user=None):
    """[(org, [MemberRow with something missing])] for every organisation with a gap (one org's
    grid at a time; the summary tells which organisations to read)."""
    result = []
    overview = summary(campaign, user=user)
    for row in overview.orgs:
        if row.counts.missing <= 0:
            continue
        grid = org_grid(campaign, row.org, user=user, items=overview.items)
        gaps = [r for r in grid if r.missing_items]
        if gaps:
            result.append((row.org, gaps))
    return result


__all__ = ["Status", "Counts", "summary", "org_grid", "member_statuses", "pair_statuses", "write_coverage",
           "missing_by_org", "required_items", "campaign_paths", "member_q"]
