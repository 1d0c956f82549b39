"""Bulk audit entries of visits (the demo loader, imports): labels that name another row."""

import datetime

import pytest

from zhenwu.audit.models import AuditEntry
from zhenwu.audit.services import record_created_many, verify_chain
from zhenwu.grid.models import Visit
from zhenwu.org.models import Household

pytestmark = pytest.mark.django_db


def test_bulk_entries_label_rows_named_by_a_foreign_key_in_a_few_queries_not_one_each(cast, django_assert_max_num_queries):
    """A visit's label names its household: labelling a thousand visits must fetch the households
    together, not once per visit (the demo town's 21,000 visits cost 21,000 queries)."""
    households = [Household(grid=cast.jiulong_grid, number=f"V-{i:03d}", address=f"九龙村{i}号") for i in range(20)]
    Household.objects.bulk_create(households)
    visits = Visit.objects.bulk_create([
        Visit(household_id=households[i % 20].pk, member=cast.members.jiulong, visited_on=datetime.date(2026, 3, 1 + i % 28))
        for i in range(1000)
    ])
    visits = [Visit(pk=v.pk, household_id=v.household_id, member_id=v.member_id, visited_on=v.visited_on, way=v.way)
              for v in visits]  # as a loader holds them: ids only, no household loaded

    with django_assert_max_num_queries(12):
        assert record_created_many(visits, note="批量走访") == 1000

    labels = list(AuditEntry.objects.filter(object_type="grid.Visit").order_by("id").values_list("object_repr", flat=True))
    assert labels[0] == f"V-000 九龙村0号 2026-03-01 {visits[0].get_way_display()}"
    assert labels[21] == f"V-001 九龙村1号 2026-03-22 {visits[21].get_way_display()}"
    assert verify_chain().ok
