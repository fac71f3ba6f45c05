"""The taalaanbieder connector: school drop folders in, aanmeldingen out (FORMAT.md).

In: every poll, each school's ``inbox/`` is read file by file; a file's records are produced
(one batch per topic, acknowledged by the broker) and only then is the file archived. A refused
file goes to ``quarantine/`` with a reason file. Message ids derive from file content, so a crash
between producing and archiving only repeats messages the hub's inbox drops.
Out: AanmeldingLeerroute records are written per school as CSV files in its ``outbox/``.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import re
from collections import defaultdict
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

import topics
from connectors.base import Connector
from connectors.edge import Routed, RuntimeSealer
from connectors.taalaanbieder.aanmelding import aanmelding_csv
from connectors.taalaanbieder.config import TaalSettings, taal_settings
from connectors.taalaanbieder.folders import DropFolder, FileRefused, partners
from connectors.taalaanbieder.outbound import Ledger, OutboundReader, refused_record
from connectors.taalaanbieder.translate import translate_file
from hub.publish import TopicWriter
from hub.runtime import Runtime

log = logging.getLogger(__name__)
GROUP = "connector-taalaanbieder"
SCHOOL_ID = re.compile(r"^[0-9A-Za-z_-]{1,40}$")


class TaalaanbiederConnector(Connector):
    """Language schools over watched drop folders."""

    name = "taalaanbieder"

    def __init__(self, runtime: Runtime, writer: TopicWriter, *,
                 settings: TaalSettings | None = None) -> None:
        super().__init__(runtime, writer)
        self.settings = settings or taal_settings()
        self.root = self.settings.root_dir(runtime.settings)
        self.interval_s = self.settings.poll_interval_s  # type: ignore[misc]
        self.sealer = RuntimeSealer(runtime)
        self.sent = Ledger(self.root / ".ledger" / "aanmeldingen.jsonl")

    async def run(self, stop: asyncio.Event) -> None:
        """Poll the inboxes and write aanmeldingen until ``stop`` is set."""
        reader = OutboundReader(self.runtime, self.writer, self.health, GROUP,
                                (topics.AANMELDING_LEERROUTE,), self.write_aanmeldingen)
        sender = asyncio.create_task(reader.run(stop), name="taal-aanmeldingen")
        try:
            await super().run(stop)
        finally:
            stop.set()
            await asyncio.wait([sender], timeout=3.0)
            sender.cancel()
            await asyncio.gather(sender, return_exceptions=True)

    async def run_once(self) -> int:
        """Process every waiting file of every school; returns the records produced."""
        total = 0
        for folder in partners(self.root):
            for path in folder.waiting():
                total += await self.process(folder, path)
        return total

    async def process(self, folder: DropFolder, path: Any) -> int:
        """Produce one file's records then archive it, or quarantine it with the reason."""
        received_at = datetime.now(UTC)
        try:
            routed = await asyncio.to_thread(self._translate, folder, path, received_at)
        except FileRefused as exc:
            await asyncio.to_thread(folder.quarantine_file, path, str(exc))
            self.health.failed(exc)
            log.warning("file_quarantined school=%s file=%s rule=%s", folder.name, path.name,
                        exc.rule)
            return 0
        by_topic: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for item in routed:
            by_topic[item.topic].append(item.record)
        for topic, records in by_topic.items():
            await self.writer.send_many(topic, records)  # returns once the broker acked
        await asyncio.to_thread(folder.archive_file, path)
        log.info("file_processed school=%s file=%s records=%d", folder.name, path.name,
                 len(routed))
        return len(routed)

    def _translate(self, folder: DropFolder, path: Any, received_at: datetime) -> list[Routed]:
        size = path.stat().st_size
        if size > self.settings.max_file_bytes:
            raise FileRefused(path.name, "FILE-SIZE", f"{size} bytes is over the "
                              f"{self.settings.max_file_bytes} limit")
        return translate_file(path.name, path.read_bytes(), school=folder.name,
                              sealer=self.sealer, received_at=received_at)

    async def write_aanmeldingen(self, batch: Sequence[tuple[str, dict[str, Any]]]) -> None:
        """One CSV per school for the batch's new aanmeldingen; repeats are skipped."""
        per_school: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for topic, record in batch:
            if record["message_id"] in self.sent:
                continue
            if not SCHOOL_ID.match(record["taalaanbieder"]):
                await self.writer.send(topics.dead_letter_of(topic), refused_record(
                    GROUP, topic, self.writer.encode(topic, record)[1], record,
                    "taalaanbieder: not a school id usable as folder name"))
                continue
            per_school[record["taalaanbieder"]].append(record)
        stamp = datetime.now(UTC).strftime("%Y%m%d%H%M%S%f")
        for school, records in per_school.items():
            data = aanmelding_csv(records, self.runtime.cipher.decrypt)
            target = await asyncio.to_thread(DropFolder(self.root / school).create().write_outbox,
                                             f"aanmelding_{stamp}.csv", data)
            self.sent.add([{"id": r["message_id"], "school": school, "file": target.name}
                           for r in records])
            log.info("aanmeldingen_written school=%s file=%s count=%d", school, target.name,
                     len(records))

    @classmethod
    def demo_partner(cls, runtime: Runtime) -> contextlib.AbstractAsyncContextManager[
            dict[str, Any]]:
        """Simulated schools dropping files, with anomalies (``hub connectors run --demo``)."""
        from connectors.taalaanbieder.demo import demo_partner

        return demo_partner(runtime)
