"""The ISAM side of ``hub connectors run --demo``: a seeded simulator that notifies the hub.

The scenario covers every resource: koppeling, brede intake, PIP vastgesteld then gewijzigd,
voortgangsgesprek, PVT, MAP, ontzorgen granted (and for one household ended when bijstand
stopped), a BRP verhuizing, a PIB trajectplan proposed then approved, and a PIB voucher. The
notifications go out of order and some twice; one resource stays unreadable (dead-lettered after
the retries). The hub's signals come back to the simulator's callback endpoint.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import random
import secrets
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

import aiohttp

from connectors.isam.config import IsamSettings
from connectors.isam.signals import KANAAL
from connectors.isam.simulator import CALLBACK_PATH, IsamSimulator, serve
from hub.broker import free_port
from hub.demo import synthetic_bsn
from hub.runtime import Runtime

log = logging.getLogger(__name__)
GEMEENTEN = ("0363", "0344", "0599", "0392", "0518")


def _creditors(rng: random.Random) -> list[dict[str, Any]]:
    return [
        {"soort": "HUUR", "naam": "Woonstichting De Linie", "iban": "NL91ABNA0417164300",
         "bedragCent": rng.randrange(55_000, 85_000), "betalingskenmerk": "HUUR-2024"},
        {"soort": "ENERGIE", "naam": "Vattenfall", "iban": "NL20INGB0001234567",
         "bedragCent": rng.randrange(9_000, 16_000)},
        {"soort": "WATER", "naam": "Waternet", "iban": "NL39RABO0300065264",
         "bedragCent": 2_350},
        {"soort": "ZORGVERZEKERING", "naam": "Zilveren Kruis", "iban": "NL02ABNA0123456789",
         "bedragCent": 13_900},
    ]


def seed(sim: IsamSimulator, people: int = 8, seed_value: int = 2025) -> list[str]:
    """Queue a realistic scenario; returns the people's BSNs (synthetic)."""
    rng = random.Random(seed_value)
    bsns = []
    for n in range(people):
        bsn = synthetic_bsn(rng)
        bsns.append(bsn)
        gemeente = rng.choice(GEMEENTEN)
        koppel = date(2024, 1, 8) + timedelta(days=rng.randrange(200))
        sim.put("koppeling", bsn, gemeentecode=gemeente, koppeldatum=koppel,
                azc=rng.choice(("AZC Ter Apel", "AZC Budel", None)))
        sim.put("intake", bsn, gemeentecode=gemeente,
                gespreksdatum=koppel + timedelta(days=rng.randrange(20, 110)))
        first = koppel + timedelta(days=rng.randrange(60, 120))
        pip: dict[str, Any] = dict(
                   gemeentecode=gemeente, soort="VASTGESTELD", pipKenmerk=f"PIP-{n:04d}-1",
                   dagtekeningEerstePip=first, dagtekening=first, leerroute="B1", niveau="B1",
                   taalaanbieder="12345678", contractId="INK-2024-07", ontzorgen=n % 2 == 0)
        pip_id = sim.put("pip", bsn, **pip)
        if n % 3 == 0:  # a later change: the termijn keeps the first dagtekening (R2)
            sim.put("pip", bsn, resource_uuid=pip_id, soort="GEWIJZIGD",
                    pipKenmerk=f"PIP-{n:04d}-2", dagtekening=first + timedelta(days=150),
                    niveau="A2")
        sim.put("gesprek", bsn, gemeentecode=gemeente, soort="VOORTGANGSGESPREK",
                gespreksdatum=first + timedelta(days=180))
        for resource in ("pvt", "map"):
            if rng.random() < 0.6:
                voldaan = rng.random() < 0.8
                sim.put(resource, bsn, gemeentecode=gemeente,
                        afrondingsdatum=first + timedelta(days=rng.randrange(200, 500)),
                        resultaat="VOLDAAN" if voldaan else "NIET_VOLDAAN",
                        redenNietVoldaan=None if voldaan else "niet verschenen",
                        verwijtbaar=None if voldaan else False)
        if n % 2 == 0:
            _ontzorgen(sim, bsn, gemeente, n, koppel, rng, ends_early=n == 2)
    _moves_and_pib(sim, bsns, rng)
    return bsns


def _ontzorgen(sim: IsamSimulator, bsn: str, gemeente: str, n: int, koppel: date,
               rng: random.Random, *, ends_early: bool) -> None:
    start = koppel + timedelta(days=30)
    besluit = sim.put("ontzorgenbesluit", bsn, gemeentecode=gemeente, besluit="TOEGEKEND",
                      besluitdatum=start - timedelta(days=5), huishoudenId=f"HH-{n:05d}",
                      huishoudenAantalPersonen=rng.randint(1, 5), bijstandStartdatum=start,
                      ontzorgenStartdatum=start, ontzorgenEinddatum=start + timedelta(days=182),
                      vrijwillig=False, machtigingKenmerk=f"MACHT-{n:05d}",
                      machtigingDatum=start - timedelta(days=7), crediteuren=_creditors(rng))
    if ends_early:  # bijstand stops after three months: ontzorgen ends early (R11)
        stop = start + timedelta(days=91)
        sim.put("ontzorgenbesluit", bsn, resource_uuid=besluit, besluit="BEEINDIGD",
                besluitdatum=stop, bijstandEinddatum=stop, ontzorgenEinddatum=stop,
                eindeReden="BIJSTAND_BEEINDIGD", crediteuren=[])


def _moves_and_pib(sim: IsamSimulator, bsns: list[str], rng: random.Random) -> None:
    sim.put("verhuizing", bsns[1], gemeentecode="0344", verhuisdatum=date(2025, 3, 1),
            gemeentecodeOud="0363", gemeentecodeNieuw="0344")
    plan = sim.put("pibtrajectplan", bsns[3], gemeentecode="0392", pibTrajectId="PIB-2009-017",
                   status="INGEDIEND", indieningsdatum=date(2009, 3, 2),
                   aanbieder="41216593", geplandeStartdatum=date(2009, 5, 1),
                   begrotingCent=500_000)
    sim.put("pibtrajectplan", bsns[3], resource_uuid=plan, status="GOEDGEKEURD",
            beoordelingsdatum=date(2009, 4, 6), scholingsbudgetCent=500_000,
            meerkostenCent=80_000)
    sim.put("pibvoucher", bsns[3], gemeentecode="0392", pibTrajectId="PIB-2009-017",
            voucherId="V-0001", ontvanger="INBURGERAAR", vorm="VOUCHER", waardeCent=25_000,
            status="UITGEREIKT", statusdatum=date(2009, 9, 1), trajectstartdatum=date(2009, 5, 4))
    broken = sim.put("gesprek", bsns[4], gemeentecode="0599", soort="DRIEGESPREK",
                     gespreksdatum=date(2025, 2, 3))
    sim.unavailable.add(broken)  # never readable: retried, then dead-lettered


async def wait_for_webhook(url: str, timeout_s: float = 60.0) -> bool:
    """Poll the hub's /healthz until it answers."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + timeout_s
    async with aiohttp.ClientSession() as session:
        while loop.time() < deadline:
            with contextlib.suppress(aiohttp.ClientError, OSError):
                async with session.get(url + "/healthz") as resp:
                    if resp.status == 200:
                        return True
            await asyncio.sleep(0.3)
    return False


async def play(sim: IsamSimulator, settings: IsamSettings) -> None:
    """Send the scenario: the first half in order, the rest reversed, the first three again."""
    base = settings.effective_public_url()
    if not await wait_for_webhook(base):
        log.error("isam_demo_webhook_unreachable url=%s", base)
        return
    webhook = base + "/api/v1/notificaties"
    half = len(sim.notifications) // 2
    first, rest = sim.notifications[:half], sim.notifications[half:]
    sim.notifications.clear()
    await sim.send(webhook, settings.webhook_token, first + list(reversed(rest)) + first[:3])


@contextlib.asynccontextmanager
async def demo_partner(runtime: Runtime) -> AsyncIterator[dict[str, Any]]:
    """Start the simulator, subscribe it to every signal, play the scenario; yield kwargs."""
    sim = IsamSimulator(api_token=secrets.token_hex(16), callback_token=secrets.token_hex(16))
    async with serve(sim) as url:
        port, var = free_port(), runtime.settings.var_dir
        subscriptions = runtime.settings.var_dir / "isam" / "demo-abonnementen.json"
        subscriptions.parent.mkdir(parents=True, exist_ok=True)
        subscriptions.write_text(json.dumps([{
            "callbackUrl": url + CALLBACK_PATH, "auth": f"Bearer {sim.callback_token}",
            "kanalen": [{"naam": KANAAL, "filters": {}}]}], indent=2))
        settings = IsamSettings(api_url=url + "/api/v1", api_token=sim.api_token,
                                webhook_port=port, webhook_token=secrets.token_hex(16),
                                subscriptions_file=str(subscriptions), retry_attempts=4,
                                retry_backoff_s=0.5,
                                database_url=f"sqlite:///{var}/isam-demo-{port}.db")
        seed(sim)
        player = asyncio.create_task(play(sim, settings), name="isam-demo-player")
        try:
            yield {"settings": settings}
        finally:
            player.cancel()
            await asyncio.gather(player, return_exceptions=True)
