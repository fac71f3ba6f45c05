"""ISAM webhook, spool, processor and signal delivery against the simulator over real sockets.

The broker is replaced by a writer that encodes every record with the topic's Avro schema (so a
record that does not fit its contract fails here) and keeps it.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

import topics
from connectors.edge import RuntimeSealer
from connectors.isam.config import IsamSettings
from connectors.isam.inbound import NotificationProcessor
from connectors.isam.outbound import GROUP, SignalDeliverer
from connectors.isam.signals import deliveries, load_subscriptions, signal_json
from connectors.isam.simulator import CALLBACK_PATH, IsamSimulator, serve
from connectors.isam.spool import DEAD, DONE, Spool, engine_for
from connectors.isam.translate import message_id
from connectors.isam.webhook import make_app
from connectors.kit.deadletter import DeadLetters
from connectors.kit.http import HttpSession
from hub.broker import free_port
from hub.runtime import Runtime
from hub.settings import from_env
from tests.letters import opened
from tests.recording import RecordingWriter

BSN = "123456782"
TOKEN = "webhook-secret"


@pytest.fixture
def runtime(tmp_path: Path) -> Runtime:
    return Runtime(from_env({"HUB_HOME": str(tmp_path)}))


async def _webhook(spool: Spool, port: int) -> web.AppRunner:
    runner = web.AppRunner(make_app(spool, TOKEN, lambda: None))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    return runner


def test_notifications_become_facts_once_retries_then_dead_letters(runtime: Runtime,
                                                                   tmp_path: Path) -> None:
    async def scenario() -> tuple[RecordingWriter, Spool, IsamSimulator, list[int]]:
        sim = IsamSimulator()
        spool = Spool(engine_for(f"sqlite:///{tmp_path / 'isam.db'}"))
        port = free_port()
        settings = IsamSettings(api_url="x", api_token=sim.api_token, webhook_token=TOKEN,
                                retry_attempts=3, retry_backoff_s=0.0)
        writer = RecordingWriter(runtime)
        async with serve(sim):
            runner = await _webhook(spool, port)
            pip = sim.put("pip", BSN, gemeentecode="0363", soort="VASTGESTELD", pipKenmerk="P1",
                          dagtekeningEerstePip=date(2024, 3, 1), dagtekening=date(2024, 3, 1),
                          leerroute="B1", niveau="B1", ontzorgen=True)
            sim.put("pip", BSN, resource_uuid=pip, soort="GEWIJZIGD", pipKenmerk="P2",
                    dagtekening=date(2024, 9, 1), niveau="A2")
            late = sim.put("intake", BSN, gemeentecode="0363", gespreksdatum=date(2024, 2, 1))
            sim.hidden_reads[late] = 2  # not readable yet: 404 twice, then found
            gone = sim.put("gesprek", BSN, gemeentecode="0363", soort="VOORTGANGSGESPREK",
                           gespreksdatum=date(2024, 8, 1))
            sim.unavailable.add(gone)
            url = f"http://127.0.0.1:{port}/api/v1/notificaties"
            statuses = await sim.flush(url, TOKEN, reverse=True, repeat=2)
            statuses += await sim.send(url, "wrong", [{"kanaal": "x"}])
            statuses += await sim.send(url, TOKEN, [{"kanaal": "inburgering"}])
            async with HttpSession() as http:
                client = http.partner(sim.base_url, sim.api_token)
                processor = NotificationProcessor(settings, spool, client, writer,
                                                  RuntimeSealer(runtime),
                                                  DeadLetters(writer, "connector-isam",
                                                              sealer=runtime.cipher))
                for _ in range(5):
                    await processor.run_once()
            await runner.cleanup()
        return writer, spool, sim, statuses

    writer, spool, sim, statuses = asyncio.run(scenario())
    assert statuses == [204] * 6 + [401, 400]  # 4 + 2 repeats; wrong token; no notification
    pips = writer.on(topics.ISAM_PIP_VASTGESTELD)
    # out of order and repeated: both versions once each by id (the inbox dedups the repeats)
    pip_uuid = next(k[1] for k in sim.versions if k[0] == "pip")
    assert {p["message_id"] for p in pips} == {message_id("pip", pip_uuid, 2)}
    assert {p["dagtekening_eerste_pip"] for p in pips} == {date(2024, 3, 1)}
    assert pips[0]["niveau"] == "A2" and pips[0]["soort"] == "GEWIJZIGD"
    intake = writer.on(topics.GESPREK)  # sent twice (a repeat), one message id
    assert {(g["soort"], g["message_id"]) for g in intake} == {
        ("BREDE_INTAKE", message_id("intake", intake[0]["gesprek_kenmerk"], 1))}
    assert sim.reads[intake[0]["gesprek_kenmerk"]] == 4  # both copies: a 404 each, then read
    dead = writer.on(topics.dead_letter_of(topics.GESPREK))  # the unreadable one, and its repeat
    assert len(dead) == 2
    assert all(d["error_message"].startswith("details not fetched after 3") for d in dead)
    assert all(b'"resource": "gesprek"' in opened(d, runtime.cipher) for d in dead)
    refused = writer.on(topics.dead_letter_of(topics.ISAM_PIP_VASTGESTELD))
    assert len(refused) == 1 and refused[0]["error_message"].startswith("hoofdObject")
    assert spool.count(DEAD) == 3 and spool.count(DONE) == 4
    assert BSN not in json.dumps([r["error_message"] for r in dead + refused])


def test_signals_are_delivered_with_retries_and_a_log_per_attempt(runtime: Runtime,
                                                                   tmp_path: Path) -> None:
    subs = tmp_path / "abonnementen.json"

    async def scenario() -> tuple[Spool, IsamSimulator, RecordingWriter, dict[str, Any]]:
        sim = IsamSimulator(refuse_callbacks=2)
        spool = Spool(engine_for(f"sqlite:///{tmp_path / 'isam.db'}"))
        writer = RecordingWriter(runtime)
        async with serve(sim) as base:
            subs.write_text(json.dumps([
                {"callbackUrl": base + CALLBACK_PATH, "auth": f"Bearer {sim.callback_token}",
                 "kanalen": [{"naam": "signalen", "filters": {"gemeentecode": "0363"}}]},
                {"callbackUrl": base + "/nergens", "auth": "",
                 "kanalen": [{"naam": "signalen", "filters": {}}]}]))
            settings = IsamSettings(subscriptions_file=str(subs), retry_attempts=4,
                                    retry_backoff_s=0.0, public_url="http://hub.test")
            signals = [_signal("s1", "0363"), _signal("s2", "0599")]
            queued = [d for s in signals for d in
                      deliveries(s, load_subscriptions(subs), "http://hub.test")]
            spool.add_signals([(s["message_id"], s["case_ref"], {"id": s["message_id"]},
                                writer.encode(topics.SIGNAAL, s)[1]) for s in signals], queued)
            async with HttpSession() as http:
                deliverer = SignalDeliverer(runtime, settings, spool, http,
                                            DeadLetters(writer, GROUP, sealer=runtime.cipher))
                for _ in range(5):
                    await deliverer.run_once()
            port = free_port()
            runner = await _webhook(spool, port)
            async with aiohttp.ClientSession() as session, session.get(
                    f"http://127.0.0.1:{port}/api/v1/signalen/s1",
                    headers={"Authorization": f"Bearer {TOKEN}"}) as resp:
                served = await resp.json()
            await runner.cleanup()
        return spool, sim, writer, served

    spool, sim, writer, served = asyncio.run(scenario())
    delivered = sim.delivered()
    assert [d["kenmerken"]["bericht_id"] for d in delivered] == ["s1"]  # 0599 is filtered out
    assert delivered[0]["kanaal"] == "signalen"
    assert delivered[0]["resourceUrl"] == "http://hub.test/api/v1/signalen/s1"
    assert delivered[0]["kenmerken"]["signaal_type"] == "INTAKE_TE_LAAT"
    log = spool.delivery_log()
    to_sim = [e for e in log if e["callback_url"].endswith(CALLBACK_PATH)]
    assert [(e["poging"], e["http_status"]) for e in to_sim] == [(1, 503), (2, 503), (3, 204)]
    assert to_sim[-1]["status"] == "afgeleverd"
    nowhere = [e for e in log if e["callback_url"].endswith("/nergens")]
    assert sorted((e["signaal_id"], e["poging"], e["http_status"]) for e in nowhere) == [
        (sig, n, 404) for sig in ("s1", "s2") for n in (1, 2, 3, 4)]
    assert {e["status"] for e in nowhere} == {"mislukt"}  # retries used up: dead-lettered
    dead = writer.on(topics.dead_letter_of(topics.SIGNAAL))
    assert {d["original_message_id"] for d in dead} == {"s1", "s2"}
    assert served == {"id": "s1"}


def _signal(ident: str, gemeente: str) -> dict[str, Any]:
    return {"message_id": ident, "case_ref": "CR" + "A" * 30, "source": "hub",
            "produced_at": datetime(2025, 1, 2, tzinfo=UTC), "signaal_type": "INTAKE_TE_LAAT",
            "gemeentecode": gemeente, "regel": "R18", "vastgesteld_op": date(2025, 1, 2),
            "uiterlijk": None, "toelichting": "brede intake te laat", "kenmerken": {}}


def test_a_withdrawal_is_a_destroy_notification_and_the_signal_then_answers_410(
        runtime: Runtime, tmp_path: Path) -> None:
    """Issue 15: the hub withdraws a signal it no longer implies; ISAM removes it."""
    subs = tmp_path / "abonnementen.json"

    async def scenario() -> tuple[IsamSimulator, int, dict[str, Any], int]:
        sim = IsamSimulator()
        spool = Spool(engine_for(f"sqlite:///{tmp_path / 'isam.db'}"))
        writer = RecordingWriter(runtime)
        async with serve(sim) as base:
            subs.write_text(json.dumps([
                {"callbackUrl": base + CALLBACK_PATH, "auth": f"Bearer {sim.callback_token}",
                 "kanalen": [{"naam": "signalen", "filters": {}}]}]))
            settings = IsamSettings(subscriptions_file=str(subs), retry_attempts=2,
                                    retry_backoff_s=0.0, public_url="http://hub.test")
            kept, gone = _signal("s1", "0363"), _signal("s2", "0363")
            withdrawal = {**gone, "message_id": "w2", "ingetrokken_signaal_id": "s2"}
            for batch in ([kept, gone], [withdrawal]):
                queued = [d for s in batch for d in
                          deliveries(s, load_subscriptions(subs), "http://hub.test")]
                spool.add_signals([(s["message_id"], s["case_ref"], signal_json(s),
                                    writer.encode(topics.SIGNAAL, s)[1]) for s in batch], queued)
                async with HttpSession() as http:
                    await SignalDeliverer(runtime, settings, spool, http,
                                          DeadLetters(writer, GROUP)).run_once()
            port = free_port()
            runner = await _webhook(spool, port)
            auth = {"Authorization": f"Bearer {TOKEN}"}
            async with aiohttp.ClientSession() as session:
                async with session.get(f"http://127.0.0.1:{port}/api/v1/signalen/s2",
                                       headers=auth) as resp:
                    status, body = resp.status, await resp.json()
                async with session.get(f"http://127.0.0.1:{port}/api/v1/signalen/s1",
                                       headers=auth) as resp:
                    still = resp.status
            await runner.cleanup()
        return sim, status, body, still

    sim, status, body, still = asyncio.run(scenario())
    destroy = [d for d in sim.delivered() if d["actie"] == "destroy"]
    assert [(d["resourceUrl"], d["kenmerken"]["bericht_id"]) for d in destroy] == [
        ("http://hub.test/api/v1/signalen/s2", "w2")]
    assert list(sim.live_signals()) == ["http://hub.test/api/v1/signalen/s1"]
    assert (status, body["status"], body["ingetrokken_door"]) == (410, "INGETROKKEN", "w2")
    assert still == 200
