"""Registrations from the outbound topics reach DUO exactly once, through a fault storm; a
refused one re-driven is resolved once the connector delivered it."""

from __future__ import annotations

import asyncio
import random
import subprocess
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
from hub.store import Store
from hub.store.dead_letters import (
    FAILED_AGAIN,
    RESOLVED,
    DeadLetter,
    get_letter,
    letter_history,
    list_letters,
)
from tests.integration.conftest import HubEnv, stop_process, wait_until
from tests.integration.console_support import hub_cli
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


async def _produce(hub_env: HubEnv, records: list[tuple[str, dict[str, Any]]], *,
                   twice: bool = True) -> None:
    runtime = Runtime(hub_env.settings())
    async with TopicWriter(hub_env.env["HUB_KAFKA_BOOTSTRAP"], runtime.codec,
                           suffix=hub_env.suffix) as writer:
        for topic, record in records:
            await writer.send(topic, record)
        if twice:
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


def _letters(hub_env: HubEnv) -> list[DeadLetter]:
    return list_letters(Store(hub_env.settings().effective_database_url).engine)


@pytest.mark.slow(30)
def test_a_refused_registration_redriven_once_duo_knows_the_person_is_resolved_on_delivery(
        hub_env: HubEnv, worker: subprocess.Popen[bytes]) -> None:
    """An in-hub letter a connector wrote (DUO refused the registration) goes back to its topic
    on a re-drive; the connector delivers it and resolves the letter (nothing else stores
    it); a re-drive DUO refuses again is failed-again, linked to its next letter."""
    settings = hub_env.settings()
    cipher = BsnCipher.from_settings(settings)
    records = [r for r in _outbound(settings, people=2) if r[0] == topics.VERLENGING_AANVRAAG]
    with duo_partner(hub_env.home) as duo:
        for _topic, record in records:
            duo.sim.unknown_bsns.add(cipher.decrypt(record["bsn"]))
        connector = spawn_connector(hub_env, duo, "connector")
        try:
            asyncio.run(_produce(hub_env, records, twice=False))
            first, second = sorted(wait_until(lambda: (lambda x: x if len(x) == 2 else None)(
                _letters(hub_env)), timeout=60), key=lambda x: x.original_message_id or "")
            by_message = {r["message_id"]: r for _, r in records}
            assert {first.consumer, first.kind, second.kind} == {"connector-duo", "hub"}
            duo.sim.unknown_bsns.discard(cipher.decrypt(by_message[first.original_message_id
                                                                   or ""]["bsn"]))
            out = hub_cli(hub_env, "dlq", "redrive", first.letter_id, second.letter_id,
                          "--reason", "DUO registered the first person")
            assert "2 dead letter(s) re-driven" in out, out
            statuses = wait_until(lambda: (lambda s: s if "redriven" not in s.values() else None)(
                {x.letter_id: x.status for x in _letters(hub_env)}), timeout=60)
        finally:
            stop_process(connector)
    assert statuses[first.letter_id] == RESOLVED
    assert statuses[second.letter_id] == FAILED_AGAIN
    assert first.original_message_id in duo.sim.registrations
    assert second.original_message_id not in duo.sim.registrations
    engine = Store(settings.effective_database_url).engine
    resolved = letter_history(engine, first.letter_id)
    assert [(h.action, h.actor) for h in resolved][-1] == ("dead_letter.resolved",
                                                           "consumer:connector-duo")
    again = get_letter(engine, second.letter_id)
    assert again is not None and again.next_letter
    follow = get_letter(engine, again.next_letter)
    assert follow is not None and follow.redrive_of == second.letter_id and follow.attempts == 2
