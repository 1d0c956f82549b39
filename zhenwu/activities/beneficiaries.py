"""受益人数: how many people an activity served — one rule, for the activity page and for every
figure (ledgers, dashboard, briefing) that counts beneficiaries.

An activity records its beneficiaries in two ways:
- a declared total, `Activity.beneficiary_count` ("为200余名老人送去慰问": everyone served, named
  or not; 0 when none was declared);
- named beneficiaries, `Beneficiary` rows (residents picked from the roll or people typed in, with
  who of the activity visited them and what they were given).

Rule: an activity served the larger of its declared total and the number of people named.
- names recorded for everyone and no total declared: the named count;
- a total declared and some of them named (the 重阳 visit: 216 declared, a dozen named with their
  visitor): the declared total — the named are part of it, so they are not added twice;
- more people named than the declared total (the total was an early estimate): the named count, so
  no figure is ever below the list of names shown beside it.
Recording names therefore never lowers a total and never counts a named person twice.

`beneficiary_total(activity)` applies the rule to one activity; `with_beneficiary_totals(qs)`
annotates a queryset with `beneficiaries_served`; `total_beneficiaries(qs)` sums it (one query).
"""

from django.db.models import Count, IntegerField, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce, Greatest

from .models import Beneficiary


def beneficiary_total(activity, *, named=None):
    """People the activity served by the rule above. `named`: its number of named beneficiaries, if
    already known (saves a query)."""
    if named is None:
        named = Beneficiary.objects.filter(activity_id=activity.pk).count()
    return max(activity.beneficiary_count or 0, named)


def _named_count():
    return Coalesce(
        Subquery(
            Beneficiary.objects.filter(activity_id=OuterRef("pk")).order_by().values("activity_id")
            .annotate(n=Count("id")).values("n")[:1],
            output_field=IntegerField(),
        ),
        0,
    )


def with_beneficiary_totals(activities):
    """The activities annotated with `beneficiaries_named` and `beneficiaries_served` (the rule)."""
    return activities.annotate(beneficiaries_named=_named_count()).annotate(
        beneficiaries_served=Greatest("beneficiary_count", "beneficiaries_named"),
    )


def total_beneficiaries(activities):
    """People served by all the activities of a queryset, each counted by the rule (one query)."""
    total = with_beneficiary_totals(activities.order_by()).aggregate(n=Sum("beneficiaries_served"))["n"]
    return total or 0


__all__ = ["beneficiary_total", "with_beneficiary_totals", "total_beneficiaries"]
