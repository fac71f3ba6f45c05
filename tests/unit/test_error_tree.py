"""The error tree in ``hub/errors.py`` is the only one: every error class the product defines
is there, drawn under its real parent, and product code raises no bare ValueError."""

from __future__ import annotations

import ast
import builtins
import inspect
import re
from pathlib import Path

import hub.errors as errors

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = ("hub", "connectors", "schemas", "topics")
BUILTIN_ERRORS = {name for name, value in vars(builtins).items()
                  if isinstance(value, type) and issubclass(value, BaseException)}
# signals, not errors: hub.shutdown.StopRequested is a KeyboardInterrupt by design
CONTROL_FLOW = {"KeyboardInterrupt", "SystemExit", "GeneratorExit"}
DRAWN = re.compile(r"^(?P<lead>[ │]*)(?:├── |└── )?(?P<name>[A-Z]\w+)\b", re.M)


def product_files() -> list[Path]:
    return sorted(p for folder in PRODUCT for p in (ROOT / folder).rglob("*.py"))


def tree_classes() -> dict[str, type[BaseException]]:
    return {name: cls for name, cls in vars(errors).items()
            if inspect.isclass(cls) and issubclass(cls, errors.HubError)}


def drawn_parents() -> dict[str, str | None]:
    """Each name in the module docstring's drawing -> the name it hangs under."""
    doc = errors.__doc__ or ""
    drawing = doc.split("::", 1)[1].split("\n\n", 2)[1]
    parents: dict[str, str | None] = {}
    stack: list[tuple[int, str]] = []
    for line in drawing.splitlines():
        match = DRAWN.match(line)
        if not match:
            continue
        depth = len(match.group("lead"))
        while stack and stack[-1][0] >= depth:
            stack.pop()
        parents[match.group("name")] = stack[-1][1] if stack else None
        stack.append((depth, match.group("name")))
    return parents


def test_every_error_class_of_the_product_is_defined_in_hub_errors() -> None:
    known = set(tree_classes()) | BUILTIN_ERRORS
    outside = []
    for path in product_files():
        if path == ROOT / "hub" / "errors.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ClassDef):
                bases = {b.id if isinstance(b, ast.Name) else getattr(b, "attr", "")
                         for b in node.bases}
                if bases & known and not bases & CONTROL_FLOW:
                    outside.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.name}")
    assert outside == []


def test_the_drawing_shows_every_class_under_its_real_parent() -> None:
    drawn = drawn_parents()
    classes = tree_classes()
    assert set(drawn) == set(classes)
    for name, cls in classes.items():
        parent = cls.__bases__[0].__name__ if cls is not errors.HubError else None
        assert drawn[name] == parent, f"{name} is drawn under {drawn[name]}, is a {parent}"


def test_the_drawing_reader_sees_a_misplaced_class() -> None:
    """The check above can fail: a drawing with a class moved one level is read differently."""
    drawn = drawn_parents()
    assert drawn["InvalidAccount"] == "InvalidField"
    assert drawn["XmlRefused"] == "RuleBroken"
    assert drawn["StoreBusy"] == "TransientError"


def test_product_code_raises_no_bare_value_error() -> None:
    found = []
    for path in product_files():
        lines = path.read_text(encoding="utf-8").splitlines()
        for number, line in enumerate(lines):
            if re.search(r"\braise ValueError\b", line):
                before = lines[number - 1] if number else ""
                if "# library protocol:" not in before:
                    found.append(f"{path.relative_to(ROOT)}:{number + 1}")
    assert found == []


def test_rule_errors_redact_and_name_their_rule() -> None:
    exc = errors.FileRefused("batch.csv", "CSV-BSN", "value 111222333 is not allowed")
    assert exc.rule == "CSV-BSN" and exc.name == "batch.csv"
    assert "111222333" not in str(exc)
    assert isinstance(exc, errors.PermanentError)
