"""Who sees and changes what in 学习教育: the one place study views get scoped records from.

A user's study scope is a set of party organisation subtrees, given by their paths:
- town admins and leaders: their party organisation (or, without one, the organisations placed in
  their area), as on the org pages;
- secretaries: their party organisation;
- instructors: the organisations they are assigned to, plus the one on their account (which seeds
  the first assignment);
- members: none (they see their own study through `member_for`).

A record outside the scope is a 404; one in scope that the user may not change, asked for change,
is a 403.

Home lessons (送学上门) are recorded by secretaries and town admins for the members in their scope,
by instructors for the members of the branches they guide (the instructor is the lesson's 送学人),
and by a mentor for their own mentees.

学习笔记: a member writes their own, for sessions they signed in to; staff read the notes of the
members in their scope; secretaries and town admins check (or return) them.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404

from zhenwu.accounts.models import User
from zhenwu.core.roles import ORG_SCOPED, Role, role_of
from zhenwu.org.access import visible_party_orgs
from zhenwu.org.models import Member, PartyOrg

from .models import (
    Campaign,
    Guidance,
    HomeLesson,
    InstructorAssignment,
    LeaveRequest,
    Mentorship,
    PackHandout,
    SiteCheck,
    StudyNote,
    StudyPack,
    StudySession,
)

STUDY_STAFF_ROLES = ORG_SCOPED  # study is scoped by party organisation
SESSION_EDITOR_ROLES = (Role.TOWN_ADMIN, Role.SECRETARY)
CAMPAIGN_EDITOR_ROLES = (Role.TOWN_ADMIN,)
GUIDANCE_ROLES = (Role.TOWN_ADMIN, Role.INSTRUCTOR)


def _minimal(paths):
    """Drop paths inside another path of the set (the subtree is already covered)."""
    result = []
    for path in sorted(set(paths), key=len):
        if not any(path.startswith(p) for p in result):
            result.append(path)
    return sorted(result)


def scope_paths(user):
    """The party organisation paths whose subtrees make up the user's study scope (cached on the
    user object for the request)."""
    cached = getattr(user, "_study_scope_paths", None)
    if cached is not None:
        return cached
    role = role_of(user)
    paths = []
    if role in (Role.TOWN_ADMIN, Role.LEADER):
        if user.party_org_id is not None:
            paths = [user.party_org.path]
        else:
            paths = list(visible_party_orgs(user).values_list("path", flat=True))
    elif role == Role.SECRETARY:
        paths = [user.party_org.path] if user.party_org_id is not None else []
    elif role == Role.INSTRUCTOR:
        paths = list(
            InstructorAssignment.objects.filter(instructor=user).values_list("party_org__path", flat=True)
        )
        if user.party_org_id is not None:
            paths.append(user.party_org.path)
    paths = _minimal(paths)
    if getattr(user, "is_authenticated", False):
        user._study_scope_paths = paths
    return paths


def org_q(paths, field="party_org"):
    """Q selecting rows whose `field` (a PartyOrg relation) lies in one of the subtrees."""
    if not paths:
        return Q(pk__in=[])
    lookup = f"{field}__path__startswith" if field else "path__startswith"
    q = Q()
    for path in paths:
        q |= Q(**{lookup: path})
    return q


def ancestor_paths(paths, steplen=None):
    """Every path from each root down to each given path (the organisations above and at them)."""
    steplen = steplen or PartyOrg.steplen
    result = set()
    for path in paths:
        result.update(path[:i] for i in range(steplen, len(path) + 1, steplen))
    return sorted(result)


def scope_orgs(user):
    """Party organisations inside the user's study scope."""
    return PartyOrg.objects.filter(org_q(scope_paths(user), field=""))


def in_scope(user, org):
    return any(org.path.startswith(p) for p in scope_paths(user))


def require_study_staff(user):
    if role_of(user) not in STUDY_STAFF_ROLES:
        raise PermissionDenied("此页面供镇、村干部和指导员使用")


def member_for(user):
    """The Member record linked to the account, or None."""
    if not getattr(user, "is_authenticated", False):
        return None
    cached = getattr(user, "_study_member", False)
    if cached is not False:
        return cached
    member = Member.objects.filter(user=user, is_active=True).select_related("party_org").first()
    user._study_member = member
    return member


def members_in_scope(user):
    """Members a staff user sees in study (active only)."""
    paths = scope_paths(user)
    return Member.objects.filter(org_q(paths), is_active=True) if paths else Member.objects.none()


def _overlap_q(user, field):
    """Rows whose `field` (PartyOrg m2m) includes an organisation in the user's scope, or above it
    (a town-wide session concerns every branch). For members: their own organisation and above."""
    role = role_of(user)
    if role == Role.MEMBER:
        member = member_for(user)
        if member is None:
            return None
        return Q(**{f"{field}__path__in": ancestor_paths([member.party_org.path])})
    paths = scope_paths(user)
    if not paths:
        return None
    return org_q(paths, field=field) | Q(**{f"{field}__path__in": ancestor_paths(paths)})


def visible_campaigns(user):
    q = _overlap_q(user, "party_orgs")
    if q is None:
        return Campaign.objects.none()
    return Campaign.objects.filter(pk__in=Campaign.objects.filter(q).values("pk"))


def visible_sessions(user):
    q = _overlap_q(user, "party_orgs")
    if q is None:
        return StudySession.objects.none()
    return StudySession.objects.filter(pk__in=StudySession.objects.filter(q).values("pk"))


def get_campaign_for_user(user, pk):
    try:
        return visible_campaigns(user).get(pk=pk)
    except (Campaign.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def can_edit_campaign(user, campaign=None):
    if role_of(user) not in CAMPAIGN_EDITOR_ROLES:
        return False
    if campaign is None:
        return bool(scope_paths(user))
    return all(in_scope(user, org) for org in campaign.party_orgs.all())


def get_session_for_user(user, pk, *, for_change=False):
    try:
        session = visible_sessions(user).select_related("campaign").get(pk=pk)
    except (StudySession.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if for_change and not can_edit_session(user, session):
        raise PermissionDenied("没有管理此学习活动的权限")
    return session


def can_edit_session(user, session):
    """Town admins and secretaries whose scope holds every organisation of the session."""
    if role_of(user) not in SESSION_EDITOR_ROLES:
        return False
    orgs = list(session.party_orgs.all())
    return bool(orgs) and all(in_scope(user, org) for org in orgs)


def roster_members(user, session):
    """Members whose sign-in and leave this user manages at the session: those it expects that
    lie in the user's scope (a village secretary takes the roll of their own members at a
    town-wide class)."""
    if role_of(user) not in SESSION_EDITOR_ROLES:
        return Member.objects.none()
    return expected_members(session).filter(org_q(scope_paths(user)))


def can_take_roster(user, session):
    return can_edit_session(user, session) or roster_members(user, session).exists()


def get_session_for_roster(user, pk):
    """A session whose roster the user may take (403 otherwise, 404 when not visible)."""
    session = get_session_for_user(user, pk)
    if not can_take_roster(user, session):
        raise PermissionDenied("没有为此学习活动签到、补签或登记请假的权限")
    return session


def can_add_session(user):
    return role_of(user) in SESSION_EDITOR_ROLES and bool(scope_paths(user))


def can_chase_coverage(user):
    """Who may generate make-up tasks and send the missing lists: a town admin or a secretary."""
    return role_of(user) in SESSION_EDITOR_ROLES


def session_expects(session, member):
    """Whether `member` belongs to one of the session's organisations (or below one)."""
    return member.is_active and any(member.party_org.path.startswith(o.path) for o in session.party_orgs.all())


def expected_members(session):
    """Active members of the session's organisations."""
    paths = [o.path for o in session.party_orgs.all()]
    return Member.objects.filter(org_q(_minimal(paths)), is_active=True) if paths else Member.objects.none()


def get_leave_for_user(user, pk):
    """A leave request, for its member or for whoever may manage its session."""
    try:
        leave = LeaveRequest.objects.select_related("session", "member__party_org").get(pk=pk)
    except (LeaveRequest.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not visible_sessions(user).filter(pk=leave.session_id).exists():
        raise Http404
    return leave


# --- mentoring and home lessons -------------------------------------------------------------------


def can_manage_mentoring(user):
    return role_of(user) in (Role.TOWN_ADMIN, Role.SECRETARY) and bool(scope_paths(user))


def visible_mentorships(user):
    role = role_of(user)
    if role in STUDY_STAFF_ROLES:
        return Mentorship.objects.filter(org_q(scope_paths(user), field="mentor__party_org"))
    member = member_for(user)
    if member is None:
        return Mentorship.objects.none()
    return Mentorship.objects.filter(Q(mentor=member) | Q(mentees=member)).distinct()


def get_mentorship_for_user(user, pk, *, for_change=False):
    try:
        mentorship = visible_mentorships(user).select_related("mentor__party_org").get(pk=pk)
    except (Mentorship.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if for_change and not (can_manage_mentoring(user) and in_scope(user, mentorship.mentor.party_org)):
        raise PermissionDenied("没有修改此帮学结对的权限")
    return mentorship


def mentees_of(member):
    """Members in an active mentorship led by `member`."""
    if member is None:
        return Member.objects.none()
    return Member.objects.filter(mentorships__mentor=member, mentorships__ended_on__isnull=True,
                                 is_active=True).distinct()


LESSON_STAFF_ROLES = SESSION_EDITOR_ROLES + (Role.INSTRUCTOR,)


def lesson_members(user):
    """Members the user may record a home lesson for: a secretary's or town admin's scope, an
    instructor's guided branches, or a mentor's own mentees."""
    if role_of(user) in LESSON_STAFF_ROLES:
        return members_in_scope(user)
    return mentees_of(member_for(user))


def lesson_instructors(user):
    """Instructors an office user may name as a lesson's deliverer: those guiding an organisation in
    the user's scope (by assignment, or the organisation on their account, as `scope_paths` counts)."""
    if role_of(user) not in SESSION_EDITOR_ROLES:
        return User.objects.none()
    orgs = scope_orgs(user)
    return (User.objects.filter(Q(study_assignments__party_org__in=orgs) | Q(party_org__in=orgs),
                                role=Role.INSTRUCTOR, is_active=True)
            .distinct().order_by("full_name", "username"))


def lesson_mentor_of(member):
    """The member's current mentor (帮学人), if an active mentorship names one."""
    if member is None:
        return None
    return (Member.objects.filter(mentorships_led__mentees=member, mentorships_led__ended_on__isnull=True)
            .order_by("-mentorships_led__started_on").first())


def can_record_lessons(user):
    """Whether the user may record home lessons at all (for a mentor: once they have mentees)."""
    if role_of(user) in LESSON_STAFF_ROLES:
        return bool(scope_paths(user))
    return mentees_of(member_for(user)).exists()


def visible_home_lessons(user):
    role = role_of(user)
    if role in STUDY_STAFF_ROLES:
        return HomeLesson.objects.filter(org_q(scope_paths(user), field="member__party_org"))
    member = member_for(user)
    if member is None:
        return HomeLesson.objects.none()
    return HomeLesson.objects.filter(Q(member=member) | Q(mentor=member))


def get_home_lesson_for_user(user, pk):
    try:
        return visible_home_lessons(user).select_related("member__party_org", "mentor", "instructor", "recorded_by").get(pk=pk)
    except (HomeLesson.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


# --- 学习笔记 -----------------------------------------------------------------------------------------


def visible_notes(user):
    if role_of(user) in STUDY_STAFF_ROLES:
        return StudyNote.objects.filter(org_q(scope_paths(user), field="member__party_org"))
    member = member_for(user)
    if member is None:
        return StudyNote.objects.none()
    return StudyNote.objects.filter(member=member)


def get_note_for_user(user, pk):
    try:
        return visible_notes(user).select_related("session", "member__party_org", "checked_by").get(pk=pk)
    except (StudyNote.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def can_check_notes(user):
    return role_of(user) in SESSION_EDITOR_ROLES and bool(scope_paths(user))


def can_check_note(user, note):
    """Secretaries and town admins check the notes of the members in their scope."""
    return can_check_notes(user) and in_scope(user, note.member.party_org)


# --- instructors, guidance, site checks -----------------------------------------------------------


def can_assign_instructors(user):
    return role_of(user) == Role.TOWN_ADMIN and bool(scope_paths(user))


def can_record_site_checks(user):
    return role_of(user) in GUIDANCE_ROLES


def guidance_orgs(user):
    """Organisations the user may record guidance or a site check for."""
    if role_of(user) not in GUIDANCE_ROLES:
        return PartyOrg.objects.none()
    return scope_orgs(user)


def visible_guidance(user):
    if role_of(user) not in STUDY_STAFF_ROLES:
        return Guidance.objects.none()
    return Guidance.objects.filter(org_q(scope_paths(user)))


def get_guidance_for_user(user, pk, *, for_change=False):
    try:
        guidance = visible_guidance(user).select_related("party_org", "instructor").get(pk=pk)
    except (Guidance.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if for_change and not (role_of(user) == Role.TOWN_ADMIN or guidance.instructor_id == user.pk):
        raise PermissionDenied("只有指导员本人或镇管理员可以修改指导记录")
    return guidance


def visible_site_checks(user):
    if role_of(user) not in STUDY_STAFF_ROLES:
        return SiteCheck.objects.none()
    return SiteCheck.objects.filter(org_q(scope_paths(user)))


def get_site_check_for_user(user, pk):
    try:
        return visible_site_checks(user).select_related("party_org", "checked_by").get(pk=pk)
    except (SiteCheck.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


# --- study packs ----------------------------------------------------------------------------------


def visible_packs(user):
    role = role_of(user)
    if role in STUDY_STAFF_ROLES:
        campaigns = visible_campaigns(user)
        return StudyPack.objects.filter(Q(campaign__in=campaigns) | Q(campaign__isnull=True))
    member = member_for(user)
    if member is None:
        return StudyPack.objects.none()
    return StudyPack.objects.filter(handouts__member=member).distinct()


def get_pack_for_user(user, pk):
    try:
        return visible_packs(user).select_related("campaign").get(pk=pk)
    except (StudyPack.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def can_hand_out(user):
    return role_of(user) in SESSION_EDITOR_ROLES and bool(scope_paths(user))


def get_handout_for_member(user, pk):
    member = member_for(user)
    try:
        return PackHandout.objects.select_related("pack").get(pk=pk, member=member)
    except (PackHandout.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
