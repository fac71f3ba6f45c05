"""The nightly report: read the store once, write CSVs, the workbook and the HTML page.

``run_nightly(url, options, out_dir, tables)`` is what ``hub report nightly`` and the worker's
schedule call. The report date is ``options.day``; nothing here reads a clock, so the same
store and date give the same CSV and HTML bytes (and the same workbook).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

from hub.errors import ReportInputError, UnparsableSetting
from hub.reconcile.tables import Tables
from hub.report import data
from hub.report.budget import Trace
from hub.report.collect import DEFAULT_SILENCE, Collector, Options, merged
from hub.report.columns import (
    ACTIONS,
    BUDGET,
    COMPLETENESS,
    EXCEPTIONS,
    LINES,
    MOVES,
    PIB,
    RISKS,
    VOUCHERS,
    Section,
    euro_nl,
)
from hub.report.csvs import CsvSink, Tally, read_rows
from hub.report.html import render, write_html
from hub.report.payments import Payments
from hub.report.xlsx import write_workbook


@dataclass(frozen=True)
class NightlyResult:
    """What one run wrote, and one summary line per section."""

    html: Path
    xlsx: Path
    csvs: Mapping[str, Path]
    summaries: tuple[str, ...]

    @property
    def paths(self) -> list[Path]:
        """Every file written: page, workbook, then the CSVs in section order."""
        return [self.html, self.xlsx, *self.csvs.values()]


def prefix(options: Options) -> str:
    """File name stem: ``aansluitrapport-<date>[-<gemeente>]``."""
    stem = f"aansluitrapport-{options.day.isoformat()}"
    return f"{stem}-{options.gemeente}" if options.gemeente else stem


def check_gemeente(options: Options) -> None:
    """``ReportInputError`` unless the gemeente filter is a 4-digit CBS code (or absent)."""
    if options.gemeente is not None and not (len(options.gemeente) == 4
                                             and options.gemeente.isdigit()):
        raise ReportInputError(f"gemeente {options.gemeente!r} is not a 4-digit CBS code")


def run_nightly(url: str, options: Options, out_dir: Path, tables: Tables) -> NightlyResult:
    """Build the report of the store at ``url`` into ``out_dir``."""
    check_gemeente(options)
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = prefix(options)
    sink = CsvSink(out_dir, stem, options.sample)
    try:
        collect(url, options, tables, sink)
    except BaseException:
        sink.abort()
        raise
    sink.close()
    budget = list(read_rows(BUDGET, sink.paths[BUDGET.key]))
    xlsx = write_workbook(out_dir / f"{stem}.xlsx", sink.paths, sink, options.day,
                          options.gemeente)
    names = [f"{stem}.xlsx", *(p.name for p in sink.paths.values())]
    html = write_html(out_dir / f"{stem}.html", render(
        sink, budget, day=options.day, gemeente=options.gemeente, since=options.period_start,
        files=names))
    return NightlyResult(html, xlsx, dict(sink.paths), summaries(sink))


def collect(url: str, options: Options, tables: Tables, tally: Tally,
            trace: Trace | None = None) -> Collector:
    """One read of the store at ``url`` (one snapshot) into ``tally``; ``trace`` sees every
    amount behind the budget (``BudgetBook``). The collector, for what it computed."""
    reader = data.StoreReader(url)
    try:
        with reader.snapshot() as conn:
            if options.gemeente is not None and not data.knows_gemeente(conn, options.gemeente):
                raise ReportInputError(f"gemeente {options.gemeente!r} is unknown: no "
                                       "koppeling or verhuizing in the store names it")
            collector = Collector(options, tables, tally, Payments(data.payment_amounts(conn)),
                                  data.pib_facts(conn), trace)
            for ref, view in data.invoice_views(conn):
                collector.invoice(ref, view)
            for ref, case_view, flags in merged(data.case_views(conn), data.case_flags(conn)):
                collector.case(ref, case_view, flags)
            collector.finish(data.last_heard(conn), data.payments(conn),
                             data.dead_letter_groups(conn))
    finally:
        reader.close()
    return collector


def summaries(tally: Tally) -> tuple[str, ...]:
    """One line per section: rows and the figures a controller looks at first."""
    def total(section: Section, key: str) -> str:
        return euro_nl(tally.total(section, key))

    def groups(section: Section, column: str) -> str:
        found = tally.groups[section.key][column]
        return ", ".join(f"{k} {v[0]}" for k, v in sorted(found.items(), key=lambda kv: str(kv[0])))

    n = tally.counts
    flagged = tally.groups[LINES.key]["signaal"]
    return (
        f"acties: {n[ACTIONS.key]} ({groups(ACTIONS, 'actie') or 'geen'})",
        f"budget: {n[BUDGET.key]} gemeente-jaren, SPUK-budget {total(BUDGET, 'spuk_budget')}, "
        f"gefactureerd {total(BUDGET, 'gefactureerd')}, goedgekeurd "
        f"{total(BUDGET, 'goedgekeurd')}, vouchers {total(BUDGET, 'vouchers')}, betaald "
        f"{total(BUDGET, 'betaald')}, mee naar volgend jaar {total(BUDGET, 'meeneem')}, "
        f"terug te betalen {total(BUDGET, 'terugvordering')}",
        f"begrotingsposten: {n[LINES.key]} regels, verplicht {total(LINES, 'verplicht')}, "
        f"terug te vorderen {total(LINES, 'terug_te_vorderen')}; signalen: "
        + (", ".join(f"{k} {v[0]}" for k, v in sorted(flagged.items(), key=lambda kv: str(kv[0]))
                     if k) or "geen"),
        f"uitzonderingen: {n[EXCEPTIONS.key]} regels, {total(EXCEPTIONS, 'bedrag')} "
        f"({groups(EXCEPTIONS, 'beslissing') or 'geen'})",
        f"verhuizingen: {n[MOVES.key]} ({groups(MOVES, 'gevolg') or 'geen'})",
        f"risicos: {n[RISKS.key]} signalen ({groups(RISKS, 'risico') or 'geen'})",
        f"pib: {n[PIB.key]} zaken, budget {total(PIB, 'budget')}, besteed "
        f"{total(PIB, 'besteed')}",
        f"vouchers: {n[VOUCHERS.key]}, goedgekeurd {total(VOUCHERS, 'goedgekeurd')}",
        f"volledigheid: {n[COMPLETENESS.key]} bevindingen "
        f"({groups(COMPLETENESS, 'controle') or 'geen'})",
    )


def parse_silence(text: str) -> dict[str, int]:
    """``duo=7,isam=7`` -> thresholds in days; ``UnparsableSetting`` naming the bad item."""
    if not text.strip():
        return dict(DEFAULT_SILENCE)
    found: dict[str, int] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        system, _, days = item.partition("=")
        if not system.strip() or not days.strip().isdigit():
            raise UnparsableSetting(f"silence threshold {item!r} is not SYSTEM=DAYS")
        found[system.strip()] = int(days)
    return found
