"""The DUO side of the integration tests: a simulator over two-way TLS and a connector process."""

from __future__ import annotations

import asyncio
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer

import topics
from connectors.duo.certs import generate_pki
from connectors.duo.demo import settings_env, simulator_for
from connectors.duo.server import ServerTls, serve
from connectors.duo.simulator import DuoSimulator
from hub.runtime import Runtime
from tests.integration.conftest import HubEnv


@dataclass
class DuoPartner:
    """A running simulator and the environment pointing a connector at it."""

    sim: DuoSimulator
    env: dict[str, str]


@contextmanager
def duo_partner(home: Path, **tuning: str) -> Iterator[DuoPartner]:
    """Simulator on HTTPS demanding a client certificate and signed requests."""
    pki = generate_pki(home / "pki")
    sim = simulator_for(pki, timeout_delay_s=1.0)
    with serve(sim, tls=ServerTls(pki.server_cert, pki.server_key, pki.ca_cert)) as url:
        env = {**settings_env(pki, url), "HUB_DUO_TIMEOUT_S": "0.5",
               "HUB_DUO_POLL_INTERVAL_S": "0.3", "HUB_DUO_RETRY_BACKOFF_S": "0.05",
               "HUB_DUO_RETRY_MAX_BACKOFF_S": "0.4", "HUB_DUO_RETRY_ATTEMPTS": "30", **tuning}
        yield DuoPartner(sim, env)


def spawn_connector(hub_env: HubEnv, partner: DuoPartner, log_name: str
                    ) -> subprocess.Popen[bytes]:
    """`hub connectors run duo` as a child process on this test's topics."""
    hub_env.env.update(partner.env)
    return hub_env.spawn("connectors", "run", "duo", log_name=log_name)


def read_topic(hub_env: HubEnv, topic: str, expected: int) -> list[dict[str, Any]]:
    """Decode records from a topic until ``expected`` arrived (or 30 s of polling passed)."""
    runtime = Runtime(hub_env.settings())

    async def read() -> list[dict[str, Any]]:
        consumer = AIOKafkaConsumer(topics.physical(topic, hub_env.suffix),
                                    bootstrap_servers=hub_env.env["HUB_KAFKA_BOOTSTRAP"],
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

    return asyncio.run(read())
