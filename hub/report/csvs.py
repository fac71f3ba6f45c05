"""Where rows go: a ``Tally`` of counts, totals, groups and a bounded sample per section, and a
``CsvSink`` that also writes every row to the section's CSV as it comes (memory stays bounded).

CSV: UTF-8, ``;``-separated, CRLF, one header row of column keys, amounts in euros with a
decimal point, dates ISO (as the financial system's bookings export).
"""

from __future__ import annotations

import csv
import heapq
import itertools
import os
from collections.abc import Iterable
from pathlib import Path
from typing import IO, Any

from hub.report.columns import SECTIONS, Row, Section, cell_text, parse_cell

DELIMITER = ";"


class Tally:
    """Per section: row count, column totals, per-value groups and a sample of rows."""

    def __init__(self, sample: int = 100, *, keep_all: bool = False) -> None:
        self._sample = sample
        self._keep_all = keep_all
        self._seq = itertools.count()
        self.counts: dict[str, int] = {s.key: 0 for s in SECTIONS}
        self.totals: dict[str, list[int]] = {s.key: [0] * len(s.columns) for s in SECTIONS}
        self.groups: dict[str, dict[str, dict[Any, list[int]]]] = {
            s.key: {c: {} for c in s.group_by} for s in SECTIONS}
        self._samples: dict[str, list[tuple[Any, ...]]] = {s.key: [] for s in SECTIONS}
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
        self._keep(section, row, amount)
        if self._keep_all:
            self._all[key].append(row)

    def _keep(self, section: Section, row: Row, amount: int) -> None:
        kept = self._samples[section.key]
        seq = next(self._seq)
        if section.largest:  # a min-heap of the largest; ties keep the earlier row
            item = (amount, -seq, row)
            if len(kept) < self._sample:
                heapq.heappush(kept, item)
            elif item > kept[0]:
                heapq.heapreplace(kept, item)
        elif len(kept) < self._sample:
            kept.append((seq, row))

    def sample(self, section: Section) -> list[Row]:
        """The kept rows: the largest first, or the first ones in order."""
        kept = self._samples[section.key]
        if section.largest:
            return [item[2] for item in sorted(kept, reverse=True)]
        return [item[1] for item in kept]

    def total(self, section: Section, column: str) -> int:
        """The sum of an amount column over every row."""
        return self.totals[section.key][section.index(column)]

    def rows(self, section: Section) -> list[Row]:
        """Every row (only with ``keep_all``, for tests)."""
        return self._all[section.key]


class CsvSink(Tally):
    """A ``Tally`` that writes each section's CSV as rows arrive (to a temporary name)."""

    def __init__(self, folder: Path, prefix: str, sample: int = 100) -> None:
        super().__init__(sample)
        self.paths = {s.key: folder / f"{prefix}-{s.key}.csv" for s in SECTIONS}
        self._files: dict[str, IO[str]] = {}
        self._writers: dict[str, Any] = {}
        for s in SECTIONS:
            handle = open(partial_path(self.paths[s.key]), "w", encoding="utf-8", newline="")  # noqa: SIM115
            self._files[s.key] = handle
            self._writers[s.key] = csv.writer(handle, delimiter=DELIMITER, lineterminator="\r\n")
            self._writers[s.key].writerow([c.key for c in s.columns])

    def add(self, section: Section, row: Row) -> None:
        """Count the row and write it."""
        super().add(section, row)
        self._writers[section.key].writerow(
            [cell_text(c.kind, v) for c, v in zip(section.columns, row, strict=True)])

    def close(self) -> None:
        """Close the files and give them their final names."""
        for key, handle in self._files.items():
            handle.close()
            os.replace(partial_path(self.paths[key]), self.paths[key])

    def abort(self) -> None:
        """Close and remove the partial files."""
        for key, handle in self._files.items():
            handle.close()
            partial_path(self.paths[key]).unlink(missing_ok=True)


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
            raise ValueError(f"{path.name}: header does not match section {section.key}")
        kinds = [c.kind for c in section.columns]
        for cells in reader:
            yield tuple(parse_cell(kind, text) for kind, text in zip(kinds, cells, strict=True))
