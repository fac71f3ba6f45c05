"""A fake DUO speaking the hub's WSDL over real HTTP(S), for the demo and the tests.

It verifies what the real service would (WS-Security signature over Body, Timestamp and
addressing headers, the signer's chain to ``trusted_ca``; WS-Addressing To/Action/MessageID
without ``urn:``, and ``From`` on registrations; the XSD), signs every answer, Faults included,
with ``signing`` (RelatesTo, its own MessageID, the WSDL's output Action and a
SignatureConfirmation of the request's signature, WUS WB014), keeps its own state (changes with
a sequence number, registrations by MessageID) and can misbehave on demand:
``inject("timeout", "http500", "fault")`` plans the next replies, ``storm()`` makes them random,
``repeat()`` sends a change again and ``correct()`` moves a date after the fact (R21). For the
attacker's tests, ``answer_hook`` rewrites each signed answer and ``answer_clock`` dates it.
"""

from __future__ import annotations

import random
import threading
import uuid
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from lxml import etree

from connectors.duo import wsse
from connectors.duo.answer import wsdl_actions
from connectors.duo.config import WSDL, XSD
from connectors.duo.envelopes import (
    FIELDS,
    Change,
    ack,
    change_element,
    fault_envelope,
    fields_of,  # noqa: F401 - re-exported (hub.scenario reads the field order here)
    response_envelope,
    sub,
    text,
)
from connectors.duo.translate import DUO_NS
from connectors.duo.trust import Trust, trust_from_pem
from hub.errors import ConfigurationError, InvalidField, SignatureInvalid
from hub.privacy import is_valid_bsn

FAULTS = ("timeout", "http500", "fault")
_PARSER = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
REGISTRATIONS = ("MeldLbtAanmelding", "MeldPip", "MeldPvt", "MeldMap", "VraagVerlengingAan")


@dataclass(frozen=True)
class Reply:
    """What the HTTP layer sends back: status, body, and how long to stall first."""

    status: int
    body: bytes
    delay_s: float = 0.0


@dataclass
class Registration:
    """One registration DUO accepted, by MessageID (a retry gets the same kenmerk)."""

    operation: str
    fields: dict[str, str | None]
    kenmerk: str
    received: datetime
    repeats: int = 0


@dataclass(frozen=True)
class _Request:
    """What an answer refers to: the request's MessageID, Action and SignatureValue."""

    message_id: str | None
    action: str | None
    signature_value: str | None


@dataclass
class DuoSimulator:
    """DUO's state and its answer to one SOAP request (no sockets: see ``serve``)."""

    trusted_ca: bytes | None = None
    require_signature: bool = True
    signing: tuple[bytes, bytes] | None = None  # (key PEM, certificate PEM) answers are signed with
    timeout_delay_s: float = 2.0
    clock: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))
    answer_clock: Callable[[], datetime] | None = None  # the answers' Timestamp (default clock)
    answer_hook: Callable[[bytes], bytes] | None = None  # rewrites each signed answer (tests)
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
        unknown = set(fields) - set(FIELDS[kind])
        if unknown:
            raise ConfigurationError(f"unknown fields for {kind}: {sorted(unknown)}")
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
        unknown = set(fields) - set(FIELDS[first.kind])
        if unknown:
            raise ConfigurationError(f"unknown fields for {first.kind}: {sorted(unknown)}")
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
        except etree.XMLSyntaxError as exc:
            return Reply(500, self._fault(_Request(None, None, None), "Verzoek geweigerd",
                                          str(exc)))
        seen = _seen(envelope)
        try:
            request = self._check(envelope)
        except (InvalidField, SignatureInvalid) as exc:
            return Reply(500, self._fault(seen, "Verzoek geweigerd", str(exc)))
        reply = self._dispatch(request, seen, planned_fault=fault == "fault")
        return Reply(reply.status, reply.body, self.timeout_delay_s if fault == "timeout" else 0)

    def _check(self, envelope: etree._Element) -> etree._Element:
        if self.require_signature:
            wsse.verify_envelope(envelope, now=self.clock(), trust=self._trust())
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
        if operation in REGISTRATIONS and not (header is not None and header.findtext(
                f"{{{wsse.WSA_NS}}}From/{{{wsse.WSA_NS}}}Address")):
            raise InvalidField("wsa:From", "required on a melding (WUS WA001)")
        if not _schema().validate(etree.fromstring(etree.tostring(request))):
            raise InvalidField(operation, "does not validate against the XSD")
        return request

    def _trust(self) -> Trust | None:
        return trust_from_pem(self.trusted_ca) if self.trusted_ca else None

    def _dispatch(self, request: etree._Element, seen: _Request, *,
                  planned_fault: bool) -> Reply:
        operation = etree.QName(request).localname
        self.requests[operation] += 1
        if operation == "HaalWijzigingen":
            return Reply(200, self._answer(seen, self._pull(request)))
        message_id = str(seen.message_id)
        with self._lock:
            known = self.registrations.get(message_id)
            if known is not None:  # a retry: same kenmerk, registered once
                known.repeats += 1
                return Reply(200, self._answer(seen, ack(known.kenmerk, known.received)))
            fields = {etree.QName(c).localname: c.text for c in request}
            bsn = fields.get("Bsn") or ""
            if planned_fault or not is_valid_bsn(bsn) or bsn in self.unknown_bsns:
                return Reply(500, self._fault(seen, "Registratie geweigerd",
                                              "Bsn onbekend of ongeldig", "DUO-4001"))
            kenmerk = f"DUO-{len(self.registrations) + 1:08d}"
            registered = Registration(operation, fields, kenmerk, self.clock())
            self.registrations[message_id] = registered
            return Reply(200, self._answer(seen, ack(kenmerk, registered.received)))

    def _pull(self, request: etree._Element) -> etree._Element:
        cursor = request.findtext(f"{{{DUO_NS}}}Cursor")
        limit = int(request.findtext(f"{{{DUO_NS}}}MaxAantal") or 100)
        self.pull_cursors.append(cursor)
        after = int(cursor) if cursor and cursor.isdigit() else 0
        with self._lock:
            pending = [c for c in self.changes if c.sequence > after]
        page = pending[:limit]
        root = etree.Element(f"{{{DUO_NS}}}HaalWijzigingenResponse", nsmap={"duo": DUO_NS})
        for change in page:
            root.append(change_element(change))
        sub(root, "NieuweCursor", str(page[-1].sequence if page else after))
        sub(root, "Meer", text(len(pending) > len(page)))
        return root

    # -- answers -------------------------------------------------------------------------
    def _answer(self, seen: _Request, payload: etree._Element) -> bytes:
        action = wsdl_actions(WSDL)[str(seen.action)]
        return self._seal(response_envelope(action, seen.message_id, payload), seen)

    def _fault(self, seen: _Request, text: str, detail: str, fout: str = "DUO-4000") -> bytes:
        return self._seal(fault_envelope("soap:Client", text, detail, fout,
                                         relates_to=seen.message_id), seen)

    def _seal(self, env: etree._Element, seen: _Request) -> bytes:
        """Sign the answer (confirming the request's signature), then apply the test hook."""
        if self.signing is not None:
            key, cert = self.signing
            wsse.sign_envelope(env, key, cert, now=(self.answer_clock or self.clock)(),
                               confirm=[seen.signature_value])
        data = bytes(etree.tostring(env, xml_declaration=True, encoding="utf-8"))
        return self.answer_hook(data) if self.answer_hook is not None else data


def _seen(envelope: etree._Element) -> _Request:
    """MessageID, Action and SignatureValue as received (even when the request is refused)."""
    header = envelope.find(f"{{{wsse.SOAP_NS}}}Header")
    if header is None:
        return _Request(None, None, None)
    value = header.findtext(f"{{{wsse.WSSE_NS}}}Security/{{{wsse.DS_NS}}}Signature/"
                            f"{{{wsse.DS_NS}}}SignatureValue")
    return _Request(header.findtext(f"{{{wsse.WSA_NS}}}MessageID"),
                    header.findtext(f"{{{wsse.WSA_NS}}}Action"),
                    value.strip() if value else None)


_SCHEMA: list[etree.XMLSchema] = []


def _schema() -> etree.XMLSchema:
    if not _SCHEMA:
        _SCHEMA.append(etree.XMLSchema(etree.parse(str(XSD), _PARSER)))
    return _SCHEMA[0]


def read_pem(path: str | Path | None) -> bytes | None:
    """PEM bytes of ``path``, or None."""
    return Path(path).read_bytes() if path else None


def registrations_by_operation(sim: DuoSimulator) -> Mapping[str, int]:
    """How many distinct registrations were accepted, per operation."""
    return dict(sim.accepted)
