"""Dependencies are honest: what product code imports is declared, pinned and locked.

Imports are read from the source with ``ast`` (nothing is imported), mapped to distributions
with ``importlib.metadata``, and compared with ``pyproject.toml`` and the two lock files.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("hub", "connectors", "schemas", "topics")
FIRST_PARTY = {*PRODUCT, "tests", "benchmarks", "fuzz",
               *(path.stem for path in (ROOT / "tests").glob("*.py"))}  # e.g. `from pg import`
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())
# Runtime dependencies product code never imports by name, with why they are runtime ones.
LOADED_BY_NAME = {"psycopg": "the driver SQLAlchemy loads for postgresql+psycopg:// URLs"}
REQUIREMENT = re.compile(r"^([A-Za-z0-9_.\-]+)(?:\[[^\]]*\])?==([^\s;]+)")


def _name(text: str) -> str:
    return re.sub(r"[-_.]+", "-", text).lower()


def _pins(requirements: list[str]) -> dict[str, str]:
    pins = {}
    for line in requirements:
        match = REQUIREMENT.match(line.strip())
        assert match, f"not pinned with ==: {line!r}"
        pins[_name(match.group(1))] = match.group(2)
    return pins


def _locked(path: Path) -> dict[str, str]:
    text = path.read_text()
    found = dict(re.findall(r"^([A-Za-z0-9_.\-]+)==(\S+) \\$", text, re.M))
    assert found, f"{path.name} lists no packages"
    for block in re.split(r"\n(?=[A-Za-z0-9])", text.split("\n\n", 1)[-1]):
        if "==" in block:
            assert "--hash=sha256:" in block, f"{path.name}: no hash for {block.split()[0]}"
    return {_name(name): version for name, version in found.items()}


RUNTIME = _pins(PYPROJECT["project"]["dependencies"])
DEV = _pins(PYPROJECT["project"]["optional-dependencies"]["dev"])


def _imports(folders: tuple[str, ...]) -> dict[str, set[str]]:
    """Top-level modules imported by the code in ``folders`` -> the files importing them."""
    found: dict[str, set[str]] = {}
    for folder in folders:
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(), str(path))):
                names = []
                if isinstance(node, ast.Import):
                    names = [alias.name for alias in node.names]
                elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                    names = [node.module]
                for name in names:
                    found.setdefault(name.split(".")[0], set()).add(str(path.relative_to(ROOT)))
    return found


def _third_party(modules: dict[str, set[str]]) -> dict[str, set[str]]:
    """Distributions behind the imported third-party modules -> the files importing them."""
    dists = packages_distributions()
    out: dict[str, set[str]] = {}
    for module, files in modules.items():
        if module in FIRST_PARTY or module in sys.stdlib_module_names or module == "__future__":
            continue
        assert module in dists, f"{module} (imported by {sorted(files)[0]}) is not installed"
        for dist in dists[module]:
            out.setdefault(_name(dist), set()).update(files)
    return out


def test_every_package_product_code_imports_is_a_pinned_runtime_dependency() -> None:
    used = _third_party(_imports(PRODUCT))
    undeclared = {dist: sorted(files)[:3] for dist, files in used.items() if dist not in RUNTIME}
    assert not undeclared, f"imported but not in [project] dependencies: {undeclared}"


def test_test_only_packages_are_in_the_dev_extra_not_the_runtime() -> None:
    product = set(_third_party(_imports(PRODUCT)))
    tests_only = set(_third_party(_imports(("tests", "benchmarks")))) - product
    misplaced = tests_only & set(RUNTIME) - set(LOADED_BY_NAME)
    assert not misplaced, f"runtime dependencies used only by tests: {sorted(misplaced)}"
    assert tests_only <= set(DEV) | set(RUNTIME), \
        f"tests import undeclared packages: {sorted(tests_only - set(DEV))}"


def test_the_lock_files_pin_exactly_what_pyproject_asks_for_with_hashes() -> None:
    dev_lock = _locked(ROOT / "requirements-dev.lock")
    runtime_lock = _locked(ROOT / "requirements.lock")
    for name, version in {**RUNTIME, **DEV}.items():
        assert dev_lock.get(name) == version, \
            f"requirements-dev.lock has {name} {dev_lock.get(name)}, pyproject {version}: " \
            "run `make lock`"
    for name, version in RUNTIME.items():
        assert runtime_lock.get(name) == version, f"requirements.lock: {name}: run `make lock`"
    assert not set(DEV) - set(RUNTIME) & set(runtime_lock) - set(dev_lock)
    shared = set(runtime_lock) & set(dev_lock)
    assert {n: runtime_lock[n] for n in shared} == {n: dev_lock[n] for n in shared}, \
        "the two lock files name different versions: run `make lock`"
    assert set(runtime_lock) <= set(dev_lock)
