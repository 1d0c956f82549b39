"""The import layers of docs/architecture.md, as pyproject.toml's import-linter contract states them:
the real tree keeps them, and an import against them (a lower app naming a higher one) is reported."""

import shutil
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LINT_IMPORTS = Path(sys.executable).parent / "lint-imports"


def _lint(cwd, *, pythonpath=None):
    env = {"PATH": str(Path(sys.executable).parent), "PYTHONPATH": str(pythonpath or cwd)}
    return subprocess.run(
        [str(LINT_IMPORTS), "--no-cache", "--config", str(cwd / "pyproject.toml")],
        cwd=cwd, env=env, capture_output=True, text=True, timeout=300,
    )


def _copy_tree(tmp_path):
    """The package's Python files and the contract, in a scratch directory."""
    shutil.copytree(
        ROOT / "zhenwu", tmp_path / "zhenwu",
        ignore=lambda folder, names: [
            n for n in names
            if n in ("static", "templates", "__pycache__") or (not n.endswith(".py") and "." in n)
        ],
    )
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    return tmp_path


def test_the_tree_keeps_the_layers():
    result = _lint(ROOT)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Contracts: 1 kept, 0 broken." in result.stdout


def test_a_lower_app_importing_a_higher_one_is_reported(tmp_path):
    tree = _copy_tree(tmp_path)
    assert _lint(tree).returncode == 0  # the copy, as it is, keeps them
    services = tree / "zhenwu" / "concerns" / "services" / "workflow.py"
    services.write_text(services.read_text() + "\n\ndef _suggest():\n    from zhenwu.routing.services import predict  # noqa\n")
    result = _lint(tree)
    assert result.returncode == 1
    assert "zhenwu.concerns is not allowed to import zhenwu.routing" in result.stdout
    assert "zhenwu.concerns.services.workflow -> zhenwu.routing.services" in result.stdout


def test_a_sibling_importing_a_sibling_is_reported(tmp_path):
    tree = _copy_tree(tmp_path)
    study = tree / "zhenwu" / "study" / "models.py"
    study.write_text(study.read_text() + "\nfrom zhenwu.concerns.models import Concern  # noqa\n")
    result = _lint(tree)
    assert result.returncode == 1
    assert "zhenwu.study is not allowed to import zhenwu.concerns" in result.stdout


def test_an_app_without_a_layer_is_reported(tmp_path):
    tree = _copy_tree(tmp_path)
    (tree / "zhenwu" / "newapp").mkdir()
    (tree / "zhenwu" / "newapp" / "__init__.py").write_text("")
    result = _lint(tree)
    assert result.returncode == 1
    assert "zhenwu.newapp" in result.stdout
