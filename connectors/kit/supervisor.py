"""The supervisor: runs connectors side by side, each in its own task with its own stop.

An unexpected exception in one connector (or its loop ending unasked) is logged with its
traceback and the partner's name, marks that connector unhealthy at once (heartbeat file and the
connector-status topic, so ``hub connectors status`` and ``hub_connector_up`` say so), and the
connector alone is restarted after a growing delay (``HUB_CONNECTOR_RESTART_*``). The others
keep running; a connector that keeps failing stays listed as failing with its restart count.
"""

from __future__ import annotations

import asyncio
import logging
import time
import traceback
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Protocol

import topics
from connectors.kit.health import Health, write_heartbeat
from connectors.kit.retry import RetryPolicy, wait
from hub.errors import ConnectorExited
from hub.privacy import redact

log = logging.getLogger(__name__)


class Supervised(Protocol):
    """What the supervisor runs: a named loop with a health record."""

    @property
    def name(self) -> str:
        """The partner's name."""

    @property
    def health(self) -> Health:
        """Its health record."""

    async def run(self, stop: asyncio.Event) -> None:
        """Loop until ``stop`` is set."""


class StatusWriter(Protocol):
    """Where connector status records go (``hub.publish.TopicWriter``)."""

    async def send_many(self, topic: str, records: Sequence[Mapping[str, Any]]) -> None:
        """Produce records; returns once the broker acknowledged them."""


@dataclass
class Supervisor:
    """Runs and restarts connectors; publishes their health every ``report_every_s``."""

    connectors: Sequence[Supervised]
    heartbeat: Path
    writer: StatusWriter | None = None
    unbuilt: list[Health] = field(default_factory=list)  # connectors whose settings failed
    report_every_s: float = 10.0
    restart: RetryPolicy = field(default_factory=lambda: RetryPolicy(1, 1.0, 60.0))
    stop_grace_s: float = 5.0
    publish_timeout_s: float = 5.0
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    @property
    def states(self) -> list[Health]:
        """Every connector's health, the ones that could not be built too."""
        return [c.health for c in self.connectors] + self.unbuilt

    async def serve(self) -> None:
        """Run every connector until ``stop`` is set, then stop them and report once more."""
        kept = [asyncio.create_task(self._keep(c), name=f"supervise-{c.name}")
                for c in self.connectors]
        await asyncio.sleep(0)  # let them start: the first report says "running"
        try:
            while not self.stop.is_set():
                await self.report()
                await wait(self.stop, self.report_every_s)
        finally:
            self.stop.set()
            _, pending = await asyncio.wait(kept, timeout=self.stop_grace_s) if kept \
                else (set(), set())
            for task in pending:
                log.warning("connector_stop_slow connector=%s: cancelled", task.get_name())
                task.cancel()
            await asyncio.gather(*kept, return_exceptions=True)
            for c in self.connectors:
                c.health.stopped()
            await self.report()

    async def _keep(self, connector: Supervised) -> None:
        crashes = 0
        while not self.stop.is_set():
            started = time.monotonic()
            error = await self._run_once(connector)
            if error is None:
                return
            crashes = 1 if time.monotonic() - started > self.restart.max_backoff_s else crashes + 1
            delay = self.restart.delay(crashes)
            connector.health.crashed(error)
            log.error("connector_crashed connector=%s restarts=%d restart_in_s=%.1f\n%s",
                      connector.name, connector.health.restarts, delay, _trace(error))
            await self.report()
            if await wait(self.stop, delay):
                return
            log.info("connector_restarting connector=%s restarts=%d", connector.name,
                     connector.health.restarts)

    async def _run_once(self, connector: Supervised) -> BaseException | None:
        """Run the connector with its own stop; None when it ended because we stop."""
        own = asyncio.Event()
        relay = asyncio.create_task(_relay(self.stop, own))
        connector.health.running()
        try:
            if getattr(connector, "reentries", ()):  # it takes its re-driven letters back
                await _with_take_back(connector, own)
            else:
                await connector.run(own)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            return exc
        finally:
            own.set()
            relay.cancel()
        if self.stop.is_set():
            return None
        return ConnectorExited(f"{connector.name}: its loop ended without a stop")

    async def report(self) -> None:
        """Write the heartbeat file and publish every connector's status."""
        states = self.states
        write_heartbeat(self.heartbeat, states)
        if self.writer is None or not states:
            return
        try:
            await asyncio.wait_for(self.writer.send_many(
                topics.CONNECTOR_STATUS, [status_record(h) for h in states]),
                self.publish_timeout_s)
        except Exception as exc:  # the broker is down: the heartbeat file still tells
            log.warning("connector_status_unpublished error=%s", type(exc).__name__)


async def _relay(source: asyncio.Event, target: asyncio.Event) -> None:
    await source.wait()
    target.set()


def _trace(exc: BaseException) -> str:
    """The traceback, BSN-redacted (values in exception texts may be partner data)."""
    return redact("".join(traceback.format_exception(exc)).rstrip())


async def _with_take_back(connector: Supervised, own: asyncio.Event) -> None:
    """``run`` beside the re-entry loop; when ``run`` ends, so does the loop."""
    async def main() -> None:
        try:
            await connector.run(own)
        finally:
            own.set()

    async with asyncio.TaskGroup() as group:
        group.create_task(main())
        group.create_task(connector.take_back(own))  # type: ignore[attr-defined]


def status_record(health: Health) -> dict[str, object]:
    """The ConnectorStatus record for ``health``."""
    return {"message_id": str(uuid.uuid4()), "case_ref": health.connector, "source": "hub",
            "produced_at": datetime.now(UTC), "connector": health.connector,
            "healthy": health.healthy, "last_success": health.last_success,
            "last_failure": health.last_failure, "last_error": health.last_error,
            "processed": health.processed}
