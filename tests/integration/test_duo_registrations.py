"""Registrations from the outbound topics reach DUO exactly once, through a fault storm."""

from __future__ import annotations

import asyncio
import random
import uuid
from datetime import UTC, date, datetime
from typing import Any

import pytest

import topics
from hub.demo import synthetic_bsn
from hub.kafka_admin import apply_topics
from hub.privacy import BsnCipher, case_ref
from hub.publish import TopicWriter
from hub.runtime import Runtime
from hub.settings import Settings
from tests.integration.conftest import HubEnv, stop_process, wait_until
from tests.integration.duo_support import duo_partner, read_topic, spawn_connector

pytestmark = pytest.mark.integration


def _outbound(settings: Settings, people: int) -> list[tuple[str, dict[str, Any]]]:
    rng = random.Random(5)
    cipher = BsnCipher.from_settings(settings)
    records: list[tuple[str, dict[str, Any]]] = []
    for _ in range(people):
        bsn = synthetic_bsn(rng)
        head = {"case_ref": case_ref(bsn, settings.case_ref_key), "source": "hub",
                "produced_at": datetime.now(UTC), "gemeentecode": "0363"}
        voldaan = {"afrondingsdatum": date(2024, 5, 1), "resultaat": "VOLDAAN",
                   "reden_niet_voldaan": None, "verwijtbaar": None}
        for topic, body in (
            (topics.LBT_AANMELDING, {"aanmelddatum": date(2023, 4, 3)}),
            (topics.HUB_PIP_VASTGESTELD, {
                "soort": "VASTGESTELD", "pip_kenmerk": f"PIP-{rng.randrange(10**6)}",
                "dagtekening_eerste_pip": date(2023, 6, 1), "dagtekening": date(2023, 6, 1),
                "leerroute": "B1", "niveau": "B1", "taalaanbieder": "Fairfield",
                "contract_id": "C-2023-07", "ontzorgen": True}),
            (topics.HUB_PVT_VOLDAAN, voldaan), (topics.HUB_MAP_VOLDAAN, voldaan),
            (topics.VERLENGING_AANVRAAG, {"aanvraagdatum": date(2024, 9, 1),
                                          "verlenging_weken": 26, "grond": "ziekte",
                                          "toelichting": None}),
        ):
            records.append((topic, {"message_id": str(uuid.uuid4()), **head,
                                    "bsn": cipher.encrypt(bsn).as_record(), **body}))
    return records


async def _produce(hub_env: HubEnv, records: list[tuple[str, dict[str, Any]]]) -> None:
    runtime = Runtime(hub_env.settings())
    async with TopicWriter(hub_env.env["HUB_KAFKA_BOOTSTRAP"], runtime.codec,
                           suffix=hub_env.suffix) as writer:
        for topic, record in records:
            await writer.send(topic, record)
        await writer.send(records[0][0], records[0][1])  # the outbox published one twice


@pytest.mark.slow(25)
def test_fault_storm_and_a_restart_still_register_each_registration_exactly_once(
        hub_env: HubEnv) -> None:
    settings = hub_env.settings()
    asyncio.run(apply_topics(hub_env.env["HUB_KAFKA_BOOTSTRAP"], hub_env.suffix))
    records = _outbound(settings, people=5)[:-4]  # four people fully, a fifth one only asks
    refused_topic, refused = records[-1]  # for a verlenging, and DUO does not know them: Fault
    cipher = BsnCipher.from_settings(settings)
    with duo_partner(hub_env.home) as duo:
        sim = duo.sim
        sim.unknown_bsns.add(cipher.decrypt(refused["bsn"]))
        sim.storm(0.5, seed=3)  # half the requests time out (after DUO registered) or get 500
        asyncio.run(_produce(hub_env, records))
        connector = spawn_connector(hub_env, duo, "connector-1")
        try:
            wait_until(lambda: len(sim.registrations) >= 6, timeout=60)
        finally:
            stop_process(connector)  # mid-stream: some offsets are not yet committed
        connector = spawn_connector(hub_env, duo, "connector-2")
        try:
            wait_until(lambda: len(sim.registrations) >= len(records) - 1, timeout=60)
            dead = read_topic(hub_env, topics.dead_letter_of(refused_topic), expected=1)
        finally:
            stop_process(connector)

    expected = {r["message_id"] for _, r in records} - {refused["message_id"]}
    assert set(sim.registrations) == expected  # WS-Addressing MessageID = record message_id
    assert sum(sim.accepted.values()) == len(records) - 1 == 20
    assert sim.accepted == {"MeldLbtAanmelding": 4, "MeldPip": 4, "MeldPvt": 4, "MeldMap": 4,
                            "VraagVerlengingAan": 4}
    registration_requests = sum(n for op, n in sim.requests.items() if op != "HaalWijzigingen")
    assert registration_requests > len(records)  # the storm forced retries
    assert [d["original_message_id"] for d in dead] == [refused["message_id"]]
    assert dead[0]["error_type"] == "UpstreamRejected"
