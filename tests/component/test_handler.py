"""The shared agent handler against a real SQLite store: once, dead letters, retries, isolation."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest

import topics
from hub.agents.handler import ATTEMPTS_HEADER, BatchHandler, RawMessage
from hub.agents.store_outage import OutagePolicy, StoreHealth
from hub.codec import AvroCodec
from hub.demo import exam_results
from hub.errors import StoreBusy
from hub.reconcile.view import case_view
from hub.registry import FileSchemaRegistry
from hub.settings import from_env
from hub.store import BatchOutcome, Fact, InboundMessage, Refusal, Store

TOPIC = topics.EXAMENRESULTAAT
CONSUMER = "record:test"


@pytest.fixture(scope="module")
def codec() -> AvroCodec:
    return AvroCodec(FileSchemaRegistry())


@pytest.fixture
def records(tmp_path: Path) -> list[dict[str, Any]]:
    return exam_results(from_env({"HUB_HOME": str(tmp_path)}), cases=5, seed=11)


def _raw(codec: AvroCodec, records: Sequence[dict[str, Any]], start: int = 0) -> list[RawMessage]:
    return [RawMessage(TOPIC, 0, start + n,
                       codec.encode(topics.KEY_SCHEMA, {"case_ref": r["case_ref"]}),
                       codec.encode(topics.by_name(TOPIC).value_schema, r))
            for n, r in enumerate(records)]


def _decoded_dead_letters(store: Store, codec: AvroCodec) -> list[dict[str, Any]]:
    return [codec.decode(row.value)[1] for row in store.pending_outbox(100)
            if row.topic == topics.dead_letter_of(TOPIC)]


def test_redelivered_batch_changes_nothing(tmp_path: Path, codec: AvroCodec,
                                           records: list[dict[str, Any]]) -> None:
    store = Store(f"sqlite:///{tmp_path / 'hub.db'}", projection=case_view)
    handler = BatchHandler(CONSUMER, codec=codec, store=store)
    batch = _raw(codec, records)
    first = handler.handle(batch)
    assert first.outcome.applied == len(records) and first.unstored == []
    digest = store.content_hash()
    again = handler.handle(batch)
    assert again.outcome.applied == 0 and again.outcome.duplicates == len(records)
    assert store.content_hash() == digest
    assert store.count("fact") == len(records)


def test_bad_messages_are_dead_lettered_and_the_rest_applied(
        tmp_path: Path, codec: AvroCodec, records: list[dict[str, Any]]) -> None:
    store = Store(f"sqlite:///{tmp_path / 'hub.db'}", projection=case_view)
    handler = BatchHandler(CONSUMER, codec=codec, store=store)
    good = _raw(codec, records)
    wrong_key = RawMessage(TOPIC, 1, 0, codec.encode(topics.KEY_SCHEMA, {"case_ref": "CRX"}),
                           good[0].value, {ATTEMPTS_HEADER: b"2"})
    garbage = RawMessage(TOPIC, 1, 1, None, b"\x00garbage", {})
    result = handler.handle([wrong_key, *good, garbage])
    assert result.outcome.applied == len(records)
    assert result.outcome.dead_lettered == 2
    letters = {d["source_offset"]: d for d in _decoded_dead_letters(store, codec)}
    assert letters[0]["error_type"] == "InvalidField" and "case_ref" in letters[0]["error_message"]
    assert letters[0]["attempts"] == 3  # a re-driven message counts its earlier attempts
    assert letters[1]["error_type"] == "UnknownSchema" and letters[1]["attempts"] == 1
    assert letters[1]["original_value"] == b"\x00garbage"
    assert store.count("dead_letter") == 2


def test_a_poison_message_is_isolated_and_its_neighbours_applied(
        tmp_path: Path, codec: AvroCodec, records: list[dict[str, Any]]) -> None:
    poison = records[2]["case_ref"]

    def fragile(case_ref: str, facts: Sequence[Fact]) -> dict[str, Any]:
        if case_ref == poison:
            raise ValueError("rule bug")
        return case_view(case_ref, facts)

    store = Store(f"sqlite:///{tmp_path / 'hub.db'}", projection=fragile)
    result = BatchHandler(CONSUMER, codec=codec, store=store).handle(_raw(codec, records))
    poisoned = sum(r["case_ref"] == poison for r in records)
    assert result.outcome.applied == len(records) - poisoned
    assert result.outcome.dead_lettered == poisoned
    assert {d["error_type"] for d in _decoded_dead_letters(store, codec)} == {"ValueError"}
    assert store.case_view(poison) is None
    assert store.case_view(records[0]["case_ref"]) is not None


class FlakyStore(Store):
    """The real store, failing with StoreBusy a given number of times first."""

    def __init__(self, url: str, failures: int) -> None:
        super().__init__(url, projection=case_view)
        self.failures = failures

    def record_batch(self, consumer: str, accepted: Sequence[InboundMessage],
                     refused: Sequence[Refusal] = (), outbox: Sequence[Any] = ()) -> BatchOutcome:
        if self.failures:
            self.failures -= 1
            raise StoreBusy("database is locked")
        return super().record_batch(consumer, accepted, refused, outbox)


def test_transient_errors_are_retried_with_growing_delays(
        tmp_path: Path, codec: AvroCodec, records: list[dict[str, Any]]) -> None:
    delays: list[float] = []
    store = FlakyStore(f"sqlite:///{tmp_path / 'hub.db'}", failures=3)
    handler = BatchHandler(CONSUMER, codec=codec, store=store, attempts=5, backoff_s=0.1,
                           sleep=delays.append)
    result = handler.handle(_raw(codec, records))
    assert result.outcome.applied == len(records)
    assert delays == [0.1, 0.2, 0.4]


def test_a_lock_held_past_the_budget_pauses_and_dead_letters_nothing(
        tmp_path: Path, codec: AvroCodec, records: list[dict[str, Any]]) -> None:
    delays: list[float] = []
    health = StoreHealth()
    store = FlakyStore(f"sqlite:///{tmp_path / 'hub.db'}", failures=12)
    outage = OutagePolicy(quiet_attempts=3, backoff_s=0.5, max_delay_s=4.0, health=health,
                          sleep=lambda d: (delays.append(d), seen.append(health.state)))
    seen: list[Any] = []
    handler = BatchHandler(CONSUMER, codec=codec, store=store, outage=outage)
    result = handler.handle(_raw(codec, records))
    assert result.outcome.applied == len(records) and result.outcome.dead_lettered == 0
    assert result.unstored == [] and store.count("dead_letter") == 0
    assert delays == [0.5, 1.0, 2.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0, 4.0]
    assert [s.healthy for s in seen[:3]] == [True] * 3  # a short lock is ordinary contention
    assert not seen[3].healthy and seen[3].cause == "unavailable"
    assert health.state.healthy  # resumed by itself


def test_unique_message_ids_are_required_per_message(codec: AvroCodec, tmp_path: Path,
                                                      records: list[dict[str, Any]]) -> None:
    store = Store(f"sqlite:///{tmp_path / 'hub.db'}", projection=case_view)
    copy = {**records[0], "message_id": str(uuid.uuid4())}  # same content, new id: a new fact
    result = BatchHandler(CONSUMER, codec=codec, store=store).handle(
        _raw(codec, [records[0], copy]))
    assert result.outcome.applied == 2
