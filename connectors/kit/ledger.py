"""An append-only JSON-lines record of what a connector wrote, keyed by id; survives restarts.

Outbound file connectors commit a consumed batch only after writing its files, so a crash repeats
the batch; the ledger lets them skip what they wrote the first time.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any


class Ledger:
    """What was written, by id (``<id>`` -> the entry)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.entries: dict[str, dict[str, Any]] = {}
        if path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    entry = json.loads(line)
                    self.entries[str(entry["id"])] = entry

    def __contains__(self, key: str) -> bool:
        return key in self.entries

    def get(self, key: str) -> dict[str, Any] | None:
        """The entry written under ``key``, if any."""
        return self.entries.get(key)

    def add(self, entries: Sequence[dict[str, Any]]) -> None:
        """Append entries (each with an ``id``) and fsync."""
        if not entries:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as handle:
            for entry in entries:
                handle.write(json.dumps(entry, default=str, sort_keys=True) + "\n")
            handle.flush()
            os.fsync(handle.fileno())
        for entry in entries:
            self.entries[str(entry["id"])] = entry
