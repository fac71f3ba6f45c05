"""The school side of ``hub connectors run --demo``: two simulated schools with anomalies."""

from __future__ import annotations

import asyncio
import contextlib
import random
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

import topics
from connectors.kit.folder import DropFolder
from connectors.taalaanbieder.config import TaalSettings, taal_settings
from connectors.taalaanbieder.simulator import Learner, SchoolSimulator
from hub.demo import synthetic_bsn
from hub.privacy import case_ref
from hub.publish import TopicWriter
from hub.runtime import Runtime

SCHOOLS = (("B10001", "Taalcentrum Utrecht"), ("B20002", "Inburgeren Haarlem BV"))
ROUTES = ("B1", "B1", "Z", "ONDERWIJS")


def make_schools(root: Path, runtime: Runtime, *, people: int = 6, seed: int = 2024
                 ) -> list[SchoolSimulator]:
    """Schools with learners (synthetic BSNs, their case references and aanmelding ids)."""
    rng = random.Random(seed)
    schools = []
    for n, (bow, name) in enumerate(SCHOOLS):
        sim = SchoolSimulator(DropFolder(root / bow).create(), name=name, kvk=f"{30000001 + n}")
        for _ in range(people):
            bsn = synthetic_bsn(rng)
            sim.learners.append(Learner(
                bsn=bsn, case_ref=case_ref(bsn, runtime.settings.case_ref_key),
                leerroute=rng.choice(ROUTES), start=date(2024, 1, 8), uren_ingekocht=600,
                aanmelding_id=str(uuid.UUID(int=rng.getrandbits(128)))))
        schools.append(sim)
    return schools


def play(schools: list[SchoolSimulator]) -> None:
    """Four weeks of presentie, the DUO file, and invoices with every anomaly of the issue."""
    first, second = schools
    for week in range(4):
        for sim in schools:
            sim.presentie(date(2024, 1, 8) + timedelta(weeks=week))
    for sim in schools:
        sim.duo_csv(date(2024, 2, 1))
    start, end = date(2024, 1, 8), date(2024, 2, 4)
    first.invoice("2024-0001", start, end)                                # clean
    first.invoice("2024-0002", start, end, price=Decimal("47.50"))        # wrong price
    first.invoice("2024-0001", start, end, learners=first.learners[:2])   # duplicate number
    first.invoice("2024-0003", start, end, hours=Decimal(80))             # hours not delivered
    first.invoice("2024-0004", start, end, credit_note_for="2024-0002",   # credit note
                  learners=first.learners[:1], hours=Decimal(10))
    second.invoice("F-881", start, end)                                   # clean
    second.invoice("F-882", start, end, payable_override=Decimal("1.00"))  # BR-CO-16: quarantine
    second.malformed("xml")                                               # quarantine
    second.malformed("csv")                                               # quarantine


async def publish_aanmeldingen(runtime: Runtime, schools: list[SchoolSimulator]) -> None:
    """The hub's message 10 for every learner (normally produced by the hub's case handling)."""
    now = datetime.now(UTC)
    records = [{"message_id": x.aanmelding_id, "case_ref": x.case_ref, "source": "hub",
                "produced_at": now, "gemeentecode": "0344", "taalaanbieder": sim.bow,
                "leerroute": x.leerroute, "niveau": "B1", "startdatum": x.start,
                "ingekochte_uren": x.uren_ingekocht, "contract_id": "C-2024-01",
                "perceel": "Perceel 1", "bsn": runtime.cipher.encrypt(x.bsn).as_record()}
               for sim in schools for x in sim.learners]
    settings = runtime.settings
    async with TopicWriter(settings.kafka_bootstrap, runtime.codec,
                           suffix=settings.topic_suffix) as writer:
        await writer.send_many(topics.AANMELDING_LEERROUTE, records)


async def _answer(schools: list[SchoolSimulator], stop: asyncio.Event) -> None:
    while not stop.is_set():
        for sim in schools:
            await asyncio.to_thread(sim.answer_aanmeldingen, refuse_every=5)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 2.0)


@contextlib.asynccontextmanager
async def demo_partner(runtime: Runtime) -> AsyncIterator[dict[str, Any]]:
    """Seed the schools' inboxes, publish aanmeldingen, answer them while the demo runs."""
    settings = taal_settings()
    root = settings.root_dir(runtime.settings) / "demo"
    schools = make_schools(root, runtime)
    play(schools)
    await publish_aanmeldingen(runtime, schools)
    stop = asyncio.Event()
    answering = asyncio.create_task(_answer(schools, stop), name="demo-schools")
    try:
        yield {"settings": TaalSettings(root=str(root), poll_interval_s=1.0,
                                        max_file_bytes=settings.max_file_bytes)}
    finally:
        stop.set()
        await asyncio.gather(answering, return_exceptions=True)
