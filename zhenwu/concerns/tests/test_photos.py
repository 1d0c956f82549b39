"""Photos and their publication: the resident's photos stay off the public board until a
dispatcher or the department publishes them (or the town says otherwise), handlers attach
办理前/办理后 photos when resolving, and the board shows only what was published."""

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile

from zhenwu.audit.models import AuditEntry
from zhenwu.concerns import services
from zhenwu.concerns.models import Outcome, PhotoKind, PhotoSettings, Status
from zhenwu.concerns.photos import set_photo_public

from .staff_helpers import in_state, png, text

BOARD = "/concerns/board/"


@pytest.fixture(autouse=True)
def isolated(settings, tmp_path):
    settings.STORAGES = {
        **settings.STORAGES,
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    }
    settings.MEDIA_ROOT = tmp_path
    cache.clear()


@pytest.fixture
def make(submit, world):
    def _make(state, **kwargs):
        return in_state(state, submit=submit, world=world, **kwargs)

    return _make


def not_an_image(name="说明.png"):
    return SimpleUploadedFile(name, b"just some text, not a picture", content_type="image/png")


def publish_url(photo):
    return f"/concerns/{photo.concern_id}/photos/{photo.pk}/publish/"


def board_photo_url(photo):
    return f"{BOARD}{photo.concern.reference}/photos/{photo.pk}/"


# --- services -----------------------------------------------------------------------------------


def test_a_residents_photo_is_theirs_and_not_public_until_staff_publish_it(submit):
    concern = submit(photos=[png()]).concern
    photo = concern.photos.get()
    assert photo.kind == PhotoKind.REPORTED and photo.is_public is False


def test_a_town_that_publishes_by_default_starts_new_photos_public(submit, world):
    PhotoSettings.objects.create(town=world.cast.town, public_by_default=True)
    photo = submit(photos=[png()]).concern.photos.get()
    assert photo.is_public is True


def test_resolving_with_before_and_after_photos_stores_them_with_their_kinds(make, world):
    concern = make("in_progress")
    services.resolve_concern(
        concern,
        by=world.users.handler,
        outcome=Outcome.FIXED,
        text="路面已修复。",
        photos=[(PhotoKind.BEFORE, png("前.png")), (PhotoKind.AFTER, png("后1.png")), (PhotoKind.AFTER, png("后2.png"))],
    )
    concern.refresh_from_db()
    assert concern.status == Status.RESOLVED
    kinds = list(concern.photos.order_by("id").values_list("kind", "is_public", "uploaded_by"))
    handler = world.users.handler.pk
    assert kinds == [("before", False, handler), ("after", False, handler), ("after", False, handler)]
    resolved = concern.events.get(kind="resolved")
    assert resolved.data["photos"] == 3
    assert AuditEntry.objects.filter(object_id=str(concern.pk), note__contains="附办理照片3张").exists()


def test_resolution_photos_do_not_use_up_the_residents_nine(make, world):
    concern = make("in_progress", photos=[png() for _ in range(9)])
    services.resolve_concern(
        concern, by=world.users.handler, outcome=Outcome.FIXED, text="已修复。", photos=[(PhotoKind.AFTER, png())]
    )
    assert concern.photos.filter(kind=PhotoKind.AFTER).count() == 1


@pytest.mark.parametrize(
    "photos, message",
    [
        ([(PhotoKind.AFTER, not_an_image())], "不是图片"),
        ([(PhotoKind.REPORTED, png())], "办理前或办理后"),
        ([(PhotoKind.AFTER, png()) for _ in range(10)], "最多9张"),
    ],
)
def test_a_bad_resolution_photo_refuses_the_whole_resolution(make, world, photos, message):
    concern = make("in_progress")
    with pytest.raises(services.ConcernError, match=message):
        services.resolve_concern(concern, by=world.users.handler, outcome=Outcome.FIXED, text="已修复。", photos=photos)
    concern.refresh_from_db()
    assert concern.status == Status.IN_PROGRESS and not concern.photos.exists()


@pytest.mark.parametrize("who", ["dispatcher", "handler", "town_admin"])
def test_the_dispatcher_and_the_department_may_publish_and_it_is_audited(make, world, who):
    photo = make("in_progress", photos=[png()]).photos.get()
    set_photo_public(photo, public=True, by=getattr(world.users, who))
    photo.refresh_from_db()
    assert photo.is_public is True
    entry = AuditEntry.objects.get(object_type="concerns.ConcernPhoto", object_id=str(photo.pk))
    assert "在公示栏公开" in entry.note and entry.changes["is_public"] == [False, True]
    set_photo_public(photo, public=False, by=getattr(world.users, who))
    photo.refresh_from_db()
    assert photo.is_public is False
    assert AuditEntry.objects.filter(object_type="concerns.ConcernPhoto", object_id=str(photo.pk), note__contains="撤下公示栏").count() == 1


@pytest.mark.parametrize("who", ["grid_worker", "secretary", "leader", "env_handler"])
def test_others_may_not_publish_a_photo(make, world, who):
    photo = make("in_progress", photos=[png()]).photos.get()
    user = world.env_handler if who == "env_handler" else getattr(world.users, who)
    with pytest.raises(services.ConcernPermissionDenied):
        set_photo_public(photo, public=True, by=user)
    photo.refresh_from_db()
    assert photo.is_public is False
    assert not AuditEntry.objects.filter(object_type="concerns.ConcernPhoto", object_id=str(photo.pk), note__contains="公示栏").exists()


# --- staff pages ---------------------------------------------------------------------------------


def test_the_dispatcher_publishes_and_withdraws_a_photo_from_the_concern_page(client, login, make, world):
    concern = make("in_progress", photos=[png()])
    photo = concern.photos.get()
    login(world.users.dispatcher)
    page = text(client.get(f"/concerns/{concern.pk}/"))
    assert "未公开" in page and publish_url(photo) in page
    assert client.get(board_photo_url(photo)).status_code == 404

    response = client.post(publish_url(photo), {"public": "1"})
    assert response.status_code == 302 and response["Location"] == f"/concerns/{concern.pk}/"
    assert "已公开" in text(client.get(f"/concerns/{concern.pk}/"))
    client.logout()
    assert client.get(board_photo_url(photo)).status_code == 200
    assert board_photo_url(photo) in client.get(f"{BOARD}{concern.reference}/").content.decode()

    login(world.users.dispatcher)
    client.post(publish_url(photo), {"public": "0"})
    client.logout()
    assert client.get(board_photo_url(photo)).status_code == 404
    assert board_photo_url(photo) not in client.get(f"{BOARD}{concern.reference}/").content.decode()
    notes = list(AuditEntry.objects.filter(object_type="concerns.ConcernPhoto", object_id=str(photo.pk)).values_list("note", flat=True))
    assert len(notes) == 2 and "在公示栏公开" in notes[0] + notes[1] and "撤下公示栏" in notes[0] + notes[1]


def test_publishing_through_htmx_answers_with_the_refreshed_panel(client, login, make, world):
    concern = make("in_progress", photos=[png()])
    photo = concern.photos.get()
    login(world.users.handler)
    response = client.post(publish_url(photo), {"public": "1"}, HTTP_HX_REQUEST="true")
    assert response.status_code == 200
    page = text(response)
    assert 'id="concern-panel"' in page and "照片已在公示栏公开" in page and "撤下" in page


def test_a_grid_worker_sees_the_photo_but_cannot_publish_it(client, login, make, world):
    concern = make("in_progress", photos=[png()])
    photo = concern.photos.get()
    login(world.users.grid_worker)
    page = text(client.get(f"/concerns/{concern.pk}/"))
    assert f"/concerns/{concern.pk}/photos/{photo.pk}/" in page and publish_url(photo) not in page
    assert client.post(publish_url(photo), {"public": "1"}).status_code == 403
    photo.refresh_from_db()
    assert photo.is_public is False


def test_another_departments_handler_is_not_told_the_photo_exists(client, make, world):
    photo = make("in_progress", photos=[png()]).photos.get()
    client.force_login(world.env_handler)
    assert client.post(publish_url(photo), {"public": "1"}).status_code == 404


def test_a_photo_of_another_concern_is_not_found(client, login, make, world):
    concern = make("in_progress")
    other = make("in_progress", photos=[png()]).photos.get()
    login(world.users.dispatcher)
    response = client.post(f"/concerns/{concern.pk}/photos/{other.pk}/publish/", {"public": "1"})
    assert response.status_code == 404


def test_the_resolve_form_takes_before_and_after_photos(client, login, make, world):
    concern = make("in_progress")
    login(world.users.handler)
    page = client.get(f"/concerns/{concern.pk}/").content.decode()
    assert 'name="before_photos"' in page and 'name="after_photos"' in page
    response = client.post(
        f"/concerns/{concern.pk}/resolve/",
        {"outcome": Outcome.FIXED, "text": "已硬化路面。", "before_photos": [png("前.png")], "after_photos": [png("后.png")]},
    )
    assert response.status_code == 302
    assert sorted(concern.photos.values_list("kind", flat=True)) == ["after", "before"]
    page = text(client.get(f"/concerns/{concern.pk}/"))
    assert "办理前后照片" in page


def test_a_non_image_resolution_photo_keeps_the_concern_open_with_a_chinese_error(client, login, make, world):
    concern = make("in_progress")
    login(world.users.handler)
    response = client.post(
        f"/concerns/{concern.pk}/resolve/", {"outcome": Outcome.FIXED, "text": "已修复。", "after_photos": [not_an_image()]}
    )
    assert response.status_code == 200
    assert "图片" in text(response)
    concern.refresh_from_db()
    assert concern.status == Status.IN_PROGRESS


# --- public pages ------------------------------------------------------------------------------


def test_the_board_shows_published_resolution_photos_as_a_before_and_after(client, make, world):
    concern = make("in_progress")
    services.resolve_concern(
        concern,
        by=world.users.handler,
        outcome=Outcome.FIXED,
        text="已修复。",
        photos=[(PhotoKind.BEFORE, png()), (PhotoKind.AFTER, png()), (PhotoKind.AFTER, png())],
    )
    before, after, unchosen = concern.photos.order_by("id")
    page = text(client.get(f"{BOARD}{concern.reference}/"))
    assert "办理前后对比" not in page
    for photo in (before, after):
        set_photo_public(photo, public=True, by=world.users.handler)
    page = client.get(f"{BOARD}{concern.reference}/").content.decode()
    assert "办理前后对比" in page
    assert board_photo_url(before) in page and board_photo_url(after) in page
    assert board_photo_url(unchosen) not in page
    assert client.get(board_photo_url(unchosen)).status_code == 404
    # the comparison comes after the answer on the timeline
    assert page.index("已修复。") < page.index("办理前后对比")


def test_a_follow_link_shows_the_reporter_their_own_photos_and_a_follower_only_published_ones(client, world, submit):
    result = submit(photos=[png(), png()])
    concern = services.accept_concern(result.concern, by=world.users.dispatcher)
    mine, published = concern.photos.order_by("id")
    set_photo_public(published, public=True, by=world.users.dispatcher)
    follower_token = services.follow_concern(concern, phone="13900139000")

    def follow(token, suffix=""):
        return client.get(f"/concerns/follow/{concern.reference}/{token}/{suffix}")

    reporter_page = follow(result.follow_token).content.decode()
    assert f"/photos/{mine.pk}/" in reporter_page and f"/photos/{published.pk}/" in reporter_page
    assert "经工作人员审核后才可能在公示栏展示" in reporter_page
    assert follow(result.follow_token, f"photos/{mine.pk}/").status_code == 200

    follower_page = follow(follower_token).content.decode()
    assert f"/photos/{mine.pk}/" not in follower_page and f"/photos/{published.pk}/" in follower_page
    assert follow(follower_token, f"photos/{mine.pk}/").status_code == 404
    assert follow(follower_token, f"photos/{published.pk}/").status_code == 200


def test_the_report_form_says_which_photos_may_be_published(client, world):
    page = text(client.get("/concerns/report/"))
    assert "照片经工作人员审核后才可能在公示栏展示，含人脸、车牌、门牌的照片不会公开" in page
    PhotoSettings.objects.create(town=world.cast.town, public_by_default=True)
    page = text(client.get("/concerns/report/"))
    assert "经工作人员审核后" not in page and "照片会在公示栏展示" in page



def test_the_handler_adds_a_before_photo_while_handling_from_the_photo_panel(client, login, make, world):
    concern = make("in_progress")
    login(world.users.handler)
    page = client.get(f"/concerns/{concern.pk}/").content.decode()
    assert 'name="kind"' in page and '<option value="before">办理前</option>' in page
    response = client.post(f"/concerns/{concern.pk}/photos/", {"photos": [png()], "kind": "before"})
    assert response.status_code == 302
    photo = concern.photos.get()
    assert photo.kind == PhotoKind.BEFORE and photo.is_public is False


def test_a_grid_worker_adds_only_the_residents_kind_of_photo(client, login, make, world):
    concern = make("in_progress")
    login(world.users.grid_worker)
    page = client.get(f"/concerns/{concern.pk}/").content.decode()
    assert 'name="kind"' not in page
    response = client.post(f"/concerns/{concern.pk}/photos/", {"photos": [png()], "kind": "after"})
    assert response.status_code == 302
    assert list(concern.photos.values_list("kind", flat=True)) == ["reported"]
    with pytest.raises(services.ConcernPermissionDenied):
        services.add_photos(concern, by=world.users.grid_worker, photos=[png()], kind=PhotoKind.AFTER)
    with pytest.raises(services.ConcernPermissionDenied):
        services.add_photos(concern, photos=[png()], kind=PhotoKind.AFTER)  # a resident's link
