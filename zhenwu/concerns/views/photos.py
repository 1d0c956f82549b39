"""Staff choosing which of a concern's photos the public board shows (公开/撤下, audited)."""

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.shortcuts import get_object_or_404
from django.urls import path
from django.views.decorators.http import require_POST

from .. import access, photos, services
from ..models import ConcernPhoto
from .staff import _after_success


@login_required
@require_POST
def concern_photo_publish(request, pk, photo_pk):
    """POST public=1 publishes the photo on the board, public=0 withdraws it."""
    concern = access.get_concern_for_user(request.user, pk)
    photo = get_object_or_404(ConcernPhoto, pk=photo_pk, concern=concern)
    public = request.POST.get("public") == "1"
    try:
        photos.set_photo_public(photo, public=public, by=request.user)
    except services.ConcernPermissionDenied as exc:
        raise PermissionDenied(exc.message) from None
    return _after_success(request, concern, "照片已在公示栏公开" if public else "照片已从公示栏撤下", None)


urlpatterns = [
    path("<int:pk>/photos/<int:photo_pk>/publish/", concern_photo_publish, name="concern_photo_publish"),
]
