"""Telling people about concerns: in-app notifications for staff, SMS for residents.

In-app notifications are rows written in the same transaction as the change they report (they
commit or roll back with it). SMS leave only after the commit (transaction.on_commit) through
zhenwu.lib.sms, so a rolled-back change never texts anyone. Texts carry the reference number and
never a name or phone number, and a link on the site (settings.SITE_URL): the resident's private
follow link where the sender knows its token (on submitting, on following), else 我的反映, where
the phone finds its concerns again (tokens are stored hashed and cannot be put in a later text).
"""

from django.conf import settings
from django.db import transaction
from django.urls import reverse

from zhenwu.accounts.models import Role, User
from zhenwu.lib.sms import notice_message, send_sms

from .models import ConcernFollower, Notification


def staff_link(concern):
    """Where a notification about a concern points: its staff detail page."""
    return reverse("concerns:concern_detail", args=[concern.pk])


def department_handlers(department):
    if department is None:
        return User.objects.none()
    return User.objects.filter(role=Role.HANDLER, department=department, is_active=True)


def _town_users(role, concern):
    """Active accounts of `role` whose area contains the concern (town or county accounts)."""
    town = concern.town
    if town is None:
        return []
    # The town's path and its ancestors' (materialised-path prefixes): one indexed lookup instead
    # of loading every account of the role in the county.
    paths = [town.path[:end] for end in range(town.steplen, len(town.path) + 1, town.steplen)]
    return list(User.objects.filter(role=role, is_active=True, area__path__in=paths))


def town_dispatchers(concern):
    """Dispatchers whose area contains the concern: its town's and the county's above it."""
    return _town_users(Role.DISPATCHER, concern)


def own_town_dispatchers(concern):
    """The dispatchers of the concern's own town, or the county's when the town has none (a
    concern must reach someone who can act on it): whom a new concern, or one handed down (下派),
    is announced to."""
    town = concern.town
    if town is None:
        return []
    own = list(User.objects.filter(role=Role.DISPATCHER, is_active=True, area_id=town.pk))
    return own or county_dispatchers(concern)


def county_dispatchers(concern):
    """The dispatchers of the county centre above the concern's town (accounts whose area is an
    ancestor of the town)."""
    town = concern.town
    if town is None:
        return []
    paths = [town.path[:end] for end in range(town.steplen, len(town.path), town.steplen)]
    return list(User.objects.filter(role=Role.DISPATCHER, is_active=True, area__path__in=paths))


def dispatchers_for(concern):
    """The dispatchers to tell about a concern no department holds: the county centre's while it
    holds the concern (held_at_county), else the town's and the county's (town_dispatchers)."""
    return county_dispatchers(concern) if concern.held_at_county else town_dispatchers(concern)


def town_leaders(concern):
    return _town_users(Role.LEADER, concern)


def concern_handlers(concern):
    """Who acts on the concern now: its department's handlers, or its dispatchers (the town's, or
    the county centre's while it holds the concern) while no department holds it."""
    if concern.department_id:
        return list(department_handlers(concern.department))
    return list(dispatchers_for(concern))


def notify_users(users, *, text, concern=None, exclude=None):
    """One unread notification per distinct recipient; returns how many were written."""
    seen = set()
    rows = []
    for user in users:
        if user is None or user.pk in seen or (exclude is not None and user.pk == exclude.pk):
            continue
        seen.add(user.pk)
        rows.append(notification_for(user, text=text, concern=concern))
    Notification.objects.bulk_create(rows)
    return len(rows)


def notification_for(user, *, text, concern=None):
    """An unsaved notification row (callers write many with one bulk_create)."""
    return Notification(recipient=user, text=text[:300], concern=concern, link=staff_link(concern) if concern else "")


def resident_phones(concern):
    """The reporter's phone and the phones of followers who asked for texts (deduplicated)."""
    phones = [concern.reporter_phone] if concern.reporter_phone else []
    for phone in ConcernFollower.objects.filter(concern=concern).values_list("phone", flat=True):
        if phone and phone not in phones:
            phones.append(phone)
    return phones


def site_link(path):
    """The absolute address of a path of this site, or "" when SITE_URL is not set."""
    base = getattr(settings, "SITE_URL", "")
    return f"{base}{path}" if base else ""


def follow_link(concern, token):
    return site_link(reverse("concerns:follow", args=[concern.reference, token]))


def mine_link():
    return site_link(reverse("concerns:mine"))


def sms_after_commit(phones, text, *, link=None):
    """Text `phones` once the current transaction commits; `link` defaults to 我的反映."""
    phones = [p for p in phones if p]
    if not phones:
        return
    message = notice_message(text, link=mine_link() if link is None else link)

    def _send():
        for phone in phones:
            send_sms(phone, message.text, message=message)

    transaction.on_commit(_send)


def tell_residents(concern, text):
    """Text the reporter and followers once the current transaction commits."""
    sms_after_commit(resident_phones(concern), text)
