"""Navigation by role. Each entry: (label, url name, roles that see it). Apps add their entries here
as they land; a url name that does not resolve yet is skipped."""

from django.urls import NoReverseMatch, reverse

ALL_STAFF = ("town_admin", "leader", "dispatcher", "handler", "secretary", "grid_worker", "instructor")
EVERYONE = ALL_STAFF + ("member",)

MENU = [
    ("首页", "reports:home", EVERYONE),
    ("民情受理", "concerns:inbox", ("town_admin", "dispatcher")),
    ("办理队列", "concerns:queue", ("handler",)),
    ("民情诉求", "concerns:concern_list", ("town_admin", "leader", "dispatcher", "secretary", "grid_worker")),
    ("督办", "concerns:supervision", ("town_admin", "leader")),
    ("回访", "concerns:callback_list", ("town_admin", "dispatcher")),
    ("住户", "org:household_list", ("town_admin", "leader", "dispatcher", "secretary", "grid_worker")),
    ("党员", "org:member_list", ("town_admin", "leader", "secretary", "instructor")),
    ("学习教育", "study:campaign_list", ("town_admin", "leader", "secretary", "instructor")),
    ("学习活动", "study:session_list", ("town_admin", "leader", "secretary", "instructor", "member")),
    ("送学帮学", "study:lesson_list", ("town_admin", "leader", "secretary", "instructor")),
    ("指导员", "study:instructor_list", ("town_admin", "leader", "instructor")),
    ("我的学习", "study:my_study", ("member",)),
    ("联户走访", "grid:visit_home", ("town_admin", "leader", "secretary", "grid_worker", "member")),
    ("走访提醒", "grid:overdue_list", ("town_admin", "leader", "secretary", "grid_worker")),
    ("民情茶室", "grid:meeting_list", ("town_admin", "leader", "dispatcher", "secretary", "grid_worker")),
    ("活动", "activities:activity_list", ALL_STAFF + ("member",)),
    ("志愿服务", "activities:volunteer_ranking", ALL_STAFF + ("member",)),
    ("比赛", "activities:contest_list", ("town_admin", "leader", "secretary", "instructor")),
    ("榜样", "activities:role_model_list", ALL_STAFF + ("member",)),
    ("数据看板", "reports:dashboard", ("town_admin", "leader", "secretary")),
    ("台账", "reports:ledger_list", ("town_admin", "leader", "secretary")),
    ("简报", "reports:briefing_list", ("town_admin", "leader")),
    ("热点", "routing:hot_issue_list", ("town_admin", "leader", "dispatcher")),
    ("分派模型", "routing:model_list", ("town_admin",)),
    ("运行状态", "ops:status", ("town_admin",)),
    ("区域", "org:area_list", ALL_STAFF),
    ("部门", "org:department_list", ALL_STAFF),
    ("花名册导入", "org:roster_import", ("town_admin", "secretary")),
    ("账号", "accounts:user_list", ("town_admin",)),
    ("审计日志", "audit:entry_list", ("town_admin",)),
    ("接口密钥", "api:key_list", ("town_admin",)),
]


def menu_for(user, current_path=""):
    """The user's menu; at most one item is active: the one whose URL is the longest prefix of the
    current path (/grid/meetings/3/ belongs to 民情茶室, not to 联户走访 at /grid/)."""
    items = []
    for label, name, roles in MENU:
        if user.role not in roles:
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
