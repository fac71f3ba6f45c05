"""One pass over the store's views: every section's rows into a ``Tally``, totals on the way.

Invoice views come first (their documents date the exceptions, R10-held lines are exceptions
themselves), then the case views merged with the per-case fact summaries. A ``--gemeente``
filter only decides which rows are written: bookings and payments are matched over the whole
store, so a payment booked on another gemeente is never reported as unbooked.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from hub.reconcile import facts as k
from hub.reconcile.case import context
from hub.reconcile.facts import CaseFacts
from hub.reconcile.pib import budget_cent
from hub.reconcile.tables import Tables
from hub.report.actions import Actions
from hub.report.budget import BudgetBook, Trace, gemeente_of
from hub.report.columns import (
    ACTIONS,
    BUDGET,
    COMPLETENESS,
    EXCEPTIONS,
    LINES,
    MOVES,
    PIB,
    RECLAIMS,
    RISKS,
    VOUCHERS,
)
from hub.report.csvs import Tally
from hub.report.dates import days_between
from hub.report.edges import EdgeFolders, Refusals, refusals
from hub.report.payments import (
    Payment,
    Payments,
    lines,
    reclaim_row,
    settle,
    unbooked_row,
    unpaid_row,
)
from hub.report.sections import (
    CaseFlags,
    PibBudget,
    as_day,
    exception_row,
    flag_rows,
    invoice_lines,
    is_exception,
    move_rows,
    pib_row,
    risk_rows,
    silence_rows,
    voucher_rows,
    vouchers,
)
from hub.store import Fact

# Days without a fact before a partner counts as silent; schools and the Kredietbank deliver
# monthly, DUO, ISAM and the bank daily. ISI is a one-off bulk import: not watched.
DEFAULT_SILENCE = {"duo": 7, "isam": 7, "taalaanbieder": 35, "kredietbank": 35, "financieel": 7}


@dataclass(frozen=True)
class Options:
    """What one report covers: its date, optionally one gemeente, the moves period, thresholds."""

    day: date
    gemeente: str | None = None
    since: date | None = None
    silence_days: Mapping[str, int] = field(default_factory=lambda: dict(DEFAULT_SILENCE))
    sample: int = 100
    edges: EdgeFolders = field(default_factory=EdgeFolders)  # where refused files are kept

    @property
    def period_start(self) -> date:
        """Start of the moves period: ``since``, else 1 January of the year before."""
        return self.since or date(self.day.year - 1, 1, 1)

    def wanted(self, gemeente: str | None) -> bool:
        """Whether a row of ``gemeente`` belongs in this report."""
        return self.gemeente is None or gemeente == self.gemeente


class Collector:
    """Feeds a ``Tally`` (or ``CsvSink``) section by section from views and facts."""

    def __init__(self, options: Options, tables: Tables, tally: Tally, payments: Payments,
                 pib: Mapping[str, list[Fact]], trace: Trace | None = None) -> None:
        self.options = options
        self.tally = tally
        self.budget = BudgetBook(tables, options.day, trace)
        self._tables = tables
        self._payments = payments
        self._pib = dict(pib)
        self._dates: dict[str, int] = {}  # invoice message id -> factuurdatum (ordinal)
        self.actions = Actions()

    def invoice(self, ref: str, view: Mapping[str, Any]) -> None:
        """An invoice's view: remember its documents' dates; its held lines are exceptions."""
        for doc in view.get("documenten") or ():
            day = as_day(doc.get("factuurdatum"))
            if day is not None:
                self._dates[str(doc["message_id"])] = day.toordinal()
        self._lines(ref, view)

    def case(self, ref: str, view: Mapping[str, Any] | None, flags: CaseFlags | None,
             ledger: Sequence[Mapping[str, Any]] = ()) -> None:
        """A case: its view (None when not projected yet), its completeness summary and its
        effect ledger (the bookings the hub sent)."""
        o, add = self.options, self.tally.add
        self._bookings(ref, ledger)
        if view is not None:
            self.budget.attribute(view)
            self.budget.commit(view)
            self._lines(ref, view)
            for row in move_rows(ref, view, o.period_start, o.day):
                if o.wanted(row[2]) or o.wanted(row[3]):
                    add(MOVES, row)
            for row in risk_rows(ref, view, o.day):
                if o.wanted(row[1]):
                    add(RISKS, row)
                    self.actions.risk(row)
            for d in vouchers(view):
                self.budget.voucher(d, ref)
            self._add_each(VOUCHERS, voucher_rows(ref, view), 3)
        facts = self._pib.pop(ref, None)
        if facts is not None:
            self._add_each(PIB, [pib_row(ref, view, pib_budget(ref, facts),
                                         self._tables.is_kredietbank)], 1)
        if flags is not None:
            self._add_each(COMPLETENESS, flag_rows(flags, view), 3)

    def finish(self, last_heard: Mapping[str, date], payments: Iterable[Payment],
               dead_letters: Iterable[Refusals] = ()) -> None:
        """What only the whole store tells: budget with R16 and its lines, unbooked payments
        (of ``payments``, every ``Betaling`` read again), silence, refusals at the edge (the
        store's dead letters and ``options.edges``), and the action list."""
        o, add = self.options, self.tally.add
        for ref in sorted(self._pib):  # PIB facts of a case without a view yet
            self.case(ref, None, None)
        for row in self.budget.rows(o.gemeente):
            add(BUDGET, row)
        for row in self.budget.line_rows(o.gemeente):
            add(LINES, row)
            action = self.actions.budget_line(row)
            if action is not None:
                add(ACTIONS, action)
        if o.gemeente is None:
            for payment in self._payments.unmatched(payments):
                add(COMPLETENESS, unbooked_row(payment, o.day))
        for row in self.actions.overdue():
            add(ACTIONS, row)
        # partner-wide: the hub cannot tell a refused file's or letter's gemeente (R26, issue 22)
        edge = [group.row(o.day) for group in (*dead_letters, *refusals(o.edges))]
        for row in [*silence_rows(last_heard, o.silence_days, o.day), *edge]:
            add(COMPLETENESS, row)
            add(ACTIONS, self.actions.partner(row))

    def _lines(self, ref: str, view: Mapping[str, Any]) -> None:
        o = self.options
        for d in invoice_lines(view):
            self.budget.invoice_line(d, ref)
            if is_exception(d) and o.wanted(gemeente_of(d)):
                ordinal = self._dates.get(str(d.get("factuur_message_id")))
                invoiced = date.fromordinal(ordinal) if ordinal else None
                row = exception_row(ref, d, invoiced, o.day)
                self.tally.add(EXCEPTIONS, row)
                action = self.actions.exception(row)
                if action is not None:
                    self.tally.add(ACTIONS, action)

    def _bookings(self, ref: str, entries: Sequence[Mapping[str, Any]]) -> None:
        """A case's bookings from its effect ledger, per invoice line: paid, not yet paid, or
        paid beyond what stands now (a terugvordering: in the budget line's reclaim column,
        its own section and the actions)."""
        o = self.options
        for line in lines(entries):
            s = settle(line, [self._payments.take(b.kenmerk) for b in line])
            a = s.anchor
            kp, ks = a.kostenplaats or None, a.kostensoort or None
            if s.live is not None and s.unpaid and o.wanted(a.gemeente):
                self.tally.add(COMPLETENESS, unpaid_row(ref, s.live, o.day, s.unpaid))
            if s.paid:
                self.budget.paid(a.gemeente, a.jaar, kp, ks, s.paid)
            if not s.reclaim:
                continue
            self.budget.reclaim(a.gemeente, a.jaar, kp, ks, s.reclaim)
            gone = s.reclaimed or a
            if o.wanted(a.gemeente):
                self.tally.add(RECLAIMS, reclaim_row(ref, gone, s.paid_on, s.reclaim))
                self.tally.add(ACTIONS, self.actions.reclaim(
                    gone.kenmerk, ref, a.gemeente, s.paid_on,
                    days_between(gone.tegengeboekt_op, o.day) or 0, s.reclaim,
                    f"betaald, daarna tegengeboekt ({gone.reden}): {gone.omschrijving}"))

    def _add_each(self, section: Any, rows: Iterable[Any], gemeente_at: int) -> None:
        for row in rows:
            if self.options.wanted(row[gemeente_at]):
                self.tally.add(section, row)


def pib_budget(ref: str, facts: list[Fact]) -> PibBudget:
    """R22: a case's PIB trajecten, approved budget (meerkosten capped) and bonus budget."""
    cf = CaseFacts(facts)
    ctx = context(ref, cf)
    granted = [r for kind in (k.PIB_BUDGET, k.PIB_PLAN)  # the budget's gemeente first
               for r in reversed(cf.current(kind)) if r.get("gemeentecode")]
    return PibBudget(len(ctx.pib), budget_cent(ctx),
                     sum(p.bonus_cent for p in ctx.pib if p.goedgekeurd),
                     str(granted[0]["gemeentecode"]) if granted else None)


class ByCase:
    """A stream of (case_ref, item) in case-reference order, taken case by case."""

    def __init__(self, items: Iterable[tuple[str, Any]]) -> None:
        self._items = iter(items)
        self._next = next(self._items, None)

    def take(self, ref: str) -> Any:
        """The item of ``ref`` (None when it has none); items of earlier refs are skipped."""
        while self._next is not None and self._next[0] < ref:
            self._next = next(self._items, None)
        if self._next is not None and self._next[0] == ref:
            found, self._next = self._next[1], next(self._items, None)
            return found
        return None


def merged(views: Iterable[tuple[str, dict[str, Any]]], flags: Iterable[CaseFlags]
           ) -> Iterator[tuple[str, dict[str, Any] | None, CaseFlags | None]]:
    """Two streams ordered by case reference joined on it: (ref, view or None, flags or None)."""
    pending = iter(flags)
    flag = next(pending, None)
    for ref, view in views:
        while flag is not None and flag.case_ref < ref:
            yield flag.case_ref, None, flag
            flag = next(pending, None)
        if flag is not None and flag.case_ref == ref:
            yield ref, view, flag
            flag = next(pending, None)
        else:
            yield ref, view, None
    while flag is not None:
        yield flag.case_ref, None, flag
        flag = next(pending, None)
