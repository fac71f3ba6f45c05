"""Pure translators between the DUO service contract and the hub's Avro records.

No I/O, no clock, no logging: the caller passes ``received_at`` and a ``BsnSealer`` that turns a
validated BSN into its case reference and encrypted form. BSNs are validated here (R20), at the
edge; whatever does not fit raises ``InvalidField`` naming the field, never the value.

Every record carries DUO's own order (``bron_versie``, R21): the DUO record it is a version of
(``SLEUTEL``: the person's plicht and koppeling, an ExamenId, an Examennummer, a BoeteKenmerk,
...), DUO's ``Tijdstip`` and ``Volgnummer``, and the change it ``Corrigeert``. ``received_at``
only fills ``produced_at``, which no rule reads.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from lxml import etree

import topics
from connectors.edge import BsnSealer, Routed
from hub.errors import InvalidField
from hub.privacy import normalise_bsn
from hub.versions import bron_versie

DUO_NS = "http://inburgering-hub.nl/duo/inburgering/v1"
SOURCE = "duo"
CONSUMER = "connector-duo"
_IDS = uuid.UUID("6f1c0b6e-2d0c-5d3e-9a57-0d5b1a0c4d21")  # namespace for derived ids
_GEMEENTECODE = re.compile(r"^\d{4}$")
_INT_LIMIT = 2**31  # whole numbers must fit an Avro int


@dataclass(frozen=True)
class RawChange:
    """One ``Wijziging`` as DUO sent it: its ids, its kind, its fields as text, its XML."""

    change_id: str
    sequence: int
    kind: str
    fields: Mapping[str, str | None]
    xml: bytes
    at: str | None = None  # Tijdstip as sent
    corrigeert: str | None = None  # the WijzigingId this change corrects (R21)


def change_message_id(change_id: str) -> str:
    """Deterministic message id of a pulled change: a repeat is deduplicated by the inbox."""
    return str(uuid.uuid5(_IDS, f"duo:wijziging:{change_id}"))


def wsa_message_id(message_id: str) -> str:
    """The WS-Addressing MessageID for a registration: a plain UUID, no ``urn:`` prefix."""
    try:
        return str(uuid.UUID(message_id))
    except ValueError:
        return str(uuid.uuid5(_IDS, f"hub:registration:{message_id}"))


# -- reading the envelope ---------------------------------------------------------------------

def parse_changes(envelope: etree._Element) -> list[RawChange]:
    """Every ``Wijziging`` in a HaalWijzigingen response, with its own XML kept verbatim."""
    changes = []
    for node in envelope.iter(f"{{{DUO_NS}}}Wijziging"):
        payload = next((c for c in node if etree.QName(c).localname not in _ENVELOPE_FIELDS),
                       None)
        fields = {} if payload is None else {etree.QName(c).localname: c.text for c in payload}
        changes.append(RawChange(
            change_id=_text(node, "WijzigingId") or "", sequence=_sequence(node),
            kind="" if payload is None else etree.QName(payload).localname,
            fields=fields, xml=etree.tostring(node), at=_text(node, "Tijdstip"),
            corrigeert=(_text(node, "Corrigeert") or "").strip() or None))
    return changes


_ENVELOPE_FIELDS = {"WijzigingId", "Volgnummer", "Tijdstip", "Corrigeert"}


def _sequence(node: etree._Element) -> int:
    try:
        return int(_text(node, "Volgnummer") or 0)
    except ValueError:
        raise InvalidField("Wijziging.Volgnummer", "not a whole number") from None


def _text(node: etree._Element, name: str) -> str | None:
    child = node.find(f"{{{DUO_NS}}}{name}")
    return None if child is None else child.text


# -- inbound: change -> record ----------------------------------------------------------------

def translate_change(change: RawChange, *, sealer: BsnSealer, received_at: datetime) -> Routed:
    """Route and translate one pulled change; ``InvalidField`` when it does not fit."""
    route = _INBOUND.get(change.kind)
    if route is None:
        raise InvalidField("Wijziging", f"unknown change kind {change.kind!r}")
    topic, body = route
    f = change.fields
    bsn = normalise_bsn(f.get("Bsn") or "", field=f"{change.kind}.Bsn")
    reader = _Reader(change.kind, f)
    record = {"message_id": change_message_id(change.change_id),
              "case_ref": sealer.case_ref(bsn), "source": SOURCE, "produced_at": received_at,
              "bsn": sealer.seal(bsn), **body(reader),
              "bron_versie": bron_versie(
                  SLEUTEL[change.kind](reader), tijdstip=_tijdstip(change.at),
                  volgnummer=change.sequence, document=change.change_id,
                  corrigeert=change_message_id(change.corrigeert) if change.corrigeert else None)}
    return Routed(topic, record)


def _tijdstip(text: str | None) -> datetime:
    """DUO's ``Tijdstip`` (xs:dateTime; without a zone it is UTC)."""
    try:
        at = datetime.fromisoformat((text or "").strip())
    except ValueError:
        raise InvalidField("Wijziging.Tijdstip", "not a date-time (xs:dateTime)") from None
    return at if at.tzinfo else at.replace(tzinfo=UTC)


class _Reader:
    """Tolerant typed access to a change's fields; errors name ``Kind.Field``."""

    def __init__(self, kind: str, fields: Mapping[str, str | None]) -> None:
        self.kind, self.fields = kind, fields

    def text(self, name: str) -> str:
        value = (self.fields.get(name) or "").strip()
        if not value:
            raise InvalidField(f"{self.kind}.{name}", "missing")
        return value

    def optional(self, name: str) -> str | None:
        return (self.fields.get(name) or "").strip() or None

    def date(self, name: str) -> date:
        try:
            return date.fromisoformat(self.text(name)[:10])
        except ValueError:
            raise InvalidField(f"{self.kind}.{name}", "not a date (yyyy-mm-dd)") from None

    def integer(self, name: str, default: int | None = None) -> int | None:
        raw = self.optional(name)
        if raw is None:
            return default
        try:
            value = int(raw)
        except ValueError:
            raise InvalidField(f"{self.kind}.{name}", "not a whole number") from None
        if not -_INT_LIMIT <= value < _INT_LIMIT:  # the Avro int/long fields it fills
            raise InvalidField(f"{self.kind}.{name}", "out of range")
        return value

    def boolean(self, name: str) -> bool:
        value = self.text(name).lower()
        if value not in ("true", "false", "1", "0"):
            raise InvalidField(f"{self.kind}.{name}", "not a boolean")
        return value in ("true", "1")

    def code(self, name: str, allowed: Mapping[str, str], default: str = "ONBEKEND") -> str:
        raw = self.text(name).upper().replace(" ", "_")
        return allowed.get(raw, raw if raw in allowed.values() else default)

    def gemeentecode(self, name: str = "Gemeentecode") -> str:
        value = self.text(name)
        if not _GEMEENTECODE.match(value):
            raise InvalidField(f"{self.kind}.{name}", "not a 4-digit CBS gemeentecode")
        return value


_REGIME = {"WI2007": "WI2007", "WI2013": "WI2013", "WI2021": "WI2021"}
_DOELGROEP = {"ASIELSTATUSHOUDER": "ASIELSTATUSHOUDER", "GEZINSMIGRANT": "GEZINSMIGRANT",
              "OVERIGE_MIGRANT": "OVERIGE_MIGRANT"}
_ONDERDEEL = {k: k for k in ("LEZEN", "LUISTEREN", "SCHRIJVEN", "SPREKEN", "KNM", "ONA")}
_NIVEAU = {k: k for k in ("A1", "A2", "B1", "B2")}
_UITSLAG = {"GESLAAGD": "GESLAAGD", "NIET_GESLAAGD": "NIET_GESLAAGD", "GEZAKT": "NIET_GESLAAGD",
            "NIET_VERSCHENEN": "NIET_VERSCHENEN"}
_BESLISSING = {k: k for k in ("TOEGEKEND", "GEDEELTELIJK_TOEGEKEND", "AFGEWEZEN")}
_ONTHEFFING_SOORT = {"ONTHEFFING": "ONTHEFFING", "VRIJSTELLING": "VRIJSTELLING"}
_GROND = {k: k for k in ("MEDISCH", "AANTOONBARE_INSPANNING", "DIPLOMA")}


def _plicht(r: _Reader) -> dict[str, Any]:
    return {"v_nummer": r.optional("VNummer"), "plicht_startdatum": r.date("PlichtStartdatum"),
            "doelgroep": r.code("Doelgroep", _DOELGROEP), "regime": r.code("Regime", _REGIME)}


def _koppeling(r: _Reader) -> dict[str, Any]:
    return {"gemeentecode": r.gemeentecode(), "koppeldatum": r.date("Koppeldatum"),
            "azc": r.optional("Azc")}


def _lbt(r: _Reader) -> dict[str, Any]:
    return {"examennummer": r.text("Examennummer"), "afnamedatum": r.date("Afnamedatum"),
            "uitkomst_b1_haalbaar": r.boolean("B1Haalbaar")}


def _exam(r: _Reader) -> dict[str, Any]:
    return {"examen_id": r.text("ExamenId"), "onderdeel": r.code("Onderdeel", _ONDERDEEL),
            "niveau": r.code("Niveau", _NIVEAU), "examendatum": r.date("Examendatum"),
            "uitslag": r.code("Uitslag", _UITSLAG), "score": r.integer("Score")}


def _termijn(r: _Reader) -> dict[str, Any]:
    beslissing = r.optional("Beslissing")
    return {"besluitdatum": r.date("Besluitdatum"), "aanvangsdatum": r.date("Aanvangsdatum"),
            "einddatum": r.date("Einddatum"), "verlenging_weken": r.integer("VerlengingWeken", 0),
            "beslissing": r.code("Beslissing", _BESLISSING) if beslissing else None,
            "grond": r.optional("Grond"), "aanvraag_message_id": r.optional("AanvraagMessageId")}


def _ontheffing(r: _Reader) -> dict[str, Any]:
    return {"soort": r.code("Soort", _ONTHEFFING_SOORT), "ingangsdatum": r.date("Ingangsdatum"),
            "grond": r.code("Grond", _GROND, default="OVERIG"),
            "besluit_kenmerk": r.optional("BesluitKenmerk")}


def _boete(r: _Reader) -> dict[str, Any]:
    return {"boete_kenmerk": r.text("BoeteKenmerk"), "bedrag_cent": r.integer("BedragCent") or 0,
            "boetedatum": r.date("Boetedatum"), "vooraankondiging": r.boolean("Vooraankondiging"),
            "grond": r.optional("Grond")}


# change kind -> the DUO record a change is a version of (R21): a later change with the same key
# (or one naming it in ``Corrigeert``) corrects it. Keys are per case (the person).
SLEUTEL: dict[str, Callable[[_Reader], str]] = {
    "InburgeringsplichtVastgesteld": lambda r: "duo:plicht",
    "KoppelingGemeente": lambda r: "duo:koppeling",
    "LbtResultaat": lambda r: f"duo:lbt:{r.text('Examennummer')}",
    "Examenresultaat": lambda r: f"duo:examen:{r.text('ExamenId')}",
    "TermijnBesluit": lambda r: "duo:termijn:" + (r.optional("AanvraagMessageId")
                                                  or r.date("Besluitdatum").isoformat()),
    "Ontheffing": lambda r: f"duo:ontheffing:{r.optional('BesluitKenmerk') or '-'}",
    "Boete": lambda r: f"duo:boete:{r.text('BoeteKenmerk')}",
}

_INBOUND: dict[str, tuple[str, Callable[[_Reader], dict[str, Any]]]] = {
    "InburgeringsplichtVastgesteld": (topics.DUO_INBURGERINGSPLICHT_VASTGESTELD, _plicht),
    "KoppelingGemeente": (topics.KOPPELING_GEMEENTE, _koppeling),
    "LbtResultaat": (topics.LBT_RESULTAAT, _lbt),
    "Examenresultaat": (topics.EXAMENRESULTAAT, _exam),
    "TermijnBesluit": (topics.TERMIJN_BESLUIT, _termijn),
    "Ontheffing": (topics.ONTHEFFING, _ontheffing),
    "Boete": (topics.DUO_BOETE, _boete),
}


def topic_of_kind(kind: str) -> str | None:
    """The inbound topic a change kind goes to, or None when the kind is unknown."""
    route = _INBOUND.get(kind)
    return None if route is None else route[0]


# -- outbound: record -> registration ---------------------------------------------------------

def _voldaan(rec: Mapping[str, Any]) -> dict[str, Any]:
    return {"Gemeentecode": rec["gemeentecode"], "Afrondingsdatum": rec["afrondingsdatum"],
            "Resultaat": rec["resultaat"], "RedenNietVoldaan": rec.get("reden_niet_voldaan"),
            "Verwijtbaar": rec.get("verwijtbaar")}


_OUTBOUND: dict[str, tuple[str, Callable[[Mapping[str, Any]], dict[str, Any]]]] = {
    topics.LBT_AANMELDING: ("MeldLbtAanmelding", lambda rec: {
        "Gemeentecode": rec["gemeentecode"], "Aanmelddatum": rec["aanmelddatum"]}),
    topics.HUB_PIP_VASTGESTELD: ("MeldPip", lambda rec: {
        "Gemeentecode": rec["gemeentecode"], "Soort": rec["soort"],
        "PipKenmerk": rec["pip_kenmerk"], "DagtekeningEerstePip": rec["dagtekening_eerste_pip"],
        "Dagtekening": rec["dagtekening"], "Leerroute": rec["leerroute"],
        "Niveau": rec["niveau"], "Taalaanbieder": rec.get("taalaanbieder"),
        "ContractId": rec.get("contract_id"), "Ontzorgen": rec["ontzorgen"]}),
    topics.HUB_PVT_VOLDAAN: ("MeldPvt", _voldaan),
    topics.HUB_MAP_VOLDAAN: ("MeldMap", _voldaan),
    topics.VERLENGING_AANVRAAG: ("VraagVerlengingAan", lambda rec: {
        "Gemeentecode": rec["gemeentecode"], "Aanvraagdatum": rec["aanvraagdatum"],
        "VerlengingWeken": rec["verlenging_weken"], "Grond": rec["grond"],
        "Toelichting": rec.get("toelichting")}),
}
OUTBOUND_TOPICS = tuple(_OUTBOUND)


def registration(topic: str, record: Mapping[str, Any], bsn: str) -> tuple[str, dict[str, Any]]:
    """(operation, request fields) for an outbound record; the BSN is validated again (R20)."""
    operation, body = _OUTBOUND[topic]
    try:
        fields = body(record)
    except KeyError as exc:
        raise InvalidField(str(exc.args[0]), "missing") from None
    code = str(fields.get("Gemeentecode", ""))
    if not _GEMEENTECODE.match(code):
        raise InvalidField("gemeentecode", "not a 4-digit CBS gemeentecode")
    return operation, {"Bsn": normalise_bsn(bsn), **fields}
