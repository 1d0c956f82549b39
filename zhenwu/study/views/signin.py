"""Signing in by the session's QR code.

The code on the secretary's screen is a link carrying a time slot and an HMAC of (session, slot);
it changes every slot and the current and previous slots are accepted, so a photo of the screen
forwarded to someone elsewhere has gone stale by the time it is used. The member must be logged
in and belong to the session's organisations. A member who is not logged in yet has the fresh
scan remembered in their browser session and finishes signing in right after logging in.
"""

import datetime

from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.cache import never_cache

from .. import access, services
from ..models import StudySession

PENDING_KEY = "study_pending_signin"


def _refused(request, session, refusal, status=403):
    return render(request, "study/signin_result.html", {
        "session": session, "refused": refusal.message, "refusal_code": refusal.code,
    }, status=status)


def _signed_in(request, session, attendance, created):
    return render(request, "study/signin_result.html", {
        "session": session, "attendance": attendance, "created": created,
    })


@never_cache
def qr_signin(request, pk, code):
    session = get_object_or_404(StudySession, pk=pk)
    if not request.user.is_authenticated:
        try:
            services.check_signin_code(session, code)
        except services.SignInRefused as refusal:
            return _refused(request, session, refusal, status=410 if refusal.code == "stale" else 403)
        request.session[PENDING_KEY] = {"session": session.pk, "code": code,
                                        "scanned_at": timezone.now().isoformat()}
        return redirect_to_login(reverse("study:qr_signin_continue", args=[session.pk]))
    try:
        attendance, created = services.sign_in_by_qr(session, member=access.member_for(request.user), code=code,
                                                     by=request.user)
    except services.SignInRefused as refusal:
        return _refused(request, session, refusal, status=410 if refusal.code == "stale" else 403)
    return _signed_in(request, session, attendance, created)


@never_cache
@login_required
def qr_signin_continue(request, pk):
    """After logging in: finish the sign-in scanned just before (within ten minutes)."""
    session = get_object_or_404(StudySession, pk=pk)
    pending = request.session.pop(PENDING_KEY, None)
    if not pending or pending.get("session") != session.pk:
        return redirect("study:session_detail", pk=session.pk)
    try:
        scanned_at = datetime.datetime.fromisoformat(pending["scanned_at"])
        attendance, created = services.sign_in_by_qr(
            session, member=access.member_for(request.user), code=pending["code"], by=request.user,
            scanned_at=scanned_at,
        )
    except services.SignInRefused as refusal:
        return _refused(request, session, refusal, status=410 if refusal.code == "stale" else 403)
    except (KeyError, TypeError, ValueError):
        return redirect("study:session_detail", pk=session.pk)
    return _signed_in(request, session, attendance, created)
