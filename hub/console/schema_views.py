"""A topic's key and value schema for the console: locked versions, fields with docs, and
whether the current ``.avsc`` is locked and backward compatible with every locked version.

Versions come from the lock file (``schemas/registry.lock.json``), which pins the ids the file
registry serves and that a Confluent registry is loaded from (``hub schemas lock``); the check
is ``hub.registry.check_compatibility``, run once per process (the files do not change under
a running console).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import schemas
import topics
from hub.registry import check_compatibility, read_lock


@cache
def _problems() -> tuple[str, ...]:
    return tuple(check_compatibility())


@cache
def _lock() -> dict[str, list[dict[str, Any]]]:
    return read_lock()["schemas"]


def _type_text(kind: Any) -> str:
    """A readable Avro type: ``string``, ``long (timestamp-millis)``, ``null | Niveau``."""
    if isinstance(kind, str):
        return kind.rsplit(".", 1)[-1]
    if isinstance(kind, list):
        return " | ".join(_type_text(k) for k in kind)
    if isinstance(kind, dict):
        if kind.get("logicalType"):
            return f"{kind['type']} ({kind['logicalType']})"
        if kind.get("type") == "array":
            return f"array of {_type_text(kind['items'])}"
        if kind.get("type") == "enum":
            return f"{kind['name'].rsplit('.', 1)[-1]}: {', '.join(kind['symbols'])}"
        if kind.get("name"):
            return str(kind["name"]).rsplit(".", 1)[-1]
        return str(kind.get("type"))
    return str(kind)


def _records(kind: Any) -> list[dict[str, Any]]:
    """The record schemas directly inside a field type (unions and arrays looked into)."""
    if isinstance(kind, list):
        return [r for k in kind for r in _records(k)]
    if isinstance(kind, dict):
        if kind.get("type") == "record":
            return [kind]
        if kind.get("type") == "array":
            return _records(kind["items"])
    return []


def fields(schema: dict[str, Any], prefix: str = "", depth: int = 0) -> list[dict[str, Any]]:
    """Every field with dotted path, type text, default and doc (nested records to depth 3)."""
    found: list[dict[str, Any]] = []
    for field in schema.get("fields", []):
        path = prefix + field["name"]
        found.append({"path": path, "type": _type_text(field["type"]),
                      "doc": field.get("doc", ""), "has_default": "default" in field,
                      "default": field.get("default")})
        if depth < 3:
            for inner in _records(field["type"]):
                found += fields(inner, path + ".", depth + 1)
    return found


def describe(name: str) -> dict[str, Any]:
    """One schema: doc, fields, locked versions, current fingerprint locked?, compatibility."""
    expanded = schemas.expand(name)
    current = schemas.fingerprint_of(expanded)
    versions = _lock().get(name, [])
    problems = [p for p in _problems() if p.startswith(name + ":")]
    return {
        "name": name, "doc": expanded.get("doc", ""), "fields": fields(expanded),
        "versions": [{"version": v["version"], "id": v["id"], "fingerprint": v["fingerprint"],
                      "current": v["fingerprint"] == current} for v in versions],
        "locked": any(v["fingerprint"] == current for v in versions),
        "compatibility": "BACKWARD: incompatible" if problems else "BACKWARD: compatible",
        "problems": problems, "source": "lock file " + schemas.LOCK_PATH.name}


def for_topic(spec: topics.TopicSpec) -> dict[str, Any]:
    """The topic's key and value schema."""
    return {"topic": spec.name, "key": describe(spec.key_schema),
            "value": describe(spec.value_schema)}
