"""A fake DUO speaking the hub's WSDL over real HTTP(S), for the demo and the tests.

It verifies what the real service would (WS-Security signature over Body, Timestamp and
addressing headers; WS-Addressing To/Action/MessageID without ``urn:``; the XSD), keeps its own
state (changes with a sequence number, registrations by MessageID) and can misbehave on demand:
``inject("timeout", "http500", "fault")`` plans the next replies, ``storm()`` makes them random,
``repeat()`` sends a change again and ``correct()`` moves a date after the fact (R21).
"""

from __future__ import annotations

import random
import threading
import uuid
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

from lxml import etree

from connectors.duo import wsse
from connectors.duo.config import XSD
from connectors.duo.translate import DUO_NS
from hub.errors import InvalidField
from hub.privacy import is_valid_bsn

FAULTS = ("timeout", "http500", "fault")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
_FIELDS = {  # XSD sequence order per change kind
    "InburgeringsplichtVastgesteld": ("Bsn", "VNummer", "PlichtStartdatum", "Doelgroep", "Regime"),
    "KoppelingGemeente": ("Bsn", "Gemeentecode", "Koppeldatum", "Azc"),
    "LbtResultaat": ("Bsn", "Examennummer", "Afnamedatum", "B1Haalbaar"),
    "Examenresultaat": ("Bsn", "ExamenId", "Onderdeel", "Niveau", "Examendatum", "Uitslag",
                        "Score"),
    "TermijnBesluit": ("Bsn", "Besluitdatum", "Aanvangsdatum", "Einddatum", "VerlengingWeken",
                       "Beslissing", "Grond", "AanvraagMessageId"),
    "Ontheffing": ("Bsn", "Soort", "Ingangsdatum", "Grond", "BesluitKenmerk"),
    "Boete": ("Bsn", "BoeteKenmerk", "BedragCent", "Boetedatum", "Vooraankondiging", "Grond"),
}
REGISTRATIONS = ("MeldLbtAanmelding", "MeldPip", "MeldPvt", "MeldMap", "VraagVerlengingAan")


@dataclass(frozen=True)
class Reply:
    """What the HTTP layer sends back: status, body, and how long to stall first."""

    status: int
    body: bytes
    delay_s: float = 0.0


@dataclass
class Change:
    """One change in DUO's feed."""

    sequence: int
    change_id: str
    kind: str
    fields: dict[str, object]
    at: datetime
    corrigeert: str | None = None  # WijzigingId of the change this one corrects (R21)


@dataclass
class Registration:
    """One registration DUO accepted, by MessageID."""

    operation: str
    fields: dict[str, str | None]
    kenmerk: str
    reply: bytes
    repeats: int = 0


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


@dataclass
class DuoSimulator:
    """DUO's state and its answer to one SOAP request (no sockets: see ``serve``)."""

    trusted_ca: bytes | None = None
    require_signature: bool = True
    timeout_delay_s: float = 2.0
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    changes: list[Change] = field(default_factory=list)
    registrations: dict[str, Registration] = field(default_factory=dict)
    requests: Counter[str] = field(default_factory=Counter)
    pull_cursors: list[str | None] = field(default_factory=list)
    unknown_bsns: set[str] = field(default_factory=set)  # registrations for these get a Fault
    _plan: deque[str] = field(default_factory=deque)
    _storm: tuple[float, random.Random] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    # -- state -----------------------------------------------------------------------------
    def add_change(self, kind: str, **fields: object) -> str:
        """Append a new change of ``kind`` (a WSDL change element); returns its WijzigingId."""
        unknown = set(fields) - set(_FIELDS[kind])
        if unknown:
            raise ValueError(f"unknown fields for {kind}: {sorted(unknown)}")
        change_id = f"W{len(self.changes) + 1:07d}-{uuid.uuid4().hex[:6]}"
        self._append(change_id, kind, dict(fields))
        return change_id

    def repeat(self, change_id: str) -> None:
        """Send an earlier change again, same WijzigingId (DUO re-delivers after a glitch)."""
        first = next(c for c in self.changes if c.change_id == change_id)
        self._append(first.change_id, first.kind, first.fields, first.corrigeert)

    def correct(self, change_id: str, **fields: object) -> str:
        """A late correction (R21): a new change copying ``change_id`` with ``fields`` changed,
        naming ``change_id`` in ``Corrigeert`` (FORMAT.md, "Corrections")."""
        first = next(c for c in self.changes if c.change_id == change_id)
        unknown = set(fields) - set(_FIELDS[first.kind])
        if unknown:
            raise ValueError(f"unknown fields for {first.kind}: {sorted(unknown)}")
        new_id = f"W{len(self.changes) + 1:07d}-{uuid.uuid4().hex[:6]}"
        self._append(new_id, first.kind, {**first.fields, **fields}, corrigeert=change_id)
        return new_id

    def _append(self, change_id: str, kind: str, fields: dict[str, object],
                corrigeert: str | None = None) -> None:
        with self._lock:
            self.changes.append(Change(len(self.changes) + 1, change_id, kind, fields,
                                       self.clock(), corrigeert))

    @property
    def accepted(self) -> Counter[str]:
        """Distinct registrations accepted, per operation."""
        return Counter(r.operation for r in self.registrations.values())

    def inject(self, *faults: str) -> None:
        """Plan the next replies: ``timeout`` (process, then stall), ``http500``, ``fault``."""
        assert set(faults) <= set(FAULTS), faults
        self._plan.extend(faults)

    def storm(self, rate: float, seed: int = 1) -> None:
        """From now on, a share ``rate`` of requests time out or get HTTP 500 (0 stops it)."""
        self._storm = (rate, random.Random(seed)) if rate else None

    def _next_fault(self) -> str | None:
        with self._lock:
            if self._plan:
                return self._plan.popleft()
            if self._storm is not None:
                rate, rng = self._storm
                if rng.random() < rate:
                    return rng.choice(("timeout", "http500"))
        return None

    # -- one request -----------------------------------------------------------------------
    def handle(self, body: bytes) -> Reply:
        """Answer one SOAP request the way DUO would."""
        fault = self._next_fault()
        if fault == "http500":
            return Reply(500, b"Internal Server Error")
        try:
            envelope = etree.fromstring(body, _PARSER)
            request, message_id, action = self._check(envelope)
        except (etree.XMLSyntaxError, InvalidField) as exc:
            return Reply(500, fault_envelope("soap:Client", "Verzoek geweigerd", str(exc)))
        reply = self._dispatch(request, message_id, action, planned_fault=fault == "fault")
        return Reply(reply.status, reply.body, self.timeout_delay_s if fault == "timeout" else 0)

    def _check(self, envelope: etree._Element) -> tuple[etree._Element, str, str]:
        if self.require_signature:
            wsse.verify_envelope(envelope, now=self.clock(), trusted_ca_pem=self.trusted_ca)
        header = envelope.find(f"{{{wsse.SOAP_NS}}}Header")
        wsa = {name: header.findtext(f"{{{wsse.WSA_NS}}}{name}") if header is not None else None
               for name in ("To", "Action", "MessageID")}
        body = envelope.find(f"{{{wsse.SOAP_NS}}}Body")
        request = body[0] if body is not None and len(body) else None
        if request is None or not all(wsa.values()):
            raise InvalidField("wsa", "To, Action and MessageID are required")
        operation = etree.QName(request).localname
        if wsa["Action"] != f"{DUO_NS}/{operation}":
            raise InvalidField("wsa:Action", "does not match the operation")
        if str(wsa["MessageID"]).lower().startswith("urn:"):
            raise InvalidField("wsa:MessageID", "urn: prefix not accepted")
        if not _schema().validate(etree.fromstring(etree.tostring(request))):
            raise InvalidField(operation, "does not validate against the XSD")
        return request, str(wsa["MessageID"]), str(wsa["Action"])

    def _dispatch(self, request: etree._Element, message_id: str, action: str, *,
                  planned_fault: bool) -> Reply:
        operation = etree.QName(request).localname
        self.requests[operation] += 1
        if operation == "HaalWijzigingen":
            return Reply(200, self._pull(request, message_id, action))
        with self._lock:
            known = self.registrations.get(message_id)
            if known is not None:  # a retry: same answer, registered once
                known.repeats += 1
                return Reply(200, known.reply)
            fields = {etree.QName(c).localname: c.text for c in request}
            bsn = fields.get("Bsn") or ""
            if planned_fault or not is_valid_bsn(bsn) or bsn in self.unknown_bsns:
                return Reply(500, fault_envelope("soap:Client", "Registratie geweigerd",
                                                 "Bsn onbekend of ongeldig", "DUO-4001"))
            kenmerk = f"DUO-{len(self.registrations) + 1:08d}"
            reply = response_envelope(action, message_id, _ack(kenmerk, self.clock()))
            self.registrations[message_id] = Registration(operation, fields, kenmerk, reply)
            return Reply(200, reply)

    def _pull(self, request: etree._Element, message_id: str, action: str) -> bytes:
        cursor = request.findtext(f"{{{DUO_NS}}}Cursor")
        limit = int(request.findtext(f"{{{DUO_NS}}}MaxAantal") or 100)
        self.pull_cursors.append(cursor)
        after = int(cursor) if cursor and cursor.isdigit() else 0
        with self._lock:
            pending = [c for c in self.changes if c.sequence > after]
        page = pending[:limit]
        root = etree.Element(f"{{{DUO_NS}}}HaalWijzigingenResponse", nsmap={"duo": DUO_NS})
        for change in page:
            root.append(_change_element(change))
        _sub(root, "NieuweCursor", str(page[-1].sequence if page else after))
        _sub(root, "Meer", _text(len(pending) > len(page)))
        return response_envelope(action, message_id, root)


def _sub(parent: etree._Element, name: str, text: str) -> etree._Element:
    node = etree.SubElement(parent, f"{{{DUO_NS}}}{name}")
    node.text = text
    return node


def _change_element(change: Change) -> etree._Element:
    node = etree.Element(f"{{{DUO_NS}}}Wijziging")
    _sub(node, "WijzigingId", change.change_id)
    _sub(node, "Volgnummer", str(change.sequence))
    _sub(node, "Tijdstip", change.at.isoformat())
    if change.corrigeert:
        _sub(node, "Corrigeert", change.corrigeert)
    payload = etree.SubElement(node, f"{{{DUO_NS}}}{change.kind}")
    for name in _FIELDS[change.kind]:
        if change.fields.get(name) is not None:
            _sub(payload, name, _text(change.fields[name]))
    return node


def _ack(kenmerk: str, now: datetime) -> etree._Element:
    root = etree.Element(f"{{{DUO_NS}}}Ontvangstbevestiging", nsmap={"duo": DUO_NS})
    _sub(root, "Kenmerk", kenmerk)
    _sub(root, "Ontvangen", now.isoformat())
    return root


def _envelope() -> tuple[etree._Element, etree._Element, etree._Element]:
    env = etree.Element(f"{{{wsse.SOAP_NS}}}Envelope",
                        nsmap={"soap": wsse.SOAP_NS, "wsa": wsse.WSA_NS})
    return (env, etree.SubElement(env, f"{{{wsse.SOAP_NS}}}Header"),
            etree.SubElement(env, f"{{{wsse.SOAP_NS}}}Body"))


def response_envelope(action: str, relates_to: str, payload: etree._Element) -> bytes:
    """A SOAP 1.1 response with WS-Addressing Action, MessageID and RelatesTo."""
    env, header, body = _envelope()
    for name, value in (("Action", action + "Response"), ("MessageID", str(uuid.uuid4())),
                        ("RelatesTo", relates_to)):
        etree.SubElement(header, f"{{{wsse.WSA_NS}}}{name}").text = value
    body.append(payload)
    return bytes(etree.tostring(env, xml_declaration=True, encoding="utf-8"))


def fault_envelope(code: str, text: str, detail: str, fout: str = "DUO-4000") -> bytes:
    """A SOAP 1.1 Fault with a ``DuoFout`` detail."""
    env, _, body = _envelope()
    fault = etree.SubElement(body, f"{{{wsse.SOAP_NS}}}Fault")
    etree.SubElement(fault, "faultcode").text = code
    etree.SubElement(fault, "faultstring").text = text
    detail_node = etree.SubElement(etree.SubElement(fault, "detail"), f"{{{DUO_NS}}}DuoFout")
    _sub(detail_node, "Code", fout)
    _sub(detail_node, "Omschrijving", detail)
    return bytes(etree.tostring(env, xml_declaration=True, encoding="utf-8"))


_SCHEMA: list[etree.XMLSchema] = []


def _schema() -> etree.XMLSchema:
    if not _SCHEMA:
        _SCHEMA.append(etree.XMLSchema(etree.parse(str(XSD), _PARSER)))
    return _SCHEMA[0]


def read_pem(path: str | Path | None) -> bytes | None:
    """PEM bytes of ``path``, or None."""
    return Path(path).read_bytes() if path else None


def fields_of(kind: str) -> tuple[str, ...]:
    """The fields of a change kind, in contract order."""
    return _FIELDS[kind]


def registrations_by_operation(sim: DuoSimulator) -> Mapping[str, int]:
    """How many distinct registrations were accepted, per operation."""
    return dict(sim.accepted)
