"""The DUO side of ``hub connectors run --demo``: a seeded simulator over two-way TLS."""

from __future__ import annotations

import contextlib
import random
from collections.abc import AsyncIterator
from datetime import date, timedelta
from typing import Any

from connectors.duo.certs import DUO_TEST_OIN, DevPki, generate_pki
from connectors.duo.config import DuoSettings
from connectors.duo.server import ServerTls, serve
from connectors.duo.simulator import DuoSimulator
from hub.demo import synthetic_bsn
from hub.runtime import Runtime

# Amsterdam, Utrecht, Rotterdam, Haarlem, Den Haag
GEMEENTEN = ("0363", "0344", "0599", "0392", "0518")
ONDERDELEN = ("LEZEN", "LUISTEREN", "SCHRIJVEN", "SPREKEN", "KNM")


def seed(sim: DuoSimulator, people: int = 25, seed_value: int = 2024) -> list[str]:
    """Realistic changes for ``people`` persons, a repeat and a late correction (R21)."""
    rng = random.Random(seed_value)
    plicht_ids = []
    for _ in range(people):
        bsn = synthetic_bsn(rng)
        start = date(2022, 1, 1) + timedelta(days=rng.randrange(900))
        plicht_ids.append(sim.add_change(
            "InburgeringsplichtVastgesteld", Bsn=bsn, VNummer=f"{rng.randrange(10**10):010d}",
            PlichtStartdatum=start, Doelgroep=rng.choice(("asielstatushouder", "gezinsmigrant")),
            Regime="Wi2021"))
        sim.add_change("KoppelingGemeente", Bsn=bsn, Gemeentecode=rng.choice(GEMEENTEN),
                       Koppeldatum=start + timedelta(days=rng.randrange(5, 60)),
                       Azc=rng.choice((None, "AZC Ter Apel", "AZC Budel")))
        sim.add_change("LbtResultaat", Bsn=bsn, Examennummer=f"LBT{rng.randrange(10**7):07d}",
                       Afnamedatum=start + timedelta(days=70), B1Haalbaar=rng.random() < 0.7)
        for n, onderdeel in enumerate(rng.sample(ONDERDELEN, rng.randint(0, 3))):
            sim.add_change("Examenresultaat", Bsn=bsn, ExamenId=f"EX{rng.randrange(10**8):08d}",
                           Onderdeel=onderdeel, Niveau="B1",
                           Examendatum=start + timedelta(days=400 + 30 * n),
                           Uitslag=rng.choice(("GESLAAGD", "GESLAAGD", "NIET_GESLAAGD")),
                           Score=rng.randint(300, 700))
        if rng.random() < 0.1:
            sim.add_change("Ontheffing", Bsn=bsn, Soort="ONTHEFFING",
                           Ingangsdatum=start + timedelta(days=500), Grond="MEDISCH")
        if rng.random() < 0.05:
            sim.add_change("Boete", Bsn=bsn, BoeteKenmerk=f"B{rng.randrange(10**6):06d}",
                           BedragCent=34_000, Boetedatum=start + timedelta(days=1100),
                           Vooraankondiging=True)
    sim.repeat(plicht_ids[0])
    sim.correct(plicht_ids[1], PlichtStartdatum=date(2022, 3, 14))
    return plicht_ids


def simulator_for(pki: DevPki, **options: Any) -> DuoSimulator:
    """A simulator trusting the PKI's CA for requests, signing its answers as DUO."""
    return DuoSimulator(trusted_ca=pki.ca_cert.read_bytes(),
                        signing=(pki.server_key.read_bytes(), pki.server_cert.read_bytes()),
                        **options)


def settings_env(pki: DevPki, url: str) -> dict[str, str]:
    """``HUB_DUO_*`` for a connector talking to ``simulator_for(pki)`` at ``url``."""
    return {"HUB_DUO_URL": url, "HUB_DUO_CA_CERT": str(pki.ca_cert),
            "HUB_DUO_CLIENT_CERT": str(pki.client_cert), "HUB_DUO_CLIENT_KEY": str(pki.client_key),
            "HUB_DUO_TRUST_STORE": str(pki.ca_cert), "HUB_DUO_SIGNER_OIN": DUO_TEST_OIN}


def settings_for(pki: DevPki, url: str, **options: Any) -> DuoSettings:
    """The connector's settings for ``simulator_for(pki)`` at ``url`` (two-way TLS, signed)."""
    return DuoSettings(url=url, ca_cert=str(pki.ca_cert), client_cert=str(pki.client_cert),
                       client_key=str(pki.client_key), trust_store=str(pki.ca_cert),
                       signer_oin=DUO_TEST_OIN, **options)


@contextlib.asynccontextmanager
async def demo_partner(runtime: Runtime) -> AsyncIterator[dict[str, Any]]:
    """Start the seeded simulator (two-way TLS, signatures both ways); yield connector kwargs."""
    pki = generate_pki(runtime.settings.var_dir / "demo-pki")
    sim = simulator_for(pki)
    seed(sim)
    with serve(sim, tls=ServerTls(pki.server_cert, pki.server_key, pki.ca_cert)) as url:
        yield {"settings": settings_for(pki, url,
                                        cursor_name=f"duo.demo.{url.rsplit(':', 1)[-1]}")}
