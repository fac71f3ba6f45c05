"""The Kredietbank connector: aanmeldingen and afmeldingen out; mutaties and invoices in.

Pull: mutaties (betalingen, einde) and invoices page by page from cursors (``self.cursors``); a
cursor moves only after the broker acknowledged the page's records (message ids derive from the
Kredietbank's ids, so a repeated page is dropped by the inbox). Every answer's shape is checked
(``kit.fields.Reader``): a page that is not what FORMAT.md says is dead-lettered once and asked
for again with growing delays; a page that says ``meer`` without advancing is ``PagingStalled``
(backoff, never a tight loop). Invoices go through the shared UBL parser (``connectors.ubl``); a
refused one, or an invoice ``url`` outside the API's origin, is dead-lettered and skipped.
Push: a consumer group on the outbound topics; an offset is committed only after the Kredietbank
accepted the message (it dedups ``berichtId``) or it was dead-lettered. With ``relay_besluiten``
the same group turns ISAM ontzorgen decisions into those outbound messages (FORMAT.md).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
from collections import defaultdict
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import topics
from connectors.base import Connector, together
from connectors.edge import Routed, RuntimeSealer
from connectors.kit.consumer import Batch, Item, OutboundConsumer, declared_order
from connectors.kit.cursor import check_advance
from connectors.kit.fields import Reader
from connectors.kit.http import HttpSession, PartnerHttp, limits_for
from connectors.kit.jsonread import read_json
from connectors.kit.retry import RetryPolicy, policy_for
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
from hub.errors import ConfigurationError, PermanentError, TransientError, UpstreamUnavailable
from hub.publish import TopicWriter
from hub.runtime import Runtime

log = logging.getLogger(__name__)
GROUP = "connector-kredietbank"
OUTBOUND = (topics.ONTZORGEN_AANMELDING, topics.HUB_ONTZORGEN_EINDE)
# Decisions, then aanmeldingen, then ends: an afmelding must not reach the Kredietbank before
# the aanmelding it ends (a 404 there is retried and would hold up the rest of the batch).
ORDER = (topics.ISAM_ONTZORGEN_BESLUIT, topics.ONTZORGEN_AANMELDING)


class KredietbankConnector(Connector):
    """The Kredietbank over its JSON API (FORMAT.md)."""

    name = "kredietbank"
    group = GROUP
    reentries = ("kredietbank.mutatie", "kredietbank.factuur", "kredietbank.factuurmelding",
                 "kredietbank.pagina")

    def __init__(self, runtime: Runtime, writer: TopicWriter, *,
                 settings: KredietbankSettings | None = None, **kit: Any) -> None:
        super().__init__(runtime, writer, **kit)
        self.settings = settings or kredietbank_settings()
        if not self.settings.api_url:
            raise ConfigurationError("HUB_KREDIETBANK_API_URL must be set to run the "
                                     "Kredietbank connector")
        self.interval_s = self.settings.poll_interval_s
        self.sealer = RuntimeSealer(runtime)
        self.api: PartnerHttp | None = None
        self._refused: set[str] = set()

    @property
    def retry(self) -> RetryPolicy:
        """The ``HUB_KREDIETBANK_RETRY_*`` policy."""
        return policy_for(self.settings)

    async def run(self, stop: asyncio.Event) -> None:
        """Pull on an interval and push outbound messages until ``stop`` is set."""
        s = self.settings
        names = OUTBOUND + ((topics.ISAM_ONTZORGEN_BESLUIT,) if s.relay_besluiten else ())
        push = OutboundConsumer(self.runtime, GROUP, names, self.health.part("push"),
                                self.dead, self.retry, max_records=100,
                                order=declared_order(ORDER))
        async with HttpSession() as http:
            self.api = http.partner(s.api_url, s.api_token, limits_for(s))
            await together(super().run(stop), push.run(stop, self._deliver))

    # -- pull ----------------------------------------------------------------------------------
    async def run_once(self) -> int:
        """Pull new mutaties and invoices; returns how many records were produced."""
        return await self._pull_mutaties() + await self._pull_facturen()

    def _cursor_name(self, kind: str) -> str:
        return f"{self.settings.cursor_name}.{kind}"

    async def _cursor(self, kind: str) -> int:
        value = await asyncio.to_thread(self.cursors.get_cursor, self._cursor_name(kind))
        try:
            return int(value or 0)
        except ValueError:
            raise ConfigurationError(f"cursor {self._cursor_name(kind)} is not a number"
                                     ) from None

    async def _set_cursor(self, kind: str, value: int) -> None:
        await asyncio.to_thread(self.cursors.set_cursor, self._cursor_name(kind), str(value))

    async def _page(self, kind: str, vanaf: int, path: str) -> tuple[Reader, bytes]:
        """GET one page and check that it is a JSON object; a bad page is dead-lettered once."""
        assert self.api is not None
        body = b""
        try:
            body = (await self.api.request("GET", self.api.url(path))).body
            value = read_json(body, what=f"{kind} page",
                              max_bytes=self.settings.max_response_bytes)
            return Reader.of(f"{kind} page", value), body
        except PermanentError as exc:
            await self._refuse_once(_page_topic(kind), f"page/{kind}/{vanaf}", body, exc)
            raise

    async def _refuse_once(self, topic: str, ident: str, original: bytes, error: Exception,
                           reentry: str = "kredietbank.pagina") -> None:
        """Dead-letter a refused page or listing entry, once per content: the partner is asked
        again (with backoff) until it answers better, without a dead letter per attempt."""
        key = f"{ident}/{hashlib.sha256(original).hexdigest()[:16]}"
        if key not in self._refused:
            self._refused.add(key)
            await self.dead.put_edge(topic, original, error, key, media_type="application/json",
                                     reentry=reentry)

    async def _pull_mutaties(self) -> int:
        total = 0
        while True:
            vanaf = await self._cursor("mutaties")
            page, body = await self._page(
                "mutaties", vanaf, f"/mutaties?vanaf={vanaf}&aantal={self.settings.page_size}")
            try:
                items, volgende = page.items("mutaties"), page.integer("volgende")
                meer = bool(page.optional_boolean("meer"))
            except PermanentError as exc:
                await self._refuse_once(_page_topic("mutaties"), f"page/mutaties/{vanaf}", body,
                                        exc)
                raise
            check_advance("mutaties", vanaf, volgende, meer)
            total += await self._produce_mutaties(items)
            if volgende != vanaf:
                await self._set_cursor("mutaties", volgende)
            if not meer:
                return total

    async def _produce_mutaties(self, items: list[Reader]) -> int:
        routed = await self._translate_mutaties(items)
        by_topic: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for one in routed:
            by_topic[one.topic].append(one.record)
        for topic, records in by_topic.items():
            await self.writer.send_many(topic, records)
        return len(routed)

    async def _translate_mutaties(self, items: list[Reader]) -> list[Routed]:
        """The page's mutaties translated; each refused one dead-lettered on its own."""
        received, routed = datetime.now(UTC), []
        for item in items:
            try:
                routed.append(mutatie(item.data, sealer=self.sealer, received_at=received))
            except PermanentError as exc:
                number = item.data.get("volgnummer")
                await self.dead.put_edge(
                    topic_of_mutatie(item.data), _json_bytes(item.data), exc,
                    f"mutatie/{number if isinstance(number, int) else '?'}",
                    media_type="application/json", reentry="kredietbank.mutatie")
        return routed

    async def _pull_facturen(self) -> int:
        vanaf = await self._cursor("facturen")
        listing, body = await self._page("facturen", vanaf, f"/facturen?vanaf={vanaf}")
        try:
            items = listing.items("facturen")
        except PermanentError as exc:
            await self._refuse_once(_page_topic("facturen"), f"page/facturen/{vanaf}", body, exc)
            raise
        count = 0
        for item in items:
            try:
                volgnummer = item.integer("volgnummer")
            except PermanentError as exc:  # kept; the cursor moves on with the next entries
                await self._refuse_once(topics.KREDIETBANK_FACTUUR, "factuur/zonder-volgnummer",
                                        _json_bytes(item.data), exc,
                                        reentry="kredietbank.factuurmelding")
                continue
            if volgnummer <= vanaf:  # listed again: already taken
                continue
            record = await self._one_factuur(item, volgnummer)
            if record is not None:
                await self.writer.send(topics.KREDIETBANK_FACTUUR, record)
            await self._set_cursor("facturen", volgnummer)
            vanaf, count = volgnummer, count + 1
        return count

    async def _one_factuur(self, item: Reader, volgnummer: int | None) -> dict[str, Any] | None:
        """One listed invoice fetched and parsed; a refused one is dead-lettered (None;
        transient errors propagate: the cursor stays before it)."""
        fetched = await self._fetch_factuur(item)
        if isinstance(fetched, Refused):  # InvoiceRejected names the rule; the UBL kept whole
            refused, exc = fetched, fetched.error
            ident = refused.ident or f"factuur/volgnummer-{volgnummer}"
            log.warning("kredietbank_invoice_refused volgnummer=%s error=%s", volgnummer,
                        str(exc)[:120])
            xml = refused.original.lstrip().startswith(b"<")
            await self.dead.put_edge(
                topics.KREDIETBANK_FACTUUR, refused.original, exc, ident,
                media_type="application/xml" if xml else "application/json",
                reentry="kredietbank.factuur" if xml else "kredietbank.factuurmelding")
            return None
        return fetched

    async def _fetch_factuur(self, item: Reader) -> dict[str, Any] | Refused:
        """The ``KredietbankFactuur`` of a listing entry, or what was refused and why."""
        if self.api is None:
            raise UpstreamUnavailable("kredietbank: not connected yet")
        original, ident = _json_bytes(item.data), None
        try:
            number, url = item.text("factuurnummer"), item.text("url")
            ident = f"factuur/{number}"
            reply = await self.api.request("GET", url, accept="application/xml")
            original = reply.body
            return factuur(parse_invoice(reply.body, source=f"kredietbank/{number}"),
                           received_at=datetime.now(UTC))
        except PermanentError as exc:
            return Refused(exc, original, ident)

    async def reenter(self, reentry: str, original: bytes) -> list[Routed]:
        """A re-driven mutatie, invoice, listing entry or page through the same translation as
        a fresh one (a page's entries refused again are dead-lettered one by one, as fresh)."""
        now = datetime.now(UTC)
        if reentry == "kredietbank.mutatie":
            routed = mutatie(Reader.of("mutatie", read_json(original, what="mutatie")).data,
                             sealer=self.sealer, received_at=now)
            return [routed]
        if reentry == "kredietbank.factuur":
            invoice = parse_invoice(original, source="kredietbank/redrive")
            return [Routed(topics.KREDIETBANK_FACTUUR, factuur(invoice, received_at=now))]
        if reentry == "kredietbank.factuurmelding":
            entry = Reader.of("listing entry", read_json(original, what="listing entry"))
            fetched = await self._fetch_factuur(entry)
            if isinstance(fetched, Refused):
                raise fetched.error
            return [Routed(topics.KREDIETBANK_FACTUUR, fetched)]
        if reentry == "kredietbank.pagina":
            return await self._reenter_page(original)
        return await super().reenter(reentry, original)

    async def _reenter_page(self, original: bytes) -> list[Routed]:
        page = Reader.of("page", read_json(original, what="page",
                                           max_bytes=self.settings.max_response_bytes))
        if "mutaties" in page.data:
            page.integer("volgende")
            page.optional_boolean("meer")
            return await self._translate_mutaties(page.items("mutaties"))
        routed = []
        for item in page.items("facturen"):
            volgnummer = item.data.get("volgnummer")
            record = await self._one_factuur(
                item, volgnummer if isinstance(volgnummer, int) else None)
            if record is not None:
                routed.append(Routed(topics.KREDIETBANK_FACTUUR, record))
        return routed

    # -- push ----------------------------------------------------------------------------------
    async def _deliver(self, batch: Batch, stop: asyncio.Event) -> bool:
        """Deliver or relay each message, committing after each; False when stopped."""
        for item in batch.pending():
            if not await self._handle(item, stop):
                return False
            await batch.commit(item)
        return True

    async def _handle(self, item: Item, stop: asyncio.Event) -> bool:
        record = item.record
        try:
            if item.topic == topics.ISAM_ONTZORGEN_BESLUIT:
                routed = relay(record, produced_at=datetime.now(UTC))
                if routed is not None:
                    await self.writer.send(routed.topic, routed.record)
                    log.info("kredietbank_relayed topic=%s case=%s", routed.topic,
                             record["case_ref"])
                return True
            if item.topic == topics.ONTZORGEN_AANMELDING:
                path = "/aanmeldingen"
                body = aanmelding_body(record, self.runtime.cipher.decrypt(record["bsn"]))
            else:
                path, body = "/afmeldingen", afmelding_body(record)
        except PermanentError as exc:
            await self.dead.put_consumed(item.topic, item.message, exc, record=record)
            return True
        return await self._post(item, path, body, stop)

    async def _post(self, item: Item, path: str, body: dict[str, Any],
                    stop: asyncio.Event) -> bool:
        assert self.api is not None
        api, part = self.api, self.health.part("push")
        result = await self.retry.call(
            lambda: api.request("POST", api.url(path), body=body), stop=stop,
            on_failure=lambda exc, _n: part.failed(exc) if isinstance(exc, TransientError)
            else None)
        if result.stopped:
            return False
        if result.error is not None:
            await self.dead.put_consumed(item.topic, item.message, result.error,
                                         attempts=result.attempts, record=item.record)
            return True
        part.succeeded(1)
        log.info("kredietbank_sent path=%s case=%s", path, item.record["case_ref"])
        return True

    @classmethod
    def demo_partner(cls, runtime: Runtime) -> contextlib.AbstractAsyncContextManager[
            dict[str, Any]]:
        """The Kredietbank simulator (``hub connectors run --demo``)."""
        from connectors.kredietbank.demo import demo_partner

        return demo_partner(runtime)


@dataclass(frozen=True)
class Refused:
    """A listing entry's invoice refused: the error, and what to keep (the UBL or the entry)."""

    error: PermanentError
    original: bytes
    ident: str | None


def _page_topic(kind: str) -> str:
    """The topic whose dead-letter topic keeps a refused page of ``kind``."""
    return topics.ONTZORGEN_BETALING if kind == "mutaties" else topics.KREDIETBANK_FACTUUR


def _json_bytes(item: Any) -> bytes:
    return json.dumps(item, default=str).encode()
