from django.conf import settings
from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models
from django.utils import timezone

from zhenwu.core.roles import Role


class User(AbstractUser):
    """账号. Every account has one role and the scope that role needs.

    Scope fields by role: town-wide roles (town_admin, leader, dispatcher) and secretaries and
    grid workers carry an `area`; secretaries and instructors a `party_org` (instructors may have
    more branches through study assignments); handlers a `department`; members are linked from
    org.Member.user.
    """

    role = models.CharField("角色", max_length=20, choices=Role.choices, default=Role.MEMBER)
    full_name = models.CharField("姓名", max_length=50, blank=True)
    area = models.ForeignKey(
        "org.Area", verbose_name="所辖区域", null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    party_org = models.ForeignKey(
        "org.PartyOrg",
        verbose_name="所属党组织",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    department = models.ForeignKey(
        "org.Department",
        verbose_name="所属部门",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    must_change_password = models.BooleanField("下次登录须修改密码", default=False)
    password_changed_at = models.DateTimeField("密码修改时间", null=True, blank=True)

    objects = UserManager()

    class Meta:
        verbose_name = "账号"
        verbose_name_plural = "账号"
        constraints = [
            models.CheckConstraint(
                condition=models.Q(role__in=[r.value for r in Role]),
                name="user_role_valid",
            ),
        ]

    def __str__(self):
        return self.full_name or self.username

    @property
    def display_name(self):
        return self.full_name or self.username

    @property
    def needs_second_factor(self):
        """Administrators of the town and anyone who can open the configuration admin."""
        return self.is_staff or self.is_superuser or self.role in settings.ZHENWU_SECOND_FACTOR_ROLES


class ApiToken(models.Model):
    """个人接口令牌: lets a staff account's own tools call /api/v1/ as that account, with exactly the
    account's rights. Only a SHA-256 of the token is stored (zhenwu.accounts.tokens)."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name="账号", on_delete=models.CASCADE, related_name="api_tokens"
    )
    name = models.CharField("用途", max_length=80)
    prefix = models.CharField("令牌前缀", max_length=12, editable=False)
    key_hash = models.CharField("令牌哈希", max_length=64, unique=True, editable=False)
    created_at = models.DateTimeField("创建时间", default=timezone.now)
    last_used_at = models.DateTimeField("最近使用", null=True, blank=True)
    revoked_at = models.DateTimeField("吊销时间", null=True, blank=True)

    class Meta:
        db_table = "concerns_apitoken"  # moved from concerns without copying its rows
        verbose_name = "个人接口令牌"
        verbose_name_plural = "个人接口令牌"
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return f"{self.user} · {self.name}"
