"""A scenario folder through the connectors' own translators and the reconciliation, no broker.

Every partner file is read with the connector's parser and translator (DUO changes, school
files, ISAM resources, Kredietbank mutaties and invoices, ISI rows), each record goes through
the Avro codec (so it is valid for its topic), invoices fan out to their cases like the store
does (``links.derived``), and the ``Reconciler`` projects every case with the linked facts the
store would give it (``links.linked``: households and their members). ``hub scenario check
--offline`` and the unit tests use it to compare the ground truth with the rules in seconds.
"""

from __future__ import annotations

import json
import os
from collections import defaultdict
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from lxml import etree

import topics
from connectors.duo.translate import parse_changes, translate_change
from connectors.edge import Routed
from connectors.isam.translate import translate as isam_translate
from connectors.isi.importer import read_rows
from connectors.isi.translate import translate_row
from connectors.kredietbank.invoice import factuur
from connectors.kredietbank.translate import mutatie
from connectors.taalaanbieder.translate import translate_file
from connectors.ubl import parse_invoice
from hub.codec import AvroCodec
from hub.errors import FileRefused, InvalidField, PermanentError
from hub.privacy import BsnCipher, case_ref
from hub.reconcile.links import derived, linked
from hub.reconcile.tables import Tables
from hub.reconcile.view import Reconciler
from hub.registry import FileSchemaRegistry
from hub.store import Fact, InboundMessage
from hub.store.linking import with_links
from hub.store.records import fact_order
from schemas import LOCK_PATH

RECEIVED = datetime(2030, 1, 1, tzinfo=UTC)


class Sealer:
    """The connector edge on the scenario's key, with a throwaway BSN key."""

    def __init__(self, key: str) -> None:
        self.key = key
        self.cipher = BsnCipher({"offline": os.urandom(32)}, "offline")

    def case_ref(self, bsn: str) -> str:
        """Keyed hash of the BSN."""
        return case_ref(bsn, self.key)

    def seal(self, bsn: str) -> dict[str, object]:
        """The EncryptedBsn record."""
        return self.cipher.encrypt(bsn).as_record()


@dataclass
class Offline:
    """What the translators made of a folder, and the views the reconciliation derived."""

    records: dict[str, int] = field(default_factory=dict)  # topic -> records
    refused: list[tuple[str, str]] = field(default_factory=list)  # (where, why)
    views: dict[str, dict[str, Any]] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)  # case -> projection failure


def routed(folder: Path, sealer: Sealer) -> Iterator[Routed | tuple[str, str]]:
    """Every record the connectors would produce, or (where, why) for what they refuse."""
    yield from _duo(folder, sealer)
    yield from _schools(folder, sealer)
    yield from _isam(folder, sealer)
    yield from _kredietbank(folder, sealer)
    yield from _isi(folder, sealer)


def _duo(folder: Path, sealer: Sealer) -> Iterator[Routed | tuple[str, str]]:
    path = folder / "duo" / "wijzigingen.xml"
    if not path.exists():
        return
    for change in parse_changes(etree.parse(str(path)).getroot()):
        try:
            yield translate_change(change, sealer=sealer, received_at=RECEIVED)
        except PermanentError as exc:
            yield f"duo/{change.change_id}", str(exc)


def _schools(folder: Path, sealer: Sealer) -> Iterator[Routed | tuple[str, str]]:
    for inbox in sorted((folder / "taalaanbieder").glob("*/inbox")):
        school = inbox.parent.name
        for path in sorted(p for p in inbox.iterdir() if p.is_file()):
            try:
                yield from translate_file(path.name, path.read_bytes(), school=school,
                                          sealer=sealer, received_at=RECEIVED)
            except FileRefused as exc:
                yield f"taalaanbieder/{school}/{path.name}", exc.rule


def _isam(folder: Path, sealer: Sealer) -> Iterator[Routed | tuple[str, str]]:
    path = folder / "isam" / "notificaties.jsonl"
    if not path.exists():
        return
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        item = json.loads(line)
        try:
            yield isam_translate(item["resource"], item["gegevens"], sealer=sealer,
                                 received_at=RECEIVED)
        except PermanentError as exc:
            yield f"isam/line {n}", str(exc)


def _kredietbank(folder: Path, sealer: Sealer) -> Iterator[Routed | tuple[str, str]]:
    base = folder / "kredietbank"
    if (base / "mutaties.jsonl").exists():
        for line in (base / "mutaties.jsonl").read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            try:
                yield mutatie(item, sealer=sealer, received_at=RECEIVED)
            except PermanentError as exc:
                yield f"kredietbank/mutatie {item.get('volgnummer')}", str(exc)
    if (base / "facturen.jsonl").exists():
        for line in (base / "facturen.jsonl").read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            data = (base / item["bestand"]).read_bytes()
            try:
                record = factuur(parse_invoice(data, source=item["bestand"]),
                                 received_at=RECEIVED)
                yield Routed(topics.KREDIETBANK_FACTUUR, record)
            except PermanentError as exc:
                yield f"kredietbank/{item['bestand']}", str(exc)


def _isi(folder: Path, sealer: Sealer) -> Iterator[Routed | tuple[str, str]]:
    for path in sorted((folder / "isi").glob("*.csv")):
        for line, values in read_rows(path):
            try:
                yield translate_row(values, sealer=sealer, received_at=RECEIVED)
            except InvalidField as exc:
                yield f"isi/{path.name} line {line}", exc.field


def replay(folder: Path, key: str, tables: Tables) -> Offline:
    """Translate, encode and decode, link invoices to cases, and project every case."""
    codec = AvroCodec(FileSchemaRegistry(LOCK_PATH))
    result, facts = Offline(), defaultdict(list)
    for item in routed(folder, Sealer(key)):
        if not isinstance(item, Routed):
            result.refused.append(item)
            continue
        spec = topics.by_name(item.topic)
        _, record = codec.decode(codec.encode(spec.value_schema, item.record))
        result.records[item.topic] = result.records.get(item.topic, 0) + 1
        message = InboundMessage(item.topic, 0, 0, str(record["message_id"]),
                                 str(record["case_ref"]), spec.value_schema, record)
        for m in (message, *derived(message)):
            facts[m.case_ref].append(Fact(m.message_id, m.case_ref, m.kind, m.record,
                                          m.topic, 0, 0))
    reconcile = Reconciler(tables)
    unique = {ref: sorted({f.message_id: f for f in fs}.values(), key=fact_order)
              for ref, fs in facts.items()}

    def load(keys: Sequence[str]) -> dict[str, list[Fact]]:
        return {key: unique.get(key, []) for key in keys}

    for ref in sorted(unique):
        closure, _ = with_links([ref], {ref: unique[ref]}, linked, load)  # as the store reads
        try:
            view = reconcile(ref, closure[ref])
        except Exception as exc:  # a rule that fails on this case: reported, not fatal
            result.errors[ref] = f"{type(exc).__name__}: {exc}"
            continue
        result.views[ref] = json.loads(json.dumps(view, default=str))
    return result
