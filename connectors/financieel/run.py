"""The financial-system connector (FORMAT.md).

Out: Boeking records are consumed in batches; each batch becomes one bookings export
(``boekingen_<stamp>.csv``) and, for the bookings that can be paid, one SEPA pain.001.001.03
payment batch (``pain001_<stamp>.xml``, XSD-checked) in ``outbox/``. Every paid booking is
remembered in a ledger by EndToEndId, so a repeated batch is never paid twice.
In: camt.053.001.02 statements dropped in ``inbox/`` become Betaling records for the movements
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
from pathlib import Path
from typing import Any

import topics
from connectors.base import Connector
from connectors.financieel import translate as t
from connectors.financieel.camt import Movement, parse_statement
from connectors.financieel.config import FinSettings, fin_settings
from connectors.financieel.sepa import pain001
from connectors.taalaanbieder.folders import DropFolder, FileRefused, write_atomic
from connectors.taalaanbieder.outbound import Ledger, OutboundReader
from hub.publish import TopicWriter
from hub.runtime import Runtime
from hub.spreadsheet import csv_writer

log = logging.getLogger(__name__)
GROUP = "connector-financieel"
UNMATCHED_HEADER = ("statement", "end_to_end_id", "bedrag_cent", "richting", "reden")


class FinancieelConnector(Connector):
    """The gemeente's financial system over a drop folder."""

    name = "financieel"

    def __init__(self, runtime: Runtime, writer: TopicWriter, *,
                 settings: FinSettings | None = None) -> None:
        super().__init__(runtime, writer)
        self.settings = settings or fin_settings()
        self.interval_s = self.settings.poll_interval_s  # type: ignore[misc]
        self.folder = DropFolder(self.settings.root_dir(runtime.settings)).create()
        self.paid = Ledger(self.folder.root / ".ledger" / "betaalopdrachten.jsonl")
        self.exported = Ledger(self.folder.root / ".ledger" / "boekingen.jsonl")
        self.debtor = self.settings.debtor()

    async def run(self, stop: asyncio.Event) -> None:
        """Poll for statements and export bookings until ``stop`` is set."""
        reader = OutboundReader(self.runtime, self.writer, self.health, GROUP,
                                (topics.BOEKING,), self.export_bookings)
        exporter = asyncio.create_task(reader.run(stop), name="financieel-boekingen")
        try:
            await super().run(stop)
        finally:
            stop.set()
            await asyncio.wait([exporter], timeout=3.0)
            exporter.cancel()
            await asyncio.gather(exporter, return_exceptions=True)

    # -- out -------------------------------------------------------------------------------
    async def export_bookings(self, batch: Sequence[tuple[str, dict[str, Any]]]) -> None:
        """One bookings export and at most one pain.001 for the batch's new bookings."""
        fresh = [r for _, r in batch if r["message_id"] not in self.exported]
        if not fresh:
            return
        planned = [p for p in t.plan(fresh)
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
        log.info("bookings_exported count=%d transfers=%d batch=%s", len(planned),
                 len(transfers), batch_id)

    # -- in --------------------------------------------------------------------------------
    async def run_once(self) -> int:
        """Turn every waiting statement into Betaling records."""
        total = 0
        for path in self.folder.waiting():
            total += await self.process(path)
        return total

    async def process(self, path: Path) -> int:
        """Produce one statement's payments, then archive it (with the unmatched list)."""
        received_at = datetime.now(UTC)
        try:
            movements = await asyncio.to_thread(self._read, path)
        except FileRefused as exc:
            await asyncio.to_thread(self.folder.quarantine_file, path, str(exc))
            self.health.failed(exc)
            log.warning("statement_quarantined file=%s rule=%s", path.name, exc.rule)
            return 0
        records, unmatched = [], []
        for m in movements:
            booking = self.paid.get(m.end_to_end_id or "") if t.is_payment(m) else None
            if booking is None:
                unmatched.append(m)
            else:
                records.append(t.betaling(m, booking, received_at=received_at))
        if records:
            await self.writer.send_many(topics.BETALING, records)
        archived = await asyncio.to_thread(self.folder.archive_file, path)
        if unmatched:
            write_atomic(archived.with_name(archived.name + ".unmatched.csv"),
                         _unmatched_csv(unmatched))
        log.info("statement_processed file=%s payments=%d unmatched=%d", path.name, len(records),
                 len(unmatched))
        return len(records)

    def _read(self, path: Path) -> list[Movement]:
        size = path.stat().st_size
        if size > self.settings.max_file_bytes:
            raise FileRefused(path.name, "FILE-SIZE", f"{size} bytes is over the limit")
        return parse_statement(path.read_bytes(), name=path.name,
                               max_bytes=self.settings.max_file_bytes)

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
