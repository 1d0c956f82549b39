import datetime
import decimal
import json
import zoneinfo

import pytest
import time_machine
from django.db import IntegrityError, transaction

from zhenwu.accounts.models import User
from zhenwu.audit.models import GENESIS_HASH, AuditAction, AuditEntry
from zhenwu.audit.services import (
    record_create,
    record_created_many,
    record_delete,
    record_event,
    record_reveal,
    record_update,
    snapshot,
    verify_chain,
)
from zhenwu.lib.request_context import Actor, acting_as
from zhenwu.org.models import Department, Household, Resident

pytestmark = pytest.mark.django_db

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


def _write_many(cast, n):
    """A realistic mix of writes: creates, updates with encrypted fields, deletes, bulk creates."""
    for i in range(n):
        household = Household.objects.create(
            grid=cast.jiulong_grid, number=f"T-{i:04d}", address=f"测试{i}号"
        )
        record_create(household)
        resident = Resident.objects.create(household=household, name=f"居民{i}", phone=f"1390000{i:04d}")
        record_create(resident)
        before = snapshot(resident)
        resident.phone = f"1370000{i:04d}"
        resident.tags = ["veteran"]
        resident.save()
        record_update(resident, before)
        record_delete(resident)
        resident.delete()
    extra = [Household(grid=cast.jizhen_grid, number=f"B-{i:04d}", address="批量") for i in range(50)]
    Household.objects.bulk_create(extra)
    record_created_many(extra, note="批量导入")


def test_the_chain_verifies_after_many_writes(cast):
    _write_many(cast, 40)

    report = verify_chain()

    assert report.ok, report
    assert report.checked == AuditEntry.objects.count() == 40 * 4 + 50
    first = AuditEntry.objects.order_by("id").first()
    assert first.prev_hash == GENESIS_HASH


def test_changing_one_entrys_changes_is_detected_with_that_entrys_id(cast):
    _write_many(cast, 10)
    victim = AuditEntry.objects.filter(action=AuditAction.UPDATE).order_by("id")[3]

    AuditEntry.objects.filter(pk=victim.pk).update(changes={"phone": ["（已加密）", "（已加密）"]})
    report = verify_chain()

    assert not report.ok
    assert report.first_bad_id == victim.pk
    assert "篡改" in report.reason
    assert report.checked == AuditEntry.objects.filter(pk__lt=victim.pk).count()


@pytest.mark.parametrize(
    "field, value", [("note", "改过的说明"), ("actor_label", "someone"), ("object_id", "999")]
)
def test_changing_any_other_column_is_detected_too(cast, field, value):
    _write_many(cast, 3)
    victim = AuditEntry.objects.order_by("id")[5]

    AuditEntry.objects.filter(pk=victim.pk).update(**{field: value})

    assert verify_chain().first_bad_id == victim.pk


def test_changing_the_time_by_one_microsecond_is_detected(cast):
    _write_many(cast, 3)
    victim = AuditEntry.objects.order_by("id")[4]

    AuditEntry.objects.filter(pk=victim.pk).update(at=victim.at + datetime.timedelta(microseconds=1))

    assert verify_chain().first_bad_id == victim.pk


def test_deleting_a_middle_entry_is_detected_at_the_entry_after_it(cast):
    _write_many(cast, 10)
    ids = list(AuditEntry.objects.order_by("id").values_list("id", flat=True))
    middle, following = ids[20], ids[21]

    AuditEntry.objects.filter(pk=middle).delete()
    report = verify_chain()

    assert not report.ok
    assert report.first_bad_id == following
    assert "删除或插入" in report.reason


def test_deleting_the_first_entry_is_detected_when_nothing_was_pruned(cast):
    _write_many(cast, 2)
    ids = list(AuditEntry.objects.order_by("id").values_list("id", flat=True))

    AuditEntry.objects.filter(pk=ids[0]).delete()

    assert verify_chain().first_bad_id == ids[1]


def test_rewriting_an_entry_and_its_hash_is_detected_at_the_next_entry(cast):
    _write_many(cast, 3)
    victim, following = AuditEntry.objects.order_by("id")[2:4]
    victim.note = "伪造"
    victim.hash = victim.compute_hash()

    AuditEntry.objects.filter(pk=victim.pk).update(note=victim.note, hash=victim.hash)

    assert verify_chain().first_bad_id == following.pk


def test_a_second_entry_chaining_from_the_same_hash_is_refused_by_the_database(cast):
    entry = record_event(action=AuditAction.SECURITY, note="一")
    fork = AuditEntry(at=entry.at, action=AuditAction.SECURITY, note="分叉", prev_hash=entry.prev_hash)
    fork.hash = fork.compute_hash()

    with pytest.raises(IntegrityError), transaction.atomic():
        fork.save(force_insert=True)


def test_the_hash_survives_the_database_round_trip_for_awkward_json_and_times(cast):
    changes = {
        "zeta": [1, 2],
        "a": {"yy": 1, "b": [1.5, None, True], "中": "文"},
        "big": [1e16, 12345678901234567890],
        "tiny": [1e-7, -0.0],
        "when": [datetime.date(2026, 1, 31), datetime.datetime(2026, 1, 31, 8, 0, tzinfo=SHANGHAI)],
        "money": [decimal.Decimal("1.10"), None],
        "nul": ["a\x00b", ""],
        "odd": [float("nan"), float("inf")],
        "emoji": ["😀", "ß"],
        7: ["整数键", None],
    }
    with time_machine.travel(datetime.datetime(2026, 3, 1, 0, 0, 0, tzinfo=SHANGHAI), tick=False):
        on_the_second = record_event(action=AuditAction.UPDATE, changes=changes, object_repr="x\x00y")
    fractional = record_event(action=AuditAction.UPDATE, changes=changes)

    for entry in (on_the_second, fractional):
        stored = AuditEntry.objects.get(pk=entry.pk)
        assert stored.changes == entry.changes
        assert stored.compute_hash() == entry.hash == stored.hash
    assert on_the_second.payload()["at"] == "2026-02-28T16:00:00.000000+00:00"
    assert "\x00" not in json.dumps(AuditEntry.objects.get(pk=on_the_second.pk).changes)
    assert verify_chain().ok


def test_the_hash_does_not_depend_on_the_time_zone_the_time_is_given_in():
    entry = AuditEntry(
        at=datetime.datetime(2026, 5, 1, 9, 30, 15, 120000, tzinfo=SHANGHAI),
        action=AuditAction.LOGIN,
        prev_hash=GENESIS_HASH,
    )
    in_shanghai = entry.compute_hash()
    entry.at = entry.at.astimezone(datetime.UTC)

    assert entry.compute_hash() == in_shanghai


def test_deleting_a_user_leaves_their_entries_and_the_chain_intact(cast):
    user = User.objects.create_user("temp1", password="x", role="member")
    with acting_as(Actor(user_id=user.pk, label=user.username)):
        entry = record_event(action=AuditAction.LOGIN, obj=user)

    user_id = user.pk
    user.delete()

    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.actor_id == user_id and stored.actor_label == "temp1"
    assert verify_chain().ok


def test_encrypted_values_are_logged_masked_and_a_change_hidden_by_the_mask_is_still_logged(cast):
    resident = cast.residents.jiulong
    before = snapshot(resident)
    resident.phone = "13800148000"  # same mask as 13800138000
    resident.sensitive_tags = ["disabled", "serious_illness"]
    resident.save()

    entry = record_update(resident, before)

    entry.changes.pop("updated_at")
    assert entry.changes == {
        "phone": ["138****8000", "138****8000（已修改）"],
        "sensitive_tags": ["（敏感信息）", "（敏感信息）（已修改）"],
    }
    text = json.dumps(AuditEntry.objects.get(pk=entry.pk).changes, ensure_ascii=False)
    assert "13800148000" not in text and "serious_illness" not in text


def test_creating_a_resident_logs_masked_numbers_and_no_blind_index(cast):
    entry = record_create(cast.residents.jiulong)

    assert entry.changes["phone"] == [None, "138****8000"]
    assert entry.changes["id_number"] == [None, "430181********1236"]
    assert "id_number_hash" not in entry.changes
    assert "430181195001011236" not in json.dumps(entry.changes)


def test_an_unchanged_save_logs_nothing(cast):
    department = Department.objects.get(name="城建办")
    before = snapshot(department)
    department.save()

    assert record_update(department, before) is None


def test_a_reveal_is_logged_with_who_what_and_which_field_but_not_the_value(cast):
    resident = cast.residents.jiulong
    admin = cast.users.town_admin
    with acting_as(Actor(user_id=admin.pk, label=admin.username, ip="10.0.0.8", request_id="r1")):
        entry = record_reveal(resident, field="身份证号")

    stored = AuditEntry.objects.get(pk=entry.pk)
    assert stored.action == AuditAction.REVEAL
    assert (stored.actor_id, stored.actor_label, stored.ip) == (admin.pk, "admin1", "10.0.0.8")
    assert (stored.object_type, stored.object_id, stored.object_repr) == (
        "org.Resident",
        str(resident.pk),
        "黎明",
    )
    assert stored.note == "查看完整身份证号"
    assert stored.changes == {}
    assert "430181195001011236" not in str(stored.__dict__)
    assert verify_chain().ok


def test_an_anonymous_request_is_logged_as_an_anonymous_visitor_and_a_command_as_the_system(cast):
    with acting_as(Actor(user_id=None, label="", ip="203.0.113.9", request_id="abc")):
        anonymous = record_event(action=AuditAction.LOGIN_FAILED, object_repr="nobody")
    system = record_event(action=AuditAction.SECURITY, note="命令")

    assert anonymous.actor_label == "匿名访客" and anonymous.ip == "203.0.113.9"
    assert system.actor_label == "系统"


def test_overlong_request_values_are_cut_to_the_column_sizes_instead_of_failing(cast):
    actor = Actor(user_id=None, label="u" * 300, ip="1" * 100, request_id="r" * 100)
    with acting_as(actor):
        entry = record_event(
            action=AuditAction.SECURITY, object_type="t" * 100, object_id="9" * 100, note="n" * 400
        )

    stored = AuditEntry.objects.get(pk=entry.pk)
    assert (len(stored.actor_label), len(stored.ip), len(stored.request_id)) == (150, 45, 32)
    assert (len(stored.object_type), len(stored.object_id), len(stored.note)) == (60, 40, 300)
    assert verify_chain().ok


def test_an_entry_rolls_back_with_the_write_it_records(cast):
    count = AuditEntry.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        department = Department.objects.create(name="文联", town=cast.town)
        record_create(department)
        raise RuntimeError("失败")

    assert AuditEntry.objects.count() == count
    assert verify_chain().ok


def test_bulk_entries_hold_what_single_entries_hold_and_verify_for_awkward_values(cast):
    """record_created_many encodes only the per-object part of each payload; its entries must be
    the ones record_create would write (same changes, same texts) and hash the same way, for
    mixed models, non-ASCII, quotes, NUL, overlong texts and a labelled actor with an address."""
    long_name = "长" * 300
    households = [
        Household(grid=cast.jiulong_grid, number=f"AW-{i}", address=f"九龙村{i}号 \"引号\" \\ ✓\u2028") for i in range(3)
    ]
    Household.objects.bulk_create(households)
    residents = [
        Resident(household=households[0], name=long_name[:50], phone="13900001111", tags=["veteran"],
                 sensitive_tags=["disabled"], birth_date=datetime.date(1950, 2, 28)),
        Resident(household=households[1], name="无号", relation="户主"),
    ]
    Resident.objects.bulk_create(residents)
    actor = Actor(user_id=cast.users.town_admin.pk, label="admin\x00" + "x" * 200, ip="10.0.0.1", request_id="r" * 40)
    with acting_as(actor):
        assert record_created_many([*households, *residents], note="批量\x00说明" + "长" * 400) == 5
        bulk = list(AuditEntry.objects.order_by("id"))
        for obj in (*households, *residents):
            record_create(obj, note="批量\x00说明" + "长" * 400)
    single = list(AuditEntry.objects.order_by("id"))[5:]
    columns = ("actor_id", "actor_label", "ip", "request_id", "action", "object_type", "object_id",
               "object_repr", "changes", "note")
    for made_bulk, made_single in zip(bulk, single, strict=True):
        assert [getattr(made_bulk, c) for c in columns] == [getattr(made_single, c) for c in columns]
        assert made_bulk.compute_hash() == made_bulk.hash
    assert bulk[0].prev_hash == GENESIS_HASH and bulk[1].prev_hash == bulk[0].hash
    assert len(bulk[0].actor_label) == 150 and "\x00" not in bulk[0].actor_label + bulk[0].note
    assert verify_chain().ok

