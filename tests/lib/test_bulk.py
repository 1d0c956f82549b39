"""zhenwu.lib.bulk.insert_many: the fast INSERT path of imports, on SQLite and PostgreSQL."""

from django.db import transaction

from zhenwu.lib.bulk import insert_many
from zhenwu.org.models import Household, Member, Resident


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


def _raw_rows(table, pks, skip=("id",)):
    """The stored columns of rows, as the database returns them (no field conversion)."""
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(f"SELECT * FROM {table} WHERE id IN ({', '.join(['%s'] * len(pks))}) ORDER BY id", list(pks))
        names = [c[0] for c in cursor.description]
        return [{n: v for n, v in zip(names, row, strict=True) if n not in skip} for row in cursor.fetchall()]


def _member(cast, i, *, resident, digest):
    import datetime

    from django.utils.translation import gettext_lazy

    from zhenwu.org.models import Member, MemberStatus

    return Member(
        party_org=cast.jiulong_branch,
        resident=resident,
        name=gettext_lazy("党员") if i == 0 else f"党员{i}",  # a lazy string takes the field's own path
        gender="男",
        birth_date=datetime.date(1960, 1, 1 + i),
        joined_on=datetime.date(1985, 7, 1) if i else None,
        id_number=f"43018119600101{i:03d}X",
        id_number_hash=digest,
        phone="13900001111" if i else "",
        status=MemberStatus.PROBATIONARY if i else MemberStatus.FULL,
        is_migrant=bool(i % 2),
        migrant_location="长沙" if i % 2 else "",
        is_elderly=True,
    )


def _resident(household, i):
    return Resident(
        household=household, name=f"居民{i}", gender="女" if i else "", relation="户主" if i else "",
        phone="13900002222" if i else "", tags=["living_alone_elderly"] if i else [],
        sensitive_tags=["disabled"] if i % 2 else [],
    )


def _same_rows(model, saved, bulk, *, unique=()):
    """Stored columns equal but for the key, timestamps, ciphertexts (fresh nonces) and the
    unique columns that had to differ; every value reads back the same through the model."""
    volatile = ("id", "created_at", "updated_at", "id_number", "phone", "sensitive_tags", *unique)
    table = model._meta.db_table
    assert _raw_rows(table, [o.pk for o in saved], skip=volatile) == _raw_rows(table, [o.pk for o in bulk], skip=volatile)
    fields = [f.attname for f in model._meta.concrete_fields if f.attname not in ("id", *unique)]
    read_saved = {o.pk: o for o in model.objects.filter(pk__in=[o.pk for o in saved])}
    read_bulk = {o.pk: o for o in model.objects.filter(pk__in=[o.pk for o in bulk])}
    for made_saved, made_bulk in zip(saved, bulk, strict=True):
        a, b = read_saved[made_saved.pk], read_bulk[made_bulk.pk]
        for name in fields:
            if name in ("created_at", "updated_at"):
                assert getattr(b, name) == getattr(made_bulk, name) is not None
            else:
                assert getattr(a, name) == getattr(b, name) == getattr(made_bulk, name), name


def test_insert_many_writes_the_same_rows_as_save(cast):
    household = Household.objects.create(grid=cast.jiulong_grid, number="EQ-0", address="九龙村")
    saved = [_resident(household, i) for i in range(3)]
    for resident in saved:
        resident.save()
    with transaction.atomic():
        bulk = insert_many(Resident, [_resident(household, i) for i in range(3)])
    _same_rows(Resident, saved, bulk)

    saved_members = [_member(cast, i, resident=saved[i], digest=f"s{i}") for i in range(3)]
    for member in saved_members:
        member.save()
    with transaction.atomic():
        bulk_members = insert_many(Member, [_member(cast, i, resident=bulk[i], digest=f"b{i}") for i in range(3)])
    _same_rows(Member, saved_members, bulk_members, unique=("resident_id", "id_number_hash"))
    assert [m.resident_id for m in Member.objects.filter(pk__in=[m.pk for m in bulk_members]).order_by("pk")] == [
        r.pk for r in bulk
    ]


def test_timestamps_are_one_instant_per_insert_set_on_the_instances_and_stored(cast):
    with transaction.atomic():
        households = insert_many(
            Household, [Household(grid=cast.jiulong_grid, number=f"TS-{i}", address="x") for i in range(4)]
        )
    assert len({h.created_at for h in households}) == 1 and households[0].created_at is not None
    assert len({h.updated_at for h in households}) == 1 and households[0].updated_at >= households[0].created_at
    stored = Household.objects.filter(number__startswith="TS-")
    assert {(h.created_at, h.updated_at) for h in stored} == {(households[0].created_at, households[0].updated_at)}


def test_the_pass_through_fields_return_those_values_unchanged_on_this_database():
    """The shortcut of insert_many relies on this; a Django upgrade that changes it fails here."""
    from django.db import connection

    from zhenwu.lib.bulk import PASS_THROUGH

    samples = {str: ["", "王建国", "x" * 300, "13900001111"], bool: [True, False], type(None): [None]}
    for field_class, types in PASS_THROUGH.items():
        field = field_class(null=True)
        for kind in types:
            for value in samples[kind]:
                prepared = field.get_db_prep_save(value, connection)
                assert prepared is value or (type(prepared) is kind and prepared == value), (field_class, value)
