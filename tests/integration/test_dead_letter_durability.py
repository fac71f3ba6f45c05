"""Dead letters survive the embedded broker: the store is their source of truth.

A real worker on a broker of this test's own dead-letters an in-hub message and records an
edge letter a connector sent (its partner payload sealed, a BSN inside). Then the broker
stops: ``hub dlq list`` and ``show`` still answer from the store, and after the broker comes
back empty (memory only) the letters are still listed.
"""

from __future__ import annotations

import asyncio
import json
import os
import uuid
from pathlib import Path

import pytest
from aiokafka import AIOKafkaConsumer

import topics
from connectors.kit.deadletter import DeadLetters
from hub.broker import EmbeddedBroker, free_port
from hub.errors import InvalidField
from hub.kafka_admin import apply_topics
from hub.publish import TopicWriter
from hub.runtime import Runtime
from hub.store import Store
from hub.store.dead_letters import list_letters
from tests.integration.conftest import HubEnv, stop_process, wait_until
from tests.integration.console_support import BROKEN, EXAM, hub_cli
from tests.integration.test_privacy_scan import bsn_positions

pytestmark = pytest.mark.integration
BSN = "123456782"
PIP = topics.ISAM_PIP_VASTGESTELD


def _env(home: Path, bootstrap: str) -> HubEnv:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update({"HUB_HOME": str(home), "HUB_KAFKA_BOOTSTRAP": bootstrap,
                "HUB_TOPIC_SUFFIX": f".t{uuid.uuid4().hex[:8]}",
                "HUB_DATABASE_URL": f"sqlite:///{home / 'hub.db'}",
                "HUB_WORKER_WEB_PORT": str(free_port()), "HUB_BATCH_WITHIN_S": "0.05"})
    return HubEnv(home, env)


async def _produce(env: HubEnv, runtime: Runtime) -> bytes:
    """A broken exam result and an ISAM edge letter; the edge letter's bytes on its topic."""
    async with TopicWriter(env.env["HUB_KAFKA_BOOTSTRAP"], runtime.codec,
                           suffix=env.suffix) as writer:
        key = runtime.codec.encode(topics.KEY_SCHEMA, {"case_ref": "CR" + "0" * 30})
        await writer.send_raw(EXAM, [(key, BROKEN)])
        payload = {"notificatie": {"resource": "pip"}, "details": {"bsn": BSN, "niveau": "X"}}
        dead = DeadLetters(writer, "connector-isam", sealer=runtime.cipher)
        await dead.put_edge(PIP, json.dumps(payload).encode(), InvalidField("pip.niveau", "?"),
                            "notificatie/1", media_type="application/json",
                            reentry="isam.notificatie")
    consumer = AIOKafkaConsumer(topics.physical(topics.dead_letter_of(PIP), env.suffix),
                                bootstrap_servers=env.env["HUB_KAFKA_BOOTSTRAP"],
                                auto_offset_reset="earliest", enable_auto_commit=False)
    await consumer.start()
    try:
        got = await consumer.getmany(timeout_ms=5000)
    finally:
        await consumer.stop()
    return b"".join(r.value or b"" for records in got.values() for r in records)


def _listed(env: HubEnv) -> dict[str, dict[str, object]]:
    return {x["letter_id"]: x for x in json.loads(hub_cli(env, "dlq", "list", "--json"))}


@pytest.mark.slow(40)
def test_dead_letters_are_listed_with_the_broker_down_and_after_it_restarted(
        tmp_path: Path) -> None:
    port = free_port()
    broker = EmbeddedBroker(port, log_path=tmp_path / "broker.log").start()
    env = _env(tmp_path, broker.bootstrap)
    runtime = Runtime(env.settings())
    try:
        asyncio.run(apply_topics(broker.bootstrap, env.suffix))
        worker = env.spawn("worker", log_name="worker")
        try:
            on_topic = asyncio.run(_produce(env, runtime))
            store = Store(env.settings().effective_database_url)
            letters = wait_until(lambda: (lambda ls: ls if len(ls) == 2 else None)(
                list_letters(store.engine)), timeout=90)
            store.close()
        finally:
            stop_process(worker)
    finally:
        broker.stop()
    assert on_topic and bsn_positions(on_topic) == []  # sealed on its dead-letter topic
    kinds = {x.kind: x for x in letters}
    assert set(kinds) == {"hub", "edge"} and kinds["edge"].sealed
    assert kinds["hub"].source_topic == EXAM and kinds["edge"].source_topic == PIP

    down = _listed(env)  # the broker is down: the store answers
    assert set(down) == {x.letter_id for x in letters}
    assert {x["status"] for x in down.values()} == {"pending"}
    shown = hub_cli(env, "dlq", "show", kinds["edge"].letter_id)
    assert BSN not in shown and '"bsn": "<bsn>"' in shown  # decoded, masked
    assert json.loads(shown)["original"]["content"]["details"]["niveau"] == "X"

    with EmbeddedBroker(port, log_path=tmp_path / "broker-2.log"):  # back, and empty
        assert set(_listed(env)) == set(down)
