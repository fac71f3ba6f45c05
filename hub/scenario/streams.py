"""Writing many files case by case with bounded memory, and putting feeds in time order.

``Appender`` buffers text for many files and appends it in one go when the buffer is full, so
the generator never holds more than a few MiB nor keeps hundreds of files open. ``Feed`` gives
a partner feed its time order: lines go to one bucket file per month, and ``lines()`` reads the
buckets back month by month, each sorted by its timestamp (emission order breaks ties), so only
one month is ever in memory.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from datetime import date, datetime
from pathlib import Path

BUFFER_BYTES = 8 * 1024 * 1024


class Appender:
    """Buffered appends to many text files (UTF-8); a header goes first in a new file."""

    def __init__(self, limit: int = BUFFER_BYTES) -> None:
        self._parts: dict[Path, list[str]] = {}
        self._started: set[Path] = set()
        self._size = 0
        self._limit = limit

    def write(self, path: Path, text: str, header: str = "") -> None:
        """Append ``text`` to ``path`` (after ``header`` when the file is new)."""
        parts = self._parts.setdefault(path, [])
        if path not in self._started:
            self._started.add(path)
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text("", encoding="utf-8")
            if header:
                parts.append(header)
                self._size += len(header)
        parts.append(text)
        self._size += len(text)
        if self._size >= self._limit:
            self.flush()

    def flush(self) -> None:
        """Write every buffered part to its file."""
        for path, parts in self._parts.items():
            if parts:
                with path.open("a", encoding="utf-8", newline="") as handle:
                    handle.write("".join(parts))
        self._parts.clear()
        self._size = 0

    @property
    def files(self) -> list[Path]:
        """Every file written so far, sorted."""
        return sorted(self._started)


class Feed:
    """Lines stamped with a time, read back in time order one month at a time."""

    def __init__(self, folder: Path, appender: Appender) -> None:
        self.folder = folder
        self._out = appender
        self._count = 0

    def add(self, at: date | datetime, line: str) -> None:
        """Queue ``line`` (no newline in it) at time ``at``."""
        stamp = at.isoformat() if isinstance(at, datetime) else f"{at.isoformat()}T09:00:00"
        self._count += 1
        bucket = self.folder / f"{stamp[:4]}{stamp[5:7]}.txt"
        self._out.write(bucket, f"{stamp}\t{self._count:012d}\t{line}\n")

    def lines(self) -> Iterator[tuple[str, str]]:
        """(timestamp, line) in time order; the buckets are removed afterwards."""
        self._out.flush()
        for bucket in sorted(self.folder.glob("*.txt")):
            rows = bucket.read_text(encoding="utf-8").splitlines()
            rows.sort()
            for row in rows:
                stamp, _, rest = row.split("\t", 2)
                yield stamp, rest
        shutil.rmtree(self.folder, ignore_errors=True)
