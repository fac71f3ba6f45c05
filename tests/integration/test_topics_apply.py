"""Acceptance 4: `hub topics apply` creates what is missing and changes nothing on a second run."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys

import pytest
from aiokafka.admin import AIOKafkaAdminClient

import topics
from hub.kafka_admin import existing_topics
from tests.integration.conftest import HubEnv

pytestmark = pytest.mark.integration


def _hub(env: HubEnv, *args: str) -> str:
    result = subprocess.run([sys.executable, "-m", "hub.cli", *args], env=env.env,
                            capture_output=True, text=True, timeout=60, check=True)
    return result.stdout


async def _partitions(bootstrap: str, names: list[str]) -> dict[str, int]:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap)
    await admin.start()
    try:
        described = await admin.describe_topics(names)
    finally:
        await admin.close()
    return {d["topic"]: len(d["partitions"]) for d in described}


def test_apply_creates_every_declared_topic_once(hub_env: HubEnv) -> None:
    bootstrap = hub_env.env["HUB_KAFKA_BOOTSTRAP"]
    first = _hub(hub_env, "topics", "apply")
    assert f"{len(topics.TOPICS)} created, 0 already there" in first
    names = [topics.physical(spec.name, hub_env.suffix) for spec in topics.TOPICS]
    assert set(names) <= asyncio.run(existing_topics(bootstrap))
    sizes = asyncio.run(_partitions(bootstrap, names))
    assert sizes == {topics.physical(s.name, hub_env.suffix): s.partitions for s in topics.TOPICS}

    second = _hub(hub_env, "topics", "apply")
    assert f"0 created, {len(topics.TOPICS)} already there" in second


def test_list_prints_every_topic() -> None:
    output = subprocess.run([sys.executable, "-m", "hub.cli", "topics", "list"], text=True,
                            capture_output=True, check=True, env=dict(os.environ)).stdout
    for spec in topics.TOPICS:
        assert spec.name in output
