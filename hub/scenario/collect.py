"""What a replay's connectors refused, read back from its workspace: quarantined files with the
rule from their reason file (``connectors/kit/folder.py``), and the ISI rejects files.
"""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any


def quarantined(work: Path) -> list[dict[str, Any]]:
    """Every quarantined file of the schools and the financial system, with its rule."""
    out = []
    for reason in sorted(work.glob("taalaanbieder/*/quarantine/*.reason.txt")):
        out.append(_entry("taalaanbieder", reason.parent.parent.name, reason))
    for reason in sorted(work.glob("financieel/quarantine/*.reason.txt")):
        out.append(_entry("financieel", "", reason))
    return out


def _entry(partner: str, folder: str, reason: Path) -> dict[str, Any]:
    fields = dict(line.split(": ", 1) for line in reason.read_text(encoding="utf-8").splitlines()
                  if ": " in line)
    parts = fields.get("reason", "").split(": ", 2)
    return {"partner": partner, "map": folder, "bestand": fields.get("file", ""),
            "regel": parts[1] if len(parts) > 1 else ""}


def rejects(work: Path) -> list[dict[str, Any]]:
    """Every row the ISI import refused (line, field)."""
    out = []
    for path in sorted(work.glob("isi/*.rejects.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle, delimiter=";"):
                out.append({"partner": "isi", "regel": row["line"], "veld": row["field"]})
    return out
