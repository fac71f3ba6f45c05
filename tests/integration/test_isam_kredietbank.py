"""ISAM and Kredietbank end to end: simulators over real sockets, the real broker, the worker
and the store; the connectors run as `hub connectors run isam kredietbank`."""

from __future__ import annotations

import asyncio
import subprocess
from datetime import UTC, date, datetime

import pytest

import topics
from connectors.isam.demo import seed
from connectors.isam.translate import message_id
from hub.privacy import case_ref
from hub.publish import TopicWriter
from hub.runtime import Runtime
from tests.integration.conftest import HubEnv, stop_process, wait_until
from tests.integration.duo_support import read_topic
from tests.integration.isam_support import delivery_log, fact_ids, partners
from tests.letters import opened

pytestmark = pytest.mark.integration


@pytest.mark.slow(15)
def test_isam_facts_signals_and_kredietbank_round_trip(
        hub_env: HubEnv, worker: subprocess.Popen[bytes]) -> None:
    db = hub_env.home / "hub.db"
    with partners(hub_env.home, months=3, fail_rent={"HH-00000"},
                  bijstand_stops={"HH-00004": 2}, broken_invoice_for={"HH-00006"}) as p:
        people = seed(p.isam, people=8)  # every resource; one unreadable gesprek; two versions
        asyncio.run(_send_plichten(hub_env, people))  # R11: DUO says who must be ontzorgd
        readable = {k: v for k, v in p.isam.versions.items() if k[1] not in p.isam.unavailable}
        expected = {message_id(res, ident, len(hist)) for (res, ident), hist in readable.items()}
        hub_env.env.update(p.env)
        connector = hub_env.spawn("connectors", "run", "isam", "kredietbank",
                                  log_name="connectors")
        try:
            wait_until(p.webhook_up, timeout=60)
            statuses = p.notify(reverse=True, repeat=5)  # out of order, five sent twice
            assert set(statuses) == {204}
            asyncio.run(_send_signal(hub_env))
            p.isam.refuse_callbacks = 1  # the first delivery attempt fails: retried
            kinds = ("KoppelingGemeente", "Gesprek", "PipVastgesteld", "PvtVoldaan",
                     "MapVoldaan", "OntzorgenBesluit", "Verhuizing", "PibTrajectplan",
                     "PibVoucher")
            wait_until(lambda: set().union(*(fact_ids(db, k) for k in kinds)) >= expected,
                       timeout=90)
            wait_until(lambda: p.isam.delivered(), timeout=60)
            wait_until(lambda: fact_ids(db, "Factuur") and fact_ids(db, "OntzorgenEinde")
                       and len(fact_ids(db, "OntzorgenBetaling")) >= 8, timeout=90)
            # the aanmeldingen follow the views (R11 waits for DUO's doelgroep): the connector
            # delivers them only while it runs
            wait_until(lambda: len({a["huishoudenId"] for a in
                                    p.kredietbank.aanmeldingen.values()}) >= 3, timeout=90)
        finally:
            stop_process(connector)
        isam_facts = set().union(*(fact_ids(db, k) for k in kinds))
        assert isam_facts == expected  # repeats and out-of-order copies stored once

        # ISAM out: the signal reached the subscriber after a refused first attempt; the
        # reconciliation's own signals (moves, ...) are delivered beside it.
        delivered = [b["kenmerken"]["bericht_id"] for b in p.isam.delivered()]
        assert delivered.count("sig-1") == 1
        log = delivery_log(hub_env.home / "var" / "isam.db")
        per_signal: dict[str, list[tuple[int, int | None]]] = {}
        for ident, attempt, status in log:
            per_signal.setdefault(ident, []).append((attempt, status))
        refused = [ident for ident, tries in per_signal.items() if (1, 503) in tries]
        assert len(refused) == 1 and per_signal[refused[0]] == [(1, 503), (2, 204)]
        assert all(tries[-1][1] == 204 for tries in per_signal.values())
        assert len(per_signal) == len(delivered)

        # The unreadable resource was retried, then dead-lettered with the reason.
        dead = read_topic(hub_env, topics.dead_letter_of(topics.GESPREK), expected=1)
        assert dead and dead[0]["error_message"].startswith("details not fetched after 3")

        # Kredietbank out: aanmeldingen relayed from the TOEGEKEND decisions, BSN validated.
        kb = p.kredietbank
        # HH-00002 was granted, then ended: its notifications fetch the latest version only
        # (information-poor notifications), so only its afmelding is sent.
        households = {a["huishoudenId"] for a in kb.aanmeldingen.values()}
        assert households == {"HH-00000", "HH-00004", "HH-00006"}
        assert all(len(a["bsn"]) == 9 and a["crediteuren"] for a in kb.aanmeldingen.values())

    # Kredietbank in: payments (with the failed rent), the early end, invoices.
    betalingen = read_topic(hub_env, topics.ONTZORGEN_BETALING, expected=8)
    failed = [b for b in betalingen if b["status"] == "MISLUKT"]
    rent_months = sorted({b["periode_begindatum"] for b in betalingen
                          if (b["huishouden_id"], b["crediteur_soort"]) == ("HH-00000", "HUUR")})
    assert [(f["huishouden_id"], f["crediteur_soort"], f["periode_begindatum"])
            for f in failed] == [("HH-00000", "HUUR", rent_months[1])]  # its second month
    assert failed[0]["betaaldatum"] is None and failed[0]["reden_mislukt"]
    einde = read_topic(hub_env, topics.ONTZORGEN_EINDE, expected=1)
    assert [(e["huishouden_id"], e["reden"]) for e in einde] == [("HH-00004",
                                                                   "BIJSTAND_BEEINDIGD")]
    facturen = read_topic(hub_env, topics.KREDIETBANK_FACTUUR, expected=2)
    assert sorted(len(f["regels"]) for f in facturen) == [3, 4]  # intake + 2 or 3 months (R12)
    assert all(f["regels"][0]["eenheidsprijs_cent"] == 14_700 for f in facturen)
    assert all(r["eenheidsprijs_cent"] == 2_500 for f in facturen for r in f["regels"][1:])
    refused = read_topic(hub_env, topics.dead_letter_of(topics.KREDIETBANK_FACTUUR), expected=1)
    assert len(refused) == 1 and "BR-CO-16" in refused[0]["error_message"]
    assert opened(refused[0], Runtime(hub_env.settings()).cipher).startswith(b"<?xml")


async def _send_plichten(hub_env: HubEnv, bsns: list[str]) -> None:
    """DUO's plicht for each person, as asielstatushouder: R11 lets their grants run, so the
    hub registers them with the Kredietbank (it holds a grant while the doelgroep is unknown)."""
    runtime = Runtime(hub_env.settings())
    async with TopicWriter(hub_env.env["HUB_KAFKA_BOOTSTRAP"], runtime.codec,
                           suffix=hub_env.suffix) as writer:
        await writer.send_many(topics.DUO_INBURGERINGSPLICHT_VASTGESTELD, [{
            "message_id": f"duo-plicht-{n}", "source": "duo", "produced_at": datetime.now(UTC),
            "case_ref": case_ref(bsn, runtime.settings.case_ref_key),
            "bsn": runtime.cipher.encrypt(bsn).as_record(), "v_nummer": None,
            "plicht_startdatum": date(2024, 1, 2), "doelgroep": "ASIELSTATUSHOUDER",
            "regime": "WI2021"} for n, bsn in enumerate(bsns)])


async def _send_signal(hub_env: HubEnv) -> None:
    runtime = Runtime(hub_env.settings())
    async with TopicWriter(hub_env.env["HUB_KAFKA_BOOTSTRAP"], runtime.codec,
                           suffix=hub_env.suffix) as writer:
        await writer.send(topics.SIGNAAL, {
            "message_id": "sig-1", "case_ref": "CR" + "B" * 30, "source": "hub",
            "produced_at": datetime.now(UTC), "signaal_type": "INTAKE_TE_LAAT",
            "gemeentecode": "0363", "regel": "R18", "vastgesteld_op": date(2025, 1, 2),
            "uiterlijk": date(2025, 2, 1), "toelichting": "brede intake te laat",
            "kenmerken": {}})
