"""六员六表率 by village: how many members of each village hold each 六员 role and each 六表率
commitment, and how many records (表率事迹) show them at it.

Rule of the counts (one place; the overview page and anyone reporting them read it here):
- a member counts for the village (or community) their party organisation is placed in (the
  organisation's area, or the village above it); members no longer on the roll do not count, nor
  do members of organisations placed above the villages (the town committee's own members);
- "担任六员" and "六表率" count people (a member with three roles is one person), the per-kind
  figures count people holding that kind;
- records count rows, optionally those dated in a period (both ends included).

Each figure is one grouped query over the area's members, folded to villages in Python; the number
of queries does not grow with the number of villages or members.
"""

from dataclasses import dataclass, field

from django.db.models import Count

from zhenwu.org.models import Area, AreaLevel, Member

from .models import ExemplarKind, ExemplarRecord, MemberExemplar, MemberRole, MemberRoleKind

VILLAGE_LEVELS = (AreaLevel.VILLAGE, AreaLevel.COMMUNITY)


@dataclass
class VillageRow:
    village: Area
    members: int = 0
    with_roles: int = 0  # people holding at least one 六员 role
    with_exemplars: int = 0  # people holding at least one 六表率 commitment
    records: int = 0
    roles: dict = field(default_factory=dict)  # {MemberRoleKind value: people}
    exemplars: dict = field(default_factory=dict)  # {ExemplarKind value: people}

    def add(self, other):
        self.members += other.members
        self.with_roles += other.with_roles
        self.with_exemplars += other.with_exemplars
        self.records += other.records
        for target, source in ((self.roles, other.roles), (self.exemplars, other.exemplars)):
            for key, n in source.items():
                target[key] = target.get(key, 0) + n

    def role_counts(self):
        return [(label, self.roles.get(value, 0)) for value, label in MemberRoleKind.choices]

    def exemplar_counts(self):
        return [(label, self.exemplars.get(value, 0)) for value, label in ExemplarKind.choices]


def _village_of(path, villages_by_path, steplen):
    for end in range(len(path), 0, -steplen):
        village = villages_by_path.get(path[:end])
        if village is not None:
            return village
    return None


def counts_by_village(root, *, start=None, end=None):
    """([VillageRow per village under `root`, tree order], total VillageRow) by the rule above.
    `start`/`end` limit the records counted to those dated in the period."""
    villages = list(Area.objects.filter(path__startswith=root.path, level__in=VILLAGE_LEVELS).order_by("path"))
    if root.level in VILLAGE_LEVELS and not villages:
        villages = [root]
    by_path = {v.path: v for v in villages}
    rows = {v.path: VillageRow(village=v) for v in villages}
    steplen = Area.steplen
    place = "party_org__area__path"
    members = Member.objects.filter(is_active=True, party_org__area__path__startswith=root.path)

    def fold(queryset, path_key, apply):
        for row in queryset:
            village = _village_of(row[path_key] or "", by_path, steplen)
            if village is not None:
                apply(rows[village.path], row)

    fold(members.order_by().values(place).annotate(n=Count("id")), place,
         lambda r, x: setattr(r, "members", r.members + x["n"]))
    role_q = MemberRole.objects.filter(member__in=members.values("pk")).order_by()
    exemplar_q = MemberExemplar.objects.filter(member__in=members.values("pk")).order_by()
    m_place = f"member__{place}"
    fold(role_q.values(m_place).annotate(n=Count("member", distinct=True)), m_place,
         lambda r, x: setattr(r, "with_roles", r.with_roles + x["n"]))
    fold(exemplar_q.values(m_place).annotate(n=Count("member", distinct=True)), m_place,
         lambda r, x: setattr(r, "with_exemplars", r.with_exemplars + x["n"]))

    def add_kind(target, key):
        def apply(row, x):
            bucket = getattr(row, target)
            bucket[x[key]] = bucket.get(x[key], 0) + x["n"]
        return apply

    fold(role_q.values(m_place, "role").annotate(n=Count("member", distinct=True)), m_place,
         add_kind("roles", "role"))
    fold(exemplar_q.values(m_place, "kind").annotate(n=Count("member", distinct=True)), m_place,
         add_kind("exemplars", "kind"))
    records = ExemplarRecord.objects.filter(exemplar__member__in=members.values("pk")).order_by()
    if start is not None:
        records = records.filter(done_on__gte=start)
    if end is not None:
        records = records.filter(done_on__lte=end)
    r_place = f"exemplar__member__{place}"
    fold(records.values(r_place).annotate(n=Count("id")), r_place,
         lambda r, x: setattr(r, "records", r.records + x["n"]))

    ordered = [rows[v.path] for v in villages]
    total = VillageRow(village=root)
    for row in ordered:
        total.add(row)
    return ordered, total


__all__ = ["VillageRow", "counts_by_village"]
