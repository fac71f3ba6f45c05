"""ISAM out: signals from the SIGNAAL topic, delivered as notifications to subscribed endpoints.

At least once: a consumed batch is stored in the spool (signal + one delivery per subscriber)
before its offsets are committed; deliveries are then posted until a 2xx, with doubling delays,
every attempt a row in the delivery log (``isam_afleverpoging``). A subscriber that refuses (4xx)
or stays unreachable after ``HUB_ISAM_RETRY_ATTEMPTS`` gets the signal's dead letter on the
SIGNAAL dead-letter topic; re-driving it queues the delivery again.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

from aiokafka import AIOKafkaConsumer, TopicPartition

import topics
from connectors.base import Health
from connectors.isam.config import IsamSettings
from connectors.isam.deadletter import dead_letter
from connectors.isam.http import HttpClient
from connectors.isam.signals import deliveries, load_subscriptions, signal_json
from connectors.isam.spool import DELIVERED, FAILED, WAITING, Pending, Spool
from hub.errors import PermanentError, UpstreamRejected, UpstreamUnavailable
from hub.privacy import redact
from hub.publish import TopicWriter
from hub.runtime import Runtime

log = logging.getLogger(__name__)
GROUP = "connector-isam-signalen"
STOP_GRACE_S = 2.0


class SignalIntake:
    """Consumes SIGNAAL and queues a delivery per interested subscriber."""

    def __init__(self, runtime: Runtime, settings: IsamSettings, spool: Spool,
                 writer: TopicWriter, health: Health) -> None:
        self.runtime, self.settings, self.spool = runtime, settings, spool
        self.writer, self.health = writer, health
        self.subscriptions_path: Path = settings.effective_subscriptions(runtime.settings)

    async def run(self, stop: asyncio.Event) -> None:
        """Consume until ``stop``; reconnect after broker failures."""
        while not stop.is_set():
            try:
                async with self._consumer() as consumer:
                    while not stop.is_set():
                        batches = await consumer.getmany(timeout_ms=500, max_records=500)
                        if batches:
                            await self._take(consumer, batches)
            except Exception as exc:  # broker or spool failed: report, wait, start over
                self.health.failed(exc)
                log.warning("isam_signal_intake_failed error=%s", type(exc).__name__)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 1.0)

    @contextlib.asynccontextmanager
    async def _consumer(self) -> AsyncIterator[AIOKafkaConsumer]:
        s = self.runtime.settings
        consumer = AIOKafkaConsumer(
            topics.physical(topics.SIGNAAL, s.topic_suffix), bootstrap_servers=s.kafka_bootstrap,
            group_id=GROUP + s.topic_suffix, enable_auto_commit=False,
            auto_offset_reset="earliest", session_timeout_ms=6_000, heartbeat_interval_ms=2_000)
        try:
            await consumer.start()
            yield consumer
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(consumer.stop(), STOP_GRACE_S)

    async def _take(self, consumer: AIOKafkaConsumer, batches: dict[Any, Any]) -> None:
        subscriptions = await asyncio.to_thread(load_subscriptions, self.subscriptions_path)
        public = self.settings.effective_public_url()
        signals, queued, offsets = [], [], {}
        for tp, messages in batches.items():
            for message in messages:
                try:
                    record = self.runtime.codec.decode(message.value)[1]
                except PermanentError as exc:
                    await self.writer.send(topics.dead_letter_of(topics.SIGNAAL), dead_letter(
                        consumer=GROUP, source_topic=topics.SIGNAAL, original=message.value or b"",
                        error=exc, original_message_id=None, partition=message.partition,
                        offset=message.offset, original_key=message.key,
                        dead_letter_id=f"dl:{GROUP}:{tp.partition}/{message.offset}"))
                    continue
                signals.append((str(record["message_id"]), str(record["case_ref"]),
                                signal_json(record), message.value or b""))
                queued += deliveries(record, subscriptions, public)
            offsets[TopicPartition(tp.topic, tp.partition)] = messages[-1].offset + 1
        new = await asyncio.to_thread(self.spool.add_signals, signals, queued)
        await consumer.commit(offsets)
        log.info("isam_signals_taken signals=%d deliveries=%d", len(signals), new)


class SignalDeliverer:
    """Posts due deliveries; one delivery-log row per attempt."""

    def __init__(self, runtime: Runtime, settings: IsamSettings, spool: Spool,
                 client: HttpClient, writer: TopicWriter, health: Health) -> None:
        self.runtime, self.settings, self.spool = runtime, settings, spool
        self.client, self.writer, self.health = client, writer, health
        self.subscriptions_path = settings.effective_subscriptions(runtime.settings)

    async def run_once(self) -> int:
        """Attempt every due delivery once; returns how many were delivered."""
        due = await asyncio.to_thread(self.spool.due_deliveries)
        if not due:
            return 0
        auth = {a.callback_url: a.auth for a in
                await asyncio.to_thread(load_subscriptions, self.subscriptions_path)}
        results = await asyncio.gather(*(self._attempt(d, auth.get(d.target, "")) for d in due))
        return sum(results)

    async def _attempt(self, delivery: Pending, auth: str) -> int:
        attempt = delivery.pogingen + 1
        started = time.monotonic()
        status, http_status, error, retry_in = DELIVERED, None, None, 0.0
        try:
            reply = await self.client.request("POST", delivery.target,
                                              body=json.loads(delivery.body), token=auth)
            http_status = reply.status
        except UpstreamRejected as exc:
            status, error = FAILED, redact(str(exc))[:300]
        except UpstreamUnavailable as exc:
            error = redact(str(exc))[:300]
            if attempt >= self.settings.retry_attempts:
                status = FAILED
            else:
                status = WAITING
                retry_in = min(self.settings.retry_backoff_s * 2 ** (attempt - 1),
                               self.settings.retry_max_backoff_s)
        http_status = http_status or _status_of(error)
        await asyncio.to_thread(self.spool.attempted, delivery.id, attempt, status=status,
                                http_status=http_status, error=error,
                                duration_ms=int((time.monotonic() - started) * 1000),
                                retry_in_s=retry_in)
        if status == FAILED:
            await self._dead_letter(delivery, attempt, error or "refused")
        log.info("isam_signal_attempt delivery=%d attempt=%d status=%s http=%s", delivery.id,
                 attempt, status, http_status)
        return 1 if status == DELIVERED else 0

    async def _dead_letter(self, delivery: Pending, attempts: int, error: str) -> None:
        avro = await asyncio.to_thread(self.spool.signal_avro, delivery.signal_id)
        case = json.loads(delivery.body).get("kenmerken", {}).get("case_ref", "")
        await self.writer.send(topics.dead_letter_of(topics.SIGNAAL), dead_letter(
            consumer=GROUP, source_topic=topics.SIGNAAL, original=avro, case_ref=case,
            error=f"delivery to {delivery.target} failed after {attempts} attempt(s): {error}",
            original_message_id=delivery.signal_id, attempts=attempts,
            dead_letter_id=f"dl:{GROUP}:aflevering/{delivery.id}/{attempts}"))


def _status_of(error: str | None) -> int | None:
    """The HTTP status named in an error text ('... HTTP 503'), if any."""
    if error and "HTTP " in error:
        tail = error.rsplit("HTTP ", 1)[1][:3]
        return int(tail) if tail.isdigit() else None
    return None
