"""Who may import and export rosters, and the names a user's rows may use: the villages and grids
of their area, the party organisations of their committee."""

from zhenwu.core.roles import Role
from zhenwu.lib.uploads import echo

from ..models import Area, AreaLevel, PartyOrg, town_of
from .errors import RosterError
from .layouts import RESIDENTS

ROSTER_ROLES = (Role.TOWN_ADMIN, Role.SECRETARY)


def can_import(user):
    return user.is_authenticated and user.role in ROSTER_ROLES


class AreaScope:
    """Villages and grids of the user's town, looked up by name; `path` is what the user may write."""

    def __init__(self, user):
        if user.area_id is None:
            raise RosterError("您的账号未设置所辖区域，不能导入或导出住户花名册")
        area = user.area
        town = town_of(user) or area
        self.path = area.path
        self.root = town
        step = Area.steplen
        villages, grids = [], []
        for node in Area.objects.filter(path__startswith=town.path).only("id", "path", "name", "level"):
            if node.level in (AreaLevel.VILLAGE, AreaLevel.COMMUNITY):
                villages.append(node)
            elif node.level == AreaLevel.GRID:
                grids.append(node)
        self.villages = {}
        by_path = {}
        for v in villages:
            self.villages.setdefault(v.name, []).append(v)
            by_path[v.path] = v
        self.grids = {}
        self.grid_by_id = {}
        self.village_of_grid = {}
        for g in grids:
            village = by_path.get(g.path[:-step])
            if village is None:
                continue
            self.grids[(village.id, g.name)] = g
            self.grid_by_id[g.id] = g
            self.village_of_grid[g.id] = village

    def in_scope(self, node):
        return node.path.startswith(self.path)

    def choices(self):
        """[(village name, [grid names])] inside the user's own scope, for templates."""
        out = {}
        for grid in sorted(self.grid_by_id.values(), key=lambda g: g.path):
            if self.in_scope(grid):
                out.setdefault(self.village_of_grid[grid.id].name, []).append(grid.name)
        return list(out.items())


class OrgScope:
    """Party organisations of the user's committee, by name (or "上级/本级" when a name repeats).

    Mirrors Member.objects.visible_to: an account's own organisation and everything under it; a
    town admin without one gets the organisations placed in the town's areas.
    """

    def __init__(self, user):
        step = PartyOrg.steplen
        if user.party_org_id is not None:
            self.path = user.party_org.path
            orgs = list(PartyOrg.objects.filter(path__startswith=self.path[:step]).only("id", "path", "name"))
            self._ids = None
        elif user.role == Role.TOWN_ADMIN and user.area_id is not None:
            self.path = None
            orgs = list(
                PartyOrg.objects.filter(area__path__startswith=user.area.path).only("id", "path", "name")
            )
            self._ids = {o.id for o in orgs}
        else:
            raise RosterError("您的账号未设置所属党组织，不能导入或导出党员花名册")
        by_path = {o.path: o for o in orgs}
        self.by_name = {}
        for o in orgs:
            self.by_name.setdefault(o.name, []).append(o)
        self.by_qualified = {}
        self.labels = {}
        for o in orgs:
            parent = by_path.get(o.path[:-step])
            qualified = f"{parent.name}/{o.name}" if parent else o.name
            self.by_qualified[qualified] = o
            self.labels[o.id] = o.name if len(self.by_name[o.name]) == 1 else qualified
        self.by_id = {o.id: o for o in orgs}

    def in_scope(self, org):
        return org.id in self._ids if self._ids is not None else org.path.startswith(self.path)

    def lookup(self, text):
        """The org named `text`, or ValueError with a Chinese reason."""
        text = text.replace("／", "/").replace(" ", "")
        if "/" in text:
            org = self.by_qualified.get(text)
            if org is None:
                raise ValueError(f"党组织“{echo(text)}”不存在")
            return org
        found = self.by_name.get(text, [])
        if not found:
            raise ValueError(f"党组织“{echo(text)}”不存在")
        if len(found) > 1:
            raise ValueError(f"党组织名称“{echo(text)}”不唯一，请写成“上级组织/{echo(text)}”")
        return found[0]

    def choices(self):
        return [self.labels[o.id] for o in sorted(self.by_id.values(), key=lambda o: o.path) if self.in_scope(o)]



def roster_choices(kind, user):
    """Names the user may write in a roster (for the template's instructions), or None."""
    try:
        return AreaScope(user).choices() if kind == RESIDENTS else OrgScope(user).choices()
    except RosterError:
        return None
