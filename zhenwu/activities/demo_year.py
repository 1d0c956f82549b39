"""The demo town's activities and volunteer service over the last twelve months, up to the day of
loading: two or three a month, by the town's departments and the village organisations, each with
its volunteers (members and residents of the place), their hours (some fractional) confirmed by the
organiser the next working day — except the last week's, still waiting — and the people reached.
Through the activities services; dates relative to `now`.
"""

import datetime
import random
from decimal import Decimal

from django.utils import timezone

from zhenwu.workdays import calendar as workdays

from . import services
from .models import ActivityKind, ParticipationRole

SEED = 20260601
MONTHS = 12

# kind, title, department (None: the village's organisation), place, hours, beneficiaries, description
PLANS = [
    (ActivityKind.LABOUR, "{village}人居环境整治义务劳动", None, "{village}各村民小组", Decimal("3"), 0, ""),
    (ActivityKind.CARE_VISIT, "{village}走访慰问独居老人", None, "{village}", Decimal("2.5"), 40, "独居、空巢老人"),
    (ActivityKind.PATROL, "森林防火巡逻", "农业线", "{village}林区沿线", Decimal("4"), 0, ""),
    (ActivityKind.TALK, "{village}政策宣讲进院落", None, "{village}农家院落", Decimal("2"), 80, "群众"),
    (ActivityKind.VOLUNTEER, "{village}“护苗行动”暑期关爱留守儿童", None, "{village}党群服务中心",
     Decimal("3.5"), 30, "留守儿童"),
    (ActivityKind.CULTURE, "“文化进万家”送戏下乡", "文联", "{village}文化广场", Decimal("5"), 300, "群众"),
    (ActivityKind.LABOUR, "“文明浏阳”集镇卫生大扫除", "文明办", "官桥集镇", Decimal("2.5"), 0, ""),
    (ActivityKind.VOLUNTEER, "{village}义诊和血压测量", "民政办", "{village}卫生室", Decimal("4"), 120, "老人"),
]


def local(day, hour, minute=0):
    return datetime.datetime.combine(day, datetime.time(hour, minute), tzinfo=workdays.local_zone())


def load_activities_year(t, *, now=None, seed=SEED):
    """`t`: the activities demo's view of the town (demo._Town). Returns counts for the summary."""
    rng = random.Random(seed)
    now = now or timezone.now()
    today = timezone.localdate(now)
    villages = sorted(name for name, area in t.areas.items() if area.level in ("village", "community"))
    counts = {"activities": 0, "participations": 0}
    n = 0
    for month in range(MONTHS - 1, -1, -1):
        for slot in range(2 + month % 2):
            day = today - datetime.timedelta(days=30 * month + 3 + slot * 9 + rng.randint(0, 4))
            if day >= today:
                continue
            kind, title, department, place, hours, beneficiaries, description = PLANS[n % len(PLANS)]
            village = villages[(n * 3 + month) % len(villages)]
            n += 1
            area = t.areas[village] if "{village}" in title or "{village}" in place else t.town
            org = None if department else t.village_org(village)
            start = local(day, 8, 30) if kind != ActivityKind.TALK else local(day, 19)
            activity = services.create_activity(
                kind=kind, title=title.format(village=village), starts_at=start,
                ends_at=start + datetime.timedelta(hours=float(hours)), place=place.format(village=village),
                area=area, department=t.departments[department] if department else None, party_org=org,
                beneficiary_count=beneficiaries + rng.randint(0, beneficiaries // 2) if beneficiaries else 0,
                beneficiary_description=description, by=t.admin,
            )
            members = t.able(t.members_of(village))
            people = rng.sample(members, min(len(members), rng.randint(6, 14)))
            people += rng.sample(t.residents_of(village), rng.randint(2, 8))
            for person in people:
                key = "member" if person in members else "resident"
                services.add_participant(activity, role=ParticipationRole.VOLUNTEER, hours=hours, **{key: person})
            counts["participations"] += len(people)
            counts["activities"] += 1
            if day < today - datetime.timedelta(days=7):
                confirmed = workdays.next_workday(day)
                if confirmed < today:
                    services.confirm_all_hours(activity, by=t.admin,
                                               now=local(confirmed, 10, rng.randint(0, 50)))
    return counts
