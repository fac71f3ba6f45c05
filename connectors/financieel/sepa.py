"""SEPA pain.001.001.03 credit transfers out, by the EPC guidelines (XSD-checked before writing).

One file is one payment batch (one ``PmtInf``, ``BtchBookg=false`` so the bank books, and the
camt.053 reports, every transfer on its own with its EndToEndId). Amounts are integer cents.

EPC rules kept here (FORMAT.md section 2):

* identifiers (MsgId, PmtInfId, EndToEndId) use the SEPA basic Latin set, at most 35
  characters, never start or end with ``/`` and never contain ``//``; a booking reference that
  breaks this is encoded (``HUB`` + 32 hex of its SHA-256), never sent as it is;
* names and remittance text are transliterated to the EPC basic Latin set (``ü`` -> ``u``,
  ``ß`` -> ``ss``, ``—`` -> ``-``, ``&`` -> ``+``; what has no Latin form becomes ``.``), never
  blanked;
* every account passes the one IBAN/BIC check (``connectors.accounts``), and only IBANs of the
  SEPA zone enter a batch (``translate.plan`` keeps the others out with status BUITEN_SEPA).
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

from anyascii import anyascii
from lxml import etree

from connectors import accounts
from hub.errors import ConfigurationError, InvalidField

XSD_DIR = Path(__file__).with_name("xsd")
PAIN_NS = "urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"
SEPA_TEXT = re.compile(r"[^A-Za-z0-9/\-?:().,'+ ]")
SEPA_ID = re.compile(r"^[A-Za-z0-9/\-?:().,'+]{1,35}$")
# EPC conversions of ASCII characters outside the set (anyascii has done the rest of Unicode)
_EPC_ASCII = str.maketrans({"&": "+", '"': "'", "`": "'", "\t": " ", "\n": " ", "\r": " "})


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


def sepa_text(value: str, limit: int) -> str:
    """``value`` transliterated to the EPC basic Latin set, cut to ``limit`` (``-`` if empty)."""
    latin = anyascii(value).translate(_EPC_ASCII)
    return " ".join(SEPA_TEXT.sub(".", latin).split())[:limit].strip() or "-"


def is_sepa_id(value: str) -> bool:
    """An EPC identifier: basic Latin, 1-35 characters, no leading/trailing ``/``, no ``//``."""
    return bool(SEPA_ID.match(value)) and not value.startswith("/") \
        and not value.endswith("/") and "//" not in value


def end_to_end_id(boekingskenmerk: str) -> str:
    """The booking's EndToEndId: the kenmerk itself when it is an EPC identifier, else
    ``HUB`` + 32 upper-case hex of its SHA-256 (stable, so a repeat is the same id)."""
    if is_sepa_id(boekingskenmerk):
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
    for field, value in [("MsgId", msg_id), *(("EndToEndId", t.end_to_end_id)
                                              for t in transfers)]:
        if not is_sepa_id(value):
            raise InvalidField(f"pain.001 {field}", "not an EPC identifier (basic Latin, at most "
                               "35, no leading or trailing '/', no '//')")
    debtor_iban = accounts.sepa_iban(debtor.iban, field="pain.001 DbtrAcct")
    debtor_bic = accounts.bic(debtor.bic, field="pain.001 DbtrAgt")
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
    _path(info, "DbtrAcct/Id/IBAN", debtor_iban)
    _path(info, "DbtrAgt/FinInstnId/BIC", debtor_bic)
    _sub(info, "ChrgBr", "SLEV")
    for t in transfers:
        tx = _sub(info, "CdtTrfTxInf")
        _path(tx, "PmtId/EndToEndId", t.end_to_end_id)
        _sub(_sub(tx, "Amt"), "InstdAmt", _euro(t.amount_cent), Ccy="EUR")
        _path(tx, "Cdtr/Nm", sepa_text(t.creditor_name, 70))
        _path(tx, "CdtrAcct/Id/IBAN", accounts.sepa_iban(t.creditor_iban, field="CdtrAcct"))
        _path(tx, "RmtInf/Ustrd", sepa_text(t.remittance, 140))
    errors = xsd_errors("pain.001.001.03", root)
    if errors:
        raise ConfigurationError("pain.001 does not validate against the XSD: " + "; ".join(errors))
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))
