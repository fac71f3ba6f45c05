"""The Kredietbank connector: aanmeldingen and afmeldingen out; mutaties and invoices in.

Pull: mutaties (betalingen, einde) and invoices page by page from cursors in the case store; a
cursor moves only after the broker acknowledged the page's records (message ids derive from the
Kredietbank's ids, so a repeated page is dropped by the inbox). Invoices go through the shared UBL
parser (``connectors.ubl``); a refused one is dead-lettered with its rule and the UBL kept.
Push: a consumer group on the outbound topics; an offset is committed only after the Kredietbank
accepted the message (it dedups ``berichtId``) or it was dead-lettered. With ``relay_besluiten``
the same group turns ISAM ontzorgen decisions into those outbound messages (FORMAT.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Any

from aiokafka import AIOKafkaConsumer, ConsumerRecord, TopicPartition

import topics
from connectors.base import Connector
from connectors.edge import RuntimeSealer
from connectors.isam.deadletter import dead_letter
from connectors.isam.http import HttpClient
from connectors.kredietbank.config import KredietbankSettings, kredietbank_settings
from connectors.kredietbank.invoice import factuur
from connectors.kredietbank.translate import (
    aanmelding_body,
    afmelding_body,
    mutatie,
    relay,
    topic_of_mutatie,
)
from connectors.ubl import parse_invoice
from hub.errors import HubError, InvalidField, PermanentError, UpstreamRejected, UpstreamUnavailable
from hub.publish import TopicWriter
from hub.runtime import Runtime

log = logging.getLogger(__name__)
GROUP = "connector-kredietbank"
STOP_GRACE_S = 2.0
OUTBOUND = (topics.ONTZORGEN_AANMELDING, topics.HUB_ONTZORGEN_EINDE)


class KredietbankConnector(Connector):
    """The Kredietbank over its JSON API (FORMAT.md)."""

    name = "kredietbank"

    def __init__(self, runtime: Runtime, writer: TopicWriter, *,
                 settings: KredietbankSettings | None = None) -> None:
        super().__init__(runtime, writer)
        self.settings = settings or kredietbank_settings()
        self.interval_s = self.settings.poll_interval_s  # type: ignore[misc]
        self.sealer = RuntimeSealer(runtime)
        self.api: HttpClient | None = None

    async def run(self, stop: asyncio.Event) -> None:
        """Pull on an interval and push outbound messages until ``stop`` is set."""
        if not self.settings.api_url:
            self.health.failed(InvalidField("HUB_KREDIETBANK_API_URL", "not set"))
            log.error("kredietbank_not_configured missing=HUB_KREDIETBANK_API_URL")
            await stop.wait()
            return
        async with HttpClient(self.settings.api_token, self.settings.timeout_s) as api:
            self.api = api
            sender = asyncio.create_task(self._push(stop), name="kredietbank-push")
            try:
                await super().run(stop)
            finally:
                stop.set()
                await asyncio.wait([sender], timeout=STOP_GRACE_S + 1)
                sender.cancel()
                await asyncio.gather(sender, return_exceptions=True)

    def _url(self, path: str) -> str:
        return self.settings.api_url.rstrip("/") + path

    # -- pull ----------------------------------------------------------------------------------
    async def run_once(self) -> int:
        """Pull new mutaties and invoices; returns how many records were produced."""
        return await self._pull_mutaties() + await self._pull_facturen()

    async def _cursor(self, kind: str) -> int:
        value = await asyncio.to_thread(self.runtime.store.get_cursor,
                                        f"{self.settings.cursor_name}.{kind}")
        return int(value or 0)

    async def _set_cursor(self, kind: str, value: int) -> None:
        await asyncio.to_thread(self.runtime.store.set_cursor,
                                f"{self.settings.cursor_name}.{kind}", str(value))

    async def _pull_mutaties(self) -> int:
        assert self.api is not None
        total = 0
        while True:
            vanaf = await self._cursor("mutaties")
            page = await self.api.get_json(self._url(
                f"/mutaties?vanaf={vanaf}&aantal={self.settings.page_size}"))
            received = datetime.now(UTC)
            by_topic: dict[str, list[dict[str, Any]]] = defaultdict(list)
            for item in page.get("mutaties", []):
                try:
                    routed = mutatie(item, sealer=self.sealer, received_at=received)
                    by_topic[routed.topic].append(routed.record)
                except PermanentError as exc:
                    topic = topic_of_mutatie(item)
                    by_topic[topics.dead_letter_of(topic)].append(self._dead(
                        topic, _json_bytes(item), exc, f"mutatie/{item.get('volgnummer')}"))
            for topic, records in by_topic.items():
                await self.writer.send_many(topic, records)
            total += sum(len(r) for r in by_topic.values())
            volgende = int(page.get("volgende", vanaf))
            if volgende != vanaf:
                await self._set_cursor("mutaties", volgende)
            if not page.get("meer"):
                return total

    async def _pull_facturen(self) -> int:
        assert self.api is not None
        vanaf = await self._cursor("facturen")
        listing = await self.api.get_json(self._url(f"/facturen?vanaf={vanaf}"))
        count = 0
        for item in listing.get("facturen", []):
            reply = await self.api.request("GET", str(item["url"]), accept="application/xml")
            source = f"kredietbank/{item['factuurnummer']}"
            try:
                record = factuur(parse_invoice(reply.body, source=source),
                                 received_at=datetime.now(UTC))
                await self.writer.send(topics.KREDIETBANK_FACTUUR, record)
            except PermanentError as exc:  # InvoiceRejected names the rule; UBL kept whole
                log.warning("kredietbank_invoice_refused factuur=%s error=%s", source,
                            str(exc)[:120])
                await self.writer.send(topics.dead_letter_of(topics.KREDIETBANK_FACTUUR),
                                       self._dead(topics.KREDIETBANK_FACTUUR, reply.body, exc,
                                                  f"factuur/{item['factuurnummer']}"))
            await self._set_cursor("facturen", int(item["volgnummer"]))
            count += 1
        return count

    def _dead(self, topic: str, original: bytes, error: BaseException | str, ident: str,
              **extra: Any) -> dict[str, Any]:
        return dead_letter(consumer=GROUP, source_topic=topic, original=original, error=error,
                           original_message_id=extra.pop("message_id", None),
                           dead_letter_id=f"dl:{GROUP}:{ident}", **extra)

    # -- push ----------------------------------------------------------------------------------
    async def _push(self, stop: asyncio.Event) -> None:
        names = OUTBOUND + ((topics.ISAM_ONTZORGEN_BESLUIT,) if self.settings.relay_besluiten
                            else ())
        while not stop.is_set():
            try:
                async with self._consumer(names) as consumer:
                    while not stop.is_set():
                        batches = await consumer.getmany(timeout_ms=500, max_records=100)
                        if batches:
                            log.info("kredietbank_outbound_batch messages=%d",
                                     sum(len(m) for m in batches.values()))
                        # Decisions, then aanmeldingen, then ends: an afmelding must not
                        # reach the Kredietbank before the aanmelding it ends (a 404 there
                        # is retried and would hold up the rest of the batch).
                        for tp, messages in sorted(batches.items(), key=self._rank):
                            for message in messages:
                                if not await self._handle(self.runtime.logical(tp.topic),
                                                          message, stop):
                                    return
                                await consumer.commit({TopicPartition(tp.topic, tp.partition):
                                                       message.offset + 1})
            except Exception as exc:  # broker gone: report, wait, reconnect
                self.health.failed(exc)
                log.warning("kredietbank_consumer_failed error=%s", type(exc).__name__)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), 1.0)

    def _rank(self, item: tuple[TopicPartition, list[Any]]) -> tuple[int, str, int]:
        order = (topics.ISAM_ONTZORGEN_BESLUIT, topics.ONTZORGEN_AANMELDING)
        logical = self.runtime.logical(item[0].topic)
        rank = order.index(logical) if logical in order else len(order)
        return rank, logical, item[0].partition

    @contextlib.asynccontextmanager
    async def _consumer(self, names: tuple[str, ...]) -> AsyncIterator[AIOKafkaConsumer]:
        s = self.runtime.settings
        consumer = AIOKafkaConsumer(
            *(topics.physical(t, s.topic_suffix) for t in names),
            bootstrap_servers=s.kafka_bootstrap, group_id=GROUP + s.topic_suffix,
            enable_auto_commit=False, auto_offset_reset="earliest", session_timeout_ms=6_000,
            heartbeat_interval_ms=2_000, max_poll_interval_ms=600_000)
        try:
            await consumer.start()
            yield consumer
        finally:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(consumer.stop(), STOP_GRACE_S)

    async def _handle(self, topic: str, message: ConsumerRecord[bytes, bytes],
                      stop: asyncio.Event) -> bool:
        """Deliver or relay one message, or dead-letter it; False when stopped mid-retry."""
        position = {"partition": message.partition, "offset": message.offset,
                    "original_key": message.key}
        ident = f"{topic}/{message.partition}/{message.offset}"
        try:
            record = self.runtime.codec.decode(message.value)[1]
            if topic == topics.ISAM_ONTZORGEN_BESLUIT:
                routed = relay(record, produced_at=datetime.now(UTC))
                if routed is not None:
                    await self.writer.send(routed.topic, routed.record)
                    log.info("kredietbank_relayed topic=%s case=%s", routed.topic,
                             record["case_ref"])
                return True
            if topic == topics.ONTZORGEN_AANMELDING:
                path = "/aanmeldingen"
                body = aanmelding_body(record, self.runtime.cipher.decrypt(record["bsn"]))
            else:
                path, body = "/afmeldingen", afmelding_body(record)
        except (PermanentError, KeyError) as exc:
            await self.writer.send(topics.dead_letter_of(topic), self._dead(
                topic, message.value or b"", exc, ident, **position))
            return True
        return await self._post(topic, path, body, record, message, stop)

    async def _post(self, topic: str, path: str, body: dict[str, Any], record: dict[str, Any],
                    message: ConsumerRecord[bytes, bytes], stop: asyncio.Event) -> bool:
        assert self.api is not None
        for attempt in range(1, self.settings.retry_attempts + 1):
            try:
                await self.api.request("POST", self._url(path), body=body)
            except UpstreamRejected as exc:
                return await self._give_up(topic, message, record, exc, attempt)
            except UpstreamUnavailable as exc:
                self.health.failed(exc)
                if attempt == self.settings.retry_attempts:
                    return await self._give_up(topic, message, record, exc, attempt)
                delay = min(self.settings.retry_backoff_s * 2 ** (attempt - 1),
                            self.settings.retry_max_backoff_s)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(stop.wait(), delay)
                if stop.is_set():
                    return False
            else:
                self.health.succeeded()
                log.info("kredietbank_sent path=%s case=%s", path, record["case_ref"])
                return True
        return True

    async def _give_up(self, topic: str, message: ConsumerRecord[bytes, bytes],
                       record: dict[str, Any], exc: HubError, attempts: int) -> bool:
        await self.writer.send(topics.dead_letter_of(topic), self._dead(
            topic, message.value or b"", exc, f"{topic}/{message.partition}/{message.offset}",
            message_id=record["message_id"], case_ref=record["case_ref"], attempts=attempts,
            partition=message.partition, offset=message.offset, original_key=message.key))
        return True

    @classmethod
    def demo_partner(cls, runtime: Runtime) -> contextlib.AbstractAsyncContextManager[
            dict[str, Any]]:
        """The Kredietbank simulator (``hub connectors run --demo``)."""
        from connectors.kredietbank.demo import demo_partner

        return demo_partner(runtime)


def _json_bytes(item: Any) -> bytes:
    import json

    return json.dumps(item, default=str).encode()
