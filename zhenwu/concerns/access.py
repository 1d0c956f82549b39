"""Who may see and act on a concern: the one place the rules live.

Views fetch through `get_concern_for_user` (404 outside the user's scope); services check the
acting user with the `can_*` predicates and raise ConcernPermissionDenied, so the HTML pages,
htmx fragments, the API and the importers all obey the same rules. Residents have no account:
they reach their concern through `get_concern_by_follow_token`.
"""

import hmac

from django.core.exceptions import PermissionDenied
from django.http import Http404

from zhenwu.core.roles import AREA_SCOPED, Role, role_of
from zhenwu.lib.crypto import hash_token
from zhenwu.org.models import Area, AreaLevel

from .models import OPEN_STATUSES, Concern, ConcernFollower, RecoveredLink, Status

DISPATCH_ROLES = (Role.TOWN_ADMIN, Role.DISPATCHER)
SUPERVISE_ROLES = (Role.TOWN_ADMIN, Role.LEADER)
# Who approves a department's 延期 request and who suspends (挂起) or resumes a concern: the town's
# 受理中心 and its leaders (there is no department-head role; a handler may not stop their own clock).
DEADLINE_ROLES = (Role.TOWN_ADMIN, Role.DISPATCHER, Role.LEADER)
# Staff who may register a concern on a resident's behalf (calls, walk-ins, visits, tea rooms).
REGISTER_ROLES = (Role.TOWN_ADMIN, Role.DISPATCHER, Role.SECRETARY, Role.GRID_WORKER, Role.HANDLER, Role.MEMBER)
# Of those, who registers a call or a walk-in on the staff's registration page (登记诉求, also kept
# on the phone for use without signal): those with an area to file it under.
REGISTER_PAGE_ROLES = (Role.TOWN_ADMIN, Role.DISPATCHER, Role.SECRETARY, Role.GRID_WORKER)
# Staff who may leave internal notes on concerns in their scope (leaders only read).
NOTE_ROLES = (Role.TOWN_ADMIN, Role.DISPATCHER, Role.HANDLER, Role.SECRETARY, Role.GRID_WORKER)
# Who sets a town's own rules for the county's categories (default department, limits).
CONFIGURE_ROLES = (Role.TOWN_ADMIN,)
# The county centre (县级受理中心): a dispatcher or leader whose area is the county (not a town).
COUNTY_CENTRE_ROLES = (Role.DISPATCHER, Role.LEADER)
# Who in a town hands a concern up to the county (上报).
REFER_UP_ROLES = (Role.TOWN_ADMIN, Role.DISPATCHER, Role.LEADER)
# The states a concern is handed up or down in: waiting for a dispatch, no department holding it.
REFERRAL_STATES = (Status.RECEIVED, Status.ACCEPTED, Status.RETURNED)


def works_at_county(user):
    """Whether the account's area is a county (a county account acts on the concerns the county
    centre holds, and on none its towns hold)."""
    return getattr(user, "area_id", None) is not None and user.area.level == AreaLevel.COUNTY


def is_county_account(user):
    """A county dispatcher or leader (县级受理员 / 县领导): sees every town's concerns, works the
    concerns handed up to the county."""
    return role_of(user) in COUNTY_CENTRE_ROLES and works_at_county(user)


def holds(user, concern):
    """Whether `concern` is in the hands of the user's level: a concern the county centre holds
    (held_at_county) is worked by county accounts only, the others by their town's staff only."""
    return bool(concern.held_at_county) == works_at_county(user)


def in_scope(user, concern):
    """Python twin of ConcernQuerySet.visible_to for one loaded concern (no query if the user's
    area and the concern's area are already loaded)."""
    role = role_of(user)
    if role in AREA_SCOPED:
        if user.area_id is None:
            return False
        area = user.area
        if area.level == "town":
            return concern.town_id == area.pk
        if area.level in ("village", "community"):
            return concern.village_id == area.pk
        if area.level == "grid":
            return concern.area_id == area.pk
        return concern.area.path.startswith(area.path)
    if role == Role.HANDLER:
        return user.department_id is not None and concern.department_id == user.department_id
    return False


def can_dispatch(user, concern):
    """Accept, decline, dispatch, re-categorise, link duplicates, reopen: the town's dispatchers
    while the town holds the concern, the county's while the county centre holds it."""
    return role_of(user) in DISPATCH_ROLES and in_scope(user, concern) and holds(user, concern)


def can_refer_up(user, concern):
    """上报: a town's dispatcher, leader or administrator hands one of its concerns up to the
    county centre."""
    return (
        role_of(user) in REFER_UP_ROLES
        and not works_at_county(user)
        and not concern.held_at_county
        and in_scope(user, concern)
    )


def can_hand_down(user, concern):
    """下派: a county dispatcher hands a concern the county centre holds back down to its town."""
    return (
        role_of(user) in DISPATCH_ROLES
        and works_at_county(user)
        and concern.held_at_county
        and in_scope(user, concern)
    )


def can_handle(user, concern):
    """Act for the department: sign, update publicly, return, resolve."""
    role = role_of(user)
    if role == Role.HANDLER:
        return concern.department_id is not None and concern.department_id == user.department_id
    return role == Role.TOWN_ADMIN and in_scope(user, concern) and holds(user, concern)


def can_publish_photos(user, concern):
    """Choose which of the concern's photos the public board shows: those who answer for the
    concern in public (the dispatcher and the department holding it)."""
    return can_dispatch(user, concern) or can_handle(user, concern)


def can_note(user, concern):
    return role_of(user) in NOTE_ROLES and in_scope(user, concern)


def can_call_back(user, concern):
    return role_of(user) in DISPATCH_ROLES and in_scope(user, concern) and holds(user, concern)


def can_supervise(user, concern):
    return role_of(user) in SUPERVISE_ROLES and in_scope(user, concern)


def can_decide_extension(user, concern):
    return role_of(user) in DEADLINE_ROLES and in_scope(user, concern) and holds(user, concern)


def may_decide_extensions(user):
    """Whether `user` has the role that approves extensions (the pending list and its badge)."""
    return role_of(user) in DEADLINE_ROLES and getattr(user, "area_id", None) is not None


def can_suspend(user, concern):
    return role_of(user) in DEADLINE_ROLES and in_scope(user, concern) and holds(user, concern)


def can_register(user):
    return role_of(user) in REGISTER_ROLES


def can_manage_project(user, project):
    role = role_of(user)
    if role == Role.HANDLER:
        return project.department_id is not None and project.department_id == user.department_id
    if role in DISPATCH_ROLES and user.area_id is not None and project.town_id is not None:
        area = user.area
        return project.town_id == area.pk or project.town.path.startswith(area.path)
    return False


def can_reveal_reporter(user, concern):
    """See the reporter's full phone or name: those who must contact the resident (the
    dispatcher for call-backs, the department holding the concern for its response)."""
    return can_dispatch(user, concern) or can_handle(user, concern)


# The states each staff action starts from; the services check the same states when acting
# (tests/test_staff_actions.py proves the two agree for every state).
ACTION_STATES = {
    "accept": (Status.RECEIVED,),
    "decline": (Status.RECEIVED, Status.ACCEPTED, Status.RETURNED),
    "dispatch": (Status.RECEIVED, Status.ACCEPTED, Status.RETURNED),
    "recategorise": OPEN_STATUSES,
    "duplicate": OPEN_STATUSES,
    "sign": (Status.DISPATCHED,),
    "return": (Status.DISPATCHED, Status.IN_PROGRESS),
    "update": (Status.ACCEPTED, Status.DISPATCHED, Status.RETURNED, Status.IN_PROGRESS),
    "note": tuple(s for s in Status if s != Status.DUPLICATE),
    "resolve": (Status.DISPATCHED, Status.IN_PROGRESS),
    "call_back": (Status.RESOLVED,),
    "call_attempt": (Status.RESOLVED,),
    "unreachable": (Status.RESOLVED,),
    "reopen": (Status.RESOLVED, Status.CLOSED, Status.DECLINED),
    "extend": (Status.DISPATCHED, Status.IN_PROGRESS),
    "decide_extension": (Status.DISPATCHED, Status.IN_PROGRESS),
    "suspend": (Status.DISPATCHED, Status.IN_PROGRESS),
    "resume": (Status.SUSPENDED,),
    "supervise": OPEN_STATUSES,
    "project": (Status.ACCEPTED, Status.DISPATCHED, Status.RETURNED, Status.IN_PROGRESS),
    "photos": (Status.RECEIVED, Status.ACCEPTED, Status.DISPATCHED, Status.RETURNED, Status.IN_PROGRESS,
               Status.SUSPENDED, Status.RESOLVED),
    "refer_up": REFERRAL_STATES,
    "hand_down": REFERRAL_STATES,
}
_ACTION_RIGHTS = {
    "accept": can_dispatch,
    "decline": can_dispatch,
    "dispatch": can_dispatch,
    "recategorise": can_dispatch,
    "duplicate": can_dispatch,
    "sign": can_handle,
    "return": can_handle,
    "update": lambda user, concern: can_handle(user, concern) or can_dispatch(user, concern),
    "note": can_note,
    "resolve": can_handle,
    "call_back": can_call_back,
    "call_attempt": can_call_back,
    "unreachable": can_call_back,
    "reopen": can_dispatch,
    "extend": can_handle,
    "decide_extension": can_decide_extension,
    "suspend": can_suspend,
    "resume": can_suspend,
    "supervise": can_supervise,
    "project": lambda user, concern: can_dispatch(user, concern) or can_handle(user, concern),
    "photos": lambda user, concern: can_note(user, concern) or can_handle(user, concern),
    "refer_up": can_refer_up,
    "hand_down": can_hand_down,
}


def allowed_actions(user, concern, *, progress=None):
    """The staff actions `user` may take on `concern` in its current state (the buttons its
    page shows). A project can be started only for categories that allow it, once. 联系不上 only
    when the call-back attempts allow it (`progress`: the concern's callbacks.CallBackProgress if
    already known)."""
    allowed = set()
    for action, states in ACTION_STATES.items():
        if concern.status in states and _ACTION_RIGHTS[action](user, concern):
            allowed.add(action)
    if "project" in allowed and (not concern.category.may_become_project or concern.project_id is not None):
        allowed.discard("project")
    if "extend" in allowed or "decide_extension" in allowed:
        # The deadline rules (before the deadline, one pending request, not one's own) live in
        # deadlines, which the services check as well.
        from .deadlines import decision_refusal, extension_refusal, pending_extension

        if "extend" in allowed and extension_refusal(user, concern) is not None:
            allowed.discard("extend")
        if "decide_extension" in allowed and decision_refusal(user, concern, pending_extension(concern)):
            allowed.discard("decide_extension")
    if "unreachable" in allowed:
        if progress is None:
            from .callbacks import call_back_progress  # the rule reads the attempts (services' module)

            progress = call_back_progress(concern)
        if not progress.may_record_unreachable:
            allowed.discard("unreachable")
    return allowed


def can_configure_town(user, town):
    """Set `town`'s own rules for the county's categories: only that town's administrator (a county
    account configures no town's rules yet)."""
    return role_of(user) in CONFIGURE_ROLES and town is not None and user.area_id == town.pk


def get_town_for_configuration(user, pk):
    """The town whose category settings `user` opens: PermissionDenied for a role that sets none,
    Http404 for any town but the administrator's own (existence is not confirmed)."""
    if role_of(user) not in CONFIGURE_ROLES:
        raise PermissionDenied("只有镇管理员可以设置本镇的诉求类别")
    try:
        town = Area.objects.get(pk=pk, level=AreaLevel.TOWN)
    except (Area.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not can_configure_town(user, town):
        raise Http404
    return town


def get_concern_for_user(user, pk, *, related=("category", "department", "area", "village")):
    """The concern if `user` may see it, else Http404 (existence is not confirmed)."""
    try:
        return Concern.objects.visible_to(user).select_related(*related).get(pk=pk)
    except (Concern.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def get_concern_by_follow_token(reference, token):
    """The concern a private follow link opens, or None for a wrong or forged link. The link
    carries the reference and the token; the reporter's token and followers' tokens both work.
    A merged duplicate answers with itself (the page then shows its original)."""
    if not reference or not token or len(token) > 200:
        return None
    token_hash = hash_token(token)
    concern = (
        Concern.objects.filter(reference=reference)
        .select_related("category", "village", "department")
        .first()
    )
    if concern is None:
        return None
    if hmac.compare_digest(concern.follow_token_hash, token_hash):
        return concern
    if RecoveredLink.objects.filter(concern=concern, token_hash=token_hash).exists():
        return concern
    # Followers of a merged duplicate were moved to its original (perhaps along a chain of merges),
    # so their link, which names the duplicate, is checked against the chain as well.
    follower_concerns = set(
        ConcernFollower.objects.filter(token_hash=token_hash).values_list("concern_id", flat=True)
    )
    if not follower_concerns:
        return None
    chain = [concern.pk]
    current = concern
    while current.duplicate_of_id is not None and len(chain) < 20:
        chain.append(current.duplicate_of_id)
        current = Concern.objects.only("id", "duplicate_of_id").get(pk=current.duplicate_of_id)
    return concern if follower_concerns.intersection(chain) else None


def is_reporters_link(concern, token):
    """Whether a follow link opening `concern` is its reporter's: the link given on submitting,
    or one the reporter's phone recovered through 我的反映."""
    token_hash = hash_token(token or "")
    if hmac.compare_digest(concern.follow_token_hash, token_hash):
        return True
    return RecoveredLink.objects.filter(concern=concern, token_hash=token_hash, is_reporter=True).exists()


def can_register_for_residents(user):
    """May use the registration page (登记诉求): a registering role with an area."""
    return role_of(user) in REGISTER_PAGE_ROLES and user.area_id is not None


def register_areas(user):
    """Villages and grids the user may file a concern under, each village followed by its grids."""
    area = user.area
    if area.level == AreaLevel.GRID:
        return Area.objects.filter(pk=area.pk)
    return Area.objects.filter(
        path__startswith=area.path,
        level__in=(AreaLevel.VILLAGE, AreaLevel.COMMUNITY, AreaLevel.GRID),
    ).order_by("path")
