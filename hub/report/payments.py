"""Bookings against payments (message 16): which bookings were paid, and what is to reclaim.

A booking is what the hub sent on ``inburgering.hub.boeking.v1``, read from the effect ledger
(``hub.reconcile.effects``: every booking version and every reversal, with its kenmerk), so the
report sees exactly what the financial system saw. A payment is a ``Betaling`` fact from the
bank statement (camt.053), carrying that kenmerk. A payment on a booking that was reversed
afterwards is a terugvordering (reclaim): paid, no longer approved.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from hub.report.columns import Row
from hub.report.sections import UNBOOKED, UNPAID, as_day, days_between

BOEKING, TEGENBOEKING = "BOEKING", "TEGENBOEKING"  # ledger soorten (hub.reconcile.effects)


@dataclass(frozen=True, slots=True)
class Payment:
    """One ``Betaling`` fact, as the report needs it."""

    message_id: str
    case_ref: str
    kenmerk: str | None
    leverancier: str
    factuurnummer: str
    betaaldatum: date | None
    bedrag_cent: int


@dataclass(frozen=True)
class Booking:
    """One booking the hub sent (a ledger entry), and its reversal when it has one."""

    kenmerk: str
    gemeente: str
    jaar: int
    bedrag_cent: int
    boekingsdatum: date
    leverancier: str
    omschrijving: str
    kostenplaats: str = ""
    kostensoort: str = ""
    factuurnummer: str = ""
    regelnummer: str = ""
    tegenboeking: str | None = None  # kenmerk of the reversal: the booking no longer stands
    tegengeboekt_op: date | None = None
    reden: str = ""  # the reversal's reason code (the line's decision now)

    @property
    def live(self) -> bool:
        """Not reversed."""
        return self.tegenboeking is None


@dataclass(frozen=True)
class Settled:
    """One invoice line's bookings against what the bank paid on any of them."""

    live: Booking | None  # the booking that stands (None: the line is no longer booked)
    anchor: Booking  # where its payments are counted: the standing booking, else the last one
    paid: int
    paid_on: date | None
    unpaid: int  # booked, not yet paid
    reclaim: int  # paid, no longer approved: to reclaim from the supplier
    reclaimed: Booking | None  # the reversed booking the reclaim is about


def settle(line: Sequence[Booking], payments: Sequence[tuple[int, date | None] | None]
           ) -> Settled:
    """The one rule for reclaims (terugvordering): per invoice line, what was paid on any of
    its bookings counts for the booking that stands now (a correction ``vervangt`` the reversed
    one, and the financial system pays only the difference); what exceeds it is to reclaim.
    So approved = paid - to reclaim + booked-not-yet-paid holds per line, to the cent."""
    live = next((b for b in reversed(line) if b.live), None)
    paid = sum(p[0] for p in payments if p)
    days = [p[1] for p in payments if p and p[1]]
    amount = live.bedrag_cent if live else 0
    covered = min(paid, amount) if amount > 0 else 0
    unpaid = amount - covered if amount > 0 else amount
    paid_reversed = [b for b, p in zip(line, payments, strict=True) if p and not b.live]
    reversed_ = paid_reversed[-1] if paid_reversed else next(
        (b for b in reversed(line) if not b.live), None)
    return Settled(live, live or line[-1], paid, max(days) if days else None, unpaid,
                   paid - covered, reversed_)


def to_reclaim(booking: Booking, paid: int) -> int:
    """What is to be reclaimed on one booking alone: what was paid on it once reversed."""
    return 0 if booking.live else paid


def lines(entries: Sequence[Mapping[str, Any]]) -> list[list[Booking]]:
    """A case's bookings per invoice line (effect key), in ledger order."""
    by_line: dict[str, list[Booking]] = {}
    for e, b in zip((e for e in entries if e["soort"] == BOEKING), bookings(entries),
                    strict=True):
        by_line.setdefault(str(e["effect_key"]), []).append(b)
    return list(by_line.values())


def bookings(entries: Sequence[Mapping[str, Any]]) -> list[Booking]:
    """The bookings of one case's ledger (``BOEKING`` entries), each with its reversal."""
    reversals = {str(e["record"].get("tegenboeking_van")): e for e in entries
                 if e["soort"] == TEGENBOEKING}
    out = []
    for e in entries:
        if e["soort"] != BOEKING:
            continue
        r = e["record"]
        back = reversals.get(str(r["boekingskenmerk"]))
        out.append(Booking(
            str(r["boekingskenmerk"]), str(r["gemeentecode"]), int(r["begrotingsjaar"]),
            int(r["bedrag_cent"]), as_day(r["boekingsdatum"]) or date.min,
            str(r["leverancier_id"]), str(r["omschrijving"]), str(r.get("kostenplaats") or ""),
            str(r.get("kostensoort") or ""), str(r["factuurnummer"]),
            str(e["effect_key"]).rsplit(":", 1)[-1],
            None if back is None else str(back["record"]["boekingskenmerk"]),
            None if back is None else as_day(back["record"]["boekingsdatum"]),
            "" if back is None else str(back["reden"])))
    return out


class Payments:
    """Paid amounts (and the last payment date) by kenmerk; each booking takes its own. Only
    kenmerk, amount and date are held, so memory stays small; the payments no booking took are
    read again at the end."""

    def __init__(self, payments: Iterable[tuple[str | None, int, date | None]]) -> None:
        self._open: dict[str, tuple[int, date | None]] = {}
        for kenmerk, cents, day in payments:
            if kenmerk:
                seen, last = self._open.get(kenmerk, (0, None))
                self._open[kenmerk] = (seen + cents, max(d for d in (last, day) if d)
                                       if last or day else None)

    def take(self, kenmerk: str) -> tuple[int, date | None] | None:
        """What was paid on one booking and when, None when nothing (a kenmerk pays one)."""
        return self._open.pop(kenmerk, None)

    def unmatched(self, payments: Iterable[Payment]) -> Iterator[Payment]:
        """Of ``payments``, those no booking took (and those without a kenmerk)."""
        for p in payments:
            if not p.kenmerk or p.kenmerk in self._open:
                yield p


def reclaim_row(case_ref: str, b: Booking, paid_on: date | None, cents: int) -> Row:
    """Terugvorderingen: paid on a booking that was reversed."""
    return (case_ref, b.leverancier, b.factuurnummer, b.regelnummer, b.gemeente, b.jaar,
            b.kostenplaats or None, b.kenmerk, b.tegenboeking, paid_on, b.tegengeboekt_op,
            b.reden, cents, f"betaald op een tegengeboekte boeking: {b.omschrijving}")


def unpaid_row(case_ref: str, b: Booking, day: date, cents: int | None = None) -> Row:
    """Completeness: a booking (or the part of it) no payment covers."""
    return (UNPAID, b.kenmerk, case_ref, b.gemeente, b.leverancier, b.boekingsdatum,
            days_between(b.boekingsdatum, day), b.bedrag_cent if cents is None else cents, 1,
            b.omschrijving)


def unbooked_row(p: Payment, day: date) -> Row:
    """Completeness: a payment whose kenmerk names no booking of the hub."""
    return (UNBOOKED, p.kenmerk or "(geen kenmerk)", p.case_ref, None, p.leverancier,
            p.betaaldatum, days_between(p.betaaldatum, day), p.bedrag_cent, 1,
            f"factuur {p.factuurnummer}")
