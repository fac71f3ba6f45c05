"""A topic's key and value schema for the console: locked versions, fields with docs, and
whether the current ``.avsc`` is locked and backward compatible with every locked version.

Versions come from the Confluent-compatible registry when ``HUB_SCHEMA_REGISTRY_URL`` names one
(``GET /subjects/<name>/versions``), else from the lock file (``schemas/registry.lock.json``),
which pins the ids the file registry serves; the check is ``hub.registry.check_compatibility``
against the locked versions, run once per process (the files do not change under a running
console).
"""

from __future__ import annotations

from functools import cache
from typing import Any

import schemas
import topics
from hub.errors import HubError
from hub.registry import ConfluentRestRegistry, check_compatibility, read_lock


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


def _versions(name: str, registry: object | None) -> tuple[list[dict[str, Any]], str]:
    """The versions from the Confluent registry when one is configured, else the lock file."""
    source = "lock file " + schemas.LOCK_PATH.name
    if isinstance(registry, ConfluentRestRegistry):
        try:
            return registry.versions(name), "registry " + registry.url
        except HubError as exc:
            source += f" (registry {registry.url} not answering: {type(exc).__name__})"
    return _lock().get(name, []), source


def describe(name: str, registry: object | None = None) -> dict[str, Any]:
    """One schema: doc, fields, versions, current fingerprint registered?, compatibility."""
    expanded = schemas.expand(name)
    current = schemas.fingerprint_of(expanded)
    versions, source = _versions(name, registry)
    problems = [p for p in _problems() if p.startswith(name + ":")]
    return {
        "name": name, "doc": expanded.get("doc", ""), "fields": fields(expanded),
        "versions": [{"version": v["version"], "id": v["id"], "fingerprint": v["fingerprint"],
                      "current": v["fingerprint"] == current} for v in versions],
        "locked": any(v["fingerprint"] == current for v in versions),
        "compatibility": "BACKWARD: incompatible" if problems else "BACKWARD: compatible",
        "problems": problems, "source": source}


def for_topic(spec: topics.TopicSpec, registry: object | None = None) -> dict[str, Any]:
    """The topic's key and value schema (versions from ``registry`` when it is Confluent's)."""
    return {"topic": spec.name, "key": describe(spec.key_schema, registry),
            "value": describe(spec.value_schema, registry)}
