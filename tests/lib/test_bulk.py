"""zhenwu.lib.bulk.insert_many: the fast INSERT path of imports, on SQLite and PostgreSQL."""

from django.db import transaction

from zhenwu.lib.bulk import insert_many
from zhenwu.org.models import Household, Resident


def test_inserted_rows_get_their_keys_and_read_back_with_decrypted_values(cast):
    with transaction.atomic():
        households = insert_many(
            Household, [Household(grid=cast.jiulong_grid, number=f"BK-{i}", address=f"九龙村{i}号") for i in range(3)]
        )
        residents = insert_many(
            Resident,
            [
                Resident(household=h, name=f"测试{i}", phone="13900001111", id_number="430181195001011236",
                         tags=["living_alone_elderly"], sensitive_tags=["disabled"])
                for i, h in enumerate(households)
            ],
        )
    assert all(h.pk for h in households) and len({h.pk for h in households}) == 3
    stored = Resident.objects.get(pk=residents[1].pk)
    assert stored.household_id == households[1].pk
    assert stored.phone == "13900001111" and stored.id_number == "430181195001011236"
    assert stored.tags == ["living_alone_elderly"] and stored.sensitive_tags == ["disabled"]
    assert stored.created_at is not None and stored.updated_at is not None  # auto_now(_add) ran
    raw_phone = Resident.objects.filter(pk=stored.pk).values_list("phone", flat=True)
    assert list(raw_phone) == ["13900001111"]  # the field decrypts; the column itself is ciphertext:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("SELECT phone FROM org_resident WHERE id = %s", [stored.pk])
        assert "13900001111" not in str(cursor.fetchone()[0])


def test_ordinary_saves_after_a_bulk_insert_never_reuse_a_key(cast):
    with transaction.atomic():
        bulk = insert_many(Household, [Household(grid=cast.jiulong_grid, number=f"SQ-{i}", address="x") for i in range(5)])
    after = Household.objects.create(grid=cast.jiulong_grid, number="SQ-next", address="y")
    assert after.pk > max(h.pk for h in bulk)
    assert Household.objects.filter(number__startswith="SQ-").count() == 6


def test_a_deleted_top_row_is_not_reused(cast):
    with transaction.atomic():
        first = insert_many(Household, [Household(grid=cast.jiulong_grid, number="DL-1", address="x")])[0]
    Household.objects.filter(pk=first.pk).delete()
    with transaction.atomic():
        second = insert_many(Household, [Household(grid=cast.jiulong_grid, number="DL-2", address="x")])[0]
    assert second.pk > first.pk
