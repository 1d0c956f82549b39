"""Who sees, generates, edits and publishes briefings.

- town admins and leaders (editors): every briefing of their town's areas, working copies included;
  they generate, edit and publish;
- other staff of the town (dispatchers, instructors: the whole town; secretaries, grid workers,
  handlers: their village and the town above it): published versions only, and their files;
- members: none.
Only town admins change the town's briefing settings (masthead, issuing unit, default recipients).
A briefing outside the scope is a 404; a working copy asked for by a non-editor is a 404 too (drafts
are not shown), an editor's action asked for by a viewer is a 403.
"""

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404

from zhenwu.core.roles import TOWN_WIDE_VIEWERS, VILLAGE_LEVEL, Role, role_of
from zhenwu.org.models import Area, AreaLevel, town_of

from .models import Briefing, BriefingExport, PublishedBriefing

EDITOR_ROLES = (Role.TOWN_ADMIN, Role.LEADER)
LOCAL_ROLES = VILLAGE_LEVEL + (Role.HANDLER,)


def can_edit(user):
    return role_of(user) in EDITOR_ROLES and town_of(user) is not None


def can_configure(user):
    """The town's briefing settings (masthead, issuing unit, default recipients): town admins."""
    return role_of(user) == Role.TOWN_ADMIN and town_of(user) is not None


def _area_q(user, field="area"):
    role = role_of(user)
    town = town_of(user)
    if town is None:
        return None
    if role in TOWN_WIDE_VIEWERS:
        return Q(**{f"{field}__path__startswith": town.path})
    if role in LOCAL_ROLES:
        own = user.area if user.area_id else None
        if own is None:
            return Q(**{field: town})
        base = own.path[:-own.steplen] if own.level == AreaLevel.GRID else own.path
        ancestors = [base[:i] for i in range(own.steplen, len(base), own.steplen)]
        return Q(**{f"{field}__path__startswith": base}) | Q(**{f"{field}__path__in": ancestors})
    return None


def visible_briefings(user):
    """Briefings in scope; for non-editors only those with a published version."""
    q = _area_q(user)
    if q is None:
        return Briefing.objects.none()
    qs = Briefing.objects.filter(q)
    if not can_edit(user):
        qs = qs.filter(versions__isnull=False).distinct()
    return qs


def get_briefing_for_user(user, pk, *, for_change=False):
    try:
        briefing = visible_briefings(user).select_related("area").get(pk=pk)
    except (Briefing.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if for_change and not can_edit(user):
        raise PermissionDenied("只有镇管理员和镇领导可以生成、修改和发布简报")
    return briefing


def get_version_for_user(user, briefing_pk, number):
    briefing = get_briefing_for_user(user, briefing_pk)
    try:
        return briefing.versions.select_related("published_by").get(version=number)
    except (PublishedBriefing.DoesNotExist, ValueError, TypeError):
        raise Http404 from None


def get_export_for_user(user, pk):
    """A generated file: of a published version for anyone who sees the briefing; of the working
    copy only for editors."""
    try:
        export = BriefingExport.objects.select_related("briefing__area", "version").get(pk=pk)
    except (BriefingExport.DoesNotExist, ValueError, TypeError):
        raise Http404 from None
    if not visible_briefings(user).filter(pk=export.briefing_id).exists():
        raise Http404
    if export.version_id is None and not can_edit(user):
        raise Http404
    return export


def generation_areas(user):
    """Areas an editor may generate a briefing for: the town and its villages and communities."""
    town = town_of(user)
    if not can_edit(user) or town is None:
        return Area.objects.none()
    return Area.objects.filter(path__startswith=town.path,
                               level__in=(AreaLevel.TOWN, AreaLevel.VILLAGE, AreaLevel.COMMUNITY)).order_by("path")
