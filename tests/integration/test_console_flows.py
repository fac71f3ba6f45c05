"""The console against the real broker and worker: lag with batched producers, dead letters
appear, a bulk re-drive with a reason is audited, one message is stored, the other fails again
and comes back with attempts = 2."""

from __future__ import annotations

import asyncio
import getpass
import json
import subprocess
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from sqlalchemy import select

import topics
from hub.console.config import ConsoleSettings
from hub.console.context import ConsoleContext
from hub.console.kafka_views import KafkaViews
from hub.console.masking import MASK, decode_masked
from hub.demo import exam_results
from hub.kafka_admin import apply_topics
from hub.publish import TopicWriter
from hub.runtime import Runtime
from hub.store import Store
from hub.store import models as m
from hub.store.engine import make_engine
from tests.integration.conftest import HubEnv, wait_until
from tests.integration.console_support import EXAM, hub_cli, produce_broken_and_forged

pytestmark = pytest.mark.integration


async def _batched(env: HubEnv) -> dict[str, Any]:
    """15 records on one partition in two producer batches (10 + 5); a group commits 7."""
    bootstrap = env.env["HUB_KAFKA_BOOTSTRAP"]
    await apply_topics(bootstrap, env.suffix, [topics.by_name(EXAM)])
    name = topics.physical(EXAM, env.suffix)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=100,
                                enable_idempotence=False)
    await producer.start()
    for count in (10, 5):
        sent = [await producer.send(name, b"x%d" % n, partition=0) for n in range(count)]
        await asyncio.gather(*sent)
    await producer.stop()
    tp = TopicPartition(name, 0)
    group = f"lag-test{env.suffix}"
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group,
                                enable_auto_commit=False)
    await consumer.start()
    listed = (await consumer.end_offsets([tp]))[tp]
    consumer.assign([tp])
    await consumer.commit({tp: 7})
    await consumer.stop()
    views = await KafkaViews(bootstrap).start()
    try:
        offsets = await views.offsets([tp])
        lag = await views.group_lag(group, offsets)
    finally:
        await views.close()
    return {"listed": listed, "end": offsets[tp].end, "lag": [(r.committed, r.end, r.lag)
                                                               for r in lag], "group": group}


def test_lag_counts_every_record_of_multi_record_batches(hub_env: HubEnv) -> None:
    found = asyncio.run(_batched(hub_env))
    print(f"tansu listed end {found['listed']}, true end {found['end']}, lag {found['lag']}")
    assert found["listed"] <= 15  # Tansu lists the newest batch's start + 1 (11) here
    assert found["end"] == 15
    assert found["lag"] == [(7, 15, 8)]
    out = hub_cli(hub_env, "lag")
    assert found["group"] in out and "lag 8" in out


def _audit(url: str) -> list[Any]:
    engine = make_engine(url)
    with engine.connect() as conn:
        rows = conn.execute(select(m.audit).where(m.audit.c.action == "dead_letter.redrive")
                            .order_by(m.audit.c.id)).all()
    engine.dispose()
    return list(rows)


def _letters(env: HubEnv) -> list[dict[str, Any]]:
    listed = json.loads(hub_cli(env, "dlq", "list", "--json"))
    return [json.loads(hub_cli(env, "dlq", "show", x["letter_id"])) for x in listed]


@pytest.mark.slow(30)
def test_bulk_redrive_is_audited_stores_one_and_returns_the_other_with_attempts_2(
        hub_env: HubEnv, worker: subprocess.Popen[bytes]) -> None:
    settings = hub_env.settings()
    runtime = Runtime(settings)
    record = produce_broken_and_forged(hub_env, runtime)
    store = Store(settings.effective_database_url)
    letters = wait_until(lambda: (lambda ls: ls if len(ls) == 2 else None)(_letters(hub_env)),
                         timeout=90)  # one in-hub letter, one recorded from its topic
    assert {(x["error_type"], x["attempts"], x["status"]) for x in letters} == {
        ("UnknownSchema", 1, "pending"), ("StoreBusy", 5, "pending")}
    assert store.count("fact") == 0
    dry = hub_cli(hub_env, "dlq", "redrive", "--all", "--reason", "just looking", "--dry-run")
    assert dry.count("would re-drive dl:") == 2 and _audit(settings.effective_database_url) == []

    out = hub_cli(hub_env, "dlq", "redrive", "--all", "--reason", "schema fixed, store back")
    assert out.count("re-driven dl:") == 2
    rows = _audit(settings.effective_database_url)
    assert {(r.actor, r.reason) for r in rows} == {(f"cli:{getpass.getuser()}",
                                                    "schema fixed, store back")}
    assert {r.entity_id for r in rows} == {x["letter_id"] for x in letters}
    assert all(r.new["topic"] == EXAM and r.at is not None for r in rows)

    wait_until(lambda: store.count("fact") == 1, timeout=90)  # the forged one is now stored
    assert store.facts_for(record["case_ref"])[0].message_id == record["message_id"]
    again = wait_until(lambda: [x for x in _letters(hub_env) if x["attempts"] == 2], timeout=90)
    assert len(again) == 1
    assert again[0]["error_type"] == "UnknownSchema"
    assert again[0]["original"]["value"]["error"].startswith("UnknownSchema")
    broken = next(x["letter_id"] for x in letters if x["error_type"] == "UnknownSchema")
    assert again[0]["redrive_of"] == broken
    statuses = wait_until(lambda: (lambda s: s if "redriven" not in s.values() else None)(
        {x["letter_id"]: x["status"] for x in _letters(hub_env)}), timeout=60)
    by_error = {x["error_type"] + str(x["attempts"]): statuses[x["letter_id"]] for x in letters}
    assert by_error == {"UnknownSchema1": "failed-again", "StoreBusy5": "resolved"}
    shown = json.loads(hub_cli(hub_env, "dlq", "show", broken))
    assert shown["next_letter"] == again[0]["letter_id"]
    assert [h["action"] for h in shown["history"]] == ["dead_letter.redrive",
                                                       "dead_letter.failed_again"]
    # a second bulk re-drive takes the open letters only: just the new one goes
    out = hub_cli(hub_env, "dlq", "redrive", "--topic", EXAM, "--reason", "one more try")
    assert out.count("re-driven dl:") == 1 and again[0]["letter_id"] in out
    out = hub_cli(hub_env, "dlq", "resolve", "--topic", EXAM, "--reason", "the exam is lost",
                  "--dry-run")
    assert "would resolve dl:" in out and broken not in out  # settled ones are not taken
    store.close()


def _status(connector: str, healthy: bool, error: str | None) -> dict[str, Any]:
    now = datetime.now(UTC)
    return {"message_id": str(uuid.uuid4()), "case_ref": connector, "source": "hub",
            "produced_at": now, "connector": connector, "healthy": healthy,
            "last_success": now - timedelta(minutes=5), "last_failure": None if healthy else now,
            "last_error": error, "processed": 42}


async def _overview(env: HubEnv) -> dict[str, Any]:
    """Two snapshots around a burst of exam results, connector statuses, a masked tail."""
    settings = env.settings()
    await apply_topics(settings.kafka_bootstrap, env.suffix)
    ctx = ConsoleContext.build(settings, ConsoleSettings())
    await ctx.start()
    try:
        await ctx.sampler.snapshot(max_age_s=0)
        records = exam_results(settings, cases=4, seed=9)
        async with TopicWriter(settings.kafka_bootstrap, ctx.runtime.codec,
                               suffix=env.suffix) as writer:
            await writer.send_many(EXAM, records)
            await writer.send_many(topics.CONNECTOR_STATUS, [
                _status("duo", True, None), _status("isam", True, None),
                _status("duo", False, "UpstreamUnavailable: DUO answered 503")])
        snap = await ctx.sampler.snapshot(max_age_s=0)
        tps = await ctx.views.partitions([topics.physical(EXAM, env.suffix)])
        tail = [decode_masked(ctx.runtime.codec, r.value) for r in await ctx.views.tail(tps, 20)]
        bsns = [ctx.runtime.cipher.decrypt(r["bsn"]) for r in records]
        return {"snap": snap, "tail": tail, "records": records, "bsns": bsns}
    finally:
        await ctx.close()


def test_overview_has_rates_connector_health_and_a_masked_topic_browser(hub_env: HubEnv) -> None:
    found = asyncio.run(_overview(hub_env))
    snap, records = found["snap"], found["records"]
    exam = next(t for t in snap["topics"] if t["topic"] == EXAM)
    assert exam["messages"] == len(records) and exam["rate_per_s"] > 0
    health = {c["connector"]: c for c in snap["connectors"]}
    assert health["duo"]["healthy"] is False  # the latest status per connector wins
    assert health["duo"]["last_error"] == "UpstreamUnavailable: DUO answered 503"
    assert health["duo"]["last_failure"] and health["duo"]["last_success"]
    assert health["isam"]["healthy"] is True
    assert len(found["tail"]) == len(records)
    assert {t["record"]["case_ref"] for t in found["tail"]} == {r["case_ref"] for r in records}
    assert all(t["record"]["bsn"]["masked"] == MASK for t in found["tail"])
    text = json.dumps(found["tail"])
    assert not any(bsn in text for bsn in found["bsns"])
    tail = hub_cli(hub_env, "topics", "tail", EXAM, "-n", "20", "--no-follow")
    lines = [json.loads(line) for line in tail.splitlines()]
    assert len(lines) == len(records) and all(x["value"]["record"]["bsn"]["masked"] == MASK
                                              for x in lines)
    assert not any(bsn in tail for bsn in found["bsns"])
