"""Refusals at the edge, for the completeness section: quarantined files, dead letters by
topic, ISI rejects. Each group gives partner, count, the oldest and where it is kept.

* Quarantine: the drop folders' ``quarantine/`` (``connectors/kit/folder.py``): one group per
  school and one for the financial system, from the ``<file>.reason.txt`` beside each refused
  file (its ``refused_at`` and the rule, never the file's content); and DUO's refused answers
  (``var/quarantine/duo``, ``connectors/duo/FORMAT.md`` "Refused answers") by operation.
* Dead letters: the store's ``dead_letter`` table, one group per source topic (read in
  ``data.dead_letter_groups``; ``hub dlq list --topic T`` shows them one by one).
* ISI rejects: every ``*.rejects.csv`` the import wrote (``hub import isi``: beside the export);
  the report reads the folder ``EdgeFolders.isi`` (default ``var/isi``).

Nothing here opens a file that could hold a BSN: reason files and rejects files carry rules and
field names only (the connectors redact them).
"""

from __future__ import annotations

import csv
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from hub.report.columns import Row
from hub.report.dates import days_between
from hub.settings import Settings

QUARANTINE, DEAD_LETTER, ISI_REJECT = "QUARANTAINE", "DODE_BRIEF", "ISI_AFGEWEZEN"
REASON_SUFFIX = ".reason.txt"
MAX_READ = 64 * 1024  # a reason file is a few lines; never read more of one


@dataclass(frozen=True)
class EdgeFolders:
    """Where the connectors keep what they refused (None: not looked at)."""

    taalaanbieder: Path | None = None  # root with one drop folder per school (BOW-nummer)
    financieel: Path | None = None  # the financial system's drop folder
    isi: Path | None = None  # folder of the ISI exports and their ``.rejects.csv``
    duo: Path | None = None  # DUO answers refused for their signature

    @classmethod
    def configured(cls, settings: Settings) -> EdgeFolders:
        """The connectors' configured folders (``HUB_TAAL_ROOT``, ``HUB_FIN_ROOT``, default
        below ``var/``) and ``var/isi`` for the ISI rejects."""
        from connectors.financieel.config import fin_settings  # the connectors' own settings
        from connectors.taalaanbieder.config import taal_settings

        return cls(taal_settings().root_dir(settings), fin_settings().root_dir(settings),
                   settings.var_dir / "isi", settings.var_dir / "quarantine" / "duo")

    @classmethod
    def under(cls, root: Path) -> EdgeFolders:
        """The connectors' default layout below ``root`` (``var/``, or a replay workspace)."""
        return cls(root / "taalaanbieder", root / "financieel", root / "isi",
                   root / "quarantine" / "duo")


@dataclass(frozen=True)
class Refusals:
    """One group of refusals: kind, partner, how many, the oldest, where they are kept."""

    controle: str
    partner: str
    count: int
    oldest: date | None
    where: str
    detail: str

    def row(self, day: date) -> Row:
        """The group as a completeness row."""
        return (self.controle, self.where, None, None, self.partner, self.oldest,
                days_between(self.oldest, day), None, self.count, self.detail)


def refusals(folders: EdgeFolders) -> list[Refusals]:
    """Quarantined files and ISI rejects in ``folders``, by partner."""
    found: list[Refusals] = []
    if folders.taalaanbieder is not None and folders.taalaanbieder.is_dir():
        for school in sorted(p for p in folders.taalaanbieder.iterdir() if p.is_dir()):
            found += _quarantine(f"taalaanbieder {school.name}", school / "quarantine")
    if folders.financieel is not None:
        found += _quarantine("financieel", folders.financieel / "quarantine")
    if folders.duo is not None:
        found += _quarantine("duo", folders.duo)
    if folders.isi is not None and folders.isi.is_dir():
        for path in sorted(folders.isi.glob("*.rejects.csv")):
            found += _rejects(path)
    return found


def counted(counts: Counter[str]) -> str:
    """``FORMAT 2, XML-SYNTAX 1``: most first, then by name."""
    return ", ".join(f"{k} {n}" for k, n in sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))


def _quarantine(partner: str, folder: Path) -> list[Refusals]:
    if not folder.is_dir():
        return []
    rules: Counter[str] = Counter()
    oldest: date | None = None
    for reason in sorted(folder.glob("*" + REASON_SUFFIX)):
        refused_at, rule = _reason(reason)
        rules[rule] += 1
        oldest = refused_at if oldest is None else min(oldest, refused_at)
    if not rules:
        return []
    return [Refusals(QUARANTINE, partner, sum(rules.values()), oldest, str(folder),
                     f"regels: {counted(rules)}")]


def _reason(path: Path) -> tuple[date, str]:
    """(day refused, rule) of one reason file: ``reason: <file>: <RULE>: <text>``."""
    with path.open(encoding="utf-8", errors="replace") as handle:
        text = handle.read(MAX_READ)
    fields = dict(line.split(": ", 1) for line in text.splitlines() if ": " in line)
    parts = fields.get("reason", "").split(": ", 2)
    # a drop folder's ``<file>: <RULE>: <text>``; a refused DUO answer names its operation
    rule = parts[1] if len(parts) > 1 else fields.get("operation") or "onbekend"
    try:
        day = datetime.fromisoformat(fields.get("refused_at", "")).date()
    except ValueError:
        day = _mtime(path)
    return day, rule


def _rejects(path: Path) -> list[Refusals]:
    fields: Counter[str] = Counter()
    for row in _reject_rows(path):
        fields[row.get("field") or "onbekend"] += 1
    if not fields:
        return []
    return [Refusals(ISI_REJECT, "isi", sum(fields.values()), _mtime(path), str(path),
                     f"velden: {counted(fields)}")]


def _reject_rows(path: Path) -> Iterator[dict[str, str]]:
    with path.open(encoding="utf-8", errors="replace", newline="") as handle:
        yield from csv.DictReader(handle, delimiter=";")


def _mtime(path: Path) -> date:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC).date()


def dead_letter_group(topic: str, count: int, oldest: date | None,
                      errors: Counter[str]) -> Refusals:
    """Dead letters of one source topic (``inburgering.<partner>.…``) in the store."""
    parts = topic.split(".")
    partner = parts[1] if len(parts) > 2 else topic
    return Refusals(DEAD_LETTER, partner, count, oldest,
                    f"store: dead_letter; hub dlq list --topic {topic}",
                    f"{topic}: {counted(errors)}")
