"""The hub's Avro contracts: one named type per ``<full name>.avsc`` file in this folder.

Records reference shared types (``nl.inburgering.hub.EncryptedBsn``, the enums, line records)
by full name; ``fastavro.schema.load_schema`` resolves them from the sibling files. The
*expanded* form inlines every referenced type at its first use (later uses stay a name, as
Avro requires) and is what the registry registers and the lock file pins.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any, cast

from fastavro.schema import fingerprint as _fingerprint
from fastavro.schema import load_schema, parse_schema, to_parsing_canonical_form

from hub.errors import ConfigurationError

SCHEMA_DIR: Path = Path(__file__).resolve().parent
LOCK_PATH: Path = SCHEMA_DIR / "registry.lock.json"
NAMESPACE = "nl.inburgering.hub"
SUFFIX = ".avsc"


def all_names(schema_dir: Path = SCHEMA_DIR) -> list[str]:
    """Full names of every ``.avsc`` file in ``schema_dir``, sorted."""
    return sorted(path.name[: -len(SUFFIX)] for path in schema_dir.glob(f"*{SUFFIX}"))


def expand(full_name: str, schema_dir: Path = SCHEMA_DIR) -> dict[str, Any]:
    """Self-contained JSON object of ``full_name`` with referenced types inlined (not cached)."""
    path = schema_dir / f"{full_name}{SUFFIX}"
    if not path.is_file():
        raise ConfigurationError(f"schema {full_name} not found: no {path.name} in {schema_dir}")
    try:
        loaded = load_schema(str(path))
    except Exception as exc:  # fastavro raises several unrelated types for a bad file
        raise ConfigurationError(f"schema {full_name} does not load: {exc}") from exc
    return cast(dict[str, Any], public(loaded))


def public(schema: Any) -> Any:
    """``schema`` without fastavro's private ``__*`` keys, at every depth."""
    if isinstance(schema, Mapping):
        return {k: public(v) for k, v in schema.items() if not str(k).startswith("__")}
    if isinstance(schema, list):
        return [public(item) for item in schema]
    return schema


def to_json(schema: Mapping[str, Any]) -> str:
    """Canonical JSON text (sorted keys, compact) of a raw or fastavro-parsed schema."""
    return json.dumps(public(schema), sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def fingerprint_of(schema: Mapping[str, Any]) -> str:
    """SHA-256 (hex) of the Parsing Canonical Form of a raw or fastavro-parsed schema."""
    canonical = to_parsing_canonical_form(cast(dict[str, Any], public(schema)))
    return _fingerprint(canonical, "sha256")


@cache
def load(full_name: str) -> dict[str, Any]:
    """The fastavro-parsed, expanded schema of ``full_name`` from ``SCHEMA_DIR`` (cached)."""
    return cast(dict[str, Any], parse_schema(expand(full_name)))


def expanded_json(full_name: str, schema_dir: Path = SCHEMA_DIR) -> str:
    """Canonical JSON of the expanded schema: what is registered and locked."""
    return to_json(expand(full_name, schema_dir))


def fingerprint(full_name: str, schema_dir: Path = SCHEMA_DIR) -> str:
    """SHA-256 (hex) of the Parsing Canonical Form of the expanded schema."""
    return fingerprint_of(expand(full_name, schema_dir))
