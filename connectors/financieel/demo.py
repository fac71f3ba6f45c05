"""The financial side of ``hub connectors run --demo``: approved bookings and a paying bank."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import topics
from connectors.financieel.config import FinSettings, fin_settings
from connectors.financieel.simulator import FinancialSystemSimulator
from connectors.kit.folder import DropFolder
from connectors.ubl import invoice_key
from hub.publish import TopicWriter
from hub.runtime import Runtime

SUPPLIERS = (("B10001", "Taalcentrum Utrecht", "NL91ABNA0417164300"),
             ("B20002", "Inburgeren Haarlem BV", "NL20INGB0001234567"))


def bookings(count: int = 8) -> list[dict[str, Any]]:
    """Approved invoice bookings as the hub's reconciliation would publish them (msg 16)."""
    now, out = datetime.now(UTC), []
    for n in range(count):
        supplier, name, iban = SUPPLIERS[n % 2]
        number = f"2024-{n + 1:04d}"
        out.append({
            "message_id": f"demo:boeking:{n}", "case_ref": invoice_key(supplier, number),
            "source": "hub", "produced_at": now, "boekingskenmerk": f"BK2024{n + 1:06d}",
            "factuurnummer": number, "leverancier_id": supplier, "gemeentecode": "0344",
            "kostenplaats": "KP6110", "kostensoort": "KS4380", "begrotingsjaar": 2024,
            "boekingsdatum": date(2024, 2, 10), "verplichting_kenmerk": f"VP-{supplier}",
            "bedrag_cent": -41_000 if n == 5 else 492_000 + 4_100 * n,
            "omschrijving": f"Leerroute {number}",
            "iban_begunstigde": None if n == 6 else iban, "naam_begunstigde": name})
    return out


async def _bank(sim: FinancialSystemSimulator, stop: asyncio.Event) -> None:
    while not stop.is_set():
        await asyncio.to_thread(sim.step)
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), 2.0)


@contextlib.asynccontextmanager
async def demo_partner(runtime: Runtime) -> AsyncIterator[dict[str, Any]]:
    """Publish seeded bookings and run the financial system while the demo runs."""
    base = fin_settings()
    root = Path(base.root_dir(runtime.settings)) / "demo"
    sim = FinancialSystemSimulator(DropFolder(root).create())
    settings = runtime.settings
    async with TopicWriter(settings.kafka_bootstrap, runtime.codec,
                           suffix=settings.topic_suffix) as writer:
        await writer.send_many(topics.BOEKING, bookings())
    stop = asyncio.Event()
    bank = asyncio.create_task(_bank(sim, stop), name="demo-bank")
    try:
        yield {"settings": FinSettings(root=str(root), poll_interval_s=1.0)}
    finally:
        stop.set()
        await asyncio.gather(bank, return_exceptions=True)
