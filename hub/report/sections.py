"""Pure row builders, one per section: a case view (and what else is known) in, rows out.

Rows are tuples in the column order of ``hub.report.columns``; amounts in cents, dates as
``date``. Nothing here reads a clock: the report date ``day`` is passed in.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date
from itertools import pairwise
from typing import Any

from hub.reconcile.model import GOEDGEKEURD
from hub.reconcile.signals import due
from hub.report.budget import UNKNOWN, gemeente_of, year_of
from hub.report.columns import Row

AGING = ((30, "0-30"), (60, "31-60"), (90, "61-90"), (120, "91-120"))
AGING_OVER = "> 120"
AGING_LABELS = (*(label for _, label in AGING), AGING_OVER)
AFSCHALEN = "AFSCHALEN_MOGELIJK"


def aging(days: int) -> str:
    """The aging bucket of an open item ``days`` old (0-30, 31-60, 61-90, 91-120, > 120)."""
    for limit, label in AGING:
        if days <= limit:
            return label
    return AGING_OVER


def days_between(earlier: date | None, day: date) -> int | None:
    """Whole days from ``earlier`` to ``day`` (never negative), None without a date."""
    return None if earlier is None else max((day - earlier).days, 0)


def as_day(value: Any) -> date | None:
    """A view's date (ISO text, or a ``date`` restored by the store) as ``date``."""
    if value is None or value == "":
        return None
    return value if isinstance(value, date) else date.fromisoformat(str(value)[:10])


def invoice_lines(view: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The decisions of a view that are about invoice lines (not vouchers)."""
    return [d for d in view.get("beslissingen") or () if "factuur_key" in d]


def is_exception(decision: Mapping[str, Any]) -> bool:
    """A line not approved as billed: refused, held, or approved for another amount."""
    return decision["beslissing"] != GOEDGEKEURD or \
        int(decision.get("gefactureerd_cent") or 0) != int(decision.get("goedgekeurd_cent") or 0)


def exception_row(case_ref: str, d: Mapping[str, Any], invoiced_on: date | None,
                  day: date) -> Row:
    """One invoice exception; its age runs from the invoice date (else the period end)."""
    since = invoiced_on or as_day(d.get("periode_einde")) or as_day(d["dienstdatum"])
    age = days_between(since, day) or 0
    billed, approved = int(d.get("gefactureerd_cent") or 0), int(d.get("goedgekeurd_cent") or 0)
    return (case_ref, d.get("leverancier_id"), d.get("factuurnummer"), d.get("regelnummer"),
            d.get("documentsoort"), invoiced_on, as_day(d["dienstdatum"]), gemeente_of(d),
            year_of(d), d["beslissing"], d["reden"], d.get("regel"), billed, approved,
            billed - approved, age, aging(age), d.get("toelichting"))


def move_rows(case_ref: str, view: Mapping[str, Any], since: date, day: date) -> list[Row]:
    """R17, R15: moves dated in [since, day], with the gemeente that got that year's budget."""
    verblijf = view.get("verblijf") or []
    toerekening = view.get("budget_toerekening") or {}
    rows: list[Row] = []
    for before, after in pairwise(verblijf):
        moved = as_day(after.get("vanaf"))
        if moved is None or not since <= moved <= day:
            continue
        if before["gemeentecode"] == after["gemeentecode"]:
            continue
        to = toerekening.get(str(moved.year))
        rows.append((case_ref, moved, before["gemeentecode"], after["gemeentecode"], moved.year,
                     to, _effect(to, before["gemeentecode"], after["gemeentecode"])))
    return rows


def _effect(to: str | None, old: str, new: str) -> str:
    if to is None:
        return "niet toegerekend"
    return "naar nieuwe gemeente" if to == new else \
        "bij oude gemeente" if to == old else "naar andere gemeente"


def risk_rows(case_ref: str, view: Mapping[str, Any], day: date) -> list[Row]:
    """R18, R2, R5: overdue intake, PIP or gesprek, termijn at risk, afschalen possible."""
    einde = as_day(view.get("termijn_einde"))
    gemeente = view.get("gemeente") or UNKNOWN
    rows: list[Row] = []
    for s in due(dict(view), day):
        limit = as_day(s.get("uiterlijk"))
        late = None if limit is None else max((day - limit).days, 0)  # never negative
        rows.append((case_ref, gemeente, s["type"], s["regel"], limit, late, einde,
                     s["toelichting"]))
    if view.get("afschalen_mogelijk"):
        rows.append((case_ref, gemeente, AFSCHALEN, "R5", None, None, einde,
                     "600 lesuren bij keurmerkhouder: afschalen naar A2 mogelijk"))
    return rows


def voucher_rows(case_ref: str, view: Mapping[str, Any]) -> list[Row]:
    """R22: the voucher register: one row per voucher decision of the case."""
    return [(d["voucher_id"], case_ref, d.get("pib_traject_id"), d.get("gemeentecode") or UNKNOWN,
             d.get("ontvanger"), d.get("vorm"), d.get("status"), as_day(d.get("statusdatum")),
             int(d.get("waarde_cent") or 0), d["beslissing"], d["reden"],
             int(d.get("goedgekeurd_cent") or 0))
            for d in view.get("beslissingen") or () if "voucher_id" in d]


@dataclass(frozen=True)
class PibBudget:
    """A case's PIB trajecten (R22): how many, approved budget and bonus budget in cents."""

    trajecten: int
    budget_cent: int
    bonus_cent: int


def pib_row(case_ref: str, view: Mapping[str, Any] | None, pib: PibBudget,
            is_kredietbank: Callable[[str], bool]) -> Row:
    """R22: a case's PIB budget against its approved invoice lines and vouchers."""
    view = view or {}
    spent = sum(int(d.get("goedgekeurd_cent") or 0) for d in invoice_lines(view)
                if not is_kredietbank(str(d.get("leverancier_id"))))
    vouchers = sum(row[-1] for row in voucher_rows(case_ref, view))
    return (case_ref, view.get("gemeente") or UNKNOWN, pib.trajecten, pib.budget_cent,
            pib.bonus_cent, spent, pib.budget_cent - spent, vouchers)


@dataclass(frozen=True)
class CaseFlags:
    """What the fact table says of one case: facts from DUO, from ISAM, plicht or koppeling
    facts, and Voortgang reports."""

    case_ref: str
    duo: int
    isam: int
    bekend: int
    voortgang: int


DUO_ONLY, ISAM_ONLY, HOURS_UNKNOWN = "DUO_ZONDER_ISAM", "ISAM_ZONDER_DUO", "UREN_ZONDER_ZAAK"
UNBOOKED, UNPAID, SILENT = "BETALING_ZONDER_BOEKING", "BOEKING_ZONDER_BETALING", "PARTNER_STIL"


def flag_rows(flags: CaseFlags, view: Mapping[str, Any] | None) -> list[Row]:
    """Completeness: a case only one of DUO and ISAM knows; hours for a case no one registered."""
    gemeente = (view or {}).get("gemeente") or UNKNOWN
    rows: list[Row] = []
    ref = flags.case_ref
    if flags.duo and not flags.isam:
        rows.append((DUO_ONLY, ref, ref, gemeente, None, None, None, None, flags.duo,
                     "DUO kent de zaak, ISAM niet"))
    if flags.isam and not flags.duo:
        rows.append((ISAM_ONLY, ref, ref, gemeente, None, None, None, None, flags.isam,
                     "ISAM kent de zaak, DUO niet"))
    if flags.voortgang and not flags.bekend:
        minutes = int(((view or {}).get("minuten") or {}).get("aangeboden") or 0)
        rows.append((HOURS_UNKNOWN, ref, ref, gemeente, None, None, None, None,
                     flags.voortgang, f"uren gemeld zonder plicht of koppeling "
                     f"({minutes // 60} uur aangeboden)"))
    return rows


def silence_rows(last_heard: Mapping[str, date], thresholds: Mapping[str, int],
                 day: date) -> list[Row]:
    """Partners whose latest fact is older than their threshold in days (or who never sent)."""
    rows: list[Row] = []
    for system in sorted(thresholds):
        limit = thresholds[system]
        heard = last_heard.get(system)
        silent = days_between(heard, day)
        if silent is None or silent > limit:
            text = f"niets ontvangen in {silent} dagen (drempel {limit})" if heard else \
                f"nog nooit iets ontvangen (drempel {limit})"
            rows.append((SILENT, system, None, None, None, heard, silent, None, None, text))
    return rows
