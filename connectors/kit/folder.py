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

A partner that renames a file into the inbox and keeps appending must not be read half: a file
is taken only once its size, mtime and inode are unchanged across two polls (``StableFiles``),
and is checked again after reading and around the move to the archive; a file that changed is
not archived and is read again later (``FileChanged``).
"""

from __future__ import annotations

import os
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from hub.errors import FileChanged, FileRefused
from hub.files import make_private
from hub.privacy import redact

SKIP_SUFFIXES = (".part", ".tmp")



@dataclass(frozen=True)
class Signature:
    """What a file looked like: size, modification time (ns) and inode."""

    size: int
    mtime_ns: int
    inode: int

    @classmethod
    def of(cls, st: os.stat_result) -> Signature:
        """The signature of a ``stat`` result."""
        return cls(st.st_size, st.st_mtime_ns, st.st_ino)


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
        """Files in the inbox with a complete name (stable or not), oldest name first."""
        if not self.inbox.is_dir():
            return []
        return sorted(p for p in self.inbox.iterdir() if p.is_file() and _complete(p.name))

    def archive_file(self, path: Path, *, expect: Signature | None = None,
                     now: datetime | None = None) -> Path:
        """Move a processed file to ``archive/<yyyymmdd>/`` (``FileChanged`` if it changed)."""
        day = (now or datetime.now(UTC)).strftime("%Y%m%d")
        return _move(path, self.archive / day, expect)

    def quarantine_file(self, path: Path, reason: str, *, expect: Signature | None = None,
                        now: datetime | None = None) -> Path:
        """Move a refused file to ``quarantine/`` and write ``<file>.reason.txt`` beside it."""
        moved = _move(path, self.quarantine, expect)
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


@dataclass(frozen=True)
class Dropped:
    """A stable inbox file and what it looked like when it was taken."""

    folder: DropFolder
    path: Path
    seen: Signature


class StableFiles:
    """Remembers inbox files between polls; a file is stable once it did not change between
    two polls. ``unstable()`` names the files that changed on ``unstable_polls`` polls."""

    def __init__(self, unstable_polls: int = 60) -> None:
        self.unstable_polls = max(1, unstable_polls)
        self._last: dict[Path, Signature] = {}
        self._changes: Counter[Path] = Counter()

    def poll(self, folder: DropFolder) -> list[Dropped]:
        """The files of ``folder``'s inbox that are unchanged since the previous poll."""
        present = folder.waiting()
        stable = []
        for path in present:
            try:
                now = Signature.of(path.stat())
            except FileNotFoundError:
                continue
            before = self._last.get(path)
            self._last[path] = now
            if before == now:
                stable.append(Dropped(folder, path, now))
            elif before is not None:
                self._changes[path] += 1
        keep = set(present)
        for path in [p for p in self._last if p.parent == folder.inbox and p not in keep]:
            self.forget(path)
        return stable

    def unstable(self) -> list[Path]:
        """Files that have kept changing for ``unstable_polls`` polls and are still there."""
        return sorted(p for p, n in self._changes.items() if n >= self.unstable_polls)

    def forget(self, path: Path) -> None:
        """Start over for ``path`` (taken, gone, or changed while read)."""
        self._last.pop(path, None)
        self._changes.pop(path, None)

    @staticmethod
    def read(dropped: Dropped, max_bytes: int) -> bytes:
        """The file's bytes; ``FileChanged`` if it is not what was seen; ``FileRefused`` when
        it is over ``max_bytes`` (at most ``max_bytes + 1`` bytes are read)."""
        name = dropped.path.name
        with dropped.path.open("rb") as handle:
            if Signature.of(os.fstat(handle.fileno())) != dropped.seen:
                raise FileChanged(f"{name}: changed since it was seen stable")
            if dropped.seen.size > max_bytes:
                raise FileRefused(name, "FILE-SIZE", f"{dropped.seen.size} bytes is over the "
                                  f"{max_bytes}-byte limit")
            data = handle.read(max_bytes + 1)
            after = Signature.of(os.fstat(handle.fileno()))
        if len(data) > max_bytes:
            raise FileRefused(name, "FILE-SIZE", f"over the {max_bytes}-byte limit")
        if after != dropped.seen or len(data) != dropped.seen.size or \
                _signature(dropped.path) != dropped.seen:
            raise FileChanged(f"{name}: changed while it was read")
        return data


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


def _signature(path: Path) -> Signature | None:
    try:
        return Signature.of(path.stat())
    except FileNotFoundError:
        return None


def _free(target: Path) -> Path:
    candidate, n = target, 1
    while candidate.exists() or candidate.with_name(candidate.name + ".reason.txt").exists():
        candidate = target.with_name(f"{target.name}.{n}")
        n += 1
    return candidate


def _move(path: Path, folder: Path, expect: Signature | None) -> Path:
    """Move ``path`` into ``folder``; with ``expect``, only if it still is that file (checked
    before and after the rename; a file that changed in between is put back)."""
    if expect is not None and _signature(path) != expect:
        raise FileChanged(f"{path.name}: changed before it could be moved")
    folder.mkdir(parents=True, exist_ok=True)
    target = _free(folder / path.name)
    os.replace(path, target)
    if expect is not None and _signature(target) != expect:
        os.replace(target, _free(path))
        raise FileChanged(f"{path.name}: changed while it was moved; put back")
    return make_private(target)  # a partner's file may hold BSNs: the hub's user only (R25)
