"""Read an ISI bulk export, produce its rows, write the refused ones to a rejects file.

The input is opened read-only and never changed. Records are produced in batches per topic and
each batch returns only once the broker acknowledged it; message ids are deterministic, so an
import that is repeated, or resumed after a crash, is deduplicated by the hub's inbox.
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from connectors.edge import BsnSealer
from connectors.isi.translate import translate_row
from hub.errors import ConfigurationError, InvalidField, UnreadableExport
from hub.privacy import redact
from hub.publish import TopicWriter
from hub.spreadsheet import csv_writer

REJECTS_HEADER = ("line", "row_type", "field", "reason")


@dataclass
class ImportResult:
    """What one import came to."""

    rows: int = 0
    accepted: int = 0
    rejected: int = 0
    by_topic: Counter[str] = field(default_factory=Counter)


def rejects_path_for(source: Path) -> Path:
    """``FILE.rejects.csv`` beside the input."""
    return source.with_name(source.name + ".rejects.csv")


def count_rows(source: Path) -> int:
    """Lines that are rows (not blank, not comments), for the progress bar."""
    with source.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
        return sum(1 for line in handle if line.strip() and not line.startswith("#"))


def read_rows(source: Path) -> Iterator[tuple[int, list[str]]]:
    """(line number, fields) of every row; comments and blank lines skipped.

    Bytes that are not UTF-8 are kept as surrogate escapes, so that row alone is refused.
    """
    with source.open(encoding="utf-8-sig", errors="surrogateescape", newline="") as handle:
        reader = csv.reader(handle, delimiter=";", quotechar='"')
        try:
            for values in reader:
                if not values or not "".join(values).strip() or values[0].startswith("#"):
                    continue
                yield reader.line_num, values
        except csv.Error as exc:
            raise UnreadableExport(source, reader.line_num, f"not readable as CSV ({exc}); "
                                   "the import stopped here") from None


def _utf8(values: list[str]) -> None:
    try:
        "".join(values).encode("utf-8")
    except UnicodeEncodeError:
        raise InvalidField("row", "not UTF-8 text") from None


def _row_type(value: str) -> str:
    """The row type as written, for the rejects file: capped, redacted, valid text."""
    text = value.strip().upper()[:20].encode("utf-8", "replace").decode("utf-8")
    return redact(text)


class _Batches:
    """Records per topic, produced when a topic's batch is full and at the end."""

    def __init__(self, writer: TopicWriter, size: int) -> None:
        self.writer, self.size = writer, size
        self.pending: dict[str, list[dict[str, Any]]] = {}

    async def add(self, topic: str, record: dict[str, Any]) -> None:
        batch = self.pending.setdefault(topic, [])
        batch.append(record)
        if len(batch) >= self.size:
            await self.flush(topic)

    async def flush(self, topic: str | None = None) -> None:
        for name in [topic] if topic else list(self.pending):
            records = self.pending.pop(name, [])
            if records:
                await self.writer.send_many(name, records)


async def import_file(source: Path, writer: TopicWriter, sealer: BsnSealer, rejects: Path, *,
                      on_row: Callable[[], None] = lambda: None, batch_size: int = 500,
                      received_at: datetime | None = None) -> ImportResult:
    """Import every row of ``source``; refused rows go to ``rejects`` with their reason."""
    if rejects.resolve() == source.resolve():
        raise ConfigurationError("--rejects must not be the input file")
    received_at = received_at or datetime.now(UTC)
    result, batches = ImportResult(), _Batches(writer, batch_size)
    with rejects.open("w", encoding="utf-8", newline="") as handle:
        refused = csv_writer(handle, delimiter=";")  # formula-safe (hub.spreadsheet)
        refused.writerow(REJECTS_HEADER)
        try:
            for line, values in read_rows(source):
                result.rows += 1
                try:
                    _utf8(values)
                    routed = translate_row(values, sealer=sealer, received_at=received_at)
                except InvalidField as exc:
                    result.rejected += 1
                    refused.writerow((line, _row_type(values[0]), exc.field, exc.reason))
                else:
                    result.accepted += 1
                    result.by_topic[routed.topic] += 1
                    await batches.add(routed.topic, routed.record)
                on_row()
        except UnreadableExport as exc:
            refused.writerow((exc.line, "", "file", exc.reason))
            await batches.flush()
            raise
        await batches.flush()
    return result
