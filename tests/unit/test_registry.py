"""Compatibility check, lock and the file-backed registry, on a copy of the schemas."""

from __future__ import annotations

import io
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

import fastavro
import pytest
from fastavro.schema import parse_schema
from fastavro.utils import generate_many

import schemas
from hub.errors import ConfigurationError, UnknownSchema
from hub.registry import (
    ConfluentRestRegistry,
    FileSchemaRegistry,
    check_compatibility,
    lock,
    read_lock,
    registry_from_settings,
)
from hub.settings import Settings

EXAM = "nl.inburgering.hub.Examenresultaat"
OPTIONAL = {"name": "opmerking", "type": ["null", "string"], "default": None, "doc": "Opmerking."}


@pytest.fixture
def workspace(tmp_path: Path) -> tuple[Path, Path]:
    """A copy of the schema folder and the lock file to edit freely."""
    schema_dir = tmp_path / "schemas"
    schema_dir.mkdir()
    for path in schemas.SCHEMA_DIR.glob("*.avsc"):
        shutil.copy(path, schema_dir)
    lock_path = tmp_path / "registry.lock.json"
    shutil.copy(schemas.LOCK_PATH, lock_path)
    return schema_dir, lock_path


def edit(schema_dir: Path, name: str, change: Callable[[dict[str, Any]], None]) -> None:
    path = schema_dir / f"{name}.avsc"
    schema = json.loads(path.read_text())
    change(schema)
    path.write_text(json.dumps(schema, indent=2))


def parsed(name: str, schema_dir: Path) -> dict[str, Any]:
    return cast(dict[str, Any], parse_schema(schemas.expand(name, schema_dir)))


def field(schema: dict[str, Any], name: str) -> dict[str, Any]:
    return next(f for f in schema["fields"] if f["name"] == name)


def locked_versions(name: str, lock_path: Path) -> int:
    return len(read_lock(lock_path)["schemas"][name])


def test_the_committed_schemas_are_compatible_and_fully_locked() -> None:
    assert check_compatibility() == []
    locked = read_lock()["schemas"]
    assert set(locked) == set(schemas.all_names())


def test_lock_file_ids_are_unique_and_versions_increase() -> None:
    locked = read_lock()["schemas"]
    ids = [v["id"] for versions in locked.values() for v in versions]
    assert len(ids) == len(set(ids))
    for versions in locked.values():
        assert [v["version"] for v in versions] == list(range(1, len(versions) + 1))
        assert [v["id"] for v in versions] == sorted(v["id"] for v in versions)


def test_lock_file_has_stable_formatting() -> None:
    text = schemas.LOCK_PATH.read_text()
    assert text == json.dumps(json.loads(text), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def test_new_field_without_default_is_incompatible(workspace: tuple[Path, Path]) -> None:
    schema_dir, lock_path = workspace
    required = {"name": "x", "type": "string", "doc": "x"}
    edit(schema_dir, EXAM, lambda s: s["fields"].append(required))
    problems = check_compatibility(schema_dir, lock_path)
    assert len(problems) == locked_versions(EXAM, lock_path)  # one per locked version
    assert problems[0].startswith(f"{EXAM}: not backward compatible with locked version 1")
    assert all("x" in p for p in problems)


def test_changed_field_type_is_incompatible(workspace: tuple[Path, Path]) -> None:
    schema_dir, lock_path = workspace
    edit(schema_dir, EXAM, lambda s: field(s, "examen_id").update(type="int"))
    problems = check_compatibility(schema_dir, lock_path)
    assert [p.split(":")[0] for p in problems] == [EXAM] * locked_versions(EXAM, lock_path)
    assert "reader type: int not compatible with writer type: string" in problems[0]


def test_removed_enum_symbol_without_default_is_incompatible(workspace: tuple[Path, Path]) -> None:
    schema_dir, lock_path = workspace
    soort = "nl.inburgering.hub.DocumentSoort"
    edit(schema_dir, soort, lambda s: s["symbols"].remove("CREDIT_NOTE"))
    problems = check_compatibility(schema_dir, lock_path)
    names = [p.split(":")[0] for p in problems]
    factuur = "nl.inburgering.hub.Factuur"
    assert names == [soort] + [factuur] * locked_versions(factuur, lock_path)


def test_removed_schema_file_is_reported(workspace: tuple[Path, Path]) -> None:
    schema_dir, lock_path = workspace
    (schema_dir / "nl.inburgering.hub.Gesprek.avsc").unlink()
    assert check_compatibility(schema_dir, lock_path) == [
        "nl.inburgering.hub.Gesprek: locked but nl.inburgering.hub.Gesprek.avsc is gone"
    ]


def test_lock_refuses_incompatible_schemas_and_keeps_the_file(
    workspace: tuple[Path, Path],
) -> None:
    schema_dir, lock_path = workspace
    before = lock_path.read_text()
    edit(schema_dir, EXAM, lambda s: field(s, "examen_id").update(type="int"))
    with pytest.raises(ConfigurationError, match=EXAM):
        lock(schema_dir, lock_path)
    assert lock_path.read_text() == before


def test_optional_field_is_compatible_and_locked_as_the_next_version(
    workspace: tuple[Path, Path],
) -> None:
    schema_dir, lock_path = workspace
    old_ids = {v["id"] for vs in read_lock(lock_path)["schemas"].values() for v in vs}
    before = locked_versions(EXAM, lock_path)
    edit(schema_dir, EXAM, lambda s: s["fields"].append(OPTIONAL))
    assert check_compatibility(schema_dir, lock_path) == []
    new_id = max(old_ids) + 1
    assert lock(schema_dir, lock_path) == [f"{EXAM} version {before + 1} id {new_id}"]
    versions = read_lock(lock_path)["schemas"][EXAM]
    assert [(v["version"], v["id"] in old_ids) for v in versions] == \
        [(n, True) for n in range(1, before + 1)] + [(before + 1, False)]
    assert lock(schema_dir, lock_path) == []  # idempotent


def test_file_registry_serves_both_versions_after_lock(workspace: tuple[Path, Path]) -> None:
    schema_dir, lock_path = workspace
    old_schema = parsed(EXAM, schema_dir)
    edit(schema_dir, EXAM, lambda s: s["fields"].append(OPTIONAL))
    lock(schema_dir, lock_path)
    registry = FileSchemaRegistry(lock_path)
    new_schema = parsed(EXAM, schema_dir)
    old_id, new_id = registry.id_for(EXAM, old_schema), registry.id_for(EXAM, new_schema)
    assert new_id > old_id
    assert schemas.fingerprint_of(registry.schema_for(new_id)) == schemas.fingerprint_of(new_schema)


def test_changed_but_unlocked_schema_raises(workspace: tuple[Path, Path]) -> None:
    schema_dir, lock_path = workspace
    edit(schema_dir, EXAM, lambda s: s["fields"].append(OPTIONAL))
    registry = FileSchemaRegistry(lock_path)
    with pytest.raises(ConfigurationError, match=f"{EXAM} changed but is not locked"):
        registry.id_for(EXAM, parsed(EXAM, schema_dir))


@pytest.mark.parametrize("name", [EXAM, "nl.inburgering.hub.CaseKey", "nl.inburgering.hub.Factuur"])
def test_file_registry_round_trip(name: str) -> None:
    registry = FileSchemaRegistry()
    schema = schemas.load(name)
    writer = registry.schema_for(registry.id_for(name, schema))
    assert writer["name"] == name
    record = next(generate_many(schema, 1))
    buffer = io.BytesIO()
    fastavro.schemaless_writer(buffer, schema, record)
    via_registry = fastavro.schemaless_reader(io.BytesIO(buffer.getvalue()), writer, schema)
    assert via_registry == fastavro.schemaless_reader(io.BytesIO(buffer.getvalue()), schema, schema)


def test_unknown_id_raises_unknown_schema() -> None:
    with pytest.raises(UnknownSchema, match="999999"):
        FileSchemaRegistry().schema_for(999999)


def test_missing_lock_file_is_a_configuration_error(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="hub schemas lock"):
        FileSchemaRegistry(tmp_path / "registry.lock.json")


def test_lock_from_scratch_locks_every_schema(tmp_path: Path) -> None:
    lock_path = tmp_path / "registry.lock.json"
    added = lock(schemas.SCHEMA_DIR, lock_path)
    assert len(added) == len(schemas.all_names())
    fresh, committed = read_lock(lock_path)["schemas"], read_lock()["schemas"]
    # Ids are append-only history, so only the locked schema texts must agree.
    assert {name: versions[-1]["fingerprint"] for name, versions in fresh.items()} == {
        name: versions[-1]["fingerprint"] for name, versions in committed.items()}


@pytest.mark.parametrize(("url", "kind"), [
    ("file", FileSchemaRegistry),
    ("http://127.0.0.1:8081", ConfluentRestRegistry),
    ("https://registry.example/", ConfluentRestRegistry),
])
def test_registry_from_settings(url: str, kind: type) -> None:
    assert isinstance(registry_from_settings(Settings(schema_registry_url=url)), kind)


def test_registry_from_settings_refuses_other_urls() -> None:
    with pytest.raises(ConfigurationError, match="HUB_SCHEMA_REGISTRY_URL"):
        registry_from_settings(Settings(schema_registry_url="ftp://registry"))
