"""The ISAM connector: notifications in over an authenticated webhook, signals out.

Four loops share one spool database: the webhook server (persist, then 2xx), the notification
processor (fetch details, translate, produce), the signal intake (SIGNAAL topic -> queued
deliveries) and the signal deliverer (POST to subscribers, log every attempt). See FORMAT.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from aiohttp import web

from connectors.base import Connector
from connectors.edge import RuntimeSealer
from connectors.isam.config import IsamSettings, isam_settings
from connectors.isam.http import HttpClient
from connectors.isam.inbound import NotificationProcessor
from connectors.isam.outbound import SignalDeliverer, SignalIntake
from connectors.isam.spool import Spool, engine_for
from connectors.isam.webhook import make_app
from hub.errors import ConfigurationError, HubError
from hub.publish import TopicWriter
from hub.runtime import Runtime

log = logging.getLogger(__name__)


class IsamConnector(Connector):
    """ISAM over ZGW-style notifications (in) and notification delivery to subscribers (out)."""

    name = "isam"

    def __init__(self, runtime: Runtime, writer: TopicWriter, *,
                 settings: IsamSettings | None = None) -> None:
        super().__init__(runtime, writer)
        self.settings = settings or isam_settings()
        self.spool = Spool(engine_for(self.settings.effective_database_url(runtime.settings)))
        self.wake = asyncio.Event()

    async def run(self, stop: asyncio.Event) -> None:
        """Serve the webhook and run the loops until ``stop`` is set."""
        s = self.settings
        if not s.webhook_token or not s.api_url:
            self.health.failed(ConfigurationError(
                "HUB_ISAM_API_URL and HUB_ISAM_WEBHOOK_TOKEN must be set"))
            log.error("isam_not_configured missing=HUB_ISAM_API_URL/HUB_ISAM_WEBHOOK_TOKEN")
            await stop.wait()
            return
        app = make_app(self.spool, s.webhook_token, self.wake.set)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, s.webhook_host, s.webhook_port).start()
        log.info("isam_webhook_listening host=%s port=%d", s.webhook_host, s.webhook_port)
        try:
            async with HttpClient(s.api_token, s.timeout_s) as api, \
                    HttpClient("", s.timeout_s) as out:
                sealer = RuntimeSealer(self.runtime)
                processor = NotificationProcessor(s, self.spool, api, self.writer, sealer)
                deliverer = SignalDeliverer(self.runtime, s, self.spool, out, self.writer,
                                            self.health)
                intake = SignalIntake(self.runtime, s, self.spool, self.writer, self.health)
                tasks = [asyncio.create_task(intake.run(stop), name="isam-signal-intake"),
                         asyncio.create_task(self._loop(stop, deliverer.run_once),
                                             name="isam-deliver")]
                try:
                    await self._loop(stop, processor.run_once, wake=self.wake)
                finally:
                    stop.set()
                    await asyncio.wait(tasks, timeout=3.0)
                    for task in tasks:
                        task.cancel()
                    await asyncio.gather(*tasks, return_exceptions=True)
        finally:
            await runner.cleanup()
            self.spool.engine.dispose()

    async def _loop(self, stop: asyncio.Event, action: Any,
                    wake: asyncio.Event | None = None) -> None:
        while not stop.is_set():
            try:
                count = await action()
                if count:
                    self.health.succeeded(count)
            except HubError as exc:
                self.health.failed(exc)
                log.warning("isam_exchange_failed error=%s", type(exc).__name__)
            waiter = wake or asyncio.Event()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(_first(stop, waiter), self.settings.poll_interval_s)
            waiter.clear()

    async def run_once(self) -> int:  # pragma: no cover - ``run`` drives the loops
        """Not used: the loops in ``run`` do the work."""
        return 0

    @classmethod
    def demo_partner(cls, runtime: Runtime) -> contextlib.AbstractAsyncContextManager[
            dict[str, Any]]:
        """The ISAM simulator with a seeded scenario (``hub connectors run --demo``)."""
        from connectors.isam.demo import demo_partner

        return demo_partner(runtime)


async def _first(*events: asyncio.Event) -> None:
    """Return when any of ``events`` is set."""
    waits = [asyncio.create_task(e.wait()) for e in events]
    try:
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for w in waits:
            w.cancel()
