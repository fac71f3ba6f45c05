"""camt.053.001.02 bank statements in: safe parse, official XSD, entries with their EndToEndId."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from connectors import safexml
from connectors.financieel.sepa import xsd_errors
from hub.errors import FileRefused

CAMT_NS = "urn:iso:std:iso:20022:tech:xsd:camt.053.001.02"
NS = {"c": CAMT_NS}


@dataclass(frozen=True)
class Movement:
    """One transaction on a statement."""

    statement_id: str
    end_to_end_id: str | None
    amount_cent: int
    debit: bool
    booked: bool
    reversal: bool
    booking_date: date
    bank_ref: str | None
    remittance: str | None


def parse_statement(data: bytes, *, name: str, max_bytes: int) -> list[Movement]:
    """Every transaction of a camt.053 file; ``FileRefused`` naming the rule otherwise."""
    try:
        root = safexml.parse(data, source=name, max_bytes=max_bytes)
    except safexml.XmlRefused as exc:
        raise FileRefused(name, exc.rule, exc.detail) from exc
    if root.tag != f"{{{CAMT_NS}}}Document":
        raise FileRefused(name, "CAMT-ROOT", "not a camt.053.001.02 Document")
    errors = xsd_errors("camt.053.001.02", root)
    if errors:
        raise FileRefused(name, "CAMT-XSD", "; ".join(errors))
    out = []
    for stmt in root.iterfind("c:BkToCstmrStmt/c:Stmt", NS):
        stmt_id = _text(stmt, "c:Id") or ""
        for entry in stmt.iterfind("c:Ntry", NS):
            out.extend(_movements(stmt_id, entry, name))
    return out


def _movements(stmt_id: str, entry: Any, name: str) -> list[Movement]:
    details = entry.findall("c:NtryDtls/c:TxDtls", NS) or [None]
    entry_amount = _cents(_text(entry, "c:Amt"), name)
    booked = _text(entry, "c:Sts") == "BOOK"
    raw_day = _text(entry, "c:BookgDt/c:Dt") or _text(entry, "c:BookgDt/c:DtTm") or ""
    try:
        day = date.fromisoformat(raw_day[:10])
    except ValueError:
        raise FileRefused(name, "CAMT-DATE", "entry without a booking date") from None
    out = []
    for tx in details:
        amount = (_text(tx, "c:AmtDtls/c:TxAmt/c:Amt") if tx is not None else None)
        if amount is None and len(details) > 1:
            raise FileRefused(name, "CAMT-AMOUNT", "batch entry without amounts per transaction")
        out.append(Movement(
            statement_id=stmt_id,
            end_to_end_id=_text(tx, "c:Refs/c:EndToEndId") if tx is not None else None,
            amount_cent=_cents(amount, name) if amount is not None else entry_amount,
            debit=_text(entry, "c:CdtDbtInd") == "DBIT", booked=booked,
            reversal=_text(entry, "c:RvslInd") == "true", booking_date=day,
            bank_ref=_text(entry, "c:AcctSvcrRef"),
            remittance=_text(tx, "c:RmtInf/c:Ustrd") if tx is not None else None))
    return out


def _text(node: Any, path: str) -> str | None:
    found = node.find(path, NS)
    return found.text.strip() if found is not None and found.text else None


def _cents(value: str | None, name: str) -> int:
    amount = Decimal(value or "0") * 100
    if amount != amount.to_integral_value():
        raise FileRefused(name, "CAMT-AMOUNT", "amount with more than two decimals")
    return int(amount)
