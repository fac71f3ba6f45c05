"""The Kredietbank and ISAM connectors against fake partners that misbehave on command, over
real loopback sockets (issue 17): every bad answer is a typed, permanent refusal naming what
was wrong, kept as a dead letter, never an AttributeError, KeyError or RecursionError; the
token never reaches another origin; huge answers are cut off; paging that does not advance
backs off instead of looping."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest

import topics
from connectors.edge import RuntimeSealer
from connectors.isam.config import IsamSettings
from connectors.isam.inbound import CONSUMER, NotificationProcessor
from connectors.isam.spool import DEAD, DONE, Pending, Spool, engine_for
from connectors.kit.cursor import MemoryCursors
from connectors.kit.deadletter import DeadLetters
from connectors.kit.health import Health
from connectors.kit.http import HttpSession, limits_for
from connectors.kit.loop import poll
from connectors.kit.retry import RetryPolicy
from connectors.kredietbank.config import KredietbankSettings
from connectors.kredietbank.run import KredietbankConnector
from connectors.kredietbank.simulator import serve as serve_kredietbank
from hub.errors import (
    ForeignOrigin,
    HubError,
    InvalidField,
    PagingStalled,
    PayloadTooLarge,
)
from hub.runtime import Runtime
from hub.settings import from_env
from tests.hostile import Elsewhere, HostileIsam, HostileKredietbank, MiB, deep_json
from tests.letters import opened
from tests.recording import RecordingWriter
from tests.unit.test_fuzz_kit import bsns_in

BSN = "123456782"


@pytest.fixture
def runtime(tmp_path: Path) -> Runtime:
    return Runtime(from_env({"HUB_HOME": str(tmp_path)}))


# -- Kredietbank ----------------------------------------------------------------------------

@contextlib.asynccontextmanager
async def kredietbank(runtime: Runtime, fault: str | None
                      ) -> AsyncIterator[tuple[KredietbankConnector, HostileKredietbank,
                                               Elsewhere, RecordingWriter]]:
    elsewhere = Elsewhere()
    sim = HostileKredietbank(fault=fault)
    writer = RecordingWriter(runtime)
    async with elsewhere.serve() as other, serve_kredietbank(sim) as url, \
            HttpSession() as http:
        sim.elsewhere = other
        settings = KredietbankSettings(api_url=url, api_token=sim.token,
                                       max_response_bytes=10 * MiB, retry_backoff_s=0.05,
                                       retry_max_backoff_s=0.4)
        connector = KredietbankConnector(runtime, writer, settings=settings,
                                         cursors=MemoryCursors())
        connector.api = http.partner(url, sim.token, limits_for(settings))
        yield connector, sim, elsewhere, writer


@pytest.mark.parametrize(("fault", "error", "text"), [
    ("list", InvalidField, "mutaties page: not a JSON object (got a list)"),
    ("volgende-abc", InvalidField, "mutaties page.volgende: not a whole number"),
    ("deep", InvalidField, "mutaties page: JSON nested deeper than 64 levels"),
    ("huge", PayloadTooLarge, "answer over the 10485760-byte limit"),
    ("huge-declared", PayloadTooLarge, "Content-Length 419430400 is over"),
    ("redirect-away", ForeignOrigin, "is not on the partner's origin"),
    ("stuck", PagingStalled, "cursor that did not advance"),
])
def test_a_bad_page_is_a_typed_refusal_kept_once(runtime: Runtime, fault: str,
                                                  error: type[HubError], text: str) -> None:
    async def scenario() -> tuple[list[HubError], HostileKredietbank, Elsewhere,
                                  RecordingWriter]:
        raised = []
        async with kredietbank(runtime, fault) as (connector, sim, elsewhere, writer):
            for _ in range(3):  # asked again and again: one dead letter, the same error
                with pytest.raises(error) as caught:
                    await connector.run_once()
                raised.append(caught.value)
            return raised, sim, elsewhere, writer

    raised, sim, elsewhere, writer = asyncio.run(scenario())
    assert all(text in str(e) for e in raised), str(raised[0])
    assert sim.hits["mutaties"] == 3  # one request per round, never a tight loop
    assert elsewhere.seen == []  # the token (or anything) never left for another origin
    assert not sim.streamed.finished
    dead = writer.on(topics.dead_letter_of(topics.ONTZORGEN_BETALING))
    if fault == "stuck":  # transient: retried with backoff, nothing to keep
        assert dead == []
    else:
        assert len(dead) == 1 and dead[0]["error_type"] == error.__name__
        assert dead[0]["consumer"] == "connector-kredietbank"
        assert len(opened(dead[0], runtime.cipher)) <= 10 * MiB


def test_an_invoice_without_url_or_elsewhere_is_dead_lettered_and_skipped(
        runtime: Runtime) -> None:
    async def scenario(fault: str) -> tuple[int, RecordingWriter, Elsewhere, MemoryCursors]:
        async with kredietbank(runtime, fault) as (connector, _sim, elsewhere, writer):
            count = await connector.run_once()
            assert await connector.run_once() == 0  # the cursor moved past it
            return count, writer, elsewhere, connector.cursors  # type: ignore[return-value]

    for fault, kind, text in (("no-url", "InvalidField", "facturen[0].url: missing"),
                              ("foreign-url", "ForeignOrigin", "not on the partner's origin")):
        count, writer, elsewhere, cursors = asyncio.run(scenario(fault))
        dead = writer.on(topics.dead_letter_of(topics.KREDIETBANK_FACTUUR))
        assert count == 1 and len(dead) == 1
        assert dead[0]["error_type"] == kind and text in dead[0]["error_message"]
        assert json.loads(opened(dead[0], runtime.cipher))["volgnummer"] == 1  # kept, sealed
        assert cursors.values["kredietbank.facturen"] == "1"
        assert elsewhere.seen == []


def test_paging_that_does_not_advance_backs_off(runtime: Runtime) -> None:
    """Before the kit: 1,100 requests/s. Now each failed round waits twice as long."""
    async def scenario() -> tuple[int, Health]:
        async with kredietbank(runtime, "stuck") as (connector, sim, _, _w):
            stop = asyncio.Event()
            loop = asyncio.create_task(poll(
                stop, connector.run_once, part=connector.health.part("poll"), interval_s=0.01,
                policy=RetryPolicy(5, backoff_s=0.1, max_backoff_s=0.4, jitter=0.0)))
            await asyncio.sleep(2.0)
            stop.set()
            await loop
            return sim.hits["mutaties"], connector.health

    hits, health = asyncio.run(scenario())
    assert 2 <= hits <= 12  # 0.1 + 0.2 + 0.4 + 0.4 ... : about 6 in 2 s
    assert "PagingStalled" in (health.last_error or "")


# -- ISAM -----------------------------------------------------------------------------------

class PoisonedProcessor(NotificationProcessor):
    """The real processor, with one row that breaks in a way nobody foresaw."""

    poison_id = -1

    async def _work(self, row: Pending) -> Any:
        if row.id == self.poison_id:
            raise RecursionError("maximum recursion depth exceeded")
        return await super()._work(row)


def test_hostile_isam_answers_are_dead_lettered_and_nothing_crashes(
        runtime: Runtime, tmp_path: Path) -> None:
    async def scenario() -> tuple[RecordingWriter, Spool, HostileIsam, Elsewhere,
                                  dict[str, int]]:
        elsewhere, sim = Elsewhere(), HostileIsam()
        spool = Spool(engine_for(f"sqlite:///{tmp_path / 'isam.db'}"))
        writer = RecordingWriter(runtime)
        settings = IsamSettings(api_url="x", webhook_token="t", retry_attempts=3,
                                retry_backoff_s=0.0, max_response_bytes=10 * MiB)
        async with elsewhere.serve() as other, serve_isam(sim), HttpSession() as http:
            sim.elsewhere = other
            ids = {}
            good = _pip(sim)
            for fault in ("list", "deep", "huge", "redirect-away"):
                ident = _pip(sim)
                sim.faults[ident] = fault
            bodies = list(sim.notifications)
            sim.notifications.clear()
            bodies.append(sim.foreign("pip", good))  # resourceUrl on another host
            for n, body in enumerate(bodies):
                ids[str(n)] = spool.receive(json.dumps(body).encode())
            ids["deep-note"] = spool.receive(deep_json(30_000))  # 30k-deep notification
            ids["poison"] = spool.receive(json.dumps(bodies[0]).encode())
            processor = PoisonedProcessor(settings, spool, http.partner(
                sim.base_url, sim.api_token, limits_for(settings)), writer,
                RuntimeSealer(runtime), DeadLetters(writer, CONSUMER, sealer=runtime.cipher))
            processor.poison_id = ids["poison"]
            for _ in range(4):
                await processor.run_once()
        return writer, spool, sim, elsewhere, ids

    writer, spool, sim, elsewhere, _ids = asyncio.run(scenario())
    assert spool.count(DONE) == 1  # the one good notification
    assert spool.count(DEAD) == 7
    dead = writer.on(topics.dead_letter_of(topics.ISAM_PIP_VASTGESTELD))
    errors = sorted(f"{d['error_type']}: {d['error_message']}" for d in dead)
    assert len(errors) == 7, errors
    joined = "\n".join(errors)
    assert "pip answer: not a JSON object (got a list)" in joined
    assert joined.count("JSON nested deeper than 64 levels") == 2  # answer and notification
    assert "answer over the 10485760-byte limit" in joined
    assert joined.count("ForeignOrigin") == 2  # redirect away and resourceUrl elsewhere
    assert "not processed after 3 attempts: RecursionError" in joined
    assert elsewhere.seen == [] and not sim.streamed.finished
    assert bsns_in(joined) == [] and sim.api_token not in joined


def _pip(sim: HostileIsam) -> str:
    return sim.put("pip", BSN, gemeentecode="0363", soort="VASTGESTELD", pipKenmerk="P1",
                   dagtekeningEerstePip=date(2024, 3, 1), dagtekening=date(2024, 3, 1),
                   leerroute="B1", niveau="B1", ontzorgen=False)


def serve_isam(sim: HostileIsam) -> contextlib.AbstractAsyncContextManager[str]:
    from connectors.isam.simulator import serve

    return serve(sim)
