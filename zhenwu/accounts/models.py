from django.contrib.auth.models import AbstractUser, UserManager
from django.db import models

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
        from django.conf import settings

        return self.is_staff or self.is_superuser or self.role in settings.ZHENWU_SECOND_FACTOR_ROLES
