"""Which concern photos the public sees, and staff choosing them.

A resident's photo may show faces, number plates or house numbers, so no photo is public until a
dispatcher or the department holding the concern publishes it (unless the town's PhotoSettings
say new photos start public). The board and its photo view show only published photos; a
private follow link shows the published ones and, to the reporter, their own. Handlers attach
办理前/办理后 photos when resolving (services.resolve_concern); published ones are shown on the
board as 办理前后对比.
"""

from django.db import transaction
from django.db.models import Q

from zhenwu.audit.services import snapshot

from . import access
from .models import RESOLUTION_PHOTO_KINDS, ConcernPhoto, PhotoKind
from .services.common import _audit, _lock, _require


def visible_photos(concern, *, reporter=False):
    """The photos of `concern` the public may see: the published ones, and to its reporter
    (their private link) their own as well. Ordered as uploaded."""
    shown = Q(is_public=True)
    if reporter:
        shown |= Q(kind=PhotoKind.REPORTED)
    return ConcernPhoto.objects.filter(shown, concern=concern).order_by("uploaded_at", "id")


def is_visible(photo, *, reporter=False):
    """Python twin of visible_photos for one loaded photo."""
    return photo.is_public or (reporter and photo.kind == PhotoKind.REPORTED)


def split_photos(photos):
    """(the resident's photos, {"before": [...], "after": [...]}) of a list of photos."""
    reported = [p for p in photos if p.kind == PhotoKind.REPORTED]
    resolution = {kind.value: [p for p in photos if p.kind == kind] for kind in RESOLUTION_PHOTO_KINDS}
    return reported, resolution


@transaction.atomic
def set_photo_public(photo, *, public, by):
    """Publish (public=True) or withdraw a photo from the public board; audited. Dispatchers and
    the department holding the concern decide (access.can_publish_photos)."""
    concern = _lock(photo.concern)
    _require(access.can_publish_photos(by, concern), "只有民情受理员或承办部门可以选择公开的照片")
    photo = ConcernPhoto.objects.select_for_update().get(pk=photo.pk, concern=concern)
    public = bool(public)
    if photo.is_public == public:
        return photo
    before = snapshot(photo)
    photo.is_public = public
    photo.save(update_fields=["is_public"])
    _audit(
        photo,
        before,
        by=by,
        note=f"诉求{concern.reference}的{photo.get_kind_display()}照片" + ("在公示栏公开" if public else "撤下公示栏"),
    )
    return photo
