"""The taalaanbieder connector: school drop folders in, aanmeldingen out (FORMAT.md).

In: every poll, each school's ``inbox/`` is read file by file once a file is stable (unchanged
across two polls, ``kit.inbox``); a file's records are produced (one batch per topic,
acknowledged by the broker) and only then is the file archived. A refused file goes to
``quarantine/`` with a reason file. Message ids derive from file content, so a crash between
producing and archiving only repeats messages the hub's inbox drops.
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
from connectors.base import Connector, together
from connectors.edge import RuntimeSealer
from connectors.kit.consumer import Batch, OutboundConsumer
from connectors.kit.folder import DropFolder, Dropped, partners
from connectors.kit.inbox import Inbox, Taken
from connectors.kit.ledger import Ledger
from connectors.taalaanbieder.aanmelding import aanmelding_csv
from connectors.taalaanbieder.config import TaalSettings, taal_settings
from connectors.taalaanbieder.translate import translate_file
from hub.errors import InvalidField
from hub.publish import TopicWriter
from hub.runtime import Runtime

log = logging.getLogger(__name__)
GROUP = "connector-taalaanbieder"
SCHOOL_ID = re.compile(r"^[0-9A-Za-z_-]{1,40}$")


class TaalaanbiederConnector(Connector):
    """Language schools over watched drop folders."""

    name = "taalaanbieder"
    group = GROUP

    def __init__(self, runtime: Runtime, writer: TopicWriter, *,
                 settings: TaalSettings | None = None, **kit: Any) -> None:
        super().__init__(runtime, writer, **kit)
        self.settings = s = settings or taal_settings()
        self.root = s.root_dir(runtime.settings)
        self.interval_s = s.poll_interval_s
        self.sealer = RuntimeSealer(runtime)
        self.sent = Ledger(self.root / ".ledger" / "aanmeldingen.jsonl")
        self.inbox = Inbox(self.health.part("inbox"), max_bytes=s.max_file_bytes,
                           attempts=self.retry.attempts, unstable_polls=s.unstable_polls)

    async def run(self, stop: asyncio.Event) -> None:
        """Poll the inboxes and write aanmeldingen until ``stop`` is set."""
        out = OutboundConsumer(self.runtime, GROUP, (topics.AANMELDING_LEERROUTE,),
                               self.health.part("aanmeldingen"), self.dead, self.retry)
        await together(super().run(stop), out.run(stop, self._aanmeldingen))

    async def run_once(self) -> int:
        """Process every stable file of every school; returns the records produced."""
        return await self.inbox.take(partners(self.root), self._produce)

    async def _produce(self, dropped: Dropped, data: bytes) -> Taken:
        routed = await asyncio.to_thread(
            translate_file, dropped.path.name, data, school=dropped.folder.name,
            sealer=self.sealer, received_at=datetime.now(UTC))
        by_topic: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for item in routed:
            by_topic[item.topic].append(item.record)
        for topic, records in by_topic.items():
            await self.writer.send_many(topic, records)  # returns once the broker acked
        return Taken(len(routed))

    async def _aanmeldingen(self, batch: Batch, stop: asyncio.Event) -> bool:
        await self.write_aanmeldingen([(i.topic, i.record) for i in batch.pending()])
        return True

    async def write_aanmeldingen(self, batch: Sequence[tuple[str, dict[str, Any]]]) -> None:
        """One CSV per school for the batch's new aanmeldingen; repeats are skipped."""
        per_school: dict[str, list[dict[str, Any]]] = defaultdict(list)
        for topic, record in batch:
            if record["message_id"] in self.sent:
                continue
            if not SCHOOL_ID.match(record["taalaanbieder"]):
                await self.dead.put(
                    topic, self.writer.encode(topic, record)[1],
                    InvalidField("taalaanbieder", "not a school id usable as folder name"),
                    str(record["message_id"]), original_message_id=record["message_id"],
                    case_ref=record["case_ref"])
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
