"""Dead letters in the store: recorded per kind, sealed at the edge, re-driven per kind,
resolved or failed-again, discarded with a reason; selections by topic, error type and age."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

import topics
from connectors.kit.deadletter import DeadLetters
from connectors.kit.reentry import REDRIVE_HEADER, reenter_once
from connectors.kredietbank.config import KredietbankSettings
from connectors.kredietbank.run import KredietbankConnector
from hub.agents.dead_letters import letter_of
from hub.agents.handler import ATTEMPTS_HEADER, BatchHandler, RawMessage
from hub.console.originals import masked_original, unsealed
from hub.console.redrive import Selection, how_redriven, redrive, resolve, select_letters
from hub.errors import ConfigurationError, InvalidField
from hub.runtime import Runtime
from hub.settings import from_env
from hub.store import InboundMessage
from hub.store.dead_letters import (
    DISCARDED,
    EDGE,
    FAILED_AGAIN,
    HUB,
    PENDING,
    REDRIVEN,
    RESOLVED,
    LetterFilter,
    count_letters,
    get_letter,
    letter_facets,
    letter_history,
    list_letters,
)
from tests.recording import RecordingWriter

BSN = "123456782"
TOPIC = topics.ONTZORGEN_BETALING
CONSUMER = f"record:{TOPIC}"


class RawWriter(RecordingWriter):
    """Keeps encoded sends with their headers too (what the re-entry loop produces)."""

    def __init__(self, runtime: Runtime) -> None:
        super().__init__(runtime)
        self.raw: list[tuple[str, bytes | None, bytes | None, list[tuple[str, bytes]]]] = []

    async def send_raw(self, topic: str, pairs: Sequence[tuple[bytes | None, bytes | None]],
                       headers: Sequence[tuple[str, bytes]] = ()) -> None:
        self.raw += [(topic, key, value, list(headers)) for key, value in pairs]

    async def send_many(self, topic: str, records: Sequence[Any]) -> None:
        await super().send_many(topic, records)
        await self.send_raw(topic, [self.encode(topic, r) for r in records])


@pytest.fixture
def runtime(tmp_path: Path) -> Runtime:
    return Runtime(from_env({"HUB_HOME": str(tmp_path)}))


def _betaling(**extra: object) -> dict[str, object]:
    return {"soort": "BETALING", "betalingId": "HH1-202403-HUUR", "huishoudenId": "HH1",
            "bsn": BSN, "periode": "2024-03", "crediteurSoort": "HUUR",
            "crediteurIban": "NL91ABNA0417164300", "bedragCent": 70000, "status": "BETAALD",
            "betaaldatum": "2024-03-28", **extra}


def _edge_letter(runtime: Runtime, payload: dict[str, object], ident: str) -> str:
    """An edge letter as the Kredietbank connector makes it, recorded as the worker does."""
    writer = RawWriter(runtime)
    dead = DeadLetters(writer, "connector-kredietbank", sealer=runtime.cipher)
    record = asyncio.run(dead.put_edge(TOPIC, json.dumps(payload).encode(),
                                       InvalidField("mutatie.BETALING.periode", "not a month"),
                                       ident, media_type="application/json",
                                       reentry="kredietbank.mutatie"))
    (dlt, _key, value, _headers), = writer.raw
    assert BSN.encode() not in value  # the topic never sees the partner's BSN
    new = runtime.store.add_dead_letters([letter_of(runtime.codec, dlt, 0, 0, value)])
    assert new == {record["message_id"]}
    return str(record["message_id"])


def test_an_edge_letter_is_sealed_masked_for_operators_and_unsealed_for_admins(
        runtime: Runtime) -> None:
    letter_id = _edge_letter(runtime, _betaling(periode="maart"), "mutatie/7")
    letter = get_letter(runtime.store.engine, letter_id)
    assert letter is not None and letter.kind == EDGE and letter.status == PENDING
    assert letter.original_value is None and letter.sealed and letter.attempts == 1
    assert BSN.encode() not in json.dumps(letter.sealed_original, default=repr).encode()
    shown = masked_original(letter, runtime.codec, runtime.cipher)
    assert shown["content"]["bsn"] == "<bsn>" and shown["content"]["periode"] == "maart"
    assert BSN not in json.dumps(shown)
    assert unsealed(letter, runtime.cipher)["content"]["bsn"] == BSN
    assert how_redriven(letter) == "connector kredietbank (kredietbank.mutatie)"
    again = letter_of(runtime.codec, topics.dead_letter_of(TOPIC), 0, 0,
                      runtime.codec.encode("nl.inburgering.hub.DeadLetter", {
                          **_decoded(runtime, letter_id)}))
    assert runtime.store.add_dead_letters([again]) == set()  # seen twice, recorded once


def _decoded(runtime: Runtime, letter_id: str) -> dict[str, Any]:
    letter = get_letter(runtime.store.engine, letter_id)
    assert letter is not None
    return {"message_id": letter.letter_id, "case_ref": "", "source": "hub",
            "produced_at": letter.failed_at, "consumer": letter.consumer,
            "source_topic": letter.source_topic, "source_partition": -1, "source_offset": -1,
            "original_key": None, "original_value": b"", "original_message_id": None,
            "error_type": letter.error_type, "error_message": letter.error_message,
            "attempts": 1, "failed_at": letter.failed_at, "kind": "edge",
            "sealed_original": letter.sealed_original, "reentry": letter.reentry}


def _connector(runtime: Runtime, writer: RawWriter) -> KredietbankConnector:
    return KredietbankConnector(runtime, writer,
                                settings=KredietbankSettings(api_url="http://127.0.0.1:9"))


def _as_raw(item: tuple[str, bytes | None, bytes | None, list[tuple[str, bytes]]],
            offset: int) -> RawMessage:
    topic, key, value, headers = item
    return RawMessage(topic, 0, offset, key, value, dict(headers))


def test_an_edge_letter_re_enters_its_connector_and_is_resolved_once_stored(
        runtime: Runtime) -> None:
    letter_id = _edge_letter(runtime, _betaling(), "mutatie/8")  # good now (a fixed mapping)
    chosen = select_letters(runtime.store, Selection(ids=(letter_id,)))
    sent = redrive(chosen, reason="Kredietbank fixed its periode field", actor="test:op",
                   bootstrap="127.0.0.1:9", suffix="", store=runtime.store)  # no broker used
    assert [(s.dead_letter, s.connector) for s in sent] == [(letter_id, "connector-kredietbank")]
    assert get_letter(runtime.store.engine, letter_id).status == REDRIVEN  # type: ignore[union-attr]
    writer = RawWriter(runtime)
    connector = _connector(runtime, writer)
    taken = asyncio.run(reenter_once(connector, runtime.reentries, connector.dead.consumer,
                                     runtime.cipher, writer, connector.dead))
    assert taken == 1 and asyncio.run(reenter_once(
        connector, runtime.reentries, connector.dead.consumer, runtime.cipher, writer,
        connector.dead)) == 0  # claimed once
    (produced,) = writer.raw
    assert produced[0] == TOPIC and (REDRIVE_HEADER, letter_id.encode()) in produced[3]
    result = BatchHandler(CONSUMER, codec=runtime.codec, store=runtime.store).handle(
        [_as_raw(produced, 40)])
    assert result.outcome.applied == 1
    letter = get_letter(runtime.store.engine, letter_id)
    assert letter is not None and letter.status == RESOLVED
    actions = [h.action for h in letter_history(runtime.store.engine, letter_id)]
    assert actions == ["dead_letter.redrive", "dead_letter.resolved"]


def test_an_edge_letter_refused_again_is_failed_again_and_linked_to_its_new_letter(
        runtime: Runtime) -> None:
    letter_id = _edge_letter(runtime, _betaling(periode="maart"), "mutatie/9")
    redrive(select_letters(runtime.store, Selection(ids=(letter_id,))), reason="try again",
            actor="test:op", bootstrap="", suffix="", store=runtime.store)
    writer = RawWriter(runtime)
    connector = _connector(runtime, writer)
    asyncio.run(reenter_once(connector, runtime.reentries, connector.dead.consumer,
                             runtime.cipher, writer, connector.dead))
    (dlt, _key, value, _headers), = writer.raw  # refused again: a new edge letter, sealed
    assert dlt == topics.dead_letter_of(TOPIC) and BSN.encode() not in (value or b"")
    runtime.store.add_dead_letters([letter_of(runtime.codec, dlt, 0, 1, value)])
    old = get_letter(runtime.store.engine, letter_id)
    assert old is not None and old.status == FAILED_AGAIN and old.next_letter
    new = get_letter(runtime.store.engine, old.next_letter)
    assert new is not None and new.redrive_of == letter_id and new.attempts == 2
    assert new.status == PENDING and new.sealed


def _hub_letters(runtime: Runtime, count: int) -> list[str]:
    """In-hub letters: messages refused by the handler (an unknown case), stored with them."""
    def refuse(message: InboundMessage) -> None:
        raise InvalidField("case_ref", "no such case yet")

    handler = BatchHandler(CONSUMER, codec=runtime.codec, store=runtime.store, check=refuse)
    raws = [RawMessage(TOPIC, 0, n, *runtime_encode(runtime, n)) for n in range(count)]
    assert handler.handle(raws).outcome.dead_lettered == count
    return [x.letter_id for x in list_letters(runtime.store.engine, oldest_first=True)]


def runtime_encode(runtime: Runtime, n: int) -> tuple[bytes, bytes]:
    writer = RecordingWriter(runtime)
    record = _connector(runtime, RawWriter(runtime))  # the real translation makes the record
    routed = asyncio.run(record.reenter("kredietbank.mutatie", json.dumps(
        _betaling(betalingId=f"HH1-202403-HUUR-{n}")).encode()))[0]
    return writer.encode(routed.topic, routed.record)


def test_in_hub_letters_keep_their_message_and_a_redrive_resolves_or_fails_again(
        runtime: Runtime) -> None:
    first, second = _hub_letters(runtime, 2)
    letter = get_letter(runtime.store.engine, first)
    assert letter is not None and letter.kind == HUB and letter.original_value
    assert letter.case_ref.startswith("CR") and letter.error_type == "InvalidField"
    assert how_redriven(letter) == f"topic {TOPIC}"
    for letter_id, handler_check in ((first, None), (second, "refuse")):
        runtime.store.mark_redriven(letter_id, actor="test:op", reason="case exists now",
                                    to={"topic": TOPIC, "partition": 0, "offset": 99})
        stored = get_letter(runtime.store.engine, letter_id)
        assert stored is not None and stored.original_value is not None
        headers = {ATTEMPTS_HEADER: b"1", "hub-redrive-of": letter_id.encode()}
        raw = RawMessage(TOPIC, 0, 100 + len(letter_id) % 7 + (handler_check is not None),
                         stored.original_key, stored.original_value, headers)

        def refuse(message: InboundMessage) -> None:
            raise InvalidField("case_ref", "still unknown")

        BatchHandler(CONSUMER, codec=runtime.codec, store=runtime.store,
                     check=refuse if handler_check else None).handle([raw])
    assert get_letter(runtime.store.engine, first).status == RESOLVED  # type: ignore[union-attr]
    again = get_letter(runtime.store.engine, second)
    assert again is not None and again.status == FAILED_AGAIN
    follow = get_letter(runtime.store.engine, again.next_letter or "")
    assert follow is not None and follow.attempts == 2 and follow.redrive_of == second


def test_resolve_needs_a_reason_is_audited_and_bulk_selections_filter(runtime: Runtime) -> None:
    ids = _hub_letters(runtime, 3)
    edge = _edge_letter(runtime, _betaling(periode="maart"), "mutatie/10")
    with pytest.raises(ConfigurationError, match="reason"):
        resolve([], reason=" no ", actor="test:op", store=runtime.store)
    with pytest.raises(ConfigurationError, match="choose"):
        select_letters(runtime.store, Selection())
    by_error = select_letters(runtime.store, Selection(error_type="InvalidField"))
    assert {x.letter_id for x in by_error} == {*ids, edge}
    assert select_letters(runtime.store, Selection(older_than=timedelta(days=1))) == []
    assert len(select_letters(runtime.store, Selection(topic=TOPIC, every=True))) == 4
    done = resolve(select_letters(runtime.store, Selection(ids=(ids[0], edge))),
                   reason="duplicate of a corrected payment", actor="test:op",
                   store=runtime.store)
    assert sorted(done) == sorted([ids[0], edge])
    assert count_letters(runtime.store.engine, LetterFilter(status=DISCARDED)) == 2
    with pytest.raises(ConfigurationError, match="already settled"):
        select_letters(runtime.store, Selection(ids=(ids[0],)))
    assert {x.letter_id for x in select_letters(runtime.store, Selection(every=True))} == set(
        ids[1:])  # bulk takes open letters only
    history = letter_history(runtime.store.engine, edge)
    assert [(h.action, h.actor, h.reason) for h in history] == [
        ("dead_letter.resolve", "test:op", "duplicate of a corrected payment")]
    facets = letter_facets(runtime.store.engine)
    assert facets.statuses == {DISCARDED: 2, PENDING: 2} and facets.kinds == {EDGE: 1, HUB: 3}


def test_an_edge_letter_its_connector_cannot_take_back_must_be_resolved(
        runtime: Runtime) -> None:
    writer = RawWriter(runtime)
    dead = DeadLetters(writer, "connector-kredietbank", sealer=runtime.cipher)
    asyncio.run(dead.put_edge(TOPIC, b'[{"volgnummer": 1}]', InvalidField("page", "no object"),
                              "page/1", media_type="application/json",
                              reentry="kredietbank.overzicht"))  # a kind it does not take
    (dlt, _key, value, _headers), = writer.raw
    runtime.store.add_dead_letters([letter_of(runtime.codec, dlt, 0, 0, value)])
    (letter,) = list_letters(runtime.store.engine)
    with pytest.raises(ConfigurationError, match="resolve it"):
        redrive([letter], reason="try it", actor="test:op", bootstrap="", suffix="",
                store=runtime.store)
    assert get_letter(runtime.store.engine, letter.letter_id).status == PENDING  # type: ignore[union-attr]
