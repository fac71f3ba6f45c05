"""What every connector shares: a run loop, health, and a host that runs several of them.

A connector translates one partner's contract to and from the hub's topics. ``run`` loops until
``stop`` is set; a connector reports each exchange with the partner through ``self.health`` and
the host publishes that health to the connector-status topic for the operator console, and to a
local heartbeat file for container health checks (``hub connectors status``).
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
import json
import logging
import os
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, ClassVar

import topics
from hub.errors import HubError, PermanentError
from hub.privacy import redact
from hub.publish import TopicWriter
from hub.runtime import Runtime

log = logging.getLogger(__name__)


@dataclass
class Health:
    """Last success and failure of one connector's exchanges with its partner."""

    connector: str
    last_success: datetime | None = None
    last_failure: datetime | None = None
    last_error: str | None = None
    processed: int = 0

    @property
    def healthy(self) -> bool:
        """True when the last exchange succeeded (or none failed yet)."""
        if self.last_failure is None:
            return True
        return self.last_success is not None and self.last_success > self.last_failure

    def succeeded(self, count: int = 1) -> None:
        """Record a successful exchange of ``count`` messages."""
        self.last_success = datetime.now(UTC)
        self.processed += count

    def failed(self, exc: BaseException) -> None:
        """Record a failed exchange; the text is capped and BSN-redacted."""
        self.last_failure = datetime.now(UTC)
        self.last_error = f"{type(exc).__name__}: {redact(str(exc))[:200]}"


class Connector(abc.ABC):
    """One partner connector; subclasses implement ``run_once`` or override ``run``."""

    name: ClassVar[str]
    interval_s: ClassVar[float] = 1.0

    def __init__(self, runtime: Runtime, writer: TopicWriter) -> None:
        self.runtime = runtime
        self.writer = writer
        self.health = Health(self.name)

    async def run(self, stop: asyncio.Event) -> None:
        """Call ``run_once`` every ``interval_s`` until stopped; errors are recorded, not raised."""
        while not stop.is_set():
            try:
                count = await self.run_once()
                if count:
                    self.health.succeeded(count)
            except HubError as exc:
                self.health.failed(exc)
                log.warning("connector_failed name=%s error=%s permanent=%s", self.name,
                            type(exc).__name__, isinstance(exc, PermanentError))
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), self.interval_s)

    @abc.abstractmethod
    async def run_once(self) -> int:
        """One exchange with the partner; returns how many messages it handled."""

    @classmethod
    def demo_partner(cls, runtime: Runtime) -> contextlib.AbstractAsyncContextManager[
            dict[str, Any]]:
        """For ``--demo``: start a fake partner; yields keyword arguments for the constructor."""
        return _no_partner()


@contextlib.asynccontextmanager
async def _no_partner() -> AsyncIterator[dict[str, Any]]:
    yield {}


@dataclass
class ConnectorHost:
    """Runs connectors side by side and publishes their health."""

    runtime: Runtime
    connectors: list[Connector]
    heartbeat: Path
    report_every_s: float = 10.0
    stop: asyncio.Event = field(default_factory=asyncio.Event)

    async def serve(self) -> None:
        """Run every connector until ``stop`` is set."""
        tasks = [asyncio.create_task(c.run(self.stop), name=c.name) for c in self.connectors]
        try:
            while not self.stop.is_set():
                await self.report()
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.stop.wait(), self.report_every_s)
        finally:
            self.stop.set()
            await asyncio.gather(*tasks, return_exceptions=True)
            await self.report()

    async def report(self) -> None:
        """Publish every connector's health and write the local heartbeat file."""
        states = [c.health for c in self.connectors]
        writer = self.connectors[0].writer if self.connectors else None
        if writer is not None:
            try:
                await writer.send_many(topics.CONNECTOR_STATUS, [status_record(h) for h in states])
            except HubError as exc:
                log.warning("connector_status_unpublished error=%s", type(exc).__name__)
        write_heartbeat(self.heartbeat, states)


def status_record(health: Health) -> dict[str, object]:
    """The ConnectorStatus record for ``health``."""
    return {"message_id": str(uuid.uuid4()), "case_ref": health.connector, "source": "hub",
            "produced_at": datetime.now(UTC), "connector": health.connector,
            "healthy": health.healthy, "last_success": health.last_success,
            "last_failure": health.last_failure, "last_error": health.last_error,
            "processed": health.processed}


def write_heartbeat(path: Path, states: list[Health]) -> None:
    """Atomically write the heartbeat file read by ``hub connectors status``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {"written_at": time.time(),
            "connectors": [{**asdict(h), "healthy": h.healthy} for h in states]}
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(body, default=str, indent=2))
    os.replace(tmp, path)
