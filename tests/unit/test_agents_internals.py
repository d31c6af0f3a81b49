"""The private library names the agents use are exactly those agents/internals.py lists, and still exist."""

import ast
import importlib
import inspect
import re
from pathlib import Path

import pytest

from agents import internals

ROOT = Path(__file__).resolve().parents[2]
SCANNED = [*sorted((ROOT / "agents").glob("*.py")), ROOT / "pipeline" / "kafka_polling.py"]
OURS = ("agents", "pipeline")


def _private(name: str) -> bool:
    return name.startswith("_") and not name.startswith("__")


def _in_source(owner, name: str) -> bool:
    try:
        source = inspect.getsource(owner)
    except (OSError, TypeError):
        return hasattr(owner, name)
    return re.search(rf"\b{re.escape(name)}\b", source) is not None


def _library_privates(path: Path) -> set[str]:
    """Private names of other packages that ``path`` reads, writes, imports or overrides."""
    tree = ast.parse(path.read_text())
    used, own, overridable, overridden = set(), set(), {}, set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Attribute) and _private(node.attr):
            if isinstance(node.ctx, ast.Store) and isinstance(node.value, ast.Name) and node.value.id == "self":
                own.add(node.attr)
            else:
                used.add(node.attr)
        elif isinstance(node, ast.ImportFrom):
            used.update(alias.name for alias in node.names if _private(alias.name))
        elif isinstance(node, ast.Call) and getattr(node.func, "id", None) in ("getattr", "hasattr"):
            used.update(arg.value for arg in node.args[1:2] if isinstance(arg, ast.Constant) and _private(arg.value))
        elif isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            own.add(node.name)
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            own.add(node.id)
        if isinstance(node, ast.ClassDef):  # what a class of ours defines may be a library base's private
            overridable[node.name] = {n.name for n in node.body if isinstance(n, (ast.FunctionDef, ast.AsyncFunctionDef))
                                      } | {n.attr for n in ast.walk(node) if isinstance(n, ast.Attribute)
                                           and isinstance(n.value, ast.Name) and n.value.id == "self"}
    module = importlib.import_module(".".join(path.relative_to(ROOT).with_suffix("").parts))
    for class_name, names in overridable.items():
        bases = [base for base in getattr(module, class_name).__mro__[1:] if not base.__module__.startswith(OURS)]
        overridden.update(name for name in names if _private(name) and any(_in_source(base, name) for base in bases))
    return (used - own) | overridden


def test_agents_internals_lists_every_private_library_name_the_agents_use():
    used = set().union(*(_library_privates(path) for path in SCANNED))
    listed = {name for _, _, name in internals.PRIVATE_NAMES}
    assert used - listed == set(), "private names used but not listed in agents/internals.py"
    assert listed - used == set(), "listed in agents/internals.py but no longer used"
    table = internals.__doc__
    assert all(f"{name}``" in table for name in listed)  # and each is in the docstring's table, with its reason


@pytest.mark.parametrize(("module", "owner", "name"), internals.PRIVATE_NAMES)
def test_agents_internals_listed_private_names_exist_in_the_installed_libraries(module, owner, name):
    imported = importlib.import_module(module)
    if owner is None:
        assert hasattr(imported, name)
    else:
        assert _in_source(getattr(imported, owner), name), f"{module}.{owner} has no {name} any more"


def test_agents_internals_installed_libraries_are_the_versions_checked():
    assert internals.unsupported_versions() == []
    internals.check_versions()


def test_agents_internals_other_versions_are_refused_with_what_to_do(monkeypatch):
    import faust

    monkeypatch.setitem(internals.WRITTEN_FOR, "faust-streaming", (faust, "0.99."))
    with pytest.raises(internals.UnsupportedVersion, match=r"faust-streaming 0\.15\.\d+ \(written for 0\.99\.x\).*"
                                                            r"agents/internals\.py"):
        internals.check_versions()
