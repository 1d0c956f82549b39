"""Writes to the org tree: places, party organisations, departments, households, residents, members.

Every function is keyword-only after the object it acts on, runs in one transaction and writes the
audit log. Bad input raises OrgError (a ValidationError) with a Chinese message naming
the field, so forms can show it beside the input and importers can name the row.

The `*_many` variants create many rows with bulk_create and one audit entry per row
(record_created_many); the demo loader uses them. They prepare each row exactly as the single-row
services do. The roster importer (org.roster) checks its rows in batches against the database with
errors per Excel cell, and writes with bulk_create itself, sharing id_number_hash and split_tags.
"""


from django.contrib.auth import get_user_model
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction

from zhenwu.audit.services import record_create, record_created_many, record_reveal, record_update, snapshot
from zhenwu.core.errors import DomainError
from zhenwu.lib.coords import CoordSystem, PointError, parse_point
from zhenwu.lib.crypto import blind_index
from zhenwu.lib.idnumber import (
    InvalidIdNumber,
    gender_from_id_number,
    normalize_id_number,
    validate_id_number,
)
from zhenwu.lib.phone import normalise_phone
from zhenwu.lib.request_context import Actor, acting_as, current_actor

from .models import (
    SENSITIVE_TAGS,
    Area,
    AreaLevel,
    Department,
    Gender,
    Household,
    Member,
    MemberStatus,
    PartyOrg,
    PartyOrgKind,
    PersonalNumbersMixin,
    Resident,
    ResidentTag,
)
from .signals import household_moved

ID_NUMBER_PURPOSE = "id_number"

# Which level may sit under which (None = a root).
_AREA_PARENT_LEVELS = {
    AreaLevel.COUNTY: (None,),
    AreaLevel.TOWN: (None, AreaLevel.COUNTY),
    AreaLevel.VILLAGE: (AreaLevel.TOWN,),
    AreaLevel.COMMUNITY: (AreaLevel.TOWN,),
    AreaLevel.GRID: (AreaLevel.VILLAGE, AreaLevel.COMMUNITY),
}
_ORG_PARENT_KINDS = {
    PartyOrgKind.COMMITTEE: (None, PartyOrgKind.COMMITTEE),
    PartyOrgKind.GENERAL_BRANCH: (PartyOrgKind.COMMITTEE,),
    PartyOrgKind.BRANCH: (PartyOrgKind.COMMITTEE, PartyOrgKind.GENERAL_BRANCH),
    PartyOrgKind.GROUP: (PartyOrgKind.BRANCH,),
}

REVEALABLE_FIELDS = {"phone": "联系电话", "id_number": "身份证号"}

_UNSET = object()


class OrgError(DomainError):
    """A refused write to the org tree, with a Chinese message naming the field it belongs beside."""


def id_number_hash(normalised):
    """The blind index of a normalised ID number; Resident and Member share the purpose so a
    member can be matched to a resident (and the roster importer finds both)."""
    return blind_index(normalised, purpose=ID_NUMBER_PURPOSE)


# --- places and organisations -----------------------------------------------------------------


def _required(value, field, label):
    value = (value or "").strip()
    if not value:
        raise OrgError(f"请填写{label}", field=field)
    return value


@transaction.atomic
def create_area(*, name, level, parent=None, code=""):
    """Add a place to the area tree under `parent` (None for a root)."""
    name = _required(name, "name", "名称")
    if level not in AreaLevel.values:
        raise OrgError("层级无效", field="level")
    allowed = _AREA_PARENT_LEVELS[AreaLevel(level)]
    parent_level = parent.level if parent is not None else None
    if parent_level not in allowed:
        where = parent.get_level_display() if parent is not None else "顶层"
        raise OrgError(f"{AreaLevel(level).label}不能设在{where}之下", field="level")
    code = (code or "").strip()
    if code and Area.objects.filter(code=code).exists():
        raise OrgError(f"区划代码 {code} 已被使用", field="code")
    data = {"name": name, "level": level, "code": code}
    area = Area.objects.add_root(data) if parent is None else Area.objects.add_child(parent, data)
    record_create(area)
    return area


@transaction.atomic
def create_party_org(*, name, kind, parent=None, area=None):
    """Add a party organisation under `parent` (None for a committee at the top)."""
    name = _required(name, "name", "名称")
    if kind not in PartyOrgKind.values:
        raise OrgError("党组织类型无效", field="kind")
    allowed = _ORG_PARENT_KINDS[PartyOrgKind(kind)]
    parent_kind = parent.kind if parent is not None else None
    if parent_kind not in allowed:
        where = parent.get_kind_display() if parent is not None else "顶层"
        raise OrgError(f"{PartyOrgKind(kind).label}不能设在{where}之下", field="kind")
    data = {"name": name, "kind": kind, "area": area}
    org = PartyOrg.objects.add_root(data) if parent is None else PartyOrg.objects.add_child(parent, data)
    record_create(org)
    return org


@transaction.atomic
def create_department(*, town, name, description=""):
    name = _required(name, "name", "部门名称")
    if town.level not in (AreaLevel.TOWN, AreaLevel.COUNTY):
        raise OrgError("部门须属于镇（乡）", field="town")
    if Department.objects.filter(town=town, name=name).exists():
        raise OrgError(f"{town.name}已有部门“{name}”", field="name")
    department = Department.objects.create(town=town, name=name, description=(description or "").strip())
    record_create(department)
    return department


# --- households -------------------------------------------------------------------------------


def _check_grid(grid):
    if grid is None or grid.level != AreaLevel.GRID:
        raise OrgError("户须登记在网格下", field="grid")


def _household_point(latitude, longitude, coord_system=None):
    """A dwelling's point as stored (WGS-84, zhenwu.lib.coords.parse_point): both degrees or neither."""
    try:
        return parse_point(latitude, longitude, coord_system)
    except PointError as exc:
        raise OrgError(exc.message, field=exc.field) from None


def _prepare_household(*, grid, number, address, latitude=None, longitude=None, exclude_pk=None):
    _check_grid(grid)
    number = _required(number, "number", "户编号")
    address = _required(address, "address", "地址")
    latitude, longitude = _household_point(latitude, longitude)
    clash = Household.objects.filter(number=number)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        raise OrgError(f"户编号 {number} 已存在", field="number")
    return {"grid": grid, "number": number, "address": address, "latitude": latitude, "longitude": longitude}


@transaction.atomic
def create_household(*, grid, number, address, latitude=None, longitude=None):
    """Register a household; its point (`latitude`, `longitude`, WGS-84) is optional."""
    household = Household.objects.create(**_prepare_household(
        grid=grid, number=number, address=address, latitude=latitude, longitude=longitude))
    record_create(household)
    return household


@transaction.atomic
def update_household(household, *, grid=_UNSET, number=_UNSET, address=_UNSET, latitude=_UNSET,
                     longitude=_UNSET):
    before = snapshot(household)
    from_grid_id = household.grid_id
    data = _prepare_household(
        grid=household.grid if grid is _UNSET else grid,
        number=household.number if number is _UNSET else number,
        address=household.address if address is _UNSET else address,
        latitude=household.latitude if latitude is _UNSET else latitude,
        longitude=household.longitude if longitude is _UNSET else longitude,
        exclude_pk=household.pk,
    )
    changed = _assign_changes(household, data)
    if changed:
        household.save()
        record_update(household, before)
        if household.grid_id != from_grid_id:
            household_moved.send(sender=Household, household=household, from_grid_id=from_grid_id)
    return household


def household_point_in(latitude, longitude, coord_system):
    """A point typed, pinned or located in `coord_system` (a zhenwu.lib.coords.CoordSystem value) as
    the WGS-84 (latitude, longitude) a household stores; both None when neither is given."""
    return _household_point(latitude, longitude, coord_system)


def set_household_point(household, *, latitude, longitude, coord_system=CoordSystem.WGS84):
    """Set (or, with neither degree, clear) where a dwelling is, from a point in `coord_system`;
    stored as WGS-84 and audited as an update of the household."""
    latitude, longitude = household_point_in(latitude, longitude, coord_system)
    return update_household(household, latitude=latitude, longitude=longitude)


@transaction.atomic
def create_households_many(rows, *, note=""):
    """Bulk variant of create_household for loaders: `rows` are dicts of its arguments."""
    prepared = []
    seen = set()
    for row in rows:
        _check_grid(row["grid"])
        number = _required(row["number"], "number", "户编号")
        if number in seen:
            raise OrgError(f"户编号 {number} 重复", field="number")
        seen.add(number)
        latitude, longitude = _household_point(row.get("latitude"), row.get("longitude"))
        prepared.append(Household(grid=row["grid"], number=number, address=_required(row["address"], "address", "地址"),
                                  latitude=latitude, longitude=longitude))
    if _any_taken(Household, "number", seen):
        raise OrgError("部分户编号已存在", field="number")
    households = Household.objects.bulk_create(prepared, batch_size=1000)
    record_created_many(households, note=note)
    return households


# --- personal numbers and tags ------------------------------------------------------------------


def _personal_fields(*, id_number, phone, gender, birth_date, stored_id_number=None, stored_phone=None):
    """Normalise and check the ID and phone numbers; the ID number decides gender and birth date.

    Numbers equal to the stored ones (`stored_*`) are kept as they are even if they would fail the
    check today: editing a resident's address must not be blocked by a number recorded years ago.
    """
    data = {}
    id_number = (id_number or "").strip()
    if id_number and stored_id_number and id_number == stored_id_number:
        data.update(id_number=id_number, id_number_hash=id_number_hash(normalize_id_number(id_number)))
        try:
            normalised, birth = validate_id_number(id_number)
        except InvalidIdNumber:
            data.update(birth_date=birth_date, gender=gender or "")
        else:
            data.update(birth_date=birth, gender=gender_from_id_number(normalised))
    elif id_number:
        try:
            normalised, birth = validate_id_number(id_number)
        except InvalidIdNumber as exc:
            raise OrgError(str(exc), field="id_number") from None
        data.update(
            id_number=normalised,
            id_number_hash=id_number_hash(normalised),
            birth_date=birth,
            gender=gender_from_id_number(normalised),
        )
    else:
        if gender not in ("", None) and gender not in Gender.values:
            raise OrgError("性别无效", field="gender")
        data.update(id_number="", id_number_hash="", birth_date=birth_date, gender=gender or "")
    phone = (phone or "").strip()
    if phone and not (stored_phone and phone == stored_phone):
        try:
            phone = normalise_phone(phone, mobile_only=True)
        except ValueError as exc:
            raise OrgError(str(exc), field="phone") from None
    data["phone"] = phone
    return data


_TAG_VALUES = frozenset(ResidentTag.values)  # .values builds a new list on every access


def split_tags(tags):
    """(tags, sensitive_tags): sensitive ones (health, special identity) are stored encrypted."""
    plain, sensitive = [], []
    for tag in tags or ():
        tag = str(tag)
        if tag not in _TAG_VALUES:
            raise OrgError(f"未知的标签“{tag}”", field="tags")
        target = sensitive if tag in SENSITIVE_TAGS else plain
        if tag not in target:
            target.append(tag)
    return plain, sensitive


def _any_taken(model, field, values):
    """Whether any of `values` is already stored in `field` (checked in chunks: SQLite caps the
    number of query parameters)."""
    values = list(values)
    for start in range(0, len(values), 500):
        if model.objects.filter(**{f"{field}__in": values[start : start + 500]}).exists():
            return True
    return False


def _prepare_rows(rows, prepare, model, *, noun):
    """Unsaved `model` instances from `prepare(row)` for the bulk services, with the set of their ID
    number hashes; an error names the row (第3条居民（张三）：...), as does an ID number repeated
    within `rows`."""
    prepared = []
    hashes = set()
    for index, row in enumerate(rows, start=1):
        try:
            data = prepare(row)
        except ValidationError as exc:
            raise OrgError(f"第{index}{noun}（{row.get('name', '')}）：{'；'.join(exc.messages)}") from None
        if data["id_number_hash"]:
            if data["id_number_hash"] in hashes:
                raise OrgError(f"第{index}{noun}（{data['name']}）：身份证号重复")
            hashes.add(data["id_number_hash"])
        prepared.append(model(**data))
    return prepared, hashes


def _check_id_unique(model, hash_value, exclude_pk=None):
    if not hash_value:
        return
    clash = model.objects.filter(id_number_hash=hash_value)
    if exclude_pk is not None:
        clash = clash.exclude(pk=exclude_pk)
    if clash.exists():
        kind = "居民" if model is Resident else "党员"
        raise OrgError(f"该身份证号已登记在其他{kind}档案中", field="id_number")


def _assign_changes(obj, data):
    """Set the fields whose value differs and return their names (nothing to save or log when
    none does: `updated_at` alone is not a change)."""
    changed = []
    for field, value in data.items():
        if getattr(obj, field) != value:
            setattr(obj, field, value)
            changed.append(field)
    return changed


def _save_unique(obj, **kwargs):
    """Save, turning a lost race on a unique ID number into the same error the check gives."""
    try:
        with transaction.atomic():
            obj.save(**kwargs)
    except IntegrityError as exc:
        message = str(exc)
        if "id_number_hash" in message or "_id_unique" in message:
            raise OrgError("该身份证号已被登记", field="id_number") from None
        raise


# --- residents --------------------------------------------------------------------------------


def _prepare_resident(*, name, relation="", id_number="", phone="", gender="", birth_date=None, tags=(),
                      stored=None):
    data = {"name": _required(name, "name", "姓名"), "relation": (relation or "").strip()}
    data.update(_personal_fields(
        id_number=id_number, phone=phone, gender=gender, birth_date=birth_date,
        stored_id_number=stored.id_number if stored else None, stored_phone=stored.phone if stored else None,
    ))
    data["tags"], data["sensitive_tags"] = split_tags(tags)
    return data


@transaction.atomic
def add_resident(*, household, name, relation="", id_number="", phone="", gender="", birth_date=None, tags=()):
    """Register a resident in a household. `tags` mixes ordinary and sensitive tags."""
    data = _prepare_resident(
        name=name, relation=relation, id_number=id_number, phone=phone, gender=gender,
        birth_date=birth_date, tags=tags,
    )
    _check_id_unique(Resident, data["id_number_hash"])
    resident = Resident(household=household, **data)
    _save_unique(resident)
    record_create(resident)
    return resident


@transaction.atomic
def update_resident(
    resident, *, household=_UNSET, name=_UNSET, relation=_UNSET, id_number=_UNSET, phone=_UNSET,
    gender=_UNSET, birth_date=_UNSET, tags=_UNSET,
):
    """Change a resident; omitted arguments keep their value. `tags` replaces both tag lists."""

    def pick(value, current):
        return current if value is _UNSET else value

    before = snapshot(resident)
    data = _prepare_resident(
        name=pick(name, resident.name),
        relation=pick(relation, resident.relation),
        id_number=pick(id_number, resident.id_number),
        phone=pick(phone, resident.phone),
        gender=pick(gender, resident.gender),
        birth_date=pick(birth_date, resident.birth_date),
        tags=pick(tags, list(resident.tags) + list(resident.sensitive_tags)),
        stored=resident,
    )
    _check_id_unique(Resident, data["id_number_hash"], exclude_pk=resident.pk)
    if household is not _UNSET:
        data["household"] = household
    changed = _assign_changes(resident, data)
    if changed:
        _save_unique(resident)
        record_update(resident, before)
    return resident


@transaction.atomic
def add_residents_many(rows, *, note=""):
    """Bulk variant of add_resident: `rows` are dicts of its arguments (household included)."""

    def prepare(row):
        row = dict(row)
        household = row.pop("household")
        return {"household": household, **_prepare_resident(**row)}

    prepared, hashes = _prepare_rows(rows, prepare, Resident, noun="条居民")
    if _any_taken(Resident, "id_number_hash", hashes):
        raise OrgError("部分身份证号已登记在其他居民档案中", field="id_number")
    residents = Resident.objects.bulk_create(prepared, batch_size=1000)
    record_created_many(residents, note=note)
    return residents


# --- members ----------------------------------------------------------------------------------

_MEMBER_FLAGS = ("is_elderly", "is_ill", "is_migrant", "is_active")


def _prepare_member(
    *, party_org, name, resident=None, id_number="", phone="", gender="", birth_date=None, joined_on=None,
    status=MemberStatus.FULL, is_elderly=False, is_ill=False, is_migrant=False, migrant_location="",
    is_active=True, stored=None,
):
    if party_org is None:
        raise OrgError("请选择所在党组织", field="party_org")
    if status not in MemberStatus.values:
        raise OrgError("党员类型无效", field="status")
    data = {
        "party_org": party_org,
        "resident": resident,
        "name": _required(name, "name", "姓名"),
        "joined_on": joined_on,
        "status": status,
        "is_elderly": bool(is_elderly),
        "is_ill": bool(is_ill),
        "is_migrant": bool(is_migrant),
        "migrant_location": (migrant_location or "").strip() if is_migrant else "",
        "is_active": bool(is_active),
    }
    data.update(_personal_fields(
        id_number=id_number, phone=phone, gender=gender, birth_date=birth_date,
        stored_id_number=stored.id_number if stored else None, stored_phone=stored.phone if stored else None,
    ))
    if data["birth_date"] and joined_on and joined_on < data["birth_date"]:
        raise OrgError("入党日期不能早于出生日期", field="joined_on")
    if resident is not None and data["id_number_hash"] and resident.id_number_hash not in ("", data["id_number_hash"]):
        raise OrgError("党员与所选居民的身份证号不一致", field="resident")
    return data


def _member_defaults_from_resident(resident, id_number, phone):
    if resident is None:
        return id_number, phone
    return (id_number or resident.id_number, phone or resident.phone)


@transaction.atomic
def create_member(
    *, party_org, name, resident=None, id_number="", phone="", gender="", birth_date=None, joined_on=None,
    status=MemberStatus.FULL, is_elderly=False, is_ill=False, is_migrant=False, migrant_location="",
    is_active=True,
):
    """Register a party member; when linked to a resident, missing numbers are taken from the resident."""
    id_number, phone = _member_defaults_from_resident(resident, id_number, phone)
    data = _prepare_member(
        party_org=party_org, name=name, resident=resident, id_number=id_number, phone=phone, gender=gender,
        birth_date=birth_date if birth_date or resident is None else resident.birth_date, joined_on=joined_on,
        status=status, is_elderly=is_elderly, is_ill=is_ill, is_migrant=is_migrant,
        migrant_location=migrant_location, is_active=is_active, stored=resident,
    )
    _check_id_unique(Member, data["id_number_hash"])
    if resident is not None and Member.objects.filter(resident=resident).exists():
        raise OrgError("该居民已有党员档案", field="resident")
    member = Member(**data)
    _save_unique(member)
    record_create(member)
    return member


@transaction.atomic
def update_member(member, **changes):
    """Change a member; accepts the arguments of create_member (keyword-only), omitted ones keep
    their value."""
    allowed = {
        "party_org", "name", "resident", "id_number", "phone", "gender", "birth_date", "joined_on", "status",
        "is_elderly", "is_ill", "is_migrant", "migrant_location", "is_active",
    }
    unknown = set(changes) - allowed
    if unknown:
        raise TypeError(f"update_member() got unexpected arguments: {', '.join(sorted(unknown))}")
    before = snapshot(member)
    current = {field: getattr(member, field) for field in allowed}
    current.update(changes)
    data = _prepare_member(**current, stored=member)
    _check_id_unique(Member, data["id_number_hash"], exclude_pk=member.pk)
    resident = data["resident"]
    if resident is not None and Member.objects.filter(resident=resident).exclude(pk=member.pk).exists():
        raise OrgError("该居民已有党员档案", field="resident")
    changed = _assign_changes(member, data)
    if changed:
        _save_unique(member)
        record_update(member, before)
    return member


@transaction.atomic
def create_members_many(rows, *, note=""):
    """Bulk variant of create_member: `rows` are dicts of its arguments."""
    residents = set()

    def prepare(row):
        row = dict(row)
        resident = row.get("resident")
        row["id_number"], row["phone"] = _member_defaults_from_resident(
            resident, row.get("id_number", ""), row.get("phone", "")
        )
        if resident is not None and not row.get("birth_date"):
            row["birth_date"] = resident.birth_date
        data = _prepare_member(**row, stored=resident)
        if resident is not None:
            if resident.pk in residents:
                raise OrgError("居民档案重复关联")
            residents.add(resident.pk)
        return data

    prepared, hashes = _prepare_rows(rows, prepare, Member, noun="名党员")
    if _any_taken(Member, "id_number_hash", hashes):
        raise OrgError("部分身份证号已登记在其他党员档案中", field="id_number")
    members = Member.objects.bulk_create(prepared, batch_size=1000)
    record_created_many(members, note=note)
    return members


@transaction.atomic
def link_member_account(member, *, user):
    """Link a login account to a member record (None unlinks). An account belongs to one member."""
    if user is not None:
        if not isinstance(user, get_user_model()):
            raise OrgError("账号无效", field="user")
        if Member.objects.filter(user=user).exclude(pk=member.pk).exists():
            raise OrgError(f"账号 {user.username} 已关联其他党员", field="user")
    before = snapshot(member)
    member.user = user
    member.save(update_fields=["user", "updated_at"])
    record_update(member, before, note="关联登录账号" if user is not None else "解除登录账号关联")
    return member


# --- revealing a full number --------------------------------------------------------------------


def can_reveal(obj, *, by):
    """Only those who may change a record may see its full numbers."""
    return type(obj).objects.editable_by(by).filter(pk=obj.pk).exists()


@transaction.atomic
def reveal_personal_number(obj, *, field, by):
    """Return the full phone or ID number of a resident or member, and log that `by` saw it.

    Raises PermissionDenied unless `by` may change the record."""
    if not isinstance(obj, PersonalNumbersMixin) or field not in REVEALABLE_FIELDS:
        raise OrgError("只能查看身份证号或联系电话")
    if not can_reveal(obj, by=by):
        raise PermissionDenied("没有查看完整信息的权限")
    # Outside a request (a shell, a command) the audit actor is the user named here.
    actor = current_actor() or Actor(user_id=by.pk, label=by.get_username())
    with acting_as(actor):
        record_reveal(obj, field=REVEALABLE_FIELDS[field])
    return getattr(obj, field)
