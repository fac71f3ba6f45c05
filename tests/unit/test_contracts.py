"""The shared contract: every topic has its schemas, every schema follows the house rules.

Each rule is a function returning problems, run on every schema and also on a small bad sample
so the test shows it can fail.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, cast

import avro.schema
import fastavro
import pytest
from fastavro.schema import load_schema
from fastavro.utils import generate_many

import schemas
import topics
from hub.registry import read_lock

NS = "nl.inburgering.hub."
HEADER = ["message_id", "case_ref", "source", "produced_at"]
TOPIC_NAME = re.compile(
    r"^inburgering\.(duo|isam|isi|taalaanbieder|kredietbank|financieel|hub)"
    r"\.[a-z0-9]+(-[a-z0-9]+)*\.v[1-9][0-9]*(\.dlt)?$"
)
DATE = {"type": "int", "logicalType": "date"}
TIMESTAMP = {"type": "long", "logicalType": "timestamp-millis"}
NAMES = schemas.all_names()
VALUE_SCHEMAS = sorted({spec.value_schema for spec in topics.TOPICS})
WORK_TOPICS = [spec for spec in topics.TOPICS if spec.direction != "dead-letter"]


# -- walking a schema ---------------------------------------------------------------------------

def type_nodes(node: Any) -> Iterator[Any]:
    """Every type node inside ``node``, ``node`` included."""
    yield node
    if isinstance(node, list):
        for branch in node:
            yield from type_nodes(branch)
    elif isinstance(node, dict):
        if node.get("type") == "record":
            for field in node["fields"]:
                yield from type_nodes(field["type"])
        elif node.get("type") == "array":
            yield from type_nodes(node["items"])
        elif node.get("type") == "map":
            yield from type_nodes(node["values"])
        elif isinstance(node.get("type"), dict | list):
            yield from type_nodes(node["type"])


def records(schema: Any) -> Iterator[dict[str, Any]]:
    """Every record defined inline in ``schema``."""
    return (n for n in type_nodes(schema) if isinstance(n, dict) and n.get("type") == "record")


def fields(schema: Any) -> Iterator[dict[str, Any]]:
    """Every field of every record defined inline in ``schema``."""
    return (field for record in records(schema) for field in record["fields"])


def non_null(field_type: Any) -> Any:
    """The type of an optional ``["null", X]`` union's X, else the type itself."""
    if isinstance(field_type, list) and len(field_type) == 2 and "null" in field_type:
        return next(branch for branch in field_type if branch != "null")
    return field_type


def named(node: Any) -> str | None:
    """The full name a type node defines or references, if any."""
    if isinstance(node, dict) and "name" in node:
        return str(node["name"])
    if isinstance(node, str) and "." in node:
        return node
    return None


# -- the rules ----------------------------------------------------------------------------------

def missing_docs(schema: Any) -> list[str]:
    """Records, enums and fields without a non-empty doc."""
    nodes = [n for n in type_nodes(schema) if isinstance(n, dict) and "name" in n]
    problems = [f"{n['name']}: no doc" for n in nodes if not str(n.get("doc", "")).strip()]
    undocumented = [f for f in fields(schema) if not str(f.get("doc", "")).strip()]
    return problems + [f"{f['name']}: no doc" for f in undocumented]


def floating_point(schema: Any) -> list[str]:
    """Any float or double type."""
    found = [n for n in type_nodes(schema) if n in ("float", "double")]
    found += [n for n in type_nodes(schema) if isinstance(n, dict) and n.get("type") in
              ("float", "double")]
    return [f"float/double: {n}" for n in found]


def money_not_long(schema: Any) -> list[str]:
    """``*_cent`` fields that are not a plain long."""
    return [f"{f['name']}: money must be long cents" for f in fields(schema)
            if f["name"].endswith("_cent") and non_null(f["type"]) != "long"]


def dates_not_date(schema: Any) -> list[str]:
    """Date-named fields (``*datum``, ``*_date``, ``dagtekening*``) without the date type."""
    def is_date_name(name: str) -> bool:
        return name.endswith(("datum", "_date")) or name.startswith("dagtekening")

    return [f"{f['name']}: must be a date" for f in fields(schema)
            if is_date_name(f["name"]) and non_null(f["type"]) != DATE]


def plain_bsn(schema: Any) -> list[str]:
    """BSN-named fields whose type is not EncryptedBsn."""
    return [f"{f['name']}: a BSN must be EncryptedBsn" for f in fields(schema)
            if "bsn" in f["name"].lower() and named(non_null(f["type"])) != NS + "EncryptedBsn"]


def bad_header(schema: dict[str, Any]) -> list[str]:
    """A value record that does not start with the four header fields and their types."""
    head = schema["fields"][:4]
    if [f["name"] for f in head] != HEADER:
        return [f"{schema['name']}: header is {[f['name'] for f in head]}"]
    kinds = [f["type"] for f in head]
    if kinds != ["string", "string", "string", TIMESTAMP]:
        return [f"{schema['name']}: header types are {kinds}"]
    return []


RULES: list[Callable[[Any], list[str]]] = [
    missing_docs, floating_point, money_not_long, dates_not_date, plain_bsn
]


def _bad_sample() -> dict[str, Any]:
    return {"type": "record", "name": "Bad", "namespace": "x", "fields": [
        {"name": "message_id", "type": "long"},
        {"name": "score", "type": ["null", "double"], "doc": "d"},
        {"name": "bedrag_cent", "type": "int", "doc": "d"},
        {"name": "dagtekening", "type": "string", "doc": "d"},
        {"name": "bsn", "type": "string", "doc": "d"},
    ]}


@pytest.mark.parametrize("rule", [*RULES, bad_header], ids=lambda r: r.__name__)
def test_each_rule_flags_a_bad_schema(rule: Callable[[Any], list[str]]) -> None:
    assert rule(_bad_sample())


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.__name__)
def test_schema_follows_the_house_rules(rule: Callable[[Any], list[str]], name: str) -> None:
    assert rule(schemas.expand(name)) == []


@pytest.mark.parametrize("name", VALUE_SCHEMAS)
def test_value_schema_starts_with_the_header(name: str) -> None:
    assert bad_header(schemas.expand(name)) == []


# -- topics and schemas -------------------------------------------------------------------------

@pytest.mark.parametrize("spec", topics.TOPICS, ids=lambda s: s.name)
def test_topic_has_its_key_and_value_schema(spec: topics.TopicSpec) -> None:
    assert spec.key_schema in NAMES
    assert spec.value_schema in NAMES


def test_every_schema_is_used_by_a_topic_or_referenced_by_one_that_is() -> None:
    roots = {s.key_schema for s in topics.TOPICS} | {s.value_schema for s in topics.TOPICS}
    used = {named(n) for root in roots for n in type_nodes(schemas.expand(root))}
    assert set(NAMES) - used == set()


@pytest.mark.parametrize("spec", topics.TOPICS, ids=lambda s: s.name)
def test_topic_name_follows_the_pattern(spec: topics.TopicSpec) -> None:
    assert TOPIC_NAME.match(spec.name), spec.name
    assert spec.name.endswith(".dlt") == (spec.direction == "dead-letter")
    system = spec.name.split(".")[1]
    if spec.direction in ("outbound", "internal"):
        assert system == "hub"
    if spec.direction == "inbound":
        assert system != "hub"


@pytest.mark.parametrize("spec", WORK_TOPICS, ids=lambda s: s.name)
def test_topic_has_a_dead_letter_topic_in_the_catalogue(spec: topics.TopicSpec) -> None:
    dead = topics.by_name(topics.dead_letter_of(spec.name))
    assert dead.name == spec.name + ".dlt"
    assert dead.value_schema == NS + "DeadLetter"
    assert dead.dead_letter is None and dead.direction == "dead-letter"
    assert dead.retention_ms > spec.retention_ms


def test_every_dead_letter_topic_belongs_to_a_topic() -> None:
    owners = {spec.dead_letter for spec in WORK_TOPICS}
    assert {s.name for s in topics.TOPICS if s.direction == "dead-letter"} == owners


def test_topic_names_are_unique() -> None:
    assert len({s.name for s in topics.TOPICS}) == len(topics.TOPICS)


@pytest.mark.parametrize("name", sorted({s.key_schema for s in topics.TOPICS}))
def test_key_schema_is_the_case_ref(name: str) -> None:
    key = schemas.expand(name)
    assert [(f["name"], f["type"]) for f in key["fields"]] == [("case_ref", "string")]


# -- loading, lock, round trip ------------------------------------------------------------------

@pytest.mark.parametrize("name", NAMES)
def test_schema_file_loads_in_fastavro_and_apache_avro(name: str) -> None:
    loaded = cast(dict[str, Any], load_schema(str(Path(schemas.SCHEMA_DIR, f"{name}.avsc"))))
    assert loaded["name"] == name
    apache = avro.schema.parse(schemas.expanded_json(name))
    assert isinstance(apache, avro.schema.NamedSchema) and apache.fullname == name


def test_lock_file_covers_every_schema_at_its_current_fingerprint() -> None:
    locked = read_lock()["schemas"]
    stale = [n for n in NAMES
             if schemas.fingerprint(n) not in {v["fingerprint"] for v in locked.get(n, [])}]
    assert stale == [], "run `hub schemas lock`"


@pytest.mark.parametrize("name", VALUE_SCHEMAS)
def test_generated_records_round_trip(name: str) -> None:
    schema = schemas.load(name)
    for record in generate_many(schema, 5):
        buffer = io.BytesIO()
        fastavro.schemaless_writer(buffer, schema, record)
        decoded = cast(dict[str, Any],
                       fastavro.schemaless_reader(io.BytesIO(buffer.getvalue()), schema, schema))
        again = io.BytesIO()
        fastavro.schemaless_writer(again, schema, decoded)
        assert again.getvalue() == buffer.getvalue()
        assert decoded.keys() == record.keys()
