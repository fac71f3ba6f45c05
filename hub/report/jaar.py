"""The yearly account (R16, SiSa verantwoording, due 15 July of the next year): per gemeente the
SPUK received per post, the spending per post, what is carried over (at most 100% of the
year's own budget) and what is to be paid back, each traceable to what is behind it.

``run_jaar(url, year, out_dir, tables)`` reads the store once, exactly as the nightly report for
31 December of that year does (``nightly.collect``, the same ``BudgetBook``), so its totals tie
out with that report. It writes ``verantwoording-<Y>[-<gemeente>]``:

* ``.csv``: per gemeente a row per SPUK post (received, spent, unspent) and a ``totaal`` row
  with the carried-in amount, what goes to the next year and what is to be paid back;
* ``-bestedingen.csv``: every approved invoice line behind the spending (case, supplier,
  invoice, line, reason code with its R-id, kostenplaats), summing to the spending per post;
* ``-toerekening.csv``: every case behind the received budget (R15 peildatum, R14 amount per
  post), summing to the received budget per post;
* ``.xlsx``: the three as sheets (and a sheet with the notes).
"""

from __future__ import annotations

import csv
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time
from pathlib import Path
from typing import IO, Any

from hub.reconcile.tables import Tables
from hub.report.budget import ALLOCATED, POSTS, SPENT
from hub.report.collect import Options
from hub.report.columns import (
    BUDGET,
    EURO,
    INT,
    LINES,
    TEXT,
    YEAR,
    Column,
    Row,
    Section,
    cell_text,
    euro_nl,
)
from hub.report.csvs import DELIMITER, Tally, partial_path, read_rows
from hub.report.edges import EdgeFolders
from hub.report.nightly import check_gemeente, collect
from hub.report.workbook import Book, table_sheet

TOTAL = "totaal"
CLOSED, DRAFT = "afgesloten", "concept"
ACCOUNT = Section("verantwoording", "Verantwoording SPUK (R16)", "Verantwoording", (
    Column("gemeente", "Gemeente"), Column("jaar", "Jaar", YEAR), Column("post", "Post"),
    Column("ontvangen", "SPUK ontvangen", EURO),
    Column("meegenomen", "Meegenomen uit vorig jaar", EURO),
    Column("besteed", "Besteed", EURO), Column("onbesteed", "Onbesteed", EURO),
    Column("meeneem", "Mee naar volgend jaar (max. 100%)", EURO),
    Column("terug", "Terug te betalen", EURO), Column("zaken", "Zaken (peildatum)", INT),
    Column("bestedingen", "Bestedingen (regels)", INT), Column("status", "Status"),
    Column("toelichting", "Toelichting")))
SPENDING = Section("bestedingen", "Bestedingen ten laste van SPUK", "Bestedingen", (
    Column("case_ref", "Zaakreferentie"), Column("gemeente", "Gemeente"),
    Column("jaar", "Begrotingsjaar", YEAR), Column("post", "Post"),
    Column("kostenplaats", "Kostenplaats"), Column("kostensoort", "Kostensoort"),
    Column("leverancier", "Leverancier"), Column("factuurnummer", "Factuurnummer"),
    Column("regelnummer", "Regel"), Column("dienstdatum", "Dienstdatum"),
    Column("reden", "Redencode"), Column("regel", "Regel (R-id)"),
    Column("bedrag", "Goedgekeurd", EURO)))
ALLOCATION = Section("toerekening", "Toerekening van het SPUK-budget (R14, R15)", "Toerekening", (
    Column("case_ref", "Zaakreferentie"), Column("gemeente", "Gemeente op de peildatum"),
    Column("jaar", "Jaar", YEAR), Column("doelgroep", "Doelgroep"), Column("post", "Post"),
    Column("bedrag", "Bedrag (R14)", EURO)))
NOTES = (
    "Ontvangen: per zaak die op de peildatum (R15) bij de gemeente hoort het bedrag per post "
    "uit spuk.csv voor de doelgroep (R14); de onderwijsroute-aanvulling telt bij leerroute.",
    "Besteed: goedgekeurde factuurregels op de post leerroute (kostenplaats soort taal); elke "
    "regel staat in het blad Bestedingen met zijn redencode. Begeleiding, tolken, PVT en MAP "
    "worden niet via de hub besteed: vul die aan uit de financiële administratie.",
    "Mee naar volgend jaar: onbesteed (ontvangen plus meegenomen min besteed) tot 100% van het "
    "eigen jaarbudget; de rest is terug te betalen (R16). Deadline SiSa: 15 juli.",
    "De totalen sluiten aan op het aansluitrapport van 31 december van dit jaar.",
)


@dataclass(frozen=True)
class JaarResult:
    """What one run wrote, and a line per gemeente."""

    xlsx: Path
    csvs: Mapping[str, Path]
    summaries: tuple[str, ...]

    @property
    def paths(self) -> list[Path]:
        """The workbook, then the CSVs."""
        return [self.xlsx, *self.csvs.values()]


@dataclass
class _Trace:
    """Writes the amounts behind the account of one year as the store is read."""

    year: int
    gemeente: str | None
    writers: Mapping[str, Any]
    count: dict[tuple[str, str], int] = field(default_factory=dict)

    def __call__(self, kind: str, row: Row) -> None:
        if row[2] != self.year or (self.gemeente is not None and row[1] != self.gemeente):
            return
        if kind == ALLOCATED:
            self.writers[ALLOCATION.key].writerow(_cells(ALLOCATION, row))
        elif kind == SPENT and row[3] in POSTS:
            self.writers[SPENDING.key].writerow(_cells(SPENDING, row))
            key = (str(row[1]), str(row[3]))
            self.count[key] = self.count.get(key, 0) + 1


def stem(year: int, gemeente: str | None) -> str:
    """``verantwoording-<Y>[-<gemeente>]``."""
    return f"verantwoording-{year}-{gemeente}" if gemeente else f"verantwoording-{year}"


def run_jaar(url: str, year: int, out_dir: Path, tables: Tables, *,
             gemeente: str | None = None, today: date | None = None,
             edges: EdgeFolders | None = None) -> JaarResult:
    """Write the yearly account of ``year`` for the store at ``url`` into ``out_dir``;
    ``today`` (for the status: a year not yet over is a draft) defaults to 1 January after."""
    options = Options(date(year, 12, 31), gemeente=gemeente, sample=1,
                      edges=edges or EdgeFolders())
    check_gemeente(options)
    out_dir.mkdir(parents=True, exist_ok=True)
    name = stem(year, gemeente)
    paths = {s.key: out_dir / (f"{name}.csv" if s is ACCOUNT else f"{name}-{s.key}.csv")
             for s in (ACCOUNT, SPENDING, ALLOCATION)}
    files: dict[str, IO[str]] = {}
    try:
        writers = {}
        for s in (SPENDING, ALLOCATION):
            files[s.key] = open(partial_path(paths[s.key]), "w", encoding="utf-8", newline="")  # noqa: SIM115
            writers[s.key] = _writer(files[s.key], s)
        trace = _Trace(year, gemeente, writers)
        tally = Tally(sample=1, keep=(BUDGET.key, LINES.key))
        collect(url, options, tables, tally, trace)
        status = CLOSED if (today or date(year + 1, 1, 1)) > options.day else DRAFT
        rows = account_rows(tally, year, trace.count, status)
        files[ACCOUNT.key] = open(partial_path(paths[ACCOUNT.key]), "w", encoding="utf-8",  # noqa: SIM115
                                  newline="")
        _writer(files[ACCOUNT.key], ACCOUNT).writerows(_cells(ACCOUNT, r) for r in rows)
    except BaseException:
        for key, handle in files.items():
            handle.close()
            partial_path(paths[key]).unlink(missing_ok=True)
        raise
    for key, handle in files.items():
        handle.close()
        os.replace(partial_path(paths[key]), paths[key])
    xlsx = _workbook(out_dir / f"{name}.xlsx", year, paths)
    return JaarResult(xlsx, paths, tuple(_summary(r) for r in rows if r[2] == TOTAL))


def account_rows(tally: Tally, year: int, spent_lines: Mapping[tuple[str, str], int],
                 status: str) -> list[Row]:
    """Per gemeente of ``year``: a row per SPUK post, then its ``totaal`` row (R16)."""
    b, ln = BUDGET.index, LINES.index
    posts: dict[tuple[str, str], list[int]] = {}
    for r in tally.rows(LINES):
        if r[ln("jaar")] == year and r[ln("post")] in POSTS:
            got = posts.setdefault((r[ln("gemeente")], r[ln("post")]), [0, 0])
            got[0] += r[ln("budget")]
            got[1] += r[ln("goedgekeurd")]
    rows: list[Row] = []
    for r in tally.rows(BUDGET):
        if r[b("jaar")] != year or not any(r[b(k)] for k in ("spuk_budget", "meegenomen",
                                                              "besteed")):
            continue  # a gemeente with nothing to account for this year (e.g. ``onbekend``)
        gemeente = r[b("gemeente")]
        for post in POSTS:
            received, spent = posts.get((gemeente, post), [0, 0])
            rows.append((gemeente, year, post, received, None, spent, received - spent, None,
                         None, None, spent_lines.get((gemeente, post), 0), status, None))
        rows.append((gemeente, year, TOTAL, r[b("spuk_budget")], r[b("meegenomen")],
                     r[b("besteed")], r[b("onbesteed")], r[b("meeneem")],
                     r[b("terugvordering")], r[b("zaken")],
                     sum(spent_lines.get((gemeente, p), 0) for p in POSTS), status,
                     "R16: mee tot 100% van het eigen jaarbudget, de rest terug"))
    return rows


def _summary(total: Row) -> str:
    g = ACCOUNT.index
    return (f"{total[g('gemeente')]} {total[g('jaar')]}: ontvangen "
            f"{euro_nl(total[g('ontvangen')])}, besteed {euro_nl(total[g('besteed')])}, mee "
            f"naar volgend jaar {euro_nl(total[g('meeneem')])}, terug te betalen "
            f"{euro_nl(total[g('terug')])} ({total[g('status')]})")


def _writer(handle: IO[str], section: Section) -> Any:
    writer = csv.writer(handle, delimiter=DELIMITER, lineterminator="\r\n")
    writer.writerow([c.key for c in section.columns])
    return writer


def _cells(section: Section, row: Row) -> list[str]:
    return [cell_text(c.kind, v) for c, v in zip(section.columns, row, strict=True)]


def _workbook(path: Path, year: int, csvs: Mapping[str, Path]) -> Path:
    book = Book(f"Verantwoording SPUK {year}", datetime.combine(date(year, 12, 31), time()))
    for section in (ACCOUNT, SPENDING, ALLOCATION):
        table_sheet(book, section.sheet, section.columns,
                    read_rows(section, csvs[section.key]), totals=section is not ACCOUNT)
    table_sheet(book, "Toelichting", (Column("toelichting", "Toelichting", TEXT),),
                ((note,) for note in NOTES), totals=False)
    return book.save(path)

