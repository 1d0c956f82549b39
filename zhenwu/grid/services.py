"""Writes of 网格与联户. Keyword-only, atomic, audited; refusals are GridError with a Chinese
message naming the field (views attach them to the form).

Idempotency: a visit carries the key its form generated (drafts.js on the phone keeps it with the
draft), so a replayed POST returns the first visit; its concern is submitted with a key derived
from the visit's, so a replay never makes a second concern either. Meeting concerns likewise take
the meeting form's key plus the row number.
"""

import datetime
import uuid
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Max, OuterRef, Q, Subquery
from django.utils import timezone

from zhenwu.audit.models import AuditAction
from zhenwu.audit.services import record_create, record_delete, record_event, record_update, snapshot
from zhenwu.concerns.models import Channel
from zhenwu.concerns.services import ConcernError, submit_concern
from zhenwu.core.errors import DomainError
from zhenwu.lib import photos, uploads
from zhenwu.org.models import AreaLevel, Household, Member

from .models import (
    ExemplarKind,
    ExemplarRecord,
    HouseholdLink,
    Meeting,
    MeetingConcern,
    MeetingPhoto,
    MemberExemplar,
    MemberRole,
    MemberRoleKind,
    Visit,
    VisitCadenceRule,
    VisitWay,
)

MAX_LINKS_PER_MEMBER = 10
MIN_LINKS_PER_MEMBER = 5
MAX_NOTES_LENGTH = 2000
MAX_MEETING_PHOTOS = 9
PHOTO_MAX_BYTES = uploads.max_photo_bytes()


class GridError(DomainError):
    """A refused request of 网格与联户, with a Chinese message naming the field it belongs beside."""


def _text(value, *, field, label, required=True, max_length=MAX_NOTES_LENGTH):
    value = (value or "").strip()
    if required and not value:
        raise GridError(f"请填写{label}", field=field)
    if len(value) > max_length:
        raise GridError(f"{label}不能超过{max_length}字（现为{len(value)}字）", field=field)
    return value


def _clean_photo(upload, field):
    try:
        return photos.clean_photo(upload, max_bytes=PHOTO_MAX_BYTES)
    except ValidationError as exc:
        raise GridError(exc.messages[0], field=field) from None


def _key(value):
    value = str(value or "").strip()[:64]
    return value or None


# --- links and roles ----------------------------------------------------------------------------


@transaction.atomic
def link_households(*, member, households, by, started_on=None):
    """Link `member` to the households (those already linked to this member are skipped). Refused
    beyond MAX_LINKS_PER_MEMBER active links. Returns the new links."""
    started_on = started_on or timezone.localdate()
    if not member.is_active:
        raise GridError(f"{member.name}已不在册，不能联户", field="member")
    # Lock the member row so two concurrent assignments cannot both pass the limit.
    Member.objects.select_for_update().filter(pk=member.pk).first()
    current = set(
        HouseholdLink.objects.filter(member=member, ended_on__isnull=True).values_list("household_id", flat=True)
    )
    new = [h for h in dict.fromkeys(households) if h.pk not in current]
    if len(current) + len(new) > MAX_LINKS_PER_MEMBER:
        raise GridError(f"{member.name}已联系{len(current)}户，再加{len(new)}户将超过每名党员{MAX_LINKS_PER_MEMBER}户的上限", field="member")
    # The new links start with their households' latest visit and carry their grid; the rows are
    # locked so that a visit recorded or a move made meanwhile (record_visit and the move lock the
    # same row) cannot slip between the read and the insert.
    grids = _lock_households([h.pk for h in new])
    last = dict(
        Visit.objects.filter(household__in=[h.pk for h in new]).order_by().values("household")
        .annotate(last=Max("visited_on")).values_list("household", "last")
    )
    links = [
        HouseholdLink(
            member=member, household=h, grid_id=grids[h.pk], started_on=started_on, created_by=by,
            last_visited_on=last.get(h.pk),
        )
        for h in new
    ]
    for link in links:
        link.save(force_insert=True)
        record_create(link, note=f"{member.name}联系{link.household.number}")
    return links


@transaction.atomic
def end_household_link(link, *, by, ended_on=None):
    ended_on = ended_on or timezone.localdate()
    if link.ended_on is not None:
        return link
    if ended_on < link.started_on:
        raise GridError("结束日期不能早于联系起始日期", field="ended_on")
    before = snapshot(link)
    link.ended_on = ended_on
    link.save(update_fields=["ended_on"])
    record_update(link, before, note=f"解除{link.member.name}与{link.household.number}的联户（{_label(by)}）")
    return link


def _lock_households(pks):
    """Row locks on the households (PostgreSQL; SQLite's write transactions are serial already), in
    id order so that two writers cannot deadlock: a household's visits and links change one at a time.
    Returns {household id: its grid id} as locked."""
    return dict(Household.objects.select_for_update().filter(pk__in=pks).order_by("pk").values_list("pk", "grid_id"))


def follow_household_move(household, *, from_grid_id):
    """A household moved to another grid (org.services.update_household, signal household_moved):
    its links, ended ones too, carry the new grid. Derived data: not audited (the household's change is)."""
    return HouseholdLink.objects.filter(household_id=household.pk).update(grid_id=household.grid_id)


@transaction.atomic
def refresh_last_visits(*, households=None):
    """Set the links' `last_visited_on` from the visits: after visits were written in bulk (the demo
    loader, the benchmark) or to repair. `households`: ids or a queryset (all links by default).
    Returns the number of links updated. Derived data: not audited."""
    last = Visit.objects.filter(household=OuterRef("household")).order_by("-visited_on").values("visited_on")[:1]
    links = HouseholdLink.objects.all()
    if households is not None:
        links = links.filter(household__in=households)
    return links.update(last_visited_on=Subquery(last))


def _note_visit(household_id, visited_on):
    """A visit on `visited_on`: the household's links move their last visit forward to it."""
    HouseholdLink.objects.filter(household_id=household_id).filter(
        Q(last_visited_on__isnull=True) | Q(last_visited_on__lt=visited_on)
    ).update(last_visited_on=visited_on)


@dataclass
class Distribution:
    links: list
    left_over: int  # unlinked households no chosen member had room for


@transaction.atomic
def distribute_grid_households(*, grid, members, by, per_member=MAX_LINKS_PER_MEMBER, started_on=None):
    """Share the grid's unlinked households among `members`, neighbours together (household-number
    order), topping each member up to `per_member` links."""
    from .cadence import unlinked_households

    if grid.level != AreaLevel.GRID:
        raise GridError("请选择网格", field="grid")
    if not (MIN_LINKS_PER_MEMBER <= per_member <= MAX_LINKS_PER_MEMBER):
        raise GridError(f"每名党员联系户数应在{MIN_LINKS_PER_MEMBER}到{MAX_LINKS_PER_MEMBER}户之间", field="per_member")
    members = list(dict.fromkeys(members))
    if not members:
        raise GridError("请选择参与联户的党员", field="members")
    from zhenwu.org.models import Household

    pending = list(unlinked_households(Household.objects.filter(grid=grid)))
    counts = {
        m.pk: HouseholdLink.objects.filter(member=m, ended_on__isnull=True).count() for m in members
    }
    links = []
    for member in members:
        room = max(per_member - counts[member.pk], 0)
        if not pending or room == 0:
            continue
        take, pending = pending[:room], pending[room:]
        links += link_households(member=member, households=take, by=by, started_on=started_on)
    return Distribution(links=links, left_over=len(pending))


@transaction.atomic
def set_member_roles(*, member, roles, by):
    """Replace the member's 六员 roles."""
    roles = set(roles)
    unknown = roles - set(MemberRoleKind.values)
    if unknown:
        raise GridError("六员角色不正确", field="roles")
    existing = {r.role: r for r in MemberRole.objects.filter(member=member)}
    for role, row in existing.items():
        if role not in roles:
            record_event(action=AuditAction.DELETE, obj=row, note=f"{member.name}不再担任{row.get_role_display()}")
            row.delete()
    for role in roles - set(existing):
        row = MemberRole.objects.create(member=member, role=role)
        record_create(row, note=f"{member.name}担任{row.get_role_display()}")
    return sorted(roles)


MAX_PLEDGE_LENGTH = 200
MAX_RECORD_LENGTH = 1000


@transaction.atomic
def set_member_exemplars(*, member, kinds, by, pledges=None, now=None):
    """Replace the member's 六表率 commitments with `kinds`; `pledges` ({kind: text}) sets the
    promise in the member's words. A commitment that already has records (its evidence) cannot be
    withdrawn: the records would lose what they prove."""
    kinds = set(kinds)
    pledges = pledges or {}
    if kinds - set(ExemplarKind.values):
        raise GridError("六表率不正确", field="exemplars")
    existing = {row.kind: row for row in MemberExemplar.objects.filter(member=member)}
    for kind, row in existing.items():
        if kind in kinds:
            continue
        evidence = row.records.count()
        if evidence:
            raise GridError(f"{member.name}的“{row.get_kind_display()}”已有{evidence}条事迹记录，不能取消", field="exemplars")
        record_delete(row, note=f"{member.name}不再担任{row.get_kind_display()}（{_label(by)}）")
        row.delete()
    for kind in sorted(kinds):
        pledge = _text(pledges.get(kind), field=f"pledge_{kind}", label="承诺内容", required=False,
                       max_length=MAX_PLEDGE_LENGTH)
        row = existing.get(kind)
        if row is None:
            row = MemberExemplar.objects.create(member=member, kind=kind, pledge=pledge, created_by=by,
                                                created_at=now or timezone.now())
            record_create(row, note=f"{member.name}争当{row.get_kind_display()}")
        elif row.pledge != pledge:
            before = snapshot(row)
            row.pledge = pledge
            row.save(update_fields=["pledge"])
            record_update(row, before, note=f"{member.name}的{row.get_kind_display()}承诺")
    return sorted(kinds)


@transaction.atomic
def set_member_commitments(*, member, roles, exemplars, by, pledges=None):
    """A member's 六员 roles and 六表率 commitments together, as the member's roles page sets them."""
    set_member_roles(member=member, roles=roles, by=by)
    return set_member_exemplars(member=member, kinds=exemplars, pledges=pledges, by=by)


@transaction.atomic
def record_exemplar_deed(*, exemplar, done_on, description, by, photo=None, now=None):
    """A record (表率事迹) showing the member living up to one of their 六表率 commitments."""
    today = timezone.localdate(now)
    if done_on is None:
        raise GridError("请填写日期", field="done_on")
    if done_on > today:
        raise GridError("日期不能晚于今天", field="done_on")
    description = _text(description, field="description", label="事迹", max_length=MAX_RECORD_LENGTH)
    cleaned = _clean_photo(photo, "photo") if photo else None
    record = ExemplarRecord(
        exemplar=exemplar, done_on=done_on, description=description, recorded_by=by,
        photo_content_type=cleaned.content_type if cleaned else "", created_at=now or timezone.now(),
    )
    if cleaned:
        record.photo.save(getattr(cleaned, "name", "photo.jpg"), cleaned, save=False)
    record.save()
    record_create(record, note=f"{exemplar.member.name}{exemplar.get_kind_display()}事迹（{_label(by)}）")
    return record


@transaction.atomic
def delete_exemplar_deed(record, *, by):
    """Remove a record entered in error (audited; its photo goes once the transaction commits)."""
    record_delete(record, note=f"删除{record.exemplar.member.name}的表率事迹（{_label(by)}）")
    photo = record.photo
    record.delete()
    if photo:
        transaction.on_commit(lambda: photo.storage.delete(photo.name))


@transaction.atomic
def set_cadence_rule(*, town, interval_days, elderly_interval_days, by):
    if town.level != AreaLevel.TOWN:
        raise GridError("走访频次按镇设定", field="town")
    for field, value, label in (
        ("interval_days", interval_days, "走访间隔"),
        ("elderly_interval_days", elderly_interval_days, "独居老人户走访间隔"),
    ):
        if value is None or not (1 <= value <= 366):
            raise GridError(f"{label}应在1到366天之间", field=field)
    if elderly_interval_days > interval_days:
        raise GridError("独居老人户的走访间隔不能长于一般户", field="elderly_interval_days")
    rule = VisitCadenceRule.objects.filter(town=town).first()
    if rule is None:
        rule = VisitCadenceRule.objects.create(
            town=town, interval_days=interval_days, elderly_interval_days=elderly_interval_days
        )
        record_create(rule, note=f"{town.name}走访频次")
        return rule
    before = snapshot(rule)
    rule.interval_days, rule.elderly_interval_days = interval_days, elderly_interval_days
    rule.save()
    record_update(rule, before, note=f"{town.name}走访频次")
    return rule


# --- visits -------------------------------------------------------------------------------------


@dataclass
class VisitResult:
    visit: Visit
    created: bool


def _label(by):
    if by is None:
        return "系统"
    return getattr(by, "display_name", None) or by.get_username()


def concern_key_for_visit(visit_key):
    return f"visit:{visit_key}"


@transaction.atomic
def record_visit(
    *,
    household,
    visited_on,
    way,
    by,
    notes="",
    member=None,
    photo=None,
    idempotency_key=None,
    raise_concern=False,
    concern_text="",
    concern_category=None,
    concern_title="",
    reporter_name="",
    now=None,
):
    """Record a visit; with `raise_concern`, also a Concern (channel 走访) for the household's grid.

    With an `idempotency_key` already used, the first visit is returned unchanged (created=False):
    the phone's retry of a draft, or a double tap, stores one visit and one concern.
    """
    key = _key(idempotency_key)
    if key:
        existing = Visit.objects.filter(idempotency_key=key).first()
        if existing is not None:
            return VisitResult(existing, False)
    key = key or uuid.uuid4().hex
    today = timezone.localdate(now)
    if visited_on is None:
        raise GridError("请填写走访日期", field="visited_on")
    if visited_on > today:
        raise GridError("走访日期不能晚于今天", field="visited_on")
    if visited_on < today - datetime.timedelta(days=366):
        raise GridError("走访日期不能早于一年前", field="visited_on")
    if way not in VisitWay.values:
        raise GridError("请选择走访方式", field="way")
    notes = _text(notes, field="notes", label="走访情况", required=not raise_concern)
    cleaned = _clean_photo(photo, "photo") if photo else None

    visit = Visit(
        household=household,
        member=member,
        recorded_by=by,
        visited_on=visited_on,
        way=way,
        notes=notes,
        idempotency_key=key,
        photo_content_type=cleaned.content_type if cleaned else "",
        created_at=now or timezone.now(),
    )
    if cleaned:
        visit.photo.save(getattr(cleaned, "name", "photo.jpg"), cleaned, save=False)
    _lock_households([household.pk])
    try:
        with transaction.atomic():
            visit.save(force_insert=True)
    except IntegrityError:
        # The same draft arrived twice at once: the other request stored it.
        existing = Visit.objects.filter(idempotency_key=key).first()
        if existing is None:
            raise
        return VisitResult(existing, False)
    _note_visit(household.pk, visited_on)

    if raise_concern:
        text = _text(concern_text or notes, field="concern_text", label="诉求内容")
        try:
            result = submit_concern(
                text=text,
                title=concern_title,
                category=concern_category,
                area=household.grid,
                channel=Channel.VISIT,
                by=by,
                reporter_name=reporter_name,
                address=household.address,
                idempotency_key=concern_key_for_visit(key),
                received_at=now,
            )
        except ConcernError as exc:
            field = {"text": "concern_text", "category": "concern_category", "title": "concern_title"}.get(
                exc.field, None
            )
            raise GridError(exc.message, field=field) from None
        visit.concern = result.concern
        visit.save(update_fields=["concern"])
    record_create(
        visit,
        note=f"{_label(by)}{visit.get_way_display()}走访{household.number}"
        + (f"，反映诉求{visit.concern.reference}" if visit.concern_id else ""),
    )
    return VisitResult(visit, True)


@transaction.atomic
def delete_visit(visit, *, by):
    """Delete a visit recorded in error (a concern it raised stays: it has its own life). The
    household's links fall back to its latest remaining visit."""
    _lock_households([visit.household_id])
    record_delete(visit, note=f"删除{visit.visited_on:%Y-%m-%d}对{visit.household.number}的走访（{_label(by)}）")
    household_id, photo = visit.household_id, visit.photo
    visit.delete()
    refresh_last_visits(households=[household_id])
    if photo:
        transaction.on_commit(lambda: photo.storage.delete(photo.name))


# --- meetings -----------------------------------------------------------------------------------


@transaction.atomic
def record_meeting(
    *, area, title, held_on, place, host, by, minutes="", members=(), residents=(), guest_count=0, photos=(),
    now=None,
):
    """Record a 民情茶室 meeting of a village (or community) with its attendees and photos (`now`:
    when it is recorded, for loaders writing past meetings)."""
    if area is None or area.level not in (AreaLevel.VILLAGE, AreaLevel.COMMUNITY):
        raise GridError("请选择村(社区)", field="area")
    title = _text(title, field="title", label="主题", max_length=80)
    place = _text(place, field="place", label="地点", max_length=100)
    host = _text(host, field="host", label="主持人", max_length=50)
    minutes = _text(minutes, field="minutes", label="纪要", required=False, max_length=5000)
    if held_on is None:
        raise GridError("请填写日期", field="held_on")
    if held_on > timezone.localdate(now):
        raise GridError("日期不能晚于今天", field="held_on")
    if guest_count is None or guest_count < 0:
        raise GridError("人数不正确", field="guest_count")
    photos = list(photos or ())
    if len(photos) > MAX_MEETING_PHOTOS:
        raise GridError(f"照片最多{MAX_MEETING_PHOTOS}张", field="photos")
    cleaned = [_clean_photo(p, "photos") for p in photos]
    meeting = Meeting.objects.create(
        area=area, title=title, held_on=held_on, place=place, host=host, minutes=minutes,
        guest_count=guest_count, created_by=by, created_at=now or timezone.now(),
    )
    members, residents = list(members), list(residents)
    meeting.members.set(members)
    meeting.residents.set(residents)
    for photo in cleaned:
        row = MeetingPhoto(meeting=meeting, content_type=photo.content_type)
        row.file.save(getattr(photo, "name", "photo.jpg"), photo, save=False)
        row.save()
    record_create(
        meeting,
        note=f"民情茶室：党员{len(members)}人、群众{len(residents) + guest_count}人、照片{len(cleaned)}张",
    )
    return meeting


@dataclass
class RaisedConcern:
    text: str
    category: object
    title: str = ""
    reporter_name: str = ""
    reporter_phone: str = ""
    area: object = None  # a grid of the meeting's village; the village itself when None
    number: int | None = None  # the row's number on the form (messages and keys); its position otherwise


def meeting_concern_key(meeting, key, index):
    return f"meeting:{meeting.pk}:{key}:{index}"[:64]


@transaction.atomic
def raise_concerns_from_meeting(meeting, *, concerns, by, idempotency_key=None):
    """Register several concerns (channel 民情茶室) at once, each linked back to the meeting.
    A replay with the same form key links the same concerns again (nothing duplicated).
    Returns the concerns in order. A refused row names its number: 第2条：请选择诉求类别."""
    concerns = list(concerns)
    if not concerns:
        raise GridError("请至少填写一条诉求", field="concerns")
    key = _key(idempotency_key) or uuid.uuid4().hex[:16]
    out = []
    for position, item in enumerate(concerns, start=1):
        index = item.number or position
        area = item.area or meeting.area
        if not area.path.startswith(meeting.area.path):
            raise GridError(f"第{index}条：所在网格不属于{meeting.area.name}", field="concerns")
        try:
            result = submit_concern(
                text=item.text,
                title=item.title,
                category=item.category,
                area=area,
                channel=Channel.TEA_ROOM,
                by=by,
                reporter_name=item.reporter_name,
                reporter_phone=item.reporter_phone,
                address=meeting.place,
                idempotency_key=meeting_concern_key(meeting, key, index),
            )
        except ConcernError as exc:
            raise GridError(f"第{index}条：{exc.message}", field="concerns") from None
        link_concern_to_meeting(meeting, concern=result.concern, by=by)
        out.append(result.concern)
    return out


@transaction.atomic
def record_meeting_with_concerns(*, area, by, concerns=(), idempotency_key=None, **fields):
    """Record a meeting and, in the same step, the concerns residents raised at it (the meeting
    form's optional rows; the form a phone filled in without signal sends both at once). Either
    both are stored or neither. Returns (meeting, concerns)."""
    meeting = record_meeting(area=area, by=by, **fields)
    concerns = list(concerns)
    raised = raise_concerns_from_meeting(meeting, concerns=concerns, by=by, idempotency_key=idempotency_key) \
        if concerns else []
    return meeting, raised


@transaction.atomic
def link_concern_to_meeting(meeting, *, concern, by):
    """Link an already registered concern to the meeting it was raised at (idempotent)."""
    existing = MeetingConcern.objects.filter(concern=concern).first()
    if existing is not None:
        if existing.meeting_id != meeting.pk:
            raise GridError(f"诉求{concern.reference}已关联其他民情茶室", field="concerns")
        return existing
    link = MeetingConcern.objects.create(meeting=meeting, concern=concern)
    record_create(link, note=f"民情茶室“{meeting.title}”反映诉求{concern.reference}")
    return link
