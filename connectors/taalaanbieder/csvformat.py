"""CSV reading shared by the school files: header check, hours, dates, case references.

Every problem raises ``InvalidField`` whose field names the line and column
(``line 4 UrenGevolgd``), never a value, so a BSN cannot leak into a reason file.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterator, Sequence
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from hub.errors import InvalidField

CASE_REF = re.compile(r"^CR[0-9A-F]{30}$")
MAX_HOURS = Decimal(10_000)


def rows(data: bytes, header: Sequence[str], *, name: str) -> Iterator[tuple[int, dict[str, str]]]:
    """(line number, row by column name) of a ``;``-separated UTF-8 file with this header."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise InvalidField(name, "not UTF-8 text") from None
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=";", quotechar='"')
    try:
        first = next(reader, None)
        if first is None or [c.strip() for c in first] != list(header):
            raise InvalidField(f"{name} header", "expected columns " + ";".join(header))
        for values in reader:
            if not "".join(values).strip():
                continue
            if len(values) != len(header):
                raise InvalidField(f"line {reader.line_num}",
                                   f"has {len(values)} columns, expected {len(header)}")
            yield reader.line_num, {k: v.strip() for k, v in zip(header, values, strict=True)}
    except csv.Error as exc:  # e.g. a field over the csv module's size limit
        raise InvalidField(f"line {reader.line_num}", f"not readable as CSV ({exc})") from None


def minutes(value: str, field: str) -> int:
    """Hours as written (``12``, ``12,5``, ``1.25``) -> whole minutes; refuses, never rounds."""
    try:
        hours = Decimal(value.replace(",", "."))
    except InvalidOperation:
        raise InvalidField(field, "not a number of hours") from None
    if not hours.is_finite() or hours < 0 or hours > MAX_HOURS:
        raise InvalidField(field, f"hours must be between 0 and {MAX_HOURS}")
    total = hours * 60
    if total != total.to_integral_value():
        raise InvalidField(field, "hours are not whole minutes")
    return int(total)


def optional_minutes(value: str, field: str) -> int:
    """``minutes`` with an empty cell meaning 0."""
    return minutes(value, field) if value else 0


def parse_date(value: str, field: str) -> date:
    """``yyyy-mm-dd`` or ``dd-mm-yyyy``."""
    for fmt in ("%Y-%m-%d", "%d-%m-%Y"):
        try:
            return datetime.strptime(value, fmt).date()
        except ValueError:
            continue
    raise InvalidField(field, "not a date (yyyy-mm-dd or dd-mm-yyyy)")


def optional_date(value: str, field: str) -> date | None:
    """``parse_date`` with an empty cell meaning none."""
    return parse_date(value, field) if value else None


def case_reference(value: str, field: str) -> str:
    """A hub case reference (``CR`` + 30 upper-case hex)."""
    if not CASE_REF.match(value):
        raise InvalidField(field, "not a case reference (CR + 30 hex digits)")
    return value


def choice(value: str, allowed: Sequence[str], field: str, *, empty: bool = False) -> str | None:
    """``value`` upper-cased if it is one of ``allowed`` (or empty, when allowed)."""
    if not value and empty:
        return None
    if value.upper() not in allowed:
        raise InvalidField(field, "must be one of " + ", ".join(allowed))
    return value.upper()
