from django.conf import settings
from django.db import models
from treebeard.mp_tree import MP_Node

from zhenwu.core.roles import AREA_SCOPED, ORG_SCOPED, Role, role_of
from zhenwu.lib.crypto import EncryptedJSONField, EncryptedTextField
from zhenwu.lib.masking import mask_id_number, mask_phone


class AreaLevel(models.TextChoices):
    COUNTY = "county", "县(市)"
    TOWN = "town", "镇(乡)"
    VILLAGE = "village", "村"
    COMMUNITY = "community", "社区"
    GRID = "grid", "网格"


class Area(MP_Node):
    """行政区域: county → town → village / community → grid, as a materialised-path tree.

    `path` prefixes give every subtree in one indexed query (scope checks rely on it).
    """

    name = models.CharField("名称", max_length=60)
    level = models.CharField("层级", max_length=12, choices=AreaLevel.choices)
    code = models.CharField("区划代码", max_length=20, blank=True)

    node_order_by = ["name"]

    class Meta:
        verbose_name = "行政区域"
        verbose_name_plural = "行政区域"
        constraints = [
            models.UniqueConstraint(
                fields=["code"], condition=~models.Q(code=""), name="area_code_unique"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_village_level(self):
        return self.level in (AreaLevel.VILLAGE, AreaLevel.COMMUNITY)

    def subtree(self):
        return Area.objects.filter(path__startswith=self.path)


class AreaBoundary(models.Model):
    """边界: the outline of a village, community or grid (or a town), as a GeoJSON geometry
    (Polygon or MultiPolygon, WGS-84 lon/lat). Kept beside the area rather than on it: an outline
    may be hundreds of kilobytes, and every request reads its user's area.

    The bounding box lets a look-up skip most outlines with a plain comparison (zhenwu.org.geo);
    `illustrative` marks outlines drawn for the demo, not surveyed ones."""

    area = models.OneToOneField(
        Area, verbose_name="区域", primary_key=True, on_delete=models.CASCADE, related_name="boundary"
    )
    geometry = models.TextField("边界(GeoJSON)")
    min_lng = models.FloatField("最小经度")
    min_lat = models.FloatField("最小纬度")
    max_lng = models.FloatField("最大经度")
    max_lat = models.FloatField("最大纬度")
    source = models.CharField("来源", max_length=120, blank=True)
    illustrative = models.BooleanField("示意边界", default=False)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    class Meta:
        verbose_name = "区域边界"
        verbose_name_plural = "区域边界"

    def __str__(self):
        return f"{self.area_id} 边界"


class PartyOrgKind(models.TextChoices):
    COMMITTEE = "committee", "党委"
    GENERAL_BRANCH = "general_branch", "党总支"
    BRANCH = "branch", "党支部"
    GROUP = "group", "党小组"


class PartyOrg(MP_Node):
    """党组织: committee → general branch → branch → group."""

    name = models.CharField("名称", max_length=80)
    kind = models.CharField("类型", max_length=16, choices=PartyOrgKind.choices)
    area = models.ForeignKey(
        Area, verbose_name="所在区域", null=True, blank=True, on_delete=models.PROTECT, related_name="party_orgs"
    )

    node_order_by = ["name"]

    class Meta:
        verbose_name = "党组织"
        verbose_name_plural = "党组织"

    def __str__(self):
        return self.name

    def subtree(self):
        return PartyOrg.objects.filter(path__startswith=self.path)


class DepartmentQuerySet(models.QuerySet):
    def visible_to(self, user):
        """Every staff account sees the departments of its own town; members see none."""
        town = town_of(user)
        if town is None or getattr(user, "role", None) == Role.MEMBER:
            return self.none()
        return self.filter(town__path__startswith=town.path)


class Department(models.Model):
    """职能部门 / 条线."""

    name = models.CharField("名称", max_length=50)
    town = models.ForeignKey(Area, verbose_name="所属镇", on_delete=models.PROTECT, related_name="departments")
    description = models.CharField("职责", max_length=200, blank=True)
    is_active = models.BooleanField("启用", default=True)

    objects = DepartmentQuerySet.as_manager()

    class Meta:
        verbose_name = "职能部门"
        verbose_name_plural = "职能部门"
        ordering = ["name"]
        constraints = [models.UniqueConstraint(fields=["town", "name"], name="department_name_unique_in_town")]

    def __str__(self):
        return self.name


AREA_EDITOR_ROLES = (Role.TOWN_ADMIN, Role.SECRETARY, Role.GRID_WORKER)
ORG_EDITOR_ROLES = (Role.TOWN_ADMIN, Role.SECRETARY)


def town_of(user):
    """The town (or the wider area, for a county account) whose places and departments a staff
    account may list: found from its area, department or party organisation. None if unscoped."""
    if not getattr(user, "is_authenticated", False):
        return None
    area = None
    if user.area_id:
        area = user.area
    elif user.department_id:
        area = user.department.town
    elif user.party_org_id and user.party_org.area_id:
        area = user.party_org.area
    else:
        member = Member.objects.filter(user=user).select_related("party_org__area").first()
        if member is not None:
            area = member.party_org.area
    if area is None or area.level in (AreaLevel.COUNTY, AreaLevel.TOWN):
        return area
    town_paths = [area.path[:pos] for pos in range(area.steplen, len(area.path), area.steplen)]
    return Area.objects.filter(path__in=town_paths, level=AreaLevel.TOWN).first() or area


def _area_prefix(user):
    """The area path a user's scope covers, or None when the role sees no area records."""
    if role_of(user) not in AREA_SCOPED or user.area_id is None:
        return None
    return user.area.path


def _org_filter(user):
    """The Q over `party_org` a user's member scope covers, or None when it covers nothing.

    Town-wide roles without a party organisation of their own fall back to the organisations
    placed in their area (a town admin must not lose the members because a field was left empty).
    """
    role = role_of(user)
    if role not in ORG_SCOPED:
        return None
    if user.party_org_id is not None:
        return models.Q(party_org__path__startswith=user.party_org.path)
    if role in (Role.TOWN_ADMIN, Role.LEADER) and user.area_id is not None:
        return models.Q(party_org__area__path__startswith=user.area.path)
    return None


class HouseholdQuerySet(models.QuerySet):
    def visible_to(self, user):
        prefix = _area_prefix(user)
        return self.none() if prefix is None else self.filter(grid__path__startswith=prefix)

    def editable_by(self, user):
        return self.visible_to(user) if role_of(user) in AREA_EDITOR_ROLES else self.none()


class ResidentQuerySet(models.QuerySet):
    def visible_to(self, user):
        prefix = _area_prefix(user)
        return self.none() if prefix is None else self.filter(household__grid__path__startswith=prefix)

    def editable_by(self, user):
        return self.visible_to(user) if role_of(user) in AREA_EDITOR_ROLES else self.none()


class MemberQuerySet(models.QuerySet):
    def visible_to(self, user):
        role = role_of(user)
        if role is None:
            return self.none()
        if role == Role.MEMBER:
            return self.filter(user=user)
        scope = _org_filter(user)
        return self.none() if scope is None else self.filter(scope)

    def editable_by(self, user):
        return self.visible_to(user) if role_of(user) in ORG_EDITOR_ROLES else self.none()


class Household(models.Model):
    """户: a dwelling and the people registered in it, placed in a grid."""

    grid = models.ForeignKey(Area, verbose_name="网格", on_delete=models.PROTECT, related_name="households")
    number = models.CharField("户编号", max_length=30)
    address = models.CharField("地址", max_length=120)
    # Where the dwelling is (WGS-84), optional: for the grid worker's map.
    latitude = models.DecimalField("纬度", max_digits=9, decimal_places=6, null=True, blank=True)
    longitude = models.DecimalField("经度", max_digits=9, decimal_places=6, null=True, blank=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = HouseholdQuerySet.as_manager()

    class Meta:
        verbose_name = "户"
        verbose_name_plural = "户"
        ordering = ["number"]
        constraints = [models.UniqueConstraint(fields=["number"], name="household_number_unique")]

    def __str__(self):
        return f"{self.number} {self.address}"


class Gender(models.TextChoices):
    MALE = "male", "男"
    FEMALE = "female", "女"


class ResidentTag(models.TextChoices):
    """Tags; SENSITIVE_TAGS reveal health or special identity (PIPL Art. 28) and are encrypted."""

    LIVING_ALONE_ELDERLY = "living_alone_elderly", "独居老人"
    EMPTY_NEST_ELDERLY = "empty_nest_elderly", "空巢老人"
    VETERAN = "veteran", "退役军人"
    MIGRANT_WORKER = "migrant_worker", "外出务工"
    MINIMUM_LIVING = "minimum_living", "低保"
    DISABLED = "disabled", "残疾"
    LEFT_BEHIND_CHILD = "left_behind_child", "留守儿童"
    SERIOUS_ILLNESS = "serious_illness", "大病"
    POVERTY_MONITORED = "poverty_monitored", "防返贫监测"


SENSITIVE_TAGS = frozenset(
    {
        ResidentTag.MINIMUM_LIVING,
        ResidentTag.DISABLED,
        ResidentTag.LEFT_BEHIND_CHILD,
        ResidentTag.SERIOUS_ILLNESS,
        ResidentTag.POVERTY_MONITORED,
    }
)


class PersonalNumbersMixin(models.Model):
    """Encrypted ID and phone numbers with a blind index for the ID; masked for display."""

    id_number = EncryptedTextField("身份证号", blank=True)
    id_number_hash = models.CharField("身份证号索引", max_length=64, blank=True, db_index=True, editable=False)
    phone = EncryptedTextField("联系电话", blank=True)

    class Meta:
        abstract = True

    @property
    def id_number_masked(self):
        return mask_id_number(self.id_number)

    @property
    def phone_masked(self):
        return mask_phone(self.phone)


class Resident(PersonalNumbersMixin):
    """居民."""

    household = models.ForeignKey(Household, verbose_name="户", on_delete=models.PROTECT, related_name="residents")
    name = models.CharField("姓名", max_length=50)
    gender = models.CharField("性别", max_length=6, choices=Gender.choices, blank=True)
    birth_date = models.DateField("出生日期", null=True, blank=True)
    relation = models.CharField("与户主关系", max_length=20, blank=True)
    tags = models.JSONField("标签", default=list, blank=True)
    sensitive_tags = EncryptedJSONField("敏感标签", blank=True, default=list)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = ResidentQuerySet.as_manager()

    class Meta:
        verbose_name = "居民"
        verbose_name_plural = "居民"
        ordering = ["household_id", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["id_number_hash"], condition=~models.Q(id_number_hash=""), name="resident_id_unique"
            ),
        ]
        indexes = [
            # The households with a resident living alone in old age (visited fortnightly,
            # zhenwu.grid.cadence): a small partial index instead of reading a county's residents.
            # Its condition is the very lookup the cadence queries write (tags__icontains of the
            # quoted tag; on SQLite with the pattern as a literal), so both databases match it.
            models.Index(
                fields=["household"], condition=models.Q(tags__icontains=f'"{ResidentTag.LIVING_ALONE_ELDERLY.value}"'),
                name="org_resident_alone_elderly_idx",
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def is_head(self):
        return self.relation == "户主"

    def tag_labels(self):
        return [ResidentTag(t).label for t in self.tags if t in ResidentTag.values]

    def sensitive_tag_labels(self):
        return [ResidentTag(t).label for t in self.sensitive_tags if t in ResidentTag.values]


class MemberStatus(models.TextChoices):
    FULL = "full", "正式党员"
    PROBATIONARY = "probationary", "预备党员"


class Member(PersonalNumbersMixin):
    """党员. Flags mark who needs door-to-door study (送学上门)."""

    party_org = models.ForeignKey(PartyOrg, verbose_name="所在党组织", on_delete=models.PROTECT, related_name="members")
    resident = models.OneToOneField(
        Resident, verbose_name="居民档案", null=True, blank=True, on_delete=models.SET_NULL, related_name="member"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name="账号",
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="member",
    )
    name = models.CharField("姓名", max_length=50)
    gender = models.CharField("性别", max_length=6, choices=Gender.choices, blank=True)
    birth_date = models.DateField("出生日期", null=True, blank=True)
    joined_on = models.DateField("入党日期", null=True, blank=True)
    status = models.CharField("党员类型", max_length=14, choices=MemberStatus.choices, default=MemberStatus.FULL)
    is_elderly = models.BooleanField("年老体弱", default=False)
    is_ill = models.BooleanField("患病/残疾", default=False)
    is_migrant = models.BooleanField("流动党员", default=False)
    migrant_location = models.CharField("流出地", max_length=80, blank=True)
    is_active = models.BooleanField("在册", default=True)
    created_at = models.DateTimeField("登记时间", auto_now_add=True)
    updated_at = models.DateTimeField("更新时间", auto_now=True)

    objects = MemberQuerySet.as_manager()

    class Meta:
        verbose_name = "党员"
        verbose_name_plural = "党员"
        ordering = ["party_org_id", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["id_number_hash"], condition=~models.Q(id_number_hash=""), name="member_id_unique"
            ),
        ]

    def __str__(self):
        return self.name

    @property
    def needs_home_study(self):
        return self.is_elderly or self.is_ill or self.is_migrant
