"""Where rows go: a ``Tally`` of counts, totals, groups and a bounded sample per section, and a
``CsvSink`` that also writes every row to the section's CSV as it comes (memory stays bounded).

CSV: UTF-8, ``;``-separated, CRLF, one header row of column keys, amounts in euros with a
decimal point, dates ISO (as the financial system's bookings export).
"""

from __future__ import annotations

import csv
import io
import itertools
import os
import tempfile
from array import array
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from hub.errors import UnreadableExport
from hub.report.columns import SECTIONS, Row, Section, cell_text, parse_cell

DELIMITER = ";"


class Tally:
    """Per section: row count, column totals, per-value groups and a sample of rows."""

    def __init__(self, sample: int = 100, *, keep_all: bool = False,
                 keep: Iterable[str] = ()) -> None:
        self._sample = sample
        self._kept = {s.key for s in SECTIONS} if keep_all else set(keep)
        self._seq = itertools.count()
        self.counts: dict[str, int] = {s.key: 0 for s in SECTIONS}
        self.totals: dict[str, list[int]] = {s.key: [0] * len(s.columns) for s in SECTIONS}
        self.groups: dict[str, dict[str, dict[Any, list[int]]]] = {
            s.key: {c: {} for c in s.group_by} for s in SECTIONS}
        self._samples: dict[str, dict[Any, list[tuple[Any, int, Row]]]] = {
            s.key: {} for s in SECTIONS}
        self._all: dict[str, list[Row]] = {s.key: [] for s in SECTIONS}

    def add(self, section: Section, row: Row) -> None:
        """Count one row of ``section``."""
        key = section.key
        self.counts[key] += 1
        totals = self.totals[key]
        for i in section.euro_columns():
            totals[i] += row[i] or 0
        amount = (row[section.index(section.amount)] or 0) if section.amount else 0
        for column, groups in self.groups[key].items():
            group = groups.setdefault(row[section.index(column)], [0, 0])
            group[0] += 1
            group[1] += amount
        self._keep(section, row)
        if key in self._kept:
            self._all[key].append(row)

    def _keep(self, section: Section, row: Row) -> None:
        seq = next(self._seq)
        if section.rank is None:
            kept = self._samples[section.key].setdefault(None, [])
            if len(kept) < self._sample:
                kept.append((seq, seq, row))
            return
        per = row[section.index(section.sample_per)] if section.sample_per else None
        kept = self._samples[section.key].setdefault(per, [])
        kept.append((section.rank(row), seq, row))
        if len(kept) >= 2 * self._sample:  # keep the lowest ranks; ties keep the earlier row
            kept.sort(key=_order)
            del kept[self._sample:]

    def sample(self, section: Section) -> list[Row]:
        """The kept rows: the first in ``rank`` (per ``sample_per`` value), or the first
        ones in order."""
        found = []
        for kept in self._samples[section.key].values():
            found += sorted(kept, key=_order)[:self._sample]
        return [item[2] for item in sorted(found, key=_order)]

    def total(self, section: Section, column: str) -> int:
        """The sum of an amount column over every row."""
        return self.totals[section.key][section.index(column)]

    def rows(self, section: Section) -> list[Row]:
        """Every row of a section named in ``keep`` (or all with ``keep_all``, for tests)."""
        return self._all[section.key]


class CsvSink(Tally):
    """A ``Tally`` that writes each section's CSV as rows arrive (to a temporary name)."""

    def __init__(self, folder: Path, prefix: str, sample: int = 100) -> None:
        super().__init__(sample)
        self.paths = {s.key: folder / f"{prefix}-{s.key}.csv" for s in SECTIONS}
        self._files: dict[str, IO[str]] = {}
        self._writers: dict[str, Any] = {}
        self._orders: dict[str, _Order] = {}  # sorted_csv sections: rank and offset per row
        self._scratch: dict[str, IO[bytes]] = {}
        self._line = io.StringIO()
        self._line_writer = csv.writer(self._line, delimiter=DELIMITER, lineterminator="\r\n")
        for s in SECTIONS:
            handle = open(partial_path(self.paths[s.key]), "w", encoding="utf-8", newline="")  # noqa: SIM115
            self._files[s.key] = handle
            self._writers[s.key] = csv.writer(handle, delimiter=DELIMITER, lineterminator="\r\n")
            self._writers[s.key].writerow([c.key for c in s.columns])
            if s.sorted_csv:
                # an unnamed temporary file: gone when closed, whatever happens
                scratch = tempfile.TemporaryFile("w+b", dir=folder)  # noqa: SIM115
                self._scratch[s.key], self._orders[s.key] = scratch, _Order()

    def add(self, section: Section, row: Row) -> None:
        """Count the row and write it (a ``sorted_csv`` section's rows first to a scratch file
        whose line offsets are sorted at ``close``)."""
        super().add(section, row)
        cells = [cell_text(c.kind, v) for c, v in zip(section.columns, row, strict=True)]
        order = self._orders.get(section.key)
        if order is None:
            self._writers[section.key].writerow(cells)
            return
        self._line_writer.writerow(cells)
        line = self._line.getvalue().encode("utf-8")
        self._line.seek(0)
        self._line.truncate()
        order.add(section.rank(row) if section.rank else 0, len(line))
        self._scratch[section.key].write(line)

    def close(self) -> None:
        """Write the sorted sections, close the files and give them their final names."""
        for key, order in self._orders.items():
            scratch = self._scratch[key]
            scratch.flush()
            handle = self._files[key]
            for offset, size in order.lines():
                scratch.seek(offset)
                handle.write(scratch.read(size).decode("utf-8"))
            scratch.close()
        for key, handle in self._files.items():
            handle.close()
            os.replace(partial_path(self.paths[key]), self.paths[key])

    def abort(self) -> None:
        """Close and remove the partial files."""
        for scratch in self._scratch.values():
            scratch.close()
        for key, handle in self._files.items():
            handle.close()
            partial_path(self.paths[key]).unlink(missing_ok=True)


class _Order:
    """The rows of a sorted section: (rank, seq) packed in one int, and each line's size in
    the scratch file: about 50 bytes a row, so a national risk list sorts in a few MiB."""

    SEQ = 1 << 32

    def __init__(self) -> None:
        self._keys: list[int] = []
        self._sizes = array("l")

    def add(self, rank: int, size: int) -> None:
        """The next row: its rank (lowest first) and the bytes of its line."""
        self._keys.append(rank * self.SEQ + len(self._sizes))
        self._sizes.append(size)

    def lines(self) -> Iterator[tuple[int, int]]:
        """(offset, size) of every line in rank order (ties in arrival order)."""
        starts = array("q", itertools.accumulate(self._sizes, initial=0))
        self._keys.sort()
        for key in self._keys:
            seq = key % self.SEQ
            yield starts[seq], self._sizes[seq]


def _order(item: tuple[Any, int, Row]) -> tuple[Any, int]:
    return item[0], item[1]


def partial_path(path: Path) -> Path:
    """``<name>.<pid>.part``: where a file is written before it is renamed into place (by
    process, as two workers may write the same report at once)."""
    return path.with_name(f"{path.name}.{os.getpid()}.part")


def read_rows(section: Section, path: Path) -> Iterable[Row]:
    """A section's CSV back as typed rows (cents for amounts), streamed."""
    with open(path, encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle, delimiter=DELIMITER)
        header = next(reader)
        if header != [c.key for c in section.columns]:
            raise UnreadableExport(path, 1, f"header does not match section {section.key}")
        kinds = [c.kind for c in section.columns]
        for cells in reader:
            yield tuple(parse_cell(kind, text) for kind, text in zip(kinds, cells, strict=True))
