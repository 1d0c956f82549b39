"""Roles are spelled once, in zhenwu.core.roles: the sources compare `Role` members and groups.

The scan reads every python module of the project except the roles module, migrations and tests,
and fails on a quoted role value used as a role. A role value that is also the name of a model field
("member", "instructor") is a role only where roles are: compared with `==`/`in`, in a sequence of
nothing but role values, or given to something named role. Other role values are roles
wherever they are quoted, except as the value of another choices enum (SupervisionKind.LEADER).
"""

import ast
import pathlib

from django.apps import apps

import zhenwu
from zhenwu.core.roles import Role

ROOT = pathlib.Path(zhenwu.__file__).parent
ROLES_MODULE = ROOT / "core" / "roles.py"


def _sources():
    for path in sorted(ROOT.rglob("*.py")):
        parts = path.relative_to(ROOT).parts
        if path == ROLES_MODULE or "migrations" in parts or "tests" in parts or path.name.startswith("test_"):
            continue
        yield path


def _field_names():
    names = set()
    for model in apps.get_models():
        for field in model._meta.get_fields():
            names.add(field.name)
            if getattr(field, "related_name", None):
                names.add(field.related_name)
    return names


def _is_role(node):
    return isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in set(Role.values)


def _names_a_role(name):
    return name is not None and "role" in name.lower()


def _target_name(target):
    if isinstance(target, ast.Name):
        return target.id
    if isinstance(target, ast.Attribute):
        return target.attr
    return None


def role_nodes(source, *, ambiguous):
    """The string constants of a module's source that spell a role."""
    tree = ast.parse(source)
    parent = {child: node for node in ast.walk(tree) for child in ast.iter_child_nodes(node)}
    found = []
    for node in ast.walk(tree):
        if not _is_role(node):
            continue
        up = parent.get(node)
        if isinstance(up, ast.Tuple) and isinstance(parent.get(up), ast.Assign | ast.AnnAssign) \
                and isinstance(parent.get(parent.get(up)), ast.ClassDef) and len(up.elts) == 2:
            continue  # another enum's member: VALUE = "leader", "label"
        if node.value not in ambiguous:
            found.append(node)
            continue
        as_role = (
            isinstance(up, ast.Compare)
            or (isinstance(up, ast.Tuple | ast.List | ast.Set) and all(_is_role(e) for e in up.elts))
            or (isinstance(up, ast.keyword) and _names_a_role(up.arg))
            or (isinstance(up, ast.Assign) and any(_names_a_role(_target_name(t)) for t in up.targets))
        )
        if as_role:
            found.append(node)
    return sorted(found, key=lambda n: (n.lineno, n.col_offset))


def role_literals(source, *, ambiguous):
    """(line, value) of every role literal in a module's source."""
    return [(node.lineno, node.value) for node in role_nodes(source, ambiguous=ambiguous)]


def test_the_scan_finds_roles_and_leaves_field_names():
    source = (
        'ok = user.role == "member" or role in ("town_admin", "leader")\n'
        'qs = User.objects.filter(role="handler")\n'
        'fields = select_related("member", "resident")\n'
        'x = "dispatcher"\n'
    )
    assert role_literals(source, ambiguous={"member"}) == [
        (1, "member"), (1, "town_admin"), (1, "leader"), (2, "handler"), (4, "dispatcher"),
    ]


def test_no_role_is_spelled_outside_the_roles_module():
    ambiguous = set(Role.values) & _field_names()
    offences = [
        f"{path.relative_to(ROOT.parent)}:{line}: {value!r}"
        for path in _sources()
        for line, value in role_literals(path.read_text(encoding="utf-8"), ambiguous=ambiguous)
    ]
    assert offences == [], "use zhenwu.core.roles (Role members, groups):\n" + "\n".join(offences)
