"""Versioned rate tables (R8, R9, R12, R13, R14): dated CSV rows, loaded and checked once at start.

Each file in ``tables/`` is ``;``-separated UTF-8 with a header row; dates are ISO, amounts are
integer cents, ``geldig_tot`` is inclusive and empty means open-ended. Rows with the same key
(every column except the dates and the values) must follow each other without a gap or an
overlap; ``keurmerk.csv`` alone may have gaps (a lapsed keurmerk is a fact, not a mistake).
Any violation is a ``ConfigurationError`` naming file, line and key. A lookup on a day no row
covers returns None, so the invoice rules hold the line and name the table.
"""

from __future__ import annotations

import csv
import hashlib
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from itertools import pairwise
from pathlib import Path
from types import MappingProxyType

from hub.errors import ConfigurationError

FOLDER = Path(__file__).with_name("tables")
Value = str | int
Key = tuple[str, ...]

GRONDSLAGEN = ("aangeboden", "gevolgd")
KOSTEN_SOORTEN = ("taal", "kredietbank", "pib")
_ENUMS: dict[str, tuple[str, ...]] = {
    "grondslag": GRONDSLAGEN,
    "leerroute": ("B1", "ONDERWIJS", "Z"),
    "doelgroep": ("ASIELSTATUSHOUDER", "GEZINSMIGRANT", "OVERIGE_MIGRANT"),
    "post": ("leerroute", "begeleiding", "tolken", "pvt", "map", "onderwijsroute_aanvulling"),
}


@dataclass(frozen=True)
class Spec:
    """The columns of one table file: key columns, value columns, whether it is dated."""

    file: str
    keys: tuple[str, ...]
    values: tuple[str, ...]
    dated: bool = True
    gaps_allowed: bool = False
    enums: Mapping[str, tuple[str, ...]] = field(default_factory=dict)


SPECS = (
    Spec("spuk.csv", ("doelgroep", "post"), ("bedrag_cent",)),
    Spec("contractprijzen.csv", ("aanbieder", "leerroute"), ("prijs_per_uur_cent", "grondslag")),
    Spec("keurmerk.csv", ("aanbieder",), (), gaps_allowed=True),
    Spec("kredietbank.csv", ("aanbieder", "soort"), ("bedrag_cent",),
         enums={"soort": ("intake", "budgetbeheer")}),
    Spec("lening.csv", (), ("plafond_kwartaal_cent",)),
    Spec("kostenplaatsen.csv", ("gemeentecode", "soort"), ("kostenplaats", "kostensoort"),
         dated=False, enums={"soort": KOSTEN_SOORTEN}),
)


@dataclass(frozen=True)
class Row:
    """One table row: its key, validity (inclusive; ``tot`` None is open-ended) and values."""

    key: Key
    van: date
    tot: date | None
    values: tuple[Value, ...]
    line: int

    def covers(self, day: date) -> bool:
        """True when the row is valid on ``day``."""
        return self.van <= day and (self.tot is None or day <= self.tot)


@dataclass(frozen=True)
class Table:
    """The rows of one file, with an index by key (left out of equality and hash)."""

    name: str
    rows: tuple[Row, ...]
    index: Mapping[Key, tuple[Row, ...]] = field(compare=False, hash=False, repr=False)

    @classmethod
    def of(cls, name: str, rows: tuple[Row, ...]) -> Table:
        """A table with its index built."""
        index: dict[Key, list[Row]] = {}
        for row in rows:
            index.setdefault(row.key, []).append(row)
        frozen = {k: tuple(sorted(v, key=lambda r: r.van)) for k, v in index.items()}
        return cls(name, rows, MappingProxyType(frozen))

    def at(self, key: Key, day: date) -> Row | None:
        """The row for ``key`` valid on ``day``, None when there is none."""
        return next((r for r in self.index.get(key, ()) if r.covers(day)), None)


@dataclass(frozen=True)
class ContractPrijs:
    """A contract's hourly price and what counts as billable hours (R9)."""

    prijs_per_uur_cent: int
    grondslag: str  # aangeboden: hours offered; gevolgd: attended plus excused absence


@dataclass(frozen=True)
class Tables:
    """All rate tables, immutable; ``tables_version`` names the files' content."""

    spuk_table: Table
    contracts: Table
    keurmerken: Table
    kredietbank_fees: Table
    lening: Table
    kostenplaatsen: Table
    tables_version: str

    def contract_price(self, aanbieder: str, leerroute: str, day: date) -> ContractPrijs | None:
        """The contract price for a supplier and leerroute on ``day`` (R9)."""
        row = self.contracts.at((aanbieder, leerroute), day)
        return None if row is None else ContractPrijs(int(row.values[0]), str(row.values[1]))

    def keurmerk(self, aanbieder: str, day: date) -> bool:
        """True when the supplier holds the Blik op Werk keurmerk on ``day`` (R8)."""
        return self.keurmerken.at((aanbieder,), day) is not None

    def is_kredietbank(self, aanbieder: str) -> bool:
        """True when the supplier has any row in the Kredietbank fee table (R12)."""
        return any(key[0] == aanbieder for key in self.kredietbank_fees.index)

    def kredietbank_fee(self, aanbieder: str, soort: str, day: date) -> int | None:
        """The Kredietbank fee (intake or budgetbeheer) in cents on ``day`` (R12)."""
        row = self.kredietbank_fees.at((aanbieder, soort), day)
        return None if row is None else int(row.values[0])

    def lening_cap(self, day: date) -> int | None:
        """The DUO lening ceiling per person per quarter in cents on ``day`` (R13)."""
        row = self.lening.at((), day)
        return None if row is None else int(row.values[0])

    def spuk(self, doelgroep: str, post: str, day: date) -> int | None:
        """The SPUK amount per person for a doelgroep and post in the year of ``day`` (R14)."""
        row = self.spuk_table.at((doelgroep, post), day)
        return None if row is None else int(row.values[0])

    def kostenplaats(self, gemeentecode: str, soort: str) -> tuple[str, str]:
        """(kostenplaats, kostensoort) for a gemeente and soort, else the ``*`` default row."""
        row = self.kostenplaatsen.at((gemeentecode, soort), date.min)
        row = row or self.kostenplaatsen.at(("*", soort), date.min)
        if row is None:
            raise ConfigurationError(f"kostenplaatsen.csv: no row for soort {soort!r}")
        return str(row.values[0]), str(row.values[1])


def load_tables(folder: Path | None = None) -> Tables:
    """Read and check every table in ``folder`` (default: the package's ``tables/``)."""
    folder = folder or FOLDER
    data = {spec.file: _read(folder / spec.file) for spec in SPECS}
    tables = {spec.file: Table.of(spec.file, _parse(spec, data[spec.file])) for spec in SPECS}
    _check_defaults(tables["kostenplaatsen.csv"])
    digest = hashlib.sha256()
    for name in sorted(data):
        digest.update(name.encode() + b"\0" + data[name] + b"\0")
    return Tables(tables["spuk.csv"], tables["contractprijzen.csv"], tables["keurmerk.csv"],
                  tables["kredietbank.csv"], tables["lening.csv"], tables["kostenplaatsen.csv"],
                  digest.hexdigest()[:12])


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise ConfigurationError(f"{path.name}: cannot read rate table ({exc.strerror})") from exc


def _parse(spec: Spec, data: bytes) -> tuple[Row, ...]:
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ConfigurationError(f"{spec.file}: not UTF-8") from exc
    reader = csv.DictReader(io.StringIO(text, newline=""), delimiter=";")
    dates = ("geldig_van", "geldig_tot") if spec.dated else ()
    missing = [c for c in (*spec.keys, *dates, *spec.values) if c not in (reader.fieldnames or ())]
    if missing:
        raise ConfigurationError(f"{spec.file} line 1: missing column(s) {', '.join(missing)}")
    rows = tuple(_row(spec, n, raw) for n, raw in enumerate(reader, start=2)
                 if any((v or "").strip() for v in raw.values()))
    _check_sequence(spec, rows)
    return rows


def _row(spec: Spec, line: int, raw: Mapping[str, str | None]) -> Row:
    at = f"{spec.file} line {line}"

    def cell(column: str) -> str:
        return (raw.get(column) or "").strip()

    key = tuple(_text(spec, c, cell(c), at) for c in spec.keys)
    values = tuple(_value(spec, c, cell(c), at) for c in spec.values)
    if not spec.dated:
        return Row(key, date.min, None, values, line)
    van = _date(cell("geldig_van"), at + " geldig_van", key)
    tot = _date(cell("geldig_tot"), at + " geldig_tot", key) if cell("geldig_tot") else None
    if tot is not None and tot < van:
        raise ConfigurationError(f"{at}: geldig_tot before geldig_van (key {_show(key)})")
    return Row(key, van, tot, values, line)


def _text(spec: Spec, column: str, text: str, at: str) -> str:
    allowed = spec.enums.get(column) or _ENUMS.get(column)
    if not text:
        raise ConfigurationError(f"{at}: {column} is empty")
    if allowed and text not in allowed:
        raise ConfigurationError(f"{at}: {column} {text!r} is not one of {', '.join(allowed)}")
    return text


def _value(spec: Spec, column: str, text: str, at: str) -> Value:
    if not column.endswith("_cent"):
        return _text(spec, column, text, at)
    if not text.isdigit():
        raise ConfigurationError(f"{at}: {column} {text!r} is not a whole number of cents")
    return int(text)


def _date(text: str, at: str, key: Key) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise ConfigurationError(f"{at}: {text!r} is not an ISO date (key {_show(key)})") from None


def _check_sequence(spec: Spec, rows: tuple[Row, ...]) -> None:
    """Consecutive rows of one key: no overlap, and no gap unless the table allows gaps."""
    for key, group in Table.of(spec.file, rows).index.items():
        for before, row in pairwise(group):
            at = f"{spec.file} line {row.line}"
            if not spec.dated:
                raise ConfigurationError(f"{at}: duplicate of line {before.line} "
                                         f"(key {_show(key)})")
            if before.tot is None or row.van <= before.tot:
                raise ConfigurationError(f"{at}: overlaps line {before.line} from {row.van} "
                                         f"(key {_show(key)})")
            if not spec.gaps_allowed and row.van > before.tot + timedelta(days=1):
                raise ConfigurationError(f"{at}: gap after line {before.line} from "
                                         f"{before.tot + timedelta(days=1)} to "
                                         f"{row.van - timedelta(days=1)} (key {_show(key)})")


def _check_defaults(table: Table) -> None:
    for soort in KOSTEN_SOORTEN:
        if ("*", soort) not in table.index:
            raise ConfigurationError(f"{table.name}: no default row '*;{soort}'")


def _show(key: Key) -> str:
    return "/".join(key) or "(none)"
