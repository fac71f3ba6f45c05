"""Taalaanbieder and financial-system side of the integration tests: connectors and store reads."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import topics
from hub.publish import TopicWriter
from hub.runtime import Runtime
from hub.store import jsonsafe
from tests.integration.conftest import HubEnv


def spawn_connectors(hub_env: HubEnv, *names: str, log_name: str = "connectors"
                     ) -> subprocess.Popen[bytes]:
    """`hub connectors run <names>` as a child process with fast polling."""
    hub_env.env.update({"HUB_TAAL_POLL_INTERVAL_S": "0.3", "HUB_FIN_POLL_INTERVAL_S": "0.3"})
    return hub_env.spawn("connectors", "run", *names, log_name=log_name)


def facts(hub_env: HubEnv, topic: str) -> list[dict[str, Any]]:
    """The stored records of every message recorded from logical ``topic`` (read-only query);
    facts the hub derives from them (an invoice's lines per case) share the source but not the
    kind, so they are left out."""
    db = Path(hub_env.env["HUB_DATABASE_URL"].removeprefix("sqlite:///"))
    if not db.exists():
        return []
    with sqlite3.connect(f"file:{db}?mode=ro", uri=True, timeout=10) as conn:
        try:
            rows = conn.execute("select payload from fact where source_topic = ? and kind = ?",
                                (topic, topics.by_name(topic).value_schema)).fetchall()
        except sqlite3.OperationalError:  # table not there yet
            return []
    return [jsonsafe.loads(payload) for (payload,) in rows]


def publish(hub_env: HubEnv, topic: str, records: Sequence[dict[str, Any]]) -> None:
    """Produce records to ``topic`` as the hub would."""
    runtime = Runtime(hub_env.settings())

    async def send() -> None:
        settings = runtime.settings
        async with TopicWriter(settings.kafka_bootstrap, runtime.codec,
                               suffix=settings.topic_suffix) as writer:
            await writer.send_many(topic, records)

    asyncio.run(send())
