"""The DUO service's messages as the simulator writes them (unsigned; ``wsse`` signs them):
changes in XSD field order, the Ontvangstbevestiging, responses and Faults with WS-Addressing."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, datetime

from lxml import etree

from connectors.duo import wsse
from connectors.duo.answer import FAULT_ACTION
from connectors.duo.translate import DUO_NS

FIELDS = {  # XSD sequence order per change kind
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


@dataclass
class Change:
    """One change in DUO's feed."""

    sequence: int
    change_id: str
    kind: str
    fields: dict[str, object]
    at: datetime
    corrigeert: str | None = None  # WijzigingId of the change this one corrects (R21)


def text(value: object) -> str:
    """A value as the XSD writes it (booleans lower case, ISO dates)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date | datetime):
        return value.isoformat()
    return str(value)


def sub(parent: etree._Element, name: str, value: str) -> etree._Element:
    """A DUO-namespace child of ``parent`` with text ``value``."""
    node = etree.SubElement(parent, f"{{{DUO_NS}}}{name}")
    node.text = value
    return node


def change_element(change: Change) -> etree._Element:
    """One ``Wijziging`` with its fields in XSD order."""
    node = etree.Element(f"{{{DUO_NS}}}Wijziging")
    sub(node, "WijzigingId", change.change_id)
    sub(node, "Volgnummer", str(change.sequence))
    sub(node, "Tijdstip", change.at.isoformat())
    if change.corrigeert:
        sub(node, "Corrigeert", change.corrigeert)
    payload = etree.SubElement(node, f"{{{DUO_NS}}}{change.kind}")
    for name in FIELDS[change.kind]:
        if change.fields.get(name) is not None:
            sub(payload, name, text(change.fields[name]))
    return node


def ack(kenmerk: str, now: datetime) -> etree._Element:
    """DUO's ``Ontvangstbevestiging`` of a registration."""
    root = etree.Element(f"{{{DUO_NS}}}Ontvangstbevestiging", nsmap={"duo": DUO_NS})
    sub(root, "Kenmerk", kenmerk)
    sub(root, "Ontvangen", now.isoformat())
    return root


def _envelope() -> tuple[etree._Element, etree._Element, etree._Element]:
    env = etree.Element(f"{{{wsse.SOAP_NS}}}Envelope",
                        nsmap={"soap": wsse.SOAP_NS, "wsa": wsse.WSA_NS})
    return (env, etree.SubElement(env, f"{{{wsse.SOAP_NS}}}Header"),
            etree.SubElement(env, f"{{{wsse.SOAP_NS}}}Body"))


def _addressing(header: etree._Element, action: str, relates_to: str | None) -> None:
    for name, value in (("Action", action), ("MessageID", str(uuid.uuid4())),
                        ("RelatesTo", relates_to)):
        if value is not None:
            etree.SubElement(header, f"{{{wsse.WSA_NS}}}{name}").text = value


def response_envelope(action: str, relates_to: str | None,
                      payload: etree._Element) -> etree._Element:
    """A SOAP 1.1 response with WS-Addressing Action, MessageID and RelatesTo (unsigned)."""
    env, header, body = _envelope()
    _addressing(header, action, relates_to)
    body.append(payload)
    return env


def fault_envelope(code: str, text: str, detail: str, fout: str = "DUO-4000", *,
                   relates_to: str | None = None) -> etree._Element:
    """A SOAP 1.1 Fault with a ``DuoFout`` detail and the SOAP fault Action (unsigned)."""
    env, header, body = _envelope()
    _addressing(header, FAULT_ACTION, relates_to)
    fault = etree.SubElement(body, f"{{{wsse.SOAP_NS}}}Fault")
    etree.SubElement(fault, "faultcode").text = code
    etree.SubElement(fault, "faultstring").text = text
    detail_node = etree.SubElement(etree.SubElement(fault, "detail"), f"{{{DUO_NS}}}DuoFout")
    sub(detail_node, "Code", fout)
    sub(detail_node, "Omschrijving", detail)
    return env


def fields_of(kind: str) -> tuple[str, ...]:
    """The fields of a change kind, in contract order."""
    return FIELDS[kind]
