"""Boeking records -> bookings export and transfers; camt.053 movements -> Betaling records.

Pure: no I/O, no clock. Formats: FORMAT.md.
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from connectors import accounts
from connectors.financieel.camt import Movement
from connectors.financieel.sepa import Transfer, end_to_end_id
from connectors.ubl import invoice_key
from hub.spreadsheet import csv_writer
from hub.versions import bron_versie

SOURCE = "financieel"
EXPORT_HEADER = ("boekingskenmerk", "factuurnummer", "leverancier_id", "gemeentecode",
                 "kostenplaats", "kostensoort", "begrotingsjaar", "boekingsdatum", "bedrag",
                 "verplichting_kenmerk", "omschrijving", "betaalstatus", "end_to_end_id",
                 "betaalbatch", "tegenboeking_van", "vervangt")
IN_BATCH, CREDIT, NO_IBAN, BAD_IBAN = ("IN_BETAALOPDRACHT", "CREDITERING", "GEEN_IBAN",
                                       "ONGELDIG_IBAN")
NOT_SEPA = "BUITEN_SEPA"  # a valid IBAN outside the SEPA zone: booked, not in a SEPA batch
REVERSAL, REVERSED = "TEGENBOEKING", "TEGENGEBOEKT"  # a storno; a booking it reversed (unpaid)
SETTLED = "VERREKEND"  # a correction whose replaced booking paid it already


@dataclass(frozen=True)
class Planned:
    """A booking and what happens to it: paid in this batch or only booked (and why)."""

    booking: Mapping[str, Any]
    status: str
    transfer: Transfer | None
    covered: int = 0  # what is paid towards this booking: its transfer and what it replaces


def plan(bookings: Sequence[Mapping[str, Any]], covered: Mapping[str, int] | None = None
         ) -> list[Planned]:
    """Decide per booking: a transfer for a positive amount to a SEPA-zone IBAN (the one account
    check, ``connectors.accounts``), else booked only, with the reason as its status. A
    correction (``vervangt``) is paid only for what the booking it replaces did not cover
    (``covered``: kenmerk -> cents paid towards it, earlier batches; FORMAT.md)."""
    out: list[Planned] = []
    known = dict(covered or {})
    reversed_ = {b["tegenboeking_van"] for b in bookings if b.get("tegenboeking_van")}
    for b in bookings:
        p = _plan_one(b, reversed_, known.get(str(b.get("vervangt") or ""), 0))
        known[str(b["boekingskenmerk"])] = p.covered
        out.append(p)
    return out


def _plan_one(b: Mapping[str, Any], reversed_: set[str], prior: int) -> Planned:
    iban = (b.get("iban_begunstigde") or "").strip()
    due = b["bedrag_cent"] - prior if b.get("vervangt") else b["bedrag_cent"]
    status = _unpaid_status(b, reversed_, due, iban)
    if status is not None:
        return Planned(b, status, None, prior if status == SETTLED else 0)
    return Planned(b, IN_BATCH, Transfer(
        end_to_end_id=end_to_end_id(b["boekingskenmerk"]), amount_cent=due,
        creditor_name=b.get("naam_begunstigde") or b["leverancier_id"],
        creditor_iban=accounts.iban(iban, field="iban_begunstigde"),
        remittance=f"Factuur {b['factuurnummer']}"), prior + due)


def _unpaid_status(b: Mapping[str, Any], reversed_: set[str], due: int, iban: str
                   ) -> str | None:
    """Why a booking enters no payment batch (None: it does)."""
    if b.get("tegenboeking_van"):
        return REVERSAL
    if b["boekingskenmerk"] in reversed_:  # reversed in the same batch: never paid
        return REVERSED
    if b.get("vervangt") and b["bedrag_cent"] > 0 and due <= 0:
        return SETTLED  # what it replaces paid it already
    if b["bedrag_cent"] <= 0:
        return CREDIT
    if not iban:
        return NO_IBAN
    if not accounts.is_iban(iban):
        return BAD_IBAN
    if not accounts.in_sepa_zone(iban):
        return NOT_SEPA
    return None


def _euro(cents: int) -> str:
    sign = "-" if cents < 0 else ""
    return f"{sign}{abs(cents) // 100}.{abs(cents) % 100:02d}"


def export_csv(planned: Sequence[Planned], batch_id: str | None) -> bytes:
    """The bookings export: one line per booking, with its payment status."""
    out = io.StringIO()
    writer = csv_writer(out, delimiter=";", lineterminator="\r\n")  # formula-safe
    writer.writerow(EXPORT_HEADER)
    for p in planned:
        b = p.booking
        writer.writerow((
            b["boekingskenmerk"], b["factuurnummer"], b["leverancier_id"], b["gemeentecode"],
            b["kostenplaats"], b["kostensoort"], b["begrotingsjaar"],
            b["boekingsdatum"].isoformat(), _euro(b["bedrag_cent"]),
            b.get("verplichting_kenmerk") or "", b["omschrijving"], p.status,
            p.transfer.end_to_end_id if p.transfer else "",
            batch_id if p.transfer else "", b.get("tegenboeking_van") or "",
            b.get("vervangt") or ""))
    return out.getvalue().encode("utf-8")


def ledger_entry(p: Planned, batch_id: str) -> dict[str, Any]:
    """What the connector remembers of a paid booking, keyed by EndToEndId."""
    assert p.transfer is not None
    b = p.booking
    return {"id": p.transfer.end_to_end_id, "boekingskenmerk": b["boekingskenmerk"],
            "factuurnummer": b["factuurnummer"], "leverancier_id": b["leverancier_id"],
            "bedrag_cent": b["bedrag_cent"], "batch": batch_id,
            "booking_message_id": b["message_id"]}


def betaling(m: Movement, booking: Mapping[str, Any], *, received_at: datetime
             ) -> dict[str, Any]:
    """The Betaling record of a booked debit movement matched to its booking."""
    key = "|".join(map(str, (m.statement_id, m.bank_ref, m.end_to_end_id, m.booking_date,
                             m.amount_cent)))
    return {"message_id": "fin:betaling:" + hashlib.sha256(key.encode()).hexdigest()[:32],
            "case_ref": invoice_key(booking["leverancier_id"], booking["factuurnummer"]),
            "source": SOURCE, "produced_at": received_at,
            "factuurnummer": booking["factuurnummer"],
            "leverancier_id": booking["leverancier_id"],
            "boekingskenmerk": booking["boekingskenmerk"], "betaaldatum": m.booking_date,
            "bedrag_cent": m.amount_cent, "bankreferentie": m.end_to_end_id or "",
            "bron_versie": bron_versie(  # R21: the bank's own document and booking date
                f"financieel:betaling:{m.statement_id}:{m.bank_ref or m.end_to_end_id}",
                tijdstip=m.booking_date, document=str(m.statement_id))}


def is_payment(m: Movement) -> bool:
    """A booked, non-reversed debit with an EndToEndId: a candidate for one of our transfers."""
    return m.debit and m.booked and not m.reversal and bool(m.end_to_end_id)
