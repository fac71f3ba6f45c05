"""A small, real hub for the console's page tests: two cases in two gemeenten (0392 Haarlem,
0363 Amsterdam) recorded in the store and published on their topics, a dead letter for each,
a consumer group with committed offsets, and users with and without a gemeente limit."""

from __future__ import annotations

import asyncio
import uuid
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

import topics
from hub.demo import exam_results
from hub.kafka_admin import apply_topics
from hub.privacy import BsnCipher
from hub.publish import TopicWriter
from hub.runtime import Runtime
from hub.store import InboundMessage, NewDeadLetter, Store
from tests.integration.conftest import HubEnv
from tests.integration.console_support import EXAM, add_user

KOPPELING = topics.KOPPELING_GEMEENTE
HAARLEM, AMSTERDAM = "0392", "0363"


@dataclass(frozen=True)
class Seeded:
    """What the pages should show."""

    haarlem: str  # case refs
    amsterdam: str
    group: str
    exams: dict[str, int]  # case ref -> exam results on the topic


def _koppeling(settings: Any, record: dict[str, Any], gemeente: str) -> dict[str, Any]:
    return {"message_id": str(uuid.uuid4()), "case_ref": record["case_ref"], "source": "duo",
            "produced_at": datetime(2024, 1, 5, tzinfo=UTC), "bsn": record["bsn"],
            "gemeentecode": gemeente, "koppeldatum": date(2024, 1, 2), "azc": None,
            "bron_versie": None}


def _letter(runtime: Runtime, record: dict[str, Any], key: bytes, value: bytes, n: int
            ) -> tuple[bytes, bytes]:
    letter = {
        "message_id": f"dl:record:{EXAM}:{EXAM}/0/{900 + n}", "case_ref": record["case_ref"],
        "source": "hub", "produced_at": datetime.now(UTC), "consumer": f"record:{EXAM}",
        "source_topic": EXAM, "source_partition": 0, "source_offset": 900 + n,
        "original_key": key, "original_value": value,
        "original_message_id": record["message_id"], "error_type": "StoreBusy",
        "error_message": "OperationalError: database is locked", "attempts": 5,
        "failed_at": datetime.now(UTC)}
    return (runtime.codec.encode(topics.KEY_SCHEMA, {"case_ref": record["case_ref"]}),
            runtime.codec.encode(topics.DEAD_LETTER_SCHEMA, letter))


def _stored_letter(record: dict[str, Any], key: bytes, value: bytes, n: int) -> NewDeadLetter:
    return NewDeadLetter(
        letter_id=f"dl:record:{EXAM}:{EXAM}/0/{900 + n}", consumer=f"record:{EXAM}",
        source_topic=EXAM, error_type="StoreBusy",
        error_message="OperationalError: database is locked", failed_at=datetime.now(UTC),
        source_partition=0, source_offset=900 + n, case_ref=record["case_ref"], attempts=5,
        original_key=key, original_value=value, original_message_id=record["message_id"],
        dead_letter_topic=topics.dead_letter_of(EXAM))


def seed(env: HubEnv) -> Seeded:
    """Topics, store, messages, dead letters, a group at offset 0 and the users."""
    settings = env.settings()
    runtime = Runtime(settings)
    exams = exam_results(settings, cases=2, seed=22)
    refs = sorted({r["case_ref"] for r in exams})
    homes = {refs[0]: HAARLEM, refs[1]: AMSTERDAM}
    firsts = {ref: next(r for r in exams if r["case_ref"] == ref) for ref in refs}
    koppelingen = [_koppeling(settings, firsts[ref], homes[ref]) for ref in refs]
    store = runtime.store  # with the hub's rules, so views have their residences
    facts = [InboundMessage(KOPPELING, 0, n, r["message_id"], r["case_ref"],
                            "nl.inburgering.hub.KoppelingGemeente", r)
             for n, r in enumerate(koppelingen)]
    facts += [InboundMessage(EXAM, 0, n, r["message_id"], r["case_ref"],
                             "nl.inburgering.hub.Examenresultaat", r) for n, r in enumerate(exams)]
    store.record_batch("record:test", facts)
    store.project_pending()
    store.close()
    group = f"pages-group{env.suffix}"

    async def publish() -> None:
        await apply_topics(settings.kafka_bootstrap, env.suffix)
        async with TopicWriter(settings.kafka_bootstrap, runtime.codec,
                               suffix=env.suffix) as writer:
            await writer.send_many(KOPPELING, koppelingen)
            await writer.send_many(EXAM, exams)
            letters = []
            for n, ref in enumerate(refs):
                key, value = writer.encode(EXAM, firsts[ref])
                letters.append(_letter(runtime, firsts[ref], key, value, n))
                originals.append((ref, key, value, n))
            await writer.send_raw(topics.dead_letter_of(EXAM), letters)
        consumer = AIOKafkaConsumer(bootstrap_servers=settings.kafka_bootstrap,
                                    group_id=group, enable_auto_commit=False)
        await consumer.start()
        name = topics.physical(KOPPELING, env.suffix)
        tps = [TopicPartition(name, p) for p in range(topics.by_name(KOPPELING).partitions)]
        consumer.assign(tps)
        await consumer.commit({tp: 0 for tp in tps})  # both koppelingen still to read
        await consumer.stop()

    originals: list[tuple[str, bytes, bytes, int]] = []
    asyncio.run(publish())
    # what the worker records of the DLT topic (issue 18: the store lists dead letters); no
    # worker runs here, so the seed records them as it would
    store = Store(settings.effective_database_url)
    store.add_dead_letters([_stored_letter(firsts[ref], key, value, n)
                            for ref, key, value, n in originals])
    store.close()
    for name, role, gemeenten in (("olga", "operator", ""), ("ada", "admin", ""),
                                  ("gina", "admin", HAARLEM)):
        add_user(env, name, role, gemeenten)
    assert BsnCipher.from_settings(settings)  # the keys the console decrypts with exist
    counts = {ref: sum(1 for r in exams if r["case_ref"] == ref) for ref in refs}
    return Seeded(refs[0], refs[1], group, counts)
