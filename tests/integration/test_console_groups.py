"""Consumer-group offset resets against the real embedded broker (Tansu): ``latest`` is the true
end (Tansu lists the newest batch's start + 1), earliest/offset/timestamp land where they should,
a dry run writes nothing, a group with a live member is refused, every reset is audited, and
``hub groups reset`` does the same from the command line."""

from __future__ import annotations

import asyncio
import getpass
import json
import time
from datetime import UTC, datetime
from typing import Any

import pytest
from aiokafka import AIOKafkaConsumer, AIOKafkaProducer, TopicPartition
from kafka import KafkaConsumer
from sqlalchemy import select

import topics
from hub import groups
from hub.broker_ops import BrokerOps
from hub.errors import GroupActive
from hub.kafka_admin import apply_topics
from hub.store import Store
from hub.store import models as m
from tests.integration.conftest import HubEnv
from tests.integration.console_support import EXAM, hub_cli

pytestmark = pytest.mark.integration
T0 = (int(time.time()) - 600) * 1000  # the first batch's timestamp; the second is a minute on


async def _seed(env: HubEnv, group: str) -> int:
    """15 records on partition 0 in two batches (10 at T0, 5 at T0 + 60 s); ``group`` commits 7.
    Returns Tansu's listed end offset."""
    bootstrap = env.env["HUB_KAFKA_BOOTSTRAP"]
    await apply_topics(bootstrap, env.suffix, [topics.by_name(EXAM)])
    name = topics.physical(EXAM, env.suffix)
    producer = AIOKafkaProducer(bootstrap_servers=bootstrap, linger_ms=100,
                                enable_idempotence=False)
    await producer.start()
    for count, at in ((10, T0), (5, T0 + 60_000)):
        sent = [await producer.send(name, b"x%d" % n, partition=0, timestamp_ms=at)
                for n in range(count)]
        await asyncio.gather(*sent)
    await producer.stop()
    tp = TopicPartition(name, 0)
    consumer = AIOKafkaConsumer(bootstrap_servers=bootstrap, group_id=group,
                                enable_auto_commit=False)
    await consumer.start()
    listed = (await consumer.end_offsets([tp]))[tp]
    consumer.assign([tp])
    await consumer.commit({tp: 7})
    await consumer.stop()
    return int(listed)


def _committed(ops: BrokerOps, group: str, env: HubEnv) -> dict[int, int]:
    name = topics.physical(EXAM, env.suffix)
    return {tp.partition: at for tp, at in ops.committed(group).items() if tp.topic == name}


def _audit(env: HubEnv) -> list[Any]:
    store = Store(env.settings().effective_database_url)
    try:
        with store._engine.connect() as conn:
            return list(conn.execute(select(m.audit).where(
                m.audit.c.action == groups.RESET_ACTION).order_by(m.audit.c.id)).all())
    finally:
        store.close()


def _reset(ops: BrokerOps, env: HubEnv, group: str, spec: str, value: str | None = None
           ) -> groups.ResetPlan:
    store = Store(env.settings().effective_database_url)
    try:
        chosen = groups.plan(ops, group, spec, value=value, topic=EXAM, partition=0,
                             suffix=env.suffix)
        return groups.apply(ops, chosen, actor="test:olga", reason="replay after fix",
                            store=store, suffix=env.suffix)
    finally:
        store.close()


@pytest.mark.slow(10)
def test_resets_land_on_true_offsets_dry_run_writes_nothing_and_members_block(
        hub_env: HubEnv) -> None:
    group = f"reset-test{hub_env.suffix}"
    listed = asyncio.run(_seed(hub_env, group))
    with BrokerOps(hub_env.env["HUB_KAFKA_BOOTSTRAP"]) as ops:
        preview = groups.plan(ops, group, "latest", suffix=hub_env.suffix)
        assert [(mv.topic, mv.partition, mv.old, mv.new) for mv in preview.moves
                if mv.partition == 0] == [(EXAM, 0, 7, 15)]
        print(f"tansu listed end {listed}, reset to latest uses the true end 15")
        assert _committed(ops, group, hub_env)[0] == 7  # the dry run wrote nothing
        assert _audit(hub_env) == []
        assert _reset(ops, hub_env, group, "latest").applied
        assert _committed(ops, group, hub_env)[0] == 15
        assert _reset(ops, hub_env, group, "earliest").applied
        assert _committed(ops, group, hub_env)[0] == 0
        assert _reset(ops, hub_env, group, "offset", "12").applied
        assert _committed(ops, group, hub_env)[0] == 12
        assert _reset(ops, hub_env, group, "offset", "999").moves[0].new == 15  # clamped
        between = datetime.fromtimestamp((T0 + 20_000) / 1000, UTC).isoformat()
        _reset(ops, hub_env, group, "timestamp", between)
        assert _committed(ops, group, hub_env)[0] == 10  # the first of the second batch
        rows = _audit(hub_env)
        assert len(rows) == 5 and rows[0].actor == "test:olga"
        assert rows[0].old == {f"{EXAM}/0": 7}
        assert rows[0].new["offsets"] == {f"{EXAM}/0": 15}
        assert rows[0].reason == "replay after fix"
        _refused_while_a_member_is_live(ops, hub_env, group)


def _refused_while_a_member_is_live(ops: BrokerOps, env: HubEnv, group: str) -> None:
    live = KafkaConsumer(topics.physical(EXAM, env.suffix),
                         bootstrap_servers=env.env["HUB_KAFKA_BOOTSTRAP"], group_id=group,
                         enable_auto_commit=False, session_timeout_ms=10_000,
                         heartbeat_interval_ms=1_000)
    try:
        deadline = time.monotonic() + 30
        while not live.assignment() and time.monotonic() < deadline:
            live.poll(timeout_ms=500)
        info = groups.describe(ops, group)
        assert len(info.members) == 1, info
        with pytest.raises(GroupActive, match="1 active member"):
            _reset(ops, env, group, "earliest")
        assert _committed(ops, group, env)[0] == 10
    finally:
        live.close()
    assert groups.describe(ops, group).members == []


@pytest.mark.slow(35)
def test_hub_groups_reset_cli_previews_applies_and_audits(hub_env: HubEnv) -> None:
    group = f"cli-reset{hub_env.suffix}"
    asyncio.run(_seed(hub_env, group))
    preview = hub_cli(hub_env, "groups", "reset", group, "--to", "latest", "--dry-run")
    assert "would be reset (dry run)" in preview and "15" in preview
    done = hub_cli(hub_env, "groups", "reset", group, "--to", "offset", "--value", "5",
                   "--topic", EXAM, "--partition", "0", "--reason", "reprocess from 5")
    assert "reset, audited" in done
    described = json.loads(hub_cli(hub_env, "groups", "describe", group))
    assert [(p["partition"], p["committed"], p["lag"]) for p in described["partitions"]
            if p["partition"] == 0] == [(0, 5, 10)]
    rows = _audit(hub_env)
    assert [(r.actor, r.reason) for r in rows] == [(f"cli:{getpass.getuser()}",
                                                    "reprocess from 5")]
    assert "reset" in hub_cli(hub_env, "audit", "--action", "consumer_group.")
