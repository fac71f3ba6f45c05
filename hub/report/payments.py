"""Bookings against payments (message 16): which approved lines were paid, and what is left.

A booking is what the hub sends on ``inburgering.hub.boeking.v1`` for an approved invoice
line; the report derives it from the decision with the emitter's own functions, so its
``boekingskenmerk`` is the one the financial system saw. A payment is a ``Betaling`` fact from
the bank statement (camt.053), carrying that kenmerk.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from hub.reconcile.emit import bookable  # the emitter's test, not a copy of it
from hub.reconcile.outbound import booking
from hub.report.columns import Row
from hub.report.sections import UNBOOKED, UNPAID, days_between


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
    """The booking of one approved invoice line."""

    kenmerk: str
    gemeente: str
    jaar: int
    bedrag_cent: int
    boekingsdatum: date
    leverancier: str
    omschrijving: str
    live: bool = True  # not reversed (a storno exists only with issue 15's effect ledger)


def to_reclaim(booking: Booking, paid: int) -> int:
    """The one rule for what is to be reclaimed from the supplier (terugvordering): what was
    paid on a booking that was reversed afterwards. ``booking_of`` derives each booking from a
    decision as it stands now, so every booking here stands and nothing is to be reclaimed;
    a payment whose kenmerk no current decision produces is reported as
    ``BETALING_ZONDER_BOEKING`` instead (without the effect ledger, issue 15, the hub cannot
    tell whether it once booked that kenmerk)."""
    return 0 if booking.live else paid


def booking_of(case_ref: str, decision: Mapping[str, Any]) -> Booking | None:
    """The booking an approved line became (None when it became none: no amount, no gemeente)."""
    if not bookable(dict(decision)):
        return None
    _, record = booking(case_ref, dict(decision))
    return Booking(record["boekingskenmerk"], record["gemeentecode"], record["begrotingsjaar"],
                   record["bedrag_cent"], record["boekingsdatum"], record["leverancier_id"],
                   record["omschrijving"])


class Payments:
    """Paid amounts by kenmerk; each booking takes its own. Only kenmerk and amount are held,
    so memory stays small; the payments no booking took are read again at the end."""

    def __init__(self, amounts: Iterable[tuple[str | None, int]]) -> None:
        self._open: dict[str, int] = {}
        for kenmerk, cents in amounts:
            if kenmerk:
                self._open[kenmerk] = self._open.get(kenmerk, 0) + cents

    def take(self, kenmerk: str) -> int | None:
        """What was paid on one booking, None when nothing (a kenmerk pays one booking)."""
        return self._open.pop(kenmerk, None)

    def unmatched(self, payments: Iterable[Payment]) -> Iterator[Payment]:
        """Of ``payments``, those no booking took (and those without a kenmerk)."""
        for p in payments:
            if not p.kenmerk or p.kenmerk in self._open:
                yield p


def unpaid_row(case_ref: str, b: Booking, day: date) -> Row:
    """Completeness: a booking no payment carries the kenmerk of."""
    return (UNPAID, b.kenmerk, case_ref, b.gemeente, b.leverancier, b.boekingsdatum,
            days_between(b.boekingsdatum, day), b.bedrag_cent, 1, b.omschrijving)


def unbooked_row(p: Payment, day: date) -> Row:
    """Completeness: a payment whose kenmerk names no booking of the hub."""
    return (UNBOOKED, p.kenmerk or "(geen kenmerk)", p.case_ref, None, p.leverancier,
            p.betaaldatum, days_between(p.betaaldatum, day), p.bedrag_cent, 1,
            f"factuur {p.factuurnummer}")
