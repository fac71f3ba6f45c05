"""The layering of the connectors (ARCHITECTURE.md §1), read from the source: a partner folder
imports no other partner's folder and never the store or the agents (cursors go through the
kit's port); the kit imports no partner folder."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).parents[2] / "connectors"
PARTNERS = sorted(p.name for p in ROOT.iterdir()
                  if p.is_dir() and (p / "__init__.py").exists() and p.name not in ("kit", "ubl"))
FORBIDDEN_HUB = ("hub.store", "hub.agents")


def imports(source: str) -> set[str]:
    """Every module a source imports (``from a.b import c`` gives ``a.b`` and ``a.b.c``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
            found.add(node.module)
            found.update(f"{node.module}.{alias.name}" for alias in node.names)
    return found


def violations(folder: str, source: str) -> list[str]:
    """What ``source`` (a module of connectors/<folder>/) imports that it must not."""
    bad = []
    for name in sorted(imports(source)):
        parts = name.split(".")
        if parts[0] == "connectors" and len(parts) > 1 and parts[1] in PARTNERS \
                and parts[1] != folder:
            bad.append(name)
        if name.startswith(FORBIDDEN_HUB):
            bad.append(name)
    if "runtime.store" in source:
        bad.append("runtime.store")
    return bad


def test_the_partner_folders_are_found() -> None:
    assert {"duo", "isam", "isi", "kredietbank", "taalaanbieder", "financieel"} <= set(PARTNERS)


def test_the_check_catches_each_kind_of_violation() -> None:
    assert violations("kredietbank", "from connectors.isam.translate import Reader") == [
        "connectors.isam.translate", "connectors.isam.translate.Reader"]
    assert violations("financieel", "import connectors.taalaanbieder.folders") == [
        "connectors.taalaanbieder.folders"]
    assert violations("duo", "from hub.store import Store") == ["hub.store", "hub.store.Store"]
    assert violations("duo", "x = self.runtime.store.get_cursor('a')") == ["runtime.store"]
    assert violations("kit", "from connectors.isam import spool") == [
        "connectors.isam", "connectors.isam.spool"]
    assert violations("isam", "from connectors.kit.http import HttpSession") == []


@pytest.mark.parametrize("folder", [*PARTNERS, "kit", "ubl"])
def test_folder_imports_no_other_partner_and_not_the_store(folder: str) -> None:
    found = {str(path.relative_to(ROOT)): violations(folder, path.read_text(encoding="utf-8"))
             for path in sorted((ROOT / folder).rglob("*.py"))}
    assert {k: v for k, v in found.items() if v} == {}


def test_the_shared_modules_import_no_partner_and_not_the_store() -> None:
    """``base``, ``edge``, ``cli``, ``registry``, ...: the registry names partners as text."""
    found = {path.name: violations("", path.read_text(encoding="utf-8"))
             for path in sorted(ROOT.glob("*.py"))}
    assert {k: v for k, v in found.items() if v} == {}
