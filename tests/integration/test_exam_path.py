"""Acceptance 9: one real path end to end through the embedded broker, worker and store."""

from __future__ import annotations

import asyncio
import subprocess
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer

import topics
from hub.demo import exam_results
from hub.publish import TopicWriter
from hub.runtime import Runtime
from hub.store import Store
from tests.integration.conftest import HubEnv, wait_until

pytestmark = pytest.mark.integration

BROKEN = b"\x00\x7f\xff\xff\xffthis is not avro"  # Confluent header, unknown schema id


async def _produce(env: HubEnv, runtime: Runtime, records: list[dict[str, Any]]) -> None:
    async with TopicWriter(env.env["HUB_KAFKA_BOOTSTRAP"], runtime.codec,
                           suffix=env.suffix) as writer:
        await writer.send(topics.EXAMENRESULTAAT, records[0])
        await writer.send(topics.EXAMENRESULTAAT, records[0])  # redelivery: same message id
        key, _ = writer.encode(topics.EXAMENRESULTAAT, records[0])
        await writer.send_raw(topics.EXAMENRESULTAAT, [(key, BROKEN)])  # same partition
        await writer.send_many(topics.EXAMENRESULTAAT, records[1:])


async def _dead_letters(env: HubEnv, runtime: Runtime, expected: int) -> list[dict[str, Any]]:
    name = topics.physical(topics.dead_letter_of(topics.EXAMENRESULTAAT), env.suffix)
    consumer = AIOKafkaConsumer(name, bootstrap_servers=env.env["HUB_KAFKA_BOOTSTRAP"],
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    found: list[dict[str, Any]] = []
    try:
        for _ in range(60):
            batches = await consumer.getmany(timeout_ms=500)
            found += [runtime.codec.decode(m.value)[1] for b in batches.values() for m in b]
            if len(found) >= expected:
                break
    finally:
        await consumer.stop()
    return found


@pytest.fixture(params=["batch", "faust"])
def driver_env(request: pytest.FixtureRequest, hub_env: HubEnv) -> HubEnv:
    """Both agent drivers feed the same handler; both must give the same outcome."""
    hub_env.env["HUB_AGENT_DRIVER"] = request.param
    return hub_env


@pytest.mark.slow(10)
def test_exam_result_stored_once_and_bad_bytes_dead_lettered(
        driver_env: HubEnv, worker: subprocess.Popen[bytes]) -> None:
    hub_env = driver_env
    settings = hub_env.settings()
    runtime = Runtime(settings)
    records = exam_results(settings, cases=6, seed=7)
    asyncio.run(_produce(hub_env, runtime, records))

    store = Store(settings.effective_database_url)
    wait_until(lambda: store.count("fact") >= len(records) and store.count("dead_letter") >= 1
               and store.pending_projections() == 0, timeout=90)  # views: the projector's
    assert store.count("fact") == len(records)  # the redelivered message added nothing
    assert store.count("dead_letter") == 1
    assert worker.poll() is None, "the worker must keep running after a bad message"

    first = records[0]
    view = store.case_view(first["case_ref"])
    assert view is not None
    assert view["examens"][first["onderdeel"]]["uitslag"] == first["uitslag"]
    assert view["examens"][first["onderdeel"]]["examendatum"] == first["examendatum"].isoformat()
    assert view["facts"] == sum(r["case_ref"] == first["case_ref"] for r in records)

    dead = asyncio.run(_dead_letters(hub_env, runtime, expected=1))
    assert len(dead) == 1
    letter = dead[0]
    assert letter["source_topic"] == topics.EXAMENRESULTAAT
    assert letter["original_value"] == BROKEN
    assert letter["error_type"] == "UnknownSchema"
    assert str(0x7FFFFFFF) in letter["error_message"]
    assert letter["attempts"] == 1
    assert letter["case_ref"] == first["case_ref"]  # read from the intact key
    assert letter["source_offset"] == 2  # third message on its partition: after the two copies
    store.close()
