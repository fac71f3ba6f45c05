"""SEPA pain.001.001.03 credit transfers out (validated against the official XSD before writing).

One file is one payment batch (one ``PmtInf``, ``BtchBookg=false`` so the bank books, and the
camt.053 reports, every transfer on its own with its EndToEndId). Amounts are integer cents.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache
from pathlib import Path
from typing import Any

from lxml import etree

from hub.errors import ConfigurationError, InvalidField

XSD_DIR = Path(__file__).with_name("xsd")
PAIN_NS = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"
SEPA_TEXT = re.compile(r"[^A-Za-z0-9/\-?:().,'+ ]")
E2E_OK = re.compile(r"^[A-Za-z0-9/\-?:().,'+]{1,35}$")
IBAN = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}$")


@cache
def schema(name: str) -> Any:
    """The vendored official XSD ``name`` (e.g. ``pain.001.001.03``) as an lxml schema."""
    return etree.XMLSchema(etree.parse(str(XSD_DIR / f"{name}.xsd")))


def xsd_errors(name: str, root: Any) -> list[str]:
    """Validation errors of ``root`` against the XSD ``name`` (empty when valid)."""
    xsd = schema(name)
    if xsd.validate(root):
        return []
    return [f"line {e.line}: {e.message}" for e in xsd.error_log][:5]


def valid_iban(value: str) -> bool:
    """ISO 13616: format and mod-97 check digits."""
    value = value.replace(" ", "").upper()
    if not IBAN.match(value):
        return False
    moved = value[4:] + value[:4]
    return int("".join(str(int(ch, 36)) for ch in moved)) % 97 == 1


def sepa_text(value: str, limit: int) -> str:
    """Text in the SEPA Latin character set, cut to ``limit``."""
    return SEPA_TEXT.sub(" ", value).strip()[:limit] or "-"


def end_to_end_id(boekingskenmerk: str) -> str:
    """The booking's EndToEndId: the kenmerk itself when SEPA allows it, else a stable hash."""
    if E2E_OK.match(boekingskenmerk):
        return boekingskenmerk
    return "HUB" + hashlib.sha256(boekingskenmerk.encode()).hexdigest()[:32].upper()


@dataclass(frozen=True)
class Transfer:
    """One credit transfer to a supplier."""

    end_to_end_id: str
    amount_cent: int
    creditor_name: str
    creditor_iban: str
    remittance: str


@dataclass(frozen=True)
class Debtor:
    """The gemeente's paying account."""

    name: str
    iban: str
    bic: str


def _sub(parent: Any, tag: str, text: str | None = None, **attrib: str) -> Any:
    node = etree.SubElement(parent, f"{{{PAIN_NS}}}{tag}", attrib)
    if text is not None:
        node.text = text
    return node


def _path(parent: Any, tags: str, text: str) -> None:
    node = parent
    for tag in tags.split("/"):
        node = _sub(node, tag)
    node.text = text


def _euro(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def pain001(msg_id: str, created: datetime, execution: date, debtor: Debtor,
            transfers: Sequence[Transfer]) -> bytes:
    """The pain.001.001.03 document; ``ConfigurationError`` if it fails the official XSD."""
    if not transfers or any(t.amount_cent <= 0 for t in transfers):
        raise InvalidField("pain.001", "needs transfers with positive amounts")
    total = _euro(sum(t.amount_cent for t in transfers))
    root = etree.Element(f"{{{PAIN_NS}}}Document", nsmap={None: PAIN_NS})
    init = _sub(root, "CstmrCdtTrfInitn")
    header = _sub(init, "GrpHdr")
    _sub(header, "MsgId", msg_id)
    _sub(header, "CreDtTm", created.strftime("%Y-%m-%dT%H:%M:%S"))
    _sub(header, "NbOfTxs", str(len(transfers)))
    _sub(header, "CtrlSum", total)
    _path(header, "InitgPty/Nm", sepa_text(debtor.name, 70))
    info = _sub(init, "PmtInf")
    for tag, text in (("PmtInfId", msg_id), ("PmtMtd", "TRF"), ("BtchBookg", "false"),
                      ("NbOfTxs", str(len(transfers))), ("CtrlSum", total)):
        _sub(info, tag, text)
    _path(info, "PmtTpInf/SvcLvl/Cd", "SEPA")
    _sub(info, "ReqdExctnDt", execution.isoformat())
    _path(info, "Dbtr/Nm", sepa_text(debtor.name, 70))
    _path(info, "DbtrAcct/Id/IBAN", debtor.iban)
    _path(info, "DbtrAgt/FinInstnId/BIC", debtor.bic)
    _sub(info, "ChrgBr", "SLEV")
    for t in transfers:
        tx = _sub(info, "CdtTrfTxInf")
        _path(tx, "PmtId/EndToEndId", t.end_to_end_id)
        _sub(_sub(tx, "Amt"), "InstdAmt", _euro(t.amount_cent), Ccy="EUR")
        _path(tx, "Cdtr/Nm", sepa_text(t.creditor_name, 70))
        _path(tx, "CdtrAcct/Id/IBAN", t.creditor_iban)
        _path(tx, "RmtInf/Ustrd", sepa_text(t.remittance, 140))
    errors = xsd_errors("pain.001.001.03", root)
    if errors:
        raise ConfigurationError("pain.001 does not validate against the XSD: " + "; ".join(errors))
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
