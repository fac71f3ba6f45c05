"""R25 retention: partners' raw files are kept to prove receipt, then removed, each removal
audited; financial records are kept for the fiscal period; facts are never touched.

What is looked at: every file under a folder named ``archive`` or ``quarantine`` below the
hub's ``var/`` folder and below the partners' drop-folder roots (``HUB_TAAL_ROOT``,
``HUB_FIN_ROOT``, ``HUB_RETENTION_ROOTS``). Each file is one of

* **financial**: an invoice or credit note (UBL ``Invoice``/``CreditNote``), a bank statement
  (camt.053), a payment order (pain.001), a bookings export or an unmatched-payments list:
  kept ``HUB_RETENTION_FINANCIAL_YEARS`` (7, fiscal retention);
* **raw**: any other partner file (school CSVs, DUO answers kept after a refusal, broken
  files): kept ``HUB_RETENTION_RAW_DAYS`` (90).

A file's age counts from when the hub took it in: the day of its ``archive/<yyyymmdd>/`` folder,
else the time its ``.reason.txt`` was written (quarantine), else its modification time. A
reason file goes with its file. Every removal is a ``retention.delete`` row in the audit table
(path, category, received, size; never the content). The store's facts and views, the outbox
and the reports are not touched: removing a raw file never changes what the hub knows.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

from hub.privacy import redact
from hub.settings import Settings, read_env, register_settings

log = logging.getLogger(__name__)
PREFIX = "HUB_RETENTION_"
KEPT_FOLDERS = ("archive", "quarantine")
REASON = ".reason.txt"
_DAY = re.compile(r"^\d{8}$")
_FINANCIAL_XML = re.compile(
    rb"<(?:[\w.-]+:)?(?:Invoice|CreditNote|BkToCstmrStmt|CstmrCdtTrfInitn)[\s>/]")
_FINANCIAL_NAME = re.compile(r"(pain\.?001|camt\.?053|boekingen|\.unmatched\.csv$)", re.I)
Audit = Callable[[str, dict[str, object]], None]


@dataclass(frozen=True)
class RetentionSettings:
    """How long partner files are kept, how often the worker applies it, extra roots."""

    raw_days: int = 90
    financial_years: int = 7
    interval_s: float = 86_400.0  # the worker applies retention this often; 0: never
    roots: str = ""  # more folders (comma-separated) whose archive/ and quarantine/ count

    def period(self, category: str) -> timedelta:
        """How long a file of ``category`` is kept."""
        if category == "financial":
            return timedelta(days=round(365.25 * self.financial_years))
        return timedelta(days=self.raw_days)


register_settings(RetentionSettings, PREFIX)


def retention_settings() -> RetentionSettings:
    """Read ``HUB_RETENTION_*`` from the environment."""
    return read_env(RetentionSettings, PREFIX)


@dataclass(frozen=True)
class Kept:
    """One partner file under retention."""

    path: Path
    category: str
    received: datetime
    size: int
    root: Path  # the folder it was found under (var/ or a drop-folder root)

    def due(self, now: datetime, settings: RetentionSettings) -> bool:
        """Whether its period is over."""
        return now - self.received > settings.period(self.category)


@dataclass
class Outcome:
    """What one run found and removed."""

    examined: int = 0
    removed: list[Kept] = field(default_factory=list)
    kept: dict[str, int] = field(default_factory=lambda: {"raw": 0, "financial": 0})


def roots(hub: Settings, settings: RetentionSettings) -> list[Path]:
    """``var/``, the partners' drop-folder roots and ``HUB_RETENTION_ROOTS``; a root inside
    another one is left out (its files are found under the outer one)."""
    from connectors.financieel.config import fin_settings
    from connectors.taalaanbieder.config import taal_settings

    found = [hub.var_dir, taal_settings().root_dir(hub), fin_settings().root_dir(hub),
             *(Path(p.strip()) for p in settings.roots.split(",") if p.strip())]
    resolved = [(root, root.resolve()) for root in found]
    return [root for n, (root, real) in enumerate(resolved)
            if not any(real.is_relative_to(other) and (real != other or m < n)
                       for m, (_, other) in enumerate(resolved) if m != n)]


def files(root: Path) -> Iterator[Kept]:
    """Every file under an ``archive`` or ``quarantine`` folder below ``root``."""
    if not root.is_dir():
        return
    seen: set[Path] = set()
    for folder in sorted(p for name in KEPT_FOLDERS for p in root.rglob(name) if p.is_dir()):
        for path in sorted(folder.rglob("*")):
            if path.is_file() and not path.is_symlink() and not path.name.endswith(REASON) \
                    and path not in seen:
                seen.add(path)
                yield Kept(path, category(path), received(path, folder),
                           path.stat().st_size, root)
        for orphan in sorted(folder.rglob("*" + REASON)):  # its file is gone already
            if not orphan.with_name(orphan.name[:-len(REASON)]).exists():
                yield Kept(orphan, "raw", _mtime(orphan), orphan.stat().st_size, root)


def category(path: Path) -> str:
    """``financial`` for invoices, statements, payment orders and bookings; else ``raw``."""
    if _FINANCIAL_NAME.search(path.name):
        return "financial"
    with path.open("rb") as handle:
        head = handle.read(64 * 1024)
    return "financial" if _FINANCIAL_XML.search(head) else "raw"


def received(path: Path, kept_in: Path) -> datetime:
    """When the hub took the file in (see the module docstring)."""
    for part in path.relative_to(kept_in).parts[:-1]:
        if _DAY.match(part):
            try:
                return datetime.strptime(part, "%Y%m%d").replace(tzinfo=UTC) + timedelta(days=1)
            except ValueError:
                continue
    reason = path.with_name(path.name + REASON)
    return _mtime(reason if reason.exists() else path)


def _mtime(path: Path) -> datetime:
    return datetime.fromtimestamp(path.stat().st_mtime, UTC)


def apply(hub: Settings, settings: RetentionSettings, *, audit: Audit | None,
          now: datetime | None = None, dry_run: bool = False) -> Outcome:
    """Remove (or with ``dry_run`` only list) every file whose period is over."""
    now, outcome = now or datetime.now(UTC), Outcome()
    for root in roots(hub, settings):
        for kept in files(root):
            outcome.examined += 1
            if not kept.due(now, settings):
                outcome.kept[kept.category] += 1
                continue
            outcome.removed.append(kept)
            if not dry_run:
                _remove(kept, audit)
    if not dry_run and outcome.removed:
        log.info("retention_applied removed=%d kept_raw=%d kept_financial=%d",
                 len(outcome.removed), outcome.kept["raw"], outcome.kept["financial"])
    return outcome


def _remove(kept: Kept, audit: Audit | None) -> None:
    reason = kept.path.with_name(kept.path.name + REASON)
    kept.path.unlink(missing_ok=True)
    reason.unlink(missing_ok=True)
    if audit is not None:
        audit(describe(kept), {"category": kept.category, "bytes": kept.size,
                                     "received": kept.received.isoformat()})
    parent = kept.path.parent
    while parent.name not in KEPT_FOLDERS and parent != kept.root and not any(parent.iterdir()):
        parent.rmdir()  # an emptied archive/<day>/ folder
        parent = parent.parent


def describe(kept: Kept) -> str:
    """The file as the audit row names it: its path below its root, BSN-like digits masked."""
    return redact(f"{kept.root.name}/{kept.path.relative_to(kept.root)}")[:400]
