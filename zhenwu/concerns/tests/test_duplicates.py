"""Duplicates are linked, not lost: followers move to the original, nothing is deleted."""

import pytest

from zhenwu.concerns import access, notify, services
from zhenwu.concerns.models import Concern, ConcernEvent, ConcernFollower, Status
from zhenwu.concerns.services import ConcernError, ConcernPermissionDenied, TransitionNotAllowed


@pytest.fixture
def pair(submit, world):
    original = submit(text="学校门口污水横流").concern
    services.dispatch_concern(original, by=world.users.dispatcher)
    duplicate = submit(text="九龙学校旁边的污水没人管", reporter_phone="13912345678")
    return original, duplicate


def test_linking_a_duplicate_stops_it_and_keeps_everything(pair, world):
    original, dup = pair
    services.link_duplicate(dup.concern, original, by=world.users.dispatcher, note="同一处污水")
    merged = Concern.objects.get(pk=dup.concern.pk)
    assert merged.status == Status.DUPLICATE and merged.duplicate_of == original
    assert merged.text == "九龙学校旁边的污水没人管"
    assert Concern.objects.count() == 2
    event = ConcernEvent.objects.get(concern=merged, kind="merged")
    assert event.is_public and original.reference in event.public_text
    linked = ConcernEvent.objects.get(concern=original, kind="duplicate_linked")
    assert linked.data["duplicate"] == merged.reference


def test_the_duplicates_reporter_and_followers_follow_the_original(pair, world):
    original, dup = pair
    follower_token = services.follow_concern(dup.concern, phone="13700001111")
    services.link_duplicate(dup.concern, original, by=world.users.dispatcher)
    followers = ConcernFollower.objects.filter(concern=original)
    assert followers.count() == 2
    assert sorted(f.phone for f in followers) == ["13700001111", "13912345678"]
    # Both private links still open the duplicate, whose page points to the original.
    assert access.get_concern_by_follow_token(dup.concern.reference, dup.follow_token) == dup.concern
    assert access.get_concern_by_follow_token(dup.concern.reference, follower_token) == dup.concern
    # And the original's updates now reach them by text.
    assert "13912345678" in notify.resident_phones(original)


def test_a_duplicate_of_a_duplicate_is_refused_and_self_links_too(pair, submit, world):
    original, dup = pair
    services.link_duplicate(dup.concern, original, by=world.users.dispatcher)
    third = submit().concern
    with pytest.raises(TransitionNotAllowed, match="当前状态为已合并"):
        services.link_duplicate(third, dup.concern, by=world.users.dispatcher)
    with pytest.raises(ConcernError, match="与自身合并"):
        services.link_duplicate(third, third, by=world.users.dispatcher)


def test_merged_chains_keep_follow_links_working(pair, submit, world):
    original, dup = pair
    services.link_duplicate(dup.concern, original, by=world.users.dispatcher)
    newer = submit().concern
    services.dispatch_concern(newer, by=world.users.dispatcher)
    services.link_duplicate(original, newer, by=world.users.dispatcher)
    assert ConcernFollower.objects.filter(concern=newer).count() == 2
    assert access.get_concern_by_follow_token(dup.concern.reference, dup.follow_token) == dup.concern


def test_only_dispatchers_link_duplicates(pair, world):
    original, dup = pair
    with pytest.raises(ConcernPermissionDenied):
        services.link_duplicate(dup.concern, original, by=world.users.handler)


def test_following_a_concern_gives_a_private_link_that_opens_it(pair):
    original, _ = pair
    token = services.follow_concern(original)
    assert access.get_concern_by_follow_token(original.reference, token) == original
    assert ConcernFollower.objects.get(concern=original).phone == ""
