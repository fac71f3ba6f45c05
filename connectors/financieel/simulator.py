"""A fake financial system and bank: reads bookings and pain.001 batches, writes camt.053.

It speaks the drop-folder contract of FORMAT.md: it reads ``boekingen_*.csv`` and
``pain001_*.xml`` from the outbox (moving them to ``outbox/gelezen/`` once read), "executes" every
transfer, and drops one camt.053.001.02 statement per batch in the inbox, with the EndToEndIds of
the transfers, plus an unrelated debit and an incoming credit the hub must not mistake for its own.
Anomalies: ``reject_every`` leaves every n-th transfer unpaid (the bank rejected it). The
financial system pays no reversed booking: a transfer whose booking a tegenboeking it has read
reverses, and no correction replaces (``vervangt``), is left out (a reversal that arrives after
the transfer was executed is too late: the hub then reclaims the payment).
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from lxml import etree

from connectors import safexml
from connectors.financieel.camt import CAMT_NS
from connectors.financieel.sepa import PAIN_NS, end_to_end_id
from connectors.kit.folder import DropFolder, write_atomic

PAIN = {"p": PAIN_NS}


@dataclass(frozen=True)
class Executed:
    """A transfer the bank booked."""

    end_to_end_id: str
    amount: str
    creditor: str
    remittance: str


@dataclass
class FinancialSystemSimulator:
    """The financial system's side of its drop folder."""

    folder: DropFolder
    account_iban: str = "NL02ABNA0123456789"
    reject_every: int = 0
    bookings: list[dict[str, str]] = field(default_factory=list)
    statements: int = 0

    def step(self, today: date | None = None) -> int:
        """Read new bookings and payment batches; write one statement per batch."""
        today = today or date.today()
        done = self.folder.outbox / "gelezen"
        done.mkdir(parents=True, exist_ok=True)
        for path in sorted(self.folder.outbox.glob("boekingen_*.csv")):
            self.bookings += list(csv.DictReader(io.StringIO(path.read_text("utf-8")),
                                                 delimiter=";"))
            path.replace(done / path.name)
        written = 0
        replaced = {b["vervangt"] for b in self.bookings if b.get("vervangt")}
        reversed_ = {end_to_end_id(b["tegenboeking_van"]) for b in self.bookings
                     if b.get("tegenboeking_van") and b["tegenboeking_van"] not in replaced}
        for path in sorted(self.folder.outbox.glob("pain001_*.xml")):
            executed = [ex for ex in self.execute(path.read_bytes(), source=path.name)
                        if ex.end_to_end_id not in reversed_]
            path.replace(done / path.name)
            self.statements += 1
            name = f"camt053_{today:%Y%m%d}_{self.statements:04d}.xml"
            write_atomic(self.folder.inbox / name, self.statement(executed, today))
            written += 1
        return written

    def execute(self, pain: bytes, *, source: str) -> list[Executed]:
        """The transfers of a pain.001 the bank books (minus the rejected ones)."""
        root = safexml.parse(pain, source=source)
        out = []
        for n, tx in enumerate(root.iterfind(".//p:CdtTrfTxInf", PAIN), 1):
            if self.reject_every and n % self.reject_every == 0:
                continue
            out.append(Executed(tx.findtext("p:PmtId/p:EndToEndId", namespaces=PAIN),
                                tx.findtext("p:Amt/p:InstdAmt", namespaces=PAIN),
                                tx.findtext("p:Cdtr/p:Nm", namespaces=PAIN),
                                tx.findtext("p:RmtInf/p:Ustrd", namespaces=PAIN) or ""))
        return out

    def statement(self, executed: list[Executed], day: date) -> bytes:
        """A camt.053.001.02 statement with the executed transfers and two foreign movements."""
        root = etree.Element(f"{{{CAMT_NS}}}Document", nsmap={None: CAMT_NS})
        stmt_root = _sub(root, "BkToCstmrStmt")
        header = _sub(stmt_root, "GrpHdr")
        _sub(header, "MsgId", f"STMT{day:%Y%m%d}{self.statements:04d}")
        _sub(header, "CreDtTm", f"{day}T18:00:00")
        stmt = _sub(stmt_root, "Stmt")
        _sub(stmt, "Id", f"{day:%Y%m%d}-{self.statements:04d}")
        _sub(stmt, "CreDtTm", f"{day}T18:00:00")
        _path(stmt, "Acct/Id/IBAN", self.account_iban)
        bal = _sub(stmt, "Bal")
        _path(bal, "Tp/CdOrPrtry/Cd", "OPBD")
        _sub(bal, "Amt", "1000000.00", Ccy="EUR")
        _sub(bal, "CdtDbtInd", "CRDT")
        _path(bal, "Dt/Dt", day.isoformat())
        for n, ex in enumerate(executed, 1):
            _entry(stmt, day, f"BANK{self.statements:04d}{n:05d}", ex.amount, "DBIT",
                   ex.end_to_end_id, ex.creditor, ex.remittance)
        _entry(stmt, day, f"BANK{self.statements:04d}R", "1250.00", "DBIT", "HUUR-2024-02",
               "Woningcorporatie", "Huur kantoor")  # not the hub's: must stay unmatched
        _entry(stmt, day, f"BANK{self.statements:04d}C", "99.95", "CRDT", None,
               "Burger", "Leges")
        return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                                    pretty_print=True))


def _sub(parent: Any, tag: str, text: str | None = None, **attrib: str) -> Any:
    node = etree.SubElement(parent, f"{{{CAMT_NS}}}{tag}", attrib)
    if text is not None:
        node.text = text
    return node


def _path(parent: Any, tags: str, text: str) -> Any:
    node = parent
    for tag in tags.split("/"):
        node = _sub(node, tag)
    node.text = text
    return node


def _entry(stmt: Any, day: date, bank_ref: str, amount: str, direction: str,
           e2e: str | None, party: str, remittance: str) -> None:
    entry = _sub(stmt, "Ntry")
    _sub(entry, "Amt", amount, Ccy="EUR")
    _sub(entry, "CdtDbtInd", direction)
    _sub(entry, "Sts", "BOOK")
    _path(entry, "BookgDt/Dt", day.isoformat())
    _path(entry, "ValDt/Dt", day.isoformat())
    _sub(entry, "AcctSvcrRef", bank_ref)
    domain = _sub(_sub(entry, "BkTxCd"), "Domn")
    _sub(domain, "Cd", "PMNT")
    family = _sub(domain, "Fmly")
    _sub(family, "Cd", "ICDT" if direction == "DBIT" else "RCDT")
    _sub(family, "SubFmlyCd", "ESCT")
    tx = _sub(_sub(entry, "NtryDtls"), "TxDtls")
    refs = _sub(tx, "Refs")
    _sub(refs, "AcctSvcrRef", bank_ref)
    if e2e:
        _sub(refs, "EndToEndId", e2e)
    _sub(_sub(_sub(tx, "AmtDtls"), "TxAmt"), "Amt", amount, Ccy="EUR")
    role = "Cdtr" if direction == "DBIT" else "Dbtr"
    _path(tx, f"RltdPties/{role}/Nm", party)
    _path(tx, "RmtInf/Ustrd", remittance)
