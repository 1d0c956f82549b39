"""Figures of study (学习教育): sessions, sign-ins, home lessons and 帮学结对 — one named counting
function per figure, each beside the function returning the records it counts (docs/figures.md
lists where each is shown).

Which sessions an area counts (the rule of the 三会一课 ledger): the sessions of the party
organisations placed in the area, and the sessions of organisations ABOVE it (a town-wide class
counted for a village) that members of the area's organisations attended or were excused from.
A session counts in the period containing its local start date (a session lasts hours).

Sign-ins (参学人次): at the area's own sessions everyone who signed in; at sessions above it, the
area's members only — as coverage credits them to their branch.

Every function takes keyword arguments: `sessions`, a base queryset (the user's visible ones,
say; all when None), `area` (required) and `start`, `end` (local dates, both included).
"""

from django.db.models import Count, Exists, OuterRef, Q

from zhenwu.workdays import calendar as workdays

from .models import Attendance, HomeLesson, LeaveRequest, LeaveStatus, Mentorship, StudySession


def _local_members_q(area, prefix=""):
    return Q(**{f"{prefix}member__party_org__area__path__startswith": area.path})


def _in_period(qs, start, end):
    if start is not None:
        qs = qs.filter(starts_at__gte=workdays.start_of_day(start))
    if end is not None:
        qs = qs.filter(starts_at__lte=workdays.end_of_day(end))
    return qs


def with_own_flag(sessions, area):
    """The sessions annotated with `own`: held by an organisation placed in the area."""
    own = StudySession.party_orgs.through.objects.filter(studysession_id=OuterRef("pk"),
                                                          partyorg__area__path__startswith=area.path)
    return sessions.annotate(own=Exists(own))


def counted_sessions(*, sessions=None, area, start=None, end=None):
    """学习活动(场): the sessions the area counts in the period (see the module's rule)."""
    qs = _in_period(StudySession.objects.all() if sessions is None else sessions, start, end)
    came = Attendance.objects.filter(_local_members_q(area), session_id=OuterRef("pk"))
    excused = LeaveRequest.objects.filter(_local_members_q(area), session_id=OuterRef("pk"),
                                          status=LeaveStatus.APPROVED)
    return (with_own_flag(qs, area).annotate(came_here=Exists(came), excused_here=Exists(excused))
            .filter(Q(own=True) | Q(came_here=True) | Q(excused_here=True)))


def session_count(**scope):
    """学习活动(场): the number of `counted_sessions`."""
    return counted_sessions(**scope).count()


def attendance_records(*, area, **scope):
    """Sign-ins counted for the area: all sign-ins at its own counted sessions, its members' at the
    counted sessions above it."""
    sessions = counted_sessions(area=area, **scope)
    own = sessions.filter(own=True).values("pk")
    above = sessions.filter(own=False).values("pk")
    return Attendance.objects.filter(Q(session__in=own) | (Q(session__in=above) & _local_members_q(area)))


def attendance_count(**scope):
    """签到(人次): `attendance_records` counted; one member at two sessions counts twice."""
    return attendance_records(**scope).count()


def session_attendance(session, *, area):
    """Members who signed in at one session, as the area counts them (all at its own session, its
    members' at a session above it)."""
    qs = Attendance.objects.filter(session=session)
    own = with_own_flag(StudySession.objects.filter(pk=session.pk), area).values_list("own", flat=True).first()
    return qs if own else qs.filter(_local_members_q(area))


# --- 送学上门 and 帮学结对 --------------------------------------------------------------------------


def home_lesson_records(*, area, start=None, end=None):
    """送学上门: home lessons given in the period to members of the area's organisations."""
    qs = HomeLesson.objects.filter(_local_members_q(area))
    if start is not None:
        qs = qs.filter(given_on__gte=start)
    if end is not None:
        qs = qs.filter(given_on__lte=end)
    return qs


def home_lesson_count(**scope):
    """送学上门(次): the number of `home_lesson_records`."""
    return home_lesson_records(**scope).count()


def mentorship_records(*, area, start=None, end=None):
    """帮学结对 in force at some time in the period, led by a member of the area's organisations,
    annotated with `mentee_count` (1: a 1+1 pair; more: a 1+N group)."""
    qs = Mentorship.objects.filter(mentor__party_org__area__path__startswith=area.path)
    if end is not None:
        qs = qs.filter(started_on__lte=end)
    if start is not None:
        qs = qs.filter(Q(ended_on__isnull=True) | Q(ended_on__gte=start))
    return qs.annotate(mentee_count=Count("mentees"))


def pair_counts(**scope):
    """帮学结对: (1+1 pairs, 1+N groups) among `mentorship_records`; a mentorship without mentees is
    neither."""
    counts = [n for n in mentorship_records(**scope).values_list("mentee_count", flat=True)]
    return sum(1 for n in counts if n == 1), sum(1 for n in counts if n > 1)
