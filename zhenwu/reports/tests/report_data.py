"""Records for the dashboard and ledger tests, on top of the cast (官桥镇: 九龙村 with two grids,
集镇村 with one). Times are Asia/Shanghai; the reference month is October 2026.

Concerns (made directly, in the states the rates read):
 ref     received       village  state        department  call-back
 T-0001  2026-10-03     九龙     closed       城建办      满意, solved     resolved in 2 working days
 T-0002  2026-10-09     九龙     in_progress  城建办      —
 T-0003  2026-10-20     集镇     received     —           —
 T-0004  2026-09-15     九龙     closed       城建办      不满意, unsolved (the month before)
 T-0005  2026-10-10     九龙     duplicate of T-0001 (left out everywhere, as in the rates)
 T-0006  2025-12-31     集镇     closed       (outside a 2026 period)
"""

import datetime
from types import SimpleNamespace
from zoneinfo import ZoneInfo

from zhenwu.concerns.models import Category, Concern
from zhenwu.org.models import Area

SHANGHAI = ZoneInfo("Asia/Shanghai")


def local(*args):
    return datetime.datetime(*args, tzinfo=SHANGHAI)


def make_concern(cast, category, n, *, received, area, department=None, status="received", **fields):
    village = area if area.level == "village" else Area.objects.get(path=area.path[: -Area.steplen])
    values = dict(
        reference=f"T-{n:04d}", channel="hotline", title=f"测试诉求{n}", text="测试内容",
        category=category, area=area, village=village, town=cast.town, follow_token_hash=f"{n:064d}",
        received_at=received, received_month=received.date().replace(day=1),
        response_due=received + datetime.timedelta(days=1), resolution_due=received + datetime.timedelta(days=7),
        department=department, dispatched_at=received + datetime.timedelta(hours=1) if department else None,
        status=status, reporter_name="李四", reporter_phone="13800138000",
    )
    values.update(fields)
    return Concern.objects.create(**values)


def build_concerns(cast):
    road = Category.objects.create(code="road", name="道路交通", default_department=cast.urban,
                                   response_limit_days=1, resolution_limit_days=5)
    c1 = make_concern(
        cast, road, 1, received=local(2026, 10, 3, 9, 30), area=cast.jiulong_grid, department=cast.urban,
        status="closed", responded_at=local(2026, 10, 3, 15, 0), resolved_at=local(2026, 10, 6, 16, 45),
        resolution_workdays=2, outcome="fixed", callback_result="satisfied", callback_solved=True,
        callback_at=local(2026, 10, 8, 10, 0), closed_at=local(2026, 10, 8, 10, 0), is_supervised=True,
    )
    c2 = make_concern(cast, road, 2, received=local(2026, 10, 9, 20, 0), area=cast.jiulong_grid2,
                      department=cast.urban, status="in_progress", responded_at=local(2026, 10, 10, 9, 0),
                      title="=HYPERLINK(\"http://x\")<&>")
    c3 = make_concern(cast, road, 3, received=local(2026, 10, 20, 8, 0), area=cast.jizhen_grid,
                      reporter_phone="", reporter_name="")
    c4 = make_concern(
        cast, road, 4, received=local(2026, 9, 15, 11, 0), area=cast.jiulong_grid, department=cast.urban,
        status="closed", responded_at=local(2026, 9, 15, 14, 0), resolved_at=local(2026, 9, 20, 9, 0),
        resolution_workdays=3, outcome="partly", callback_result="unsatisfied", callback_solved=False,
        callback_at=local(2026, 9, 22, 9, 0), closed_at=local(2026, 9, 22, 9, 0),
    )
    c5 = make_concern(cast, road, 5, received=local(2026, 10, 10, 9, 0), area=cast.jiulong_grid,
                      status="duplicate", duplicate_of=c1)
    c6 = make_concern(cast, road, 6, received=local(2025, 12, 31, 23, 30), area=cast.jizhen_grid,
                      department=cast.urban, status="closed", resolved_at=local(2026, 1, 2, 9, 0))
    return SimpleNamespace(road=road, c1=c1, c2=c2, c3=c3, c4=c4, c5=c5, c6=c6)


def build_activities(cast):
    """Two activities in October 2026 (九龙村: 重阳 visit with 3 confirmed volunteers, 集镇村: a
    patrol with one confirmed and one unconfirmed volunteer) and one in September."""
    from decimal import Decimal

    from zhenwu.activities import services

    admin = cast.users.town_admin
    visit = services.create_activity(
        kind="care_visit", title="重阳节走访慰问老人", starts_at=local(2026, 10, 29, 9, 0), place="九龙村",
        area=cast.jiulong, party_org=cast.jiulong_org, beneficiary_count=200, beneficiary_description="老人",
        by=admin,
    )
    patrol = services.create_activity(
        kind="patrol", title="秸秆禁烧巡逻", starts_at=local(2026, 10, 12, 14, 0), place="集镇村",
        area=cast.jizhen_grid, department=cast.urban, beneficiary_count=0, by=admin,
    )
    september = services.create_activity(
        kind="labour", title="环境卫生大扫除", starts_at=local(2026, 9, 6, 8, 0), place="九龙村",
        area=cast.jiulong, party_org=cast.jiulong_org, beneficiary_count=30, by=admin,
    )
    for name, hours in (("甲", "3"), ("乙", "2.5"), ("丙", "2")):
        p = services.add_participant(visit, role="volunteer", person_name=name, hours=Decimal(hours), by=admin)
        services.confirm_hours(p, by=admin)
    p = services.add_participant(patrol, role="volunteer", person_name="丁", hours=Decimal("4"), by=admin)
    services.confirm_hours(p, by=admin)
    services.add_participant(patrol, role="volunteer", person_name="戊", hours=Decimal("5"), by=admin)
    p = services.add_participant(september, role="volunteer", person_name="甲", hours=Decimal("1"), by=admin)
    services.confirm_hours(p, by=admin)
    return SimpleNamespace(visit=visit, patrol=patrol, september=september)


VISITS_NOW = local(2026, 11, 1, 12, 0)


def build_visits(cast):
    """Three visits in October 2026 (two in 九龙村, one in 集镇村, the last raising a concern of
    the 'road' category if it exists) and one in September."""
    from zhenwu.grid import services

    admin, jl, jz = cast.users.town_admin, cast.members.jiulong, cast.members.jizhen
    h = cast.households
    visits = [
        services.record_visit(household=h.jiulong, visited_on=datetime.date(2026, 10, 2), way="home", by=admin,
                              member=jl, notes="老人身体好，询问医保报销", now=VISITS_NOW).visit,
        services.record_visit(household=h.jiulong2, visited_on=datetime.date(2026, 10, 15), way="phone", by=admin,
                              member=jl, notes="电话问候", now=VISITS_NOW).visit,
        services.record_visit(household=h.jizhen, visited_on=datetime.date(2026, 10, 20), way="home", by=admin,
                              member=jz, notes="反映路灯不亮", now=VISITS_NOW).visit,
        services.record_visit(household=h.jiulong, visited_on=datetime.date(2026, 9, 10), way="wechat", by=admin,
                              member=jl, notes="九月走访", now=VISITS_NOW).visit,
    ]
    return visits
