"""The financial-system connector in-process: bookings -> files, a repeat is never paid twice,
statements -> Betaling records, with a writer fake that encodes every record with its schema."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import topics
from connectors.financieel.config import FinSettings
from connectors.financieel.demo import bookings
from connectors.financieel.run import FinancieelConnector
from connectors.financieel.simulator import FinancialSystemSimulator
from connectors.kit.folder import DropFolder
from connectors.taalaanbieder.config import TaalSettings
from connectors.taalaanbieder.demo import make_schools, play
from connectors.taalaanbieder.run import TaalaanbiederConnector
from hub.publish import TopicWriter
from hub.runtime import Runtime
from hub.settings import from_env


class RecordingWriter(TopicWriter):
    """A TopicWriter that encodes (so schema errors surface) and keeps records, no broker."""

    def __init__(self, runtime: Runtime) -> None:
        self._codec, self._suffix = runtime.codec, ""  # no producer: nothing leaves the process
        self.sent: dict[str, list[Mapping[str, Any]]] = {}

    async def send_many(self, topic: str, records: Sequence[Mapping[str, Any]]) -> None:
        for record in records:
            self.encode(topic, record)
        self.sent.setdefault(topic, []).extend(records)


def _runtime(tmp_path: Path) -> Runtime:
    return Runtime(from_env({"HUB_HOME": str(tmp_path)}))


def test_bookings_are_exported_and_paid_once_then_statement_matched(tmp_path: Path) -> None:
    runtime = _runtime(tmp_path)
    writer = RecordingWriter(runtime)
    root = tmp_path / "fin"
    connector = FinancieelConnector(runtime, writer, settings=FinSettings(root=str(root)))
    batch = [(topics.BOEKING, b) for b in bookings()]
    asyncio.run(connector.export_bookings(batch))
    asyncio.run(connector.export_bookings(batch))  # redelivered after a crash: nothing new
    outbox = DropFolder(root).outbox
    assert len(list(outbox.glob("pain001_*.xml"))) == 1
    assert len(list(outbox.glob("boekingen_*.csv"))) == 1
    again = FinancieelConnector(runtime, writer, settings=FinSettings(root=str(root)))
    asyncio.run(again.export_bookings(batch))  # a restarted connector remembers too
    assert len(list(outbox.glob("pain001_*.xml"))) == 1

    bank = FinancialSystemSimulator(DropFolder(root))
    assert bank.step() == 1 and len(bank.bookings) == 8
    assert asyncio.run(again.run_once()) == 0  # first seen: taken once unchanged a poll later
    assert asyncio.run(again.run_once()) == 6
    assert {r["boekingskenmerk"] for r in writer.sent[topics.BETALING]} == {
        b["boekingskenmerk"] for b in bookings() if b["bedrag_cent"] > 0
        and b["iban_begunstigde"]}
    assert list(DropFolder(root).inbox.iterdir()) == []


def test_school_files_are_archived_or_quarantined_with_reasons(tmp_path: Path) -> None:
    runtime = _runtime(tmp_path)
    writer = RecordingWriter(runtime)
    root = tmp_path / "taal"
    schools = make_schools(root, runtime, people=2, seed=3)
    play(schools)
    connector = TaalaanbiederConnector(runtime, writer, settings=TaalSettings(root=str(root)))
    assert asyncio.run(connector.run_once()) == 0  # first seen: taken once unchanged
    produced = asyncio.run(connector.run_once())
    assert produced == sum(len(v) for v in writer.sent.values())
    assert len(writer.sent[topics.VOORTGANG]) == 2 * (4 * 2 + 2)
    assert len(writer.sent[topics.TAALAANBIEDER_FACTUUR]) == 6
    quarantine = schools[1].folder.quarantine
    reasons = {p.name: p.read_text() for p in quarantine.glob("*.reason.txt")}
    assert sorted(reasons) == ["F-882-inv-6.xml.reason.txt", "kapot-7.xml.reason.txt",
                               "presentie_kapot8.csv.reason.txt"]
    assert "BR-CO-16" in reasons["F-882-inv-6.xml.reason.txt"]
    assert asyncio.run(connector.run_once()) == 0  # inboxes are empty now
