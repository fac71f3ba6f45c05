"""Open commitments (verplichtingen) of a case on the report date: what was bought and not yet
invoiced.

An aanmelding leerroute (message 10) buys the leerroute's hours at the contract's hourly price
on its start date (R9). What is still open is that value less the approved taal lines of the
same school since its start (a credit note lowers what was taken), never below zero. It is
closed once the plicht ended (R4, R24: no leerroute services are bought after it), and it is
held by the gemeente responsible on the report date (R17: after a move the new gemeente takes
the open commitment over). Its begrotingsjaar is the year it was entered: the aanmelding's start,
or the year of the move for a gemeente that took it over. Aanmeldingen after the report's
year are left out, as their budget is.

Kredietbank fees are billed monthly in arrears and PIB trajecten (2008-2010) are closed: they
carry no commitment (the PIB section shows what is left of each PIB budget).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

import topics
from hub.reconcile.model import GOEDGEKEURD
from hub.reconcile.tables import Tables
from hub.report.dates import as_day


@dataclass(frozen=True)
class Aanmelding:
    """One aanmelding leerroute as the report needs it."""

    gemeente: str
    school: str
    start: date
    value_cent: int


def aanmeldingen(view: Mapping[str, Any], tables: Tables) -> list[Aanmelding]:
    """The case's aanmeldingen leerroute, by start date, valued at hours bought times the
    contract's hourly price (0 without a price: held lines wait for it too)."""
    found = []
    for item in view.get("uitgaand") or ():
        if item.get("topic") != topics.AANMELDING_LEERROUTE:
            continue
        r = item["record"]
        start = as_day(r["startdatum"])
        if start is None:
            continue
        price = tables.contract_price(str(r["taalaanbieder"]), str(r["leerroute"]), start)
        hours = int(r.get("ingekochte_uren") or 0)
        found.append(Aanmelding(str(r.get("gemeentecode") or ""), str(r["taalaanbieder"]), start,
                                hours * price.prijs_per_uur_cent if price else 0))
    return sorted(found, key=lambda a: (a.start, a.school))


def open_commitments(view: Mapping[str, Any], tables: Tables, day: date
                     ) -> Iterator[tuple[str, int, int]]:
    """(gemeente, begrotingsjaar, cents) of every open commitment of the case on ``day``."""
    bought = aanmeldingen(view, tables)
    if not bought or _ended(view, day):
        return
    taken = _taken(view, bought)
    for a, used in zip(bought, taken, strict=True):
        left = max(a.value_cent - used, 0)
        if not left:
            continue
        gemeente, year = _holder(view, a, day)
        if year <= day.year:
            yield gemeente, year, left


def _ended(view: Mapping[str, Any], day: date) -> bool:
    """R4: the plicht was met (or ended by an ontheffing) on or before ``day``."""
    if not view.get("plicht_voldaan"):
        return False
    on = as_day(view.get("plicht_voldaan_op"))
    return on is None or on <= day


def _taken(view: Mapping[str, Any], bought: Sequence[Aanmelding]) -> list[int]:
    """Approved cents per aanmelding: each line goes to the school's latest aanmelding that
    started on or before its service date (else the school's first)."""
    taken = [0] * len(bought)
    for d in view.get("beslissingen") or ():
        if "factuur_key" not in d or d.get("beslissing") != GOEDGEKEURD:
            continue
        school, served = str(d.get("leverancier_id")), as_day(d.get("dienstdatum"))
        mine = [i for i, a in enumerate(bought) if a.school == school]
        if not mine or served is None:
            continue
        started = [i for i in mine if bought[i].start <= served]
        taken[started[-1] if started else mine[0]] += int(d.get("goedgekeurd_cent") or 0)
    return taken


def _holder(view: Mapping[str, Any], a: Aanmelding, day: date) -> tuple[str, int]:
    """R17: the gemeente responsible on ``day`` and the year it took the commitment on."""
    for stay in view.get("verblijf") or ():
        begin, end = as_day(stay.get("vanaf")), as_day(stay.get("tot"))
        if begin is None or begin > day or (end is not None and end <= day):
            continue
        code = str(stay.get("gemeentecode") or a.gemeente)
        if code != a.gemeente and begin > a.start:
            return code, begin.year
        return code, a.start.year
    return a.gemeente or str(view.get("gemeente") or "onbekend"), a.start.year
