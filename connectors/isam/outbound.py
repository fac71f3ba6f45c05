"""ISAM out: signals from the SIGNAAL topic, delivered as notifications to subscribed endpoints.

At least once: a consumed batch is stored in the spool (signal + one delivery per subscriber)
before its offsets are committed (``kit.consumer``); deliveries are then posted until a 2xx, with
doubling delays, every attempt a row in the delivery log (``isam_afleverpoging``). Each delivery
goes only to its subscription's callback origin, with that subscription's ``auth``. A subscriber
that refuses (4xx) or stays unreachable after ``HUB_ISAM_RETRY_ATTEMPTS`` gets the signal's dead
letter on the SIGNAAL dead-letter topic; re-driving it queues the delivery again.
"""

from __future__ import annotations

import asyncio
import json
import logging
import time

import topics
from connectors.isam.config import IsamSettings
from connectors.isam.signals import deliveries, load_subscriptions, signal_json
from connectors.isam.spool import DELIVERED, FAILED, WAITING, Pending, Spool
from connectors.kit.consumer import Batch
from connectors.kit.deadletter import DeadLetters
from connectors.kit.http import HttpSession, limits_for
from connectors.kit.retry import policy_for
from hub.errors import PermanentError
from hub.privacy import redact
from hub.runtime import Runtime

log = logging.getLogger(__name__)
GROUP = "connector-isam-signalen"


class SignalIntake:
    """The consumer handler: queues a delivery per interested subscriber of each signal."""

    def __init__(self, runtime: Runtime, settings: IsamSettings, spool: Spool) -> None:
        self.runtime, self.settings, self.spool = runtime, settings, spool
        self.subscriptions_path = settings.effective_subscriptions(runtime.settings)

    async def take(self, batch: Batch, stop: asyncio.Event) -> bool:
        """Store the batch's signals and their deliveries (then the kit commits)."""
        subscriptions = await asyncio.to_thread(load_subscriptions, self.subscriptions_path)
        public = self.settings.effective_public_url()
        signals, queued = [], []
        for item in batch.pending():
            record = item.record
            signals.append((str(record["message_id"]), str(record["case_ref"]),
                            signal_json(record), item.message.value or b""))
            queued += deliveries(record, subscriptions, public)
        new = await asyncio.to_thread(self.spool.add_signals, signals, queued)
        log.info("isam_signals_taken signals=%d deliveries=%d", len(signals), new)
        return True


class SignalDeliverer:
    """Posts due deliveries; one delivery-log row per attempt."""

    def __init__(self, runtime: Runtime, settings: IsamSettings, spool: Spool,
                 http: HttpSession, dead: DeadLetters) -> None:
        self.runtime, self.settings, self.spool = runtime, settings, spool
        self.http, self.dead, self.retry = http, dead, policy_for(settings)
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
            subscriber = self.http.partner(delivery.target, auth, limits_for(self.settings))
            reply = await subscriber.request("POST", delivery.target,
                                             body=json.loads(delivery.body))
            http_status = reply.status
        except PermanentError as exc:
            status, error = FAILED, redact(str(exc))[:300]
        except Exception as exc:  # unreachable, 5xx, or anything unforeseen: retried
            error = redact(f"{type(exc).__name__}: {exc}" if not str(exc) else str(exc))[:300]
            if self.retry.exhausted(attempt):
                status = FAILED
            else:
                status, retry_in = WAITING, self.retry.delay(attempt)
        http_status = http_status or _status_of(error)
        if status == FAILED:  # the dead letter first: if it cannot be sent, we try again
            await self._dead_letter(delivery, attempt, error or "refused")
        await asyncio.to_thread(self.spool.attempted, delivery.id, attempt, status=status,
                                http_status=http_status, error=error,
                                duration_ms=int((time.monotonic() - started) * 1000),
                                retry_in_s=retry_in)
        log.info("isam_signal_attempt delivery=%d attempt=%d status=%s http=%s", delivery.id,
                 attempt, status, http_status)
        return 1 if status == DELIVERED else 0

    async def _dead_letter(self, delivery: Pending, attempts: int, error: str) -> None:
        avro = await asyncio.to_thread(self.spool.signal_avro, delivery.signal_id)
        case = json.loads(delivery.body).get("kenmerken", {}).get("case_ref", "")
        await self.dead.put(
            topics.SIGNAAL, avro,
            f"delivery to {delivery.target} failed after {attempts} attempt(s): {error}",
            f"aflevering/{delivery.id}/{attempts}", original_message_id=delivery.signal_id,
            attempts=attempts, case_ref=case)


def _status_of(error: str | None) -> int | None:
    """The HTTP status named in an error text ('... HTTP 503'), if any."""
    if error and "HTTP " in error:
        tail = error.rsplit("HTTP ", 1)[1][:3]
        return int(tail) if tail.isdigit() else None
    return None
