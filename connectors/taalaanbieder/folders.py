"""Drop folders for file-based partners: inbox -> archive or quarantine, and an outbox.

Layout per partner (``root/<partner>/``)::

    inbox/        the partner drops files here (write ``.name.tmp`` or ``name.part``, then
                  rename: files starting with ``.`` or ending in ``.part``/``.tmp`` are skipped)
    archive/      processed files, under ``<yyyymmdd>/`` of the day they were processed
    quarantine/   refused files, each with ``<file>.reason.txt`` beside it
    outbox/       files the hub writes for the partner (written atomically)

Nothing is deleted here: a name that already exists in archive or quarantine gets a
``.<n>`` suffix instead of overwriting; ``hub retention apply`` removes files after their
period (R25). Archived and quarantined files are made 0600 (the partner may drop them 0644).
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from hub.errors import BadMessage
from hub.files import make_private
from hub.privacy import redact

SKIP_SUFFIXES = (".part", ".tmp")


class FileRefused(BadMessage):
    """A dropped file breaks its format; ``rule`` and ``detail`` go to the reason file."""

    def __init__(self, name: str, rule: str, detail: str) -> None:
        detail = redact(detail)  # XSD and rule details may quote values: never a BSN
        super().__init__(f"{name}: {rule}: {detail}")
        self.name = name
        self.rule = rule
        self.detail = detail


@dataclass(frozen=True)
class DropFolder:
    """The folders of one partner under ``root``."""

    root: Path

    @property
    def name(self) -> str:
        """The partner id: the folder's name."""
        return self.root.name

    @property
    def inbox(self) -> Path:
        """Where the partner drops files."""
        return self.root / "inbox"

    @property
    def archive(self) -> Path:
        """Processed files."""
        return self.root / "archive"

    @property
    def quarantine(self) -> Path:
        """Refused files with their reason files."""
        return self.root / "quarantine"

    @property
    def outbox(self) -> Path:
        """Files for the partner."""
        return self.root / "outbox"

    def create(self) -> DropFolder:
        """Make every folder (idempotent)."""
        for folder in (self.inbox, self.archive, self.quarantine, self.outbox):
            folder.mkdir(parents=True, exist_ok=True)
        return self

    def waiting(self) -> list[Path]:
        """Complete files in the inbox, oldest name first."""
        if not self.inbox.is_dir():
            return []
        return sorted(p for p in self.inbox.iterdir() if p.is_file() and _complete(p.name))

    def archive_file(self, path: Path, *, now: datetime | None = None) -> Path:
        """Move a processed file to ``archive/<yyyymmdd>/``."""
        day = (now or datetime.now(UTC)).strftime("%Y%m%d")
        return _move(path, self.archive / day)

    def quarantine_file(self, path: Path, reason: str, *, now: datetime | None = None) -> Path:
        """Move a refused file to ``quarantine/`` and write ``<file>.reason.txt`` beside it."""
        moved = _move(path, self.quarantine)
        stamp = (now or datetime.now(UTC)).isoformat(timespec="seconds")
        text = f"file: {path.name}\nrefused_at: {stamp}\nreason: {redact(reason)}\n"
        write_atomic(moved.with_name(moved.name + ".reason.txt"), text.encode())
        return moved

    def write_outbox(self, name: str, data: bytes) -> Path:
        """Write a file for the partner atomically; an existing name is never overwritten."""
        self.outbox.mkdir(parents=True, exist_ok=True)
        target = _free(self.outbox / name)
        write_atomic(target, data)
        return target


def partners(root: Path) -> list[DropFolder]:
    """A ``DropFolder`` for every sub-folder of ``root``."""
    if not root.is_dir():
        return []
    return [DropFolder(p) for p in sorted(root.iterdir()) if p.is_dir() and _complete(p.name)]


def write_atomic(path: Path, data: bytes) -> None:
    """Write to a hidden temporary file, fsync, then rename into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    with tmp.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def _complete(name: str) -> bool:
    return not name.startswith(".") and not name.endswith(SKIP_SUFFIXES)


def _free(target: Path) -> Path:
    candidate, n = target, 1
    while candidate.exists() or candidate.with_name(candidate.name + ".reason.txt").exists():
        candidate = target.with_name(f"{target.name}.{n}")
        n += 1
    return candidate


def _move(path: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = _free(folder / path.name)
    os.replace(path, target)
    return make_private(target)  # a partner's file may hold BSNs: the hub's user only (R25)
