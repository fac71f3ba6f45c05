"""Kredietbank pages and listing entries dead-lettered at the edge re-enter the connector: a
page entry by entry (a refused entry becomes its own letter, as on a fresh pull), a listing
entry by fetching its invoice from the configured partner; one still refused fails again,
linked. The page letter is resolved once what it yielded is stored."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest

import topics
from connectors.kit.deadletter import DeadLetters
from connectors.kit.http import HttpSession, limits_for
from connectors.kit.reentry import REDRIVE_HEADER, reenter_once
from connectors.kredietbank.config import KredietbankSettings
from connectors.kredietbank.run import KredietbankConnector
from connectors.kredietbank.simulator import KredietbankSimulator, serve
from hub.agents.dead_letters import letter_of
from hub.agents.handler import BatchHandler
from hub.console.redrive import Selection, redrive, select_letters
from hub.errors import InvalidField
from hub.runtime import Runtime
from hub.settings import from_env
from hub.store.dead_letters import FAILED_AGAIN, PENDING, RESOLVED, get_letter, letter_history
from tests.component.test_dead_letter_store import BSN, RawWriter, _as_raw, _betaling
from tests.hostile import Elsewhere

FACTUUR_DLT = topics.dead_letter_of(topics.KREDIETBANK_FACTUUR)
CONSUMER = "connector-kredietbank"


@pytest.fixture
def runtime(tmp_path: Path) -> Runtime:
    return Runtime(from_env({"HUB_HOME": str(tmp_path)}))


def _letter(runtime: Runtime, topic: str, payload: Any, ident: str, reentry: str) -> str:
    """An edge letter as the connector writes it, recorded as the worker does, re-driven."""
    writer = RawWriter(runtime)
    dead = DeadLetters(writer, CONSUMER, sealer=runtime.cipher)
    record = asyncio.run(dead.put_edge(topic, json.dumps(payload).encode(),
                                       InvalidField("page", "not what FORMAT.md says"), ident,
                                       media_type="application/json", reentry=reentry))
    (dlt, _key, value, _headers), = writer.raw
    runtime.store.add_dead_letters([letter_of(runtime.codec, dlt, 0, 0, value)])
    letter_id = str(record["message_id"])
    redrive(select_letters(runtime.store, Selection(ids=(letter_id,))), reason="partner fixed",
            actor="test:op", bootstrap="", suffix="", store=runtime.store)
    return letter_id


def _connector(runtime: Runtime, writer: RawWriter, url: str) -> KredietbankConnector:
    return KredietbankConnector(runtime, writer, settings=KredietbankSettings(
        api_url=url, api_token=KredietbankSimulator().token))


async def _reenter(runtime: Runtime, writer: RawWriter, url: str = "http://127.0.0.1:9"
                   ) -> int:
    connector = _connector(runtime, writer, url)
    async with HttpSession() as http:
        connector.api = http.partner(url, connector.settings.api_token,
                                     limits_for(connector.settings))
        return await reenter_once(connector, runtime.reentries, CONSUMER, runtime.cipher,
                                  writer, connector.dead)


def _recorded(runtime: Runtime, writer: RawWriter) -> None:
    """The worker's part: dead letters into the store, records stored (resolving letters)."""
    for n, (topic, _key, value, _headers) in enumerate(writer.raw):
        if topic.endswith(".dlt"):
            runtime.store.add_dead_letters([letter_of(runtime.codec, topic, 0, 10 + n, value)])
        else:
            BatchHandler(f"record:{topic}", codec=runtime.codec, store=runtime.store).handle(
                [_as_raw(writer.raw[n], 10 + n)])


def test_a_mutaties_page_re_enters_entry_by_entry_and_is_resolved_once_stored(
        runtime: Runtime) -> None:
    good = {"volgnummer": 1, **_betaling()}
    bad = {"volgnummer": 2, **_betaling(betalingId="HH1-202404-HUUR", periode="april")}
    page = {"mutaties": [good, bad], "volgende": 2, "meer": False}
    letter_id = _letter(runtime, topics.ONTZORGEN_BETALING, page, "page/mutaties/0/abc",
                        "kredietbank.pagina")
    writer = RawWriter(runtime)
    assert asyncio.run(_reenter(runtime, writer)) == 1
    produced = [x for x in writer.raw if not x[0].endswith(".dlt")]
    refused = [x for x in writer.raw if x[0].endswith(".dlt")]
    assert [(x[0], x[3]) for x in produced] == [
        (topics.ONTZORGEN_BETALING, [(REDRIVE_HEADER, letter_id.encode())])]
    assert len(refused) == 1 and BSN.encode() not in (refused[0][2] or b"")
    _recorded(runtime, writer)
    assert get_letter(runtime.store.engine, letter_id).status == RESOLVED  # type: ignore[union-attr]
    entry = get_letter(runtime.store.engine, "dl:connector-kredietbank:mutatie/2")
    assert entry is not None and entry.status == PENDING
    assert entry.reentry == "kredietbank.mutatie" and entry.error_type == "InvalidField"


def test_a_page_still_broken_fails_again_linked_to_its_next_letter(runtime: Runtime) -> None:
    letter_id = _letter(runtime, topics.ONTZORGEN_BETALING, [{"volgnummer": 1}],
                        "page/mutaties/0/def", "kredietbank.pagina")
    writer = RawWriter(runtime)
    asyncio.run(_reenter(runtime, writer))
    assert [x[0] for x in writer.raw] == [topics.dead_letter_of(topics.ONTZORGEN_BETALING)]
    _recorded(runtime, writer)
    old = get_letter(runtime.store.engine, letter_id)
    assert old is not None and old.status == FAILED_AGAIN and old.next_letter
    new = get_letter(runtime.store.engine, old.next_letter)
    assert new is not None and new.redrive_of == letter_id and new.attempts == 2
    assert new.reentry == "kredietbank.pagina"


def test_a_page_without_entries_is_resolved_at_once(runtime: Runtime) -> None:
    letter_id = _letter(runtime, topics.ONTZORGEN_BETALING,
                        {"mutaties": [], "volgende": 0}, "page/mutaties/0/000",
                        "kredietbank.pagina")
    writer = RawWriter(runtime)
    asyncio.run(_reenter(runtime, writer))
    assert writer.raw == []
    assert get_letter(runtime.store.engine, letter_id).status == RESOLVED  # type: ignore[union-attr]
    assert [h.action for h in letter_history(runtime.store.engine, letter_id)] == [
        "dead_letter.redrive", "dead_letter.resolved"]


async def _with_partner(runtime: Runtime, writer: RawWriter, entries: list[dict[str, Any]],
                        ) -> tuple[KredietbankSimulator, list[str], list[tuple[str, str, int]]]:
    """Serve a Kredietbank with one invoice; dead-letter ``entries(base_url)``'s listing
    entries and re-enter them against it."""
    sim, elsewhere = KredietbankSimulator(), Elsewhere()
    sim.register({"huishoudenId": "HH1", "bsn": BSN, "gemeentecode": "0363",
                  "ontzorgenStartdatum": "2024-03-01", "crediteuren": []})
    async with serve(sim) as url, elsewhere.serve() as other:
        ids = []
        for n, entry in enumerate(entries):
            entry = {k: v.replace("{api}", url).replace("{other}", other)
                     if isinstance(v, str) else v for k, v in entry.items()}
            ids.append(await asyncio.to_thread(
                _letter, runtime, topics.KREDIETBANK_FACTUUR, entry, f"factuur/entry-{n}",
                "kredietbank.factuurmelding"))
        await _reenter(runtime, writer, url)
        return sim, ids, list(elsewhere.seen)


def test_a_listing_entry_re_enters_by_fetching_its_invoice_from_the_partner_only(
        runtime: Runtime) -> None:
    writer = RawWriter(runtime)
    sim, (fetched, foreign), seen = asyncio.run(_with_partner(runtime, writer, [
        {"factuurnummer": "KB000001", "url": "{api}/facturen/KB000001"},  # no volgnummer
        {"volgnummer": 2, "factuurnummer": "KB000002", "url": "{other}/facturen/KB000002"}]))
    assert seen == []  # the entry pointing elsewhere was not followed
    produced = [x for x in writer.raw if x[0] == topics.KREDIETBANK_FACTUUR]
    assert [x[3] for x in produced] == [[(REDRIVE_HEADER, fetched.encode())]]
    assert [x[0] for x in writer.raw if x[0] == FACTUUR_DLT] == [FACTUUR_DLT]
    assert ("GET", "/api/v1/facturen/KB000001", 200) in [
        (r[0], r[1], r[2]) for r in sim.requests]
    _recorded(runtime, writer)
    assert get_letter(runtime.store.engine, fetched).status == RESOLVED  # type: ignore[union-attr]
    again = get_letter(runtime.store.engine, foreign)
    assert again is not None and again.status == FAILED_AGAIN
    follow = get_letter(runtime.store.engine, again.next_letter or "")
    assert follow is not None and follow.reentry == "kredietbank.factuurmelding"
