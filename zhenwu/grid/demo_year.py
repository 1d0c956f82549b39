"""The demo town's 民情茶室 over the last twelve months: each village holds its tea-room meetings
on the days the concerns demo received 民情茶室 concerns from it, and those concerns are linked to
the meeting they were raised at (the meeting comes from the records, not beside them). Through the
grid services; dates relative to `now`.
"""

import datetime
import random

from django.db.models import Exists, OuterRef
from django.utils import timezone

from zhenwu.concerns.models import Channel, Concern
from zhenwu.org.models import Area, AreaLevel, Member, Resident

from . import services
from .models import MeetingConcern

MEETINGS_PER_VILLAGE = 3
TOPICS = ["民情茶室：听民声、解民忧", "民情茶室：您说我做", "民情茶室：村民说事", "民情茶室：议一议村里的事"]


def load_meetings_year(town, *, now=None, seed=0):
    """Returns (meetings held, concerns linked)."""
    rng = random.Random(seed)
    now = now or timezone.now()
    zone = timezone.get_current_timezone()
    since = now - datetime.timedelta(days=365)
    meetings = linked = 0
    villages = Area.objects.filter(path__startswith=town.path, level__in=(AreaLevel.VILLAGE, AreaLevel.COMMUNITY))
    for index, village in enumerate(villages.order_by("path")):
        raised = (Concern.objects.filter(village=village, channel=Channel.TEA_ROOM, received_at__gte=since,
                                         received_at__lte=now)
                  .exclude(Exists(MeetingConcern.objects.filter(concern=OuterRef("pk"))))
                  .order_by("received_at"))
        by_day = {}
        for concern in raised:
            by_day.setdefault(timezone.localdate(concern.received_at, zone), []).append(concern)
        days = sorted(by_day)
        if len(days) > MEETINGS_PER_VILLAGE:  # spread over the year, the latest always among them
            step = len(days) / MEETINGS_PER_VILLAGE
            days = [days[len(days) - 1 - int(k * step)] for k in range(MEETINGS_PER_VILLAGE)]
        members = list(Member.objects.filter(is_active=True, party_org__area__path__startswith=village.path,
                                             is_elderly=False, is_migrant=False).order_by("id"))
        residents = list(Resident.objects.filter(household__grid__path__startswith=village.path, relation="户主",
                                                 member__isnull=True).order_by("id")[:300])
        for day in sorted(days):
            concerns = by_day[day]
            present = rng.sample(members, min(len(members), rng.randint(4, 9)))
            attendees = rng.sample(residents, min(len(residents), rng.randint(3, 12)))
            titles = "、".join(c.title for c in concerns[:3])
            recorded = min(datetime.datetime.combine(day, datetime.time(20, rng.randint(0, 59)), tzinfo=zone),
                           now - datetime.timedelta(minutes=30))
            meeting = services.record_meeting(
                area=village, title=TOPICS[(index + meetings) % len(TOPICS)], held_on=day,
                place=f"{village.name}党群服务中心茶室", host=present[0].name if present else f"{village.name}党组织书记",
                by=None, members=present, residents=attendees, guest_count=rng.randint(0, 15), now=recorded,
                minutes=f"党员群众围坐喝茶、说事，反映了{titles}等问题。会后逐条登记为民情诉求，转镇相关职能部门办理。",
            )
            for concern in concerns:
                services.link_concern_to_meeting(meeting, concern=concern, by=None)
                linked += 1
            meetings += 1
    return meetings, linked
