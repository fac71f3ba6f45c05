"""Everything one console process holds: settings, store, accounts, broker views, sampler."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass, field

from sqlalchemy import Engine

from hub.console.auth import Accounts
from hub.console.config import ConsoleSettings
from hub.console.kafka_views import KafkaViews
from hub.console.metrics import ConsoleMetrics
from hub.console.sampler import Sampler
from hub.runtime import Runtime
from hub.settings import Settings
from hub.store import Store
from hub.store.engine import make_engine

log = logging.getLogger(__name__)


@dataclass
class ConsoleContext:
    """Adapters of one console process, built once from the settings."""

    hub: Settings
    settings: ConsoleSettings
    runtime: Runtime
    accounts: Accounts
    engine: Engine
    views: KafkaViews
    sampler: Sampler
    metrics: ConsoleMetrics
    task: asyncio.Task[None] | None = field(default=None)

    @classmethod
    def build(cls, hub: Settings, settings: ConsoleSettings) -> ConsoleContext:
        """Wire the console (the store is migrated here, before serving)."""
        runtime = Runtime(hub)
        runtime.store  # noqa: B018 - migrates, console tables included, before serving
        url = hub.effective_database_url
        engine = make_engine(url)
        views = KafkaViews(hub.kafka_bootstrap)
        holder: list[ConsoleMetrics] = []
        sampler = Sampler(views, runtime.codec, engine, hub.kafka_bootstrap, hub.topic_suffix,
                          stall_after_s=settings.stall_after_s,
                          silent_after_s=settings.silent_after_s,
                          on_latency=lambda agent, s: holder[0].observe_latency(agent, s))
        metrics = ConsoleMetrics(lambda: sampler.last)
        holder.append(metrics)
        accounts = Accounts(url, session_minutes=settings.session_minutes, migrate=False)
        return cls(hub, settings, runtime, accounts, engine, views, sampler, metrics)

    @property
    def store(self) -> Store:
        """The case store."""
        return self.runtime.store

    async def start(self) -> None:
        """Connect to the broker."""
        await self.views.start()

    async def sample_forever(self) -> None:
        """Take a snapshot every ``sample_every_s``; a failed one is logged, not fatal."""
        while True:
            try:
                await self.sampler.snapshot(max_age_s=0)
            except Exception as exc:  # broker restarting, store busy: try again next round
                log.warning("console_sample_failed error=%s", type(exc).__name__)
            await asyncio.sleep(self.settings.sample_every_s)

    async def close(self) -> None:
        """Stop sampling and disconnect everything."""
        if self.task is not None:
            self.task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self.task
        await self.sampler.close()
        await self.views.close()
        self.accounts.close()
        self.engine.dispose()
        self.runtime.store.close()
