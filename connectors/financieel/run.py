"""The financial-system connector (FORMAT.md).

Out: Boeking records are consumed in batches; each batch becomes one bookings export
(``boekingen_<stamp>.csv``) and, for the bookings that can be paid, one SEPA pain.001.001.03
payment batch (``pain001_<stamp>.xml``, XSD-checked) in ``outbox/``. Every paid booking is
remembered in a ledger by EndToEndId, so a repeated batch is never paid twice.
In: camt.053.001.02 statements dropped in ``inbox/`` (taken once stable, ``kit.inbox``) become
Betaling records for the movements
whose EndToEndId is in the ledger; other movements are listed in ``<file>.unmatched.csv`` beside
the archived statement. A refused statement goes to ``quarantine/`` with its reason.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import logging
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import topics
from connectors.base import Connector, together
from connectors.financieel import translate as t
from connectors.financieel.camt import Movement, parse_statement
from connectors.financieel.config import FinSettings, fin_settings
from connectors.financieel.sepa import pain001
from connectors.kit.consumer import Batch, OutboundConsumer
from connectors.kit.folder import DropFolder, Dropped, write_atomic
from connectors.kit.inbox import Inbox, Taken
from connectors.kit.ledger import Ledger
from hub.publish import TopicWriter
from hub.runtime import Runtime
from hub.spreadsheet import csv_writer

log = logging.getLogger(__name__)
GROUP = "connector-financieel"
UNMATCHED_HEADER = ("statement", "end_to_end_id", "bedrag_cent", "richting", "reden")


class FinancieelConnector(Connector):
    """The gemeente's financial system over a drop folder."""

    name = "financieel"
    group = GROUP

    def __init__(self, runtime: Runtime, writer: TopicWriter, *,
                 settings: FinSettings | None = None, **kit: Any) -> None:
        super().__init__(runtime, writer, **kit)
        self.settings = s = settings or fin_settings()
        self.interval_s = s.poll_interval_s
        self.folder = DropFolder(s.root_dir(runtime.settings)).create()
        self.paid = Ledger(self.folder.root / ".ledger" / "betaalopdrachten.jsonl")
        self.exported = Ledger(self.folder.root / ".ledger" / "boekingen.jsonl")
        self.covered = Ledger(self.folder.root / ".ledger" / "gedekt.jsonl")  # kenmerk -> cents
        self.debtor = s.debtor()
        self.inbox = Inbox(self.health.part("inbox"), max_bytes=s.max_file_bytes,
                           attempts=self.retry.attempts, unstable_polls=s.unstable_polls)

    async def run(self, stop: asyncio.Event) -> None:
        """Poll for statements and export bookings until ``stop`` is set."""
        out = OutboundConsumer(self.runtime, GROUP, (topics.BOEKING,),
                               self.health.part("boekingen"), self.dead, self.retry)
        await together(super().run(stop), out.run(stop, self._bookings))

    async def _bookings(self, batch: Batch, stop: asyncio.Event) -> bool:
        await self.export_bookings([(i.topic, i.record) for i in batch.pending()])
        return True

    # -- out -------------------------------------------------------------------------------
    async def export_bookings(self, batch: Sequence[tuple[str, dict[str, Any]]]) -> None:
        """One bookings export and at most one pain.001 for the batch's new bookings."""
        fresh = [r for _, r in batch if r["message_id"] not in self.exported]
        if not fresh:
            return
        replaced = {str(r["vervangt"]) for r in fresh if r.get("vervangt")}
        covered = {k: int(e["cent"]) for k in replaced if (e := self.covered.get(k))}
        planned = [p for p in t.plan(fresh, covered)
                   if p.transfer is None or p.transfer.end_to_end_id not in self.paid]
        now = datetime.now(UTC)
        stamp = now.strftime("%Y%m%d%H%M%S%f")
        batch_id = f"HUB-{stamp}-{uuid.uuid4().hex[:6].upper()}"[:35]
        transfers = [p.transfer for p in planned if p.transfer is not None]
        if transfers:
            execution = (now + timedelta(days=self.settings.execution_days)).date()
            xml = pain001(batch_id, now, execution, self.debtor, transfers)
            await asyncio.to_thread(self.folder.write_outbox, f"pain001_{stamp}.xml", xml)
            self.paid.add([t.ledger_entry(p, batch_id) for p in planned if p.transfer])
        await asyncio.to_thread(self.folder.write_outbox, f"boekingen_{stamp}.csv",
                                t.export_csv(planned, batch_id))
        self.exported.add([{"id": r["message_id"], "batch": batch_id} for r in fresh])
        self.covered.add([{"id": p.booking["boekingskenmerk"], "cent": p.covered}
                          for p in planned if p.covered])
        log.info("bookings_exported count=%d transfers=%d batch=%s", len(planned),
                 len(transfers), batch_id)

    # -- in --------------------------------------------------------------------------------
    async def run_once(self) -> int:
        """Turn every stable statement into Betaling records."""
        return await self.inbox.take([self.folder], self._payments)

    async def _payments(self, dropped: Dropped, data: bytes) -> Taken:
        """Produce one statement's payments; its unmatched movements go beside the archive."""
        received_at = datetime.now(UTC)
        movements = await asyncio.to_thread(parse_statement, data, name=dropped.path.name,
                                            max_bytes=self.settings.max_file_bytes)
        records, unmatched = [], []
        for m in movements:
            booking = self.paid.get(m.end_to_end_id or "") if t.is_payment(m) else None
            if booking is None:
                unmatched.append(m)
            else:
                records.append(t.betaling(m, booking, received_at=received_at))
        if records:
            await self.writer.send_many(topics.BETALING, records)
        log.info("statement_read file=%s payments=%d unmatched=%d", dropped.path.name,
                 len(records), len(unmatched))
        if not unmatched:
            return Taken(len(records))
        return Taken(len(records), lambda archived: write_atomic(
            archived.with_name(archived.name + ".unmatched.csv"), _unmatched_csv(unmatched)))

    @classmethod
    def demo_partner(cls, runtime: Runtime) -> contextlib.AbstractAsyncContextManager[
            dict[str, Any]]:
        """A simulated financial system paying the pain.001 batches (``--demo``)."""
        from connectors.financieel.demo import demo_partner

        return demo_partner(runtime)


def _unmatched_csv(movements: Sequence[Movement]) -> bytes:
    out = io.StringIO()
    writer = csv_writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow(UNMATCHED_HEADER)
    for m in movements:
        if not t.is_payment(m):
            reason = "geen geboekte debetpost met EndToEndId"
        else:
            reason = "EndToEndId niet in een betaalopdracht van de hub"
        writer.writerow((m.statement_id, m.end_to_end_id or "", m.amount_cent,
                         "DBIT" if m.debit else "CRDT", reason))
    return out.getvalue().encode("utf-8")
