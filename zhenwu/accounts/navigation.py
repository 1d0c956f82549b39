"""Navigation by role. Each entry: (label, url name, roles that see it); an entry named in
MENU_TESTS is further limited to the users its test admits. Apps add their entries here as they
land; a url name that does not resolve yet is skipped."""

from django.urls import NoReverseMatch, reverse

from zhenwu.core.roles import AREA_SCOPED, EVERYONE, ORG_SCOPED, STAFF, Role

# org.AreaLevel.COUNTY (accounts sits below org and names the level by its stored value).
COUNTY_LEVEL = "county"


def at_county(user):
    """A county account: its area is the county (县/市), above the towns."""
    return getattr(user, "area_id", None) is not None and user.area.level == COUNTY_LEVEL


MENU = [
    ("首页", "reports:home", EVERYONE),
    ("民情受理", "concerns:inbox", (Role.TOWN_ADMIN, Role.DISPATCHER)),
    ("办理队列", "concerns:queue", (Role.HANDLER,)),
    ("民情诉求", "concerns:concern_list", AREA_SCOPED),
    ("督办", "concerns:supervision", (Role.TOWN_ADMIN, Role.LEADER)),
    ("回访", "concerns:callback_list", (Role.TOWN_ADMIN, Role.DISPATCHER)),
    ("延期审批", "concerns:extension_list", (Role.TOWN_ADMIN, Role.DISPATCHER, Role.LEADER)),
    ("住户", "org:household_list", AREA_SCOPED),
    ("党员", "org:member_list", ORG_SCOPED),
    ("学习教育", "study:campaign_list", ORG_SCOPED),
    ("学习活动", "study:session_list", (Role.TOWN_ADMIN, Role.LEADER, Role.SECRETARY, Role.INSTRUCTOR, Role.MEMBER)),
    ("送学帮学", "study:lesson_list", ORG_SCOPED),
    ("指导员", "study:instructor_list", (Role.TOWN_ADMIN, Role.LEADER, Role.INSTRUCTOR)),
    ("我的学习", "study:my_study", (Role.MEMBER,)),
    ("联户走访", "grid:visit_home", (Role.TOWN_ADMIN, Role.LEADER, Role.SECRETARY, Role.GRID_WORKER, Role.MEMBER)),
    ("走访提醒", "grid:overdue_list", (Role.TOWN_ADMIN, Role.LEADER, Role.SECRETARY, Role.GRID_WORKER)),
    ("民情茶室", "grid:meeting_list", AREA_SCOPED),
    ("活动", "activities:activity_list", EVERYONE),
    ("志愿服务", "activities:volunteer_ranking", EVERYONE),
    ("比赛", "activities:contest_list", ORG_SCOPED),
    ("榜样", "activities:role_model_list", EVERYONE),
    ("数据看板", "reports:dashboard", (Role.TOWN_ADMIN, Role.LEADER, Role.SECRETARY)),
    ("县级看板", "reports:county_dashboard", (Role.TOWN_ADMIN, Role.LEADER, Role.DISPATCHER)),
    ("台账", "reports:ledger_list", (Role.TOWN_ADMIN, Role.LEADER, Role.SECRETARY)),
    ("简报", "reports:briefing_list", (Role.TOWN_ADMIN, Role.LEADER)),
    ("热点", "routing:hot_issue_list", (Role.TOWN_ADMIN, Role.LEADER, Role.DISPATCHER)),
    ("诉求类别", "concerns:category_catalogue", (Role.TOWN_ADMIN,)),
    ("分派模型", "routing:model_list", (Role.TOWN_ADMIN,)),
    ("运行状态", "ops:status", (Role.TOWN_ADMIN,)),
    ("区域", "org:area_list", STAFF),
    ("部门", "org:department_list", STAFF),
    ("花名册导入", "org:roster_import", (Role.TOWN_ADMIN, Role.SECRETARY)),
    ("边界导入", "org:boundary_import", (Role.TOWN_ADMIN,)),
    ("账号", "accounts:user_list", (Role.TOWN_ADMIN,)),
    ("审计日志", "audit:entry_list", (Role.TOWN_ADMIN,)),
    ("接口密钥", "api:key_list", (Role.TOWN_ADMIN,)),
]
# Entries for some accounts of a role only: url name → test of the user.
MENU_TESTS = {"reports:county_dashboard": at_county}


def menu_for(user, current_path=""):
    """The user's menu; at most one item is active: the one whose URL is the longest prefix of the
    current path (/grid/meetings/3/ belongs to 民情茶室, not to 联户走访 at /grid/)."""
    items = []
    for label, name, roles in MENU:
        if user.role not in roles or (name in MENU_TESTS and not MENU_TESTS[name](user)):
            continue
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        items.append({"label": label, "url": url, "active": False})
    matching = [
        item for item in items
        if current_path == item["url"] or (item["url"] != "/" and current_path.startswith(item["url"]))
    ]
    if matching:
        max(matching, key=lambda item: len(item["url"]))["active"] = True
    return items
