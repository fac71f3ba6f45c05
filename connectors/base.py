"""What every connector is: a named loop with a health record, run by the kit's supervisor.

A connector translates one partner's contract to and from the hub's topics. ``run`` loops until
``stop`` is set (by default ``run_once`` every ``interval_s`` through ``kit.loop.poll``, with
backoff after failures); each part reports its exchanges through ``self.health``, which the
supervisor (``connectors.kit.supervisor``) publishes to the connector-status topic and the
local heartbeat file (``hub connectors status``). Pull cursors go through ``self.cursors``
(the ``CursorStore`` port), never the store itself. A connector that names ``reentries`` takes
its re-driven edge dead letters back through ``reenter`` (``connectors.kit.reentry``), in a
loop the supervisor runs beside ``run``.
"""

from __future__ import annotations

import abc
import asyncio
import contextlib
from collections.abc import AsyncIterator, Coroutine
from typing import Any, ClassVar

from connectors.edge import Routed
from connectors.kit.config import kit_settings
from connectors.kit.cursor import CursorStore
from connectors.kit.deadletter import DeadLetters
from connectors.kit.health import Health
from connectors.kit.loop import poll
from connectors.kit.reentry import ReentryPort, reentry_loop
from connectors.kit.retry import RetryPolicy
from hub.errors import ConfigurationError
from hub.publish import TopicWriter
from hub.runtime import Runtime


class Connector(abc.ABC):
    """One partner connector; subclasses implement ``run_once`` or override ``run``."""

    name: ClassVar[str]
    group: ClassVar[str] = ""  # consumer name in its dead letters (default connector-<name>)
    interval_s: float = 1.0
    # The edge-letter kinds ``reenter`` takes back ("isam.notificatie"): prefixed by ``name``.
    reentries: ClassVar[tuple[str, ...]] = ()

    def __init__(self, runtime: Runtime, writer: TopicWriter, *,
                 cursors: CursorStore | None = None) -> None:
        self.runtime = runtime
        self.writer = writer
        self.health = Health(self.name)
        self.dead = DeadLetters(writer, self.group or f"connector-{self.name}",
                                sealer=runtime.cipher)
        self._cursors = cursors

    @property
    def cursors(self) -> CursorStore:
        """Where this connector keeps its pull cursors (wired by the bootstrap)."""
        if self._cursors is None:
            self._cursors = self.runtime.cursors
        return self._cursors

    @property
    def retry(self) -> RetryPolicy:
        """Retries and poll backoff (connectors with settings of their own override this)."""
        return kit_settings().retry

    async def run(self, stop: asyncio.Event) -> None:
        """Call ``run_once`` every ``interval_s`` until stopped; backoff after failures."""
        await poll(stop, self.run_once, part=self.health.part("poll"),
                   interval_s=self.interval_s, policy=self.retry)

    async def reenter(self, reentry: str, original: bytes) -> list[Routed]:
        """Translate a re-driven edge letter's original like a fresh payload."""
        raise ConfigurationError(f"connector {self.name} takes no {reentry!r} back")

    async def take_back(self, stop: asyncio.Event, port: ReentryPort | None = None) -> None:
        """Re-enter this connector's re-driven edge letters until stopped."""
        await reentry_loop(self, port or self.runtime.reentries, self.dead.consumer,
                           self.runtime.cipher, self.writer, self.dead, stop)

    @abc.abstractmethod
    async def run_once(self) -> int:
        """One exchange with the partner; returns how many messages it handled."""

    @classmethod
    def demo_partner(cls, runtime: Runtime) -> contextlib.AbstractAsyncContextManager[
            dict[str, Any]]:
        """For ``--demo``: start a fake partner; yields keyword arguments for the constructor."""
        return _no_partner()


async def together(*loops: Coroutine[Any, Any, None]) -> None:
    """Run a connector's loops side by side; one that raises cancels the others and the error
    reaches the supervisor (which restarts the connector)."""
    async with asyncio.TaskGroup() as group:
        for loop in loops:
            group.create_task(loop)


@contextlib.asynccontextmanager
async def _no_partner() -> AsyncIterator[dict[str, Any]]:
    yield {}
