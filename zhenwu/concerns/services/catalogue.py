"""The county's catalogue of categories and each town's own rules for them.

The Category rows without a town are the county catalogue (县级类别目录): names, codes, the
county's default department and its response and resolution limits. A town adopts the catalogue as
it is, or sets its own default department and, where the county allows
(`Category.town_limits_allowed`), its own limits in a TownCategorySetting; it may also add extra
categories of its own (a Category with its `town`), used by its concerns only. Everything that
routes a concern or sets its deadlines asks `category_setting_for(category, town_id=...)`: the
town's value first, else the county's.
"""

from dataclasses import dataclass
from functools import cached_property

from django.db import transaction

from zhenwu.audit.services import record_create, record_delete, record_update, snapshot
from zhenwu.org.models import AreaLevel, Department, town_of

from .. import access
from ..models import Category, TownCategorySetting
from .common import ConcernError, ConcernPermissionDenied

MAX_LIMIT_DAYS = 365


@dataclass(frozen=True)
class CategorySetting:
    """The rules that hold for one category in one town (本镇生效设置)."""

    category: Category
    town_id: int | None
    response_limit_days: int
    resolution_limit_days: int
    own: TownCategorySetting | None  # the town's row, None when it adopts the county's values

    # The departments are read when asked for (the intake needs only the limits).
    @cached_property
    def county_department(self):
        """What the county's default department gives this town: it is some town's department
        (or, later, a county department that takes concerns only when they are handed up), so it
        routes the concerns of that town only."""
        department = self.category.default_department
        if department is not None and self.town_id is not None and department.town_id != self.town_id:
            return None
        return department

    @cached_property
    def default_department(self):
        if self.own is not None and self.own.default_department_id is not None:
            return self.own.default_department
        return self.county_department

    @property
    def own_department(self):
        return self.own is not None and self.own.default_department_id is not None

    @property
    def own_limits(self):
        """Whether either limit in force is the town's own."""
        return (
            self.own is not None
            and self.category.town_limits_allowed
            and (self.own.response_limit_days is not None or self.own.resolution_limit_days is not None)
        )


def _resolve(category, town_id, own):
    response = category.response_limit_days
    resolution = category.resolution_limit_days
    if own is not None and category.town_limits_allowed:
        if own.response_limit_days is not None:
            response = own.response_limit_days
        if own.resolution_limit_days is not None:
            resolution = own.resolution_limit_days
    # The county may change its limits after a town set one of its own: resolution never comes
    # before the first response (the rule Category's constraint holds for the county values).
    resolution = max(resolution, response)
    return CategorySetting(
        category=category,
        town_id=town_id,
        response_limit_days=response,
        resolution_limit_days=resolution,
        own=own,
    )


def active_categories(town_id):
    """The categories offered to a concern of `town_id` (the county's and the town's own)."""
    return Category.objects.filter(is_active=True).for_town(town_id).only("id", "name", "code", "sort_order")


def user_town_id(user):
    """The id of the town whose categories a staff account picks from, None for a county account
    or one without a place (it then sees every town's)."""
    town = town_of(user)
    return town.pk if town is not None and town.level == AreaLevel.TOWN else None


def check_category_in_town(category, *, town_id):
    """Refuse a town's own extra category for a concern of another town (or of no town)."""
    if category.town_id is not None and category.town_id != town_id:
        raise ConcernError(f"“{category.name}”是{category.town.name}自设的类别，不适用于所选地点", field="category")


def category_setting_for(category, *, town_id):
    """The rules in force for `category` in the town `town_id` (a concern's `town_id`): the town's
    own default department and limits where it set them, the county's otherwise. One query when
    the town may have a row; none for a concern without a town."""
    own = None
    if town_id is not None:
        own = (
            TownCategorySetting.objects.filter(town_id=town_id, category_id=category.pk)
            .select_related("default_department")
            .first()
        )
    return _resolve(category, town_id, own)


def category_settings_for_town(town_id, categories):
    """{category pk: CategorySetting} for many categories of one town, in one query."""
    categories = list(categories)
    own = {}
    if town_id is not None:
        rows = TownCategorySetting.objects.filter(
            town_id=town_id, category_id__in=[c.pk for c in categories]
        ).select_related("default_department")
        own = {row.category_id: row for row in rows}
    return {c.pk: _resolve(c, town_id, own.get(c.pk)) for c in categories}


def attach_default_departments(concerns):
    """Set `default_department` on each concern of a page (its category's default department in
    its town, or None): one query per town on the page. Returns the concerns as a list."""
    concerns = list(concerns)
    by_town = {}
    for concern in concerns:
        by_town.setdefault(concern.town_id, {})[concern.category_id] = concern.category
    settings = {
        town_id: category_settings_for_town(town_id, categories.values())
        for town_id, categories in by_town.items()
    }
    for concern in concerns:
        concern.default_department = settings[concern.town_id][concern.category_id].default_department
    return concerns


def _clean_limit(value, *, label, field, minimum):
    if value in (None, ""):
        return None
    try:
        number = int(str(value).strip())
    except (TypeError, ValueError):
        raise ConcernError(f"{label}须为整数（工作日），或留空按县里的时限", field=field) from None
    if not minimum <= number <= MAX_LIMIT_DAYS:
        raise ConcernError(f"{label}须在{minimum}到{MAX_LIMIT_DAYS}个工作日之间", field=field)
    return number


@transaction.atomic
def set_town_category_setting(
    *, town, category, by, default_department=None, response_limit_days=None, resolution_limit_days=None
):
    """Set `town`'s own rules for a county category; a value left None (or empty) adopts the
    county's. Returns the town's row, or None when nothing of its own is left (the row is then
    removed). Each write is audited like any other configuration change."""
    if town is None or town.level != AreaLevel.TOWN:
        raise ConcernError("请选择镇")
    if not access.can_configure_town(by, town):
        raise ConcernPermissionDenied("只有本镇管理员可以设置本镇的诉求类别")
    if not isinstance(category, Category):
        raise ConcernError("请选择诉求类别", field="category")
    if category.town_id is not None:
        raise ConcernError("本镇自设的类别请在其本身的设置中修改", field="category")
    if default_department is not None and (
        not isinstance(default_department, Department)
        or default_department.town_id != town.pk
        or not default_department.is_active
    ):
        raise ConcernError("本镇默认承办部门须是本镇启用中的部门", field="default_department")
    response = _clean_limit(
        response_limit_days, label="本镇响应时限", field="response_limit_days", minimum=0
    )
    resolution = _clean_limit(
        resolution_limit_days, label="本镇办结时限", field="resolution_limit_days", minimum=1
    )
    if (response is not None or resolution is not None) and not category.town_limits_allowed:
        field = "response_limit_days" if response is not None else "resolution_limit_days"
        raise ConcernError(f"县里规定“{category.name}”的时限各镇不能自定，请留空", field=field)
    effective_response = category.response_limit_days if response is None else response
    effective_resolution = category.resolution_limit_days if resolution is None else resolution
    if effective_resolution < effective_response:
        raise ConcernError(
            f"本镇办结时限（{effective_resolution}个工作日）不能短于响应时限（{effective_response}个工作日）",
            field="resolution_limit_days",
        )

    row = (
        TownCategorySetting.objects.select_for_update()
        .filter(town=town, category=category)
        .first()
    )
    empty = default_department is None and response is None and resolution is None
    note = f"{town.name}“{category.name}”类别设置"
    if row is None:
        if empty:
            return None
        row = TownCategorySetting.objects.create(
            town=town,
            category=category,
            default_department=default_department,
            response_limit_days=response,
            resolution_limit_days=resolution,
        )
        record_create(row, note=note)
        return row
    if empty:
        record_delete(row, note=f"{note}：恢复按县里的设置")
        row.delete()
        return None
    before = snapshot(row)
    row.default_department = default_department
    row.response_limit_days = response
    row.resolution_limit_days = resolution
    row.save()
    record_update(row, before, note=note)
    return row


def _own_category_code(town):
    """A code for a town's own category: the town's 区划代码 (or its id) and a number."""
    prefix = town.code or f"T{town.pk}"
    n = Category.objects.filter(town=town).count() + 1
    while Category.objects.filter(code=f"{prefix}-{n}").exists():
        n += 1
    return f"{prefix}-{n}"


@transaction.atomic
def save_town_category(
    *,
    town,
    by,
    name,
    category=None,
    group="",
    default_department=None,
    response_limit_days=None,
    resolution_limit_days=None,
    is_active=True,
):
    """Add (category=None) or change one of `town`'s own extra categories (本镇自设类别), used by
    the town's concerns only. Its limits are its own, required; its default department one of
    the town's. Audited like any configuration change."""
    if town is None or town.level != AreaLevel.TOWN:
        raise ConcernError("请选择镇")
    if not access.can_configure_town(by, town):
        raise ConcernPermissionDenied("只有本镇管理员可以设置本镇的诉求类别")
    if category is not None and category.town_id != town.pk:
        raise ConcernError("只能修改本镇自设的类别", field="category")
    name = (name or "").strip()
    if not name:
        raise ConcernError("请填写类别名称", field="name")
    if len(name) > 50:
        raise ConcernError(f"类别名称不能超过50字（现为{len(name)}字）", field="name")
    group = (group or "").strip()
    if len(group) > 50:
        raise ConcernError(f"大类不能超过50字（现为{len(group)}字）", field="group")
    clash = Category.objects.for_town(town.pk).filter(name=name, is_active=True)
    if category is not None:
        clash = clash.exclude(pk=category.pk)
    if clash.exists():
        raise ConcernError(f"已有名为“{name}”的类别（县级目录或本镇自设），请换一个名称", field="name")
    if default_department is not None and (
        not isinstance(default_department, Department)
        or default_department.town_id != town.pk
        or not default_department.is_active
    ):
        raise ConcernError("默认承办部门须是本镇启用中的部门", field="default_department")
    response = _clean_limit(response_limit_days, label="响应时限", field="response_limit_days", minimum=0)
    resolution = _clean_limit(resolution_limit_days, label="办结时限", field="resolution_limit_days", minimum=1)
    if response is None:
        raise ConcernError("请填写响应时限（工作日）", field="response_limit_days")
    if resolution is None:
        raise ConcernError("请填写办结时限（工作日）", field="resolution_limit_days")
    if resolution < response:
        raise ConcernError(
            f"办结时限（{resolution}个工作日）不能短于响应时限（{response}个工作日）", field="resolution_limit_days"
        )
    values = dict(
        name=name,
        group=group,
        default_department=default_department,
        response_limit_days=response,
        resolution_limit_days=resolution,
        is_active=bool(is_active),
    )
    if category is None:
        category = Category.objects.create(town=town, code=_own_category_code(town), sort_order=1000, **values)
        record_create(category, note=f"{town.name}自设类别“{name}”")
        return category
    category = Category.objects.select_for_update().get(pk=category.pk)
    before = snapshot(category)
    for field, value in values.items():
        setattr(category, field, value)
    category.save()
    record_update(category, before, note=f"{town.name}自设类别“{name}”")
    return category
