"""The ISAM connector: notifications in over an authenticated webhook, signals out.

Four loops share one spool database: the webhook server (persist, then 2xx), the notification
processor (fetch details, translate, produce), the signal intake (SIGNAAL topic -> queued
deliveries) and the signal deliverer (POST to subscribers, log every attempt). Each is a part of
the connector's health; one that crashes takes the others down with it and the supervisor
restarts the connector. See FORMAT.md.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

import topics
from connectors.base import Connector, together
from connectors.edge import Routed, RuntimeSealer
from connectors.isam.config import IsamSettings, isam_settings
from connectors.isam.inbound import CONSUMER, REENTRY, NotificationProcessor
from connectors.isam.outbound import GROUP, SignalDeliverer, SignalIntake
from connectors.isam.spool import Spool, engine_for
from connectors.isam.webhook import make_app
from connectors.kit.consumer import OutboundConsumer
from connectors.kit.deadletter import DeadLetters
from connectors.kit.http import HttpSession, limits_for
from connectors.kit.loop import poll
from connectors.kit.retry import RetryPolicy, policy_for
from connectors.kit.server import serve_app
from hub.errors import ConfigurationError, UpstreamUnavailable
from hub.publish import TopicWriter
from hub.runtime import Runtime

log = logging.getLogger(__name__)


class IsamConnector(Connector):
    """ISAM over ZGW-style notifications (in) and notification delivery to subscribers (out)."""

    name = "isam"
    group = CONSUMER
    reentries = (REENTRY,)

    def __init__(self, runtime: Runtime, writer: TopicWriter, *,
                 settings: IsamSettings | None = None, **kit: Any) -> None:
        super().__init__(runtime, writer, **kit)
        self.settings = s = settings or isam_settings()
        if not s.webhook_token or not s.api_url:
            raise ConfigurationError("HUB_ISAM_API_URL and HUB_ISAM_WEBHOOK_TOKEN must be set "
                                     "to run the ISAM connector")
        self.spool = Spool(engine_for(s.effective_database_url(runtime.settings)))
        self.wake = asyncio.Event()
        self.processor: NotificationProcessor | None = None  # while running

    async def reenter(self, reentry: str, original: bytes) -> list[Routed]:
        """A re-driven notification through the processor's own translation."""
        if reentry != REENTRY:
            return await super().reenter(reentry, original)
        if self.processor is None:
            raise UpstreamUnavailable("the ISAM connector is not running yet")
        return await self.processor.reenter(original)

    @property
    def retry(self) -> RetryPolicy:
        """The ``HUB_ISAM_RETRY_*`` policy."""
        return policy_for(self.settings)

    async def run(self, stop: asyncio.Event) -> None:
        """Serve the webhook and run the loops until ``stop`` is set."""
        s = self.settings
        app = make_app(self.spool, s.webhook_token, self.wake.set, max_bytes=s.webhook_max_bytes)
        try:
            async with serve_app(app, s.webhook_host, s.webhook_port), HttpSession() as http:
                log.info("isam_webhook_listening host=%s port=%d", s.webhook_host,
                         s.webhook_port)
                api = http.partner(s.api_url, s.api_token, limits_for(s))
                processor = NotificationProcessor(s, self.spool, api, self.writer,
                                                  RuntimeSealer(self.runtime), self.dead)
                self.processor = processor
                signals = DeadLetters(self.writer, GROUP, sealer=self.runtime.cipher)
                deliverer = SignalDeliverer(self.runtime, s, self.spool, http, signals)
                intake = OutboundConsumer(self.runtime, GROUP, (topics.SIGNAAL,),
                                          self.health.part("signal-intake"), signals, self.retry)
                await together(
                    poll(stop, processor.run_once, part=self.health.part("notifications"),
                         interval_s=s.poll_interval_s, policy=self.retry, wake=self.wake),
                    poll(stop, deliverer.run_once, part=self.health.part("deliveries"),
                         interval_s=s.poll_interval_s, policy=self.retry),
                    intake.run(stop, SignalIntake(self.runtime, s, self.spool).take))
        finally:
            self.spool.engine.dispose()

    async def run_once(self) -> int:  # pragma: no cover - ``run`` drives the loops
        """Not used: the loops in ``run`` do the work."""
        return 0

    @classmethod
    def demo_partner(cls, runtime: Runtime) -> contextlib.AbstractAsyncContextManager[
            dict[str, Any]]:
        """The ISAM simulator with a seeded scenario (``hub connectors run --demo``)."""
        from connectors.isam.demo import demo_partner

        return demo_partner(runtime)
