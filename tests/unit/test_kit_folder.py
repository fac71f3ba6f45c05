"""Drop folders on real files: a file is taken only once it stopped changing across two polls,
checked again after reading and around the move; a file that changed is read again later, one
that keeps changing is reported, and a poison file is quarantined after its attempts."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path

import pytest

from connectors.kit.folder import DropFolder, Dropped, Signature, StableFiles
from connectors.kit.health import Health
from connectors.kit.inbox import Inbox, Taken
from hub.errors import FileChanged, FileRefused


@pytest.fixture
def folder(tmp_path: Path) -> DropFolder:
    return DropFolder(tmp_path / "B10001").create()


def _append(path: Path, text: str) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(text)


def test_a_file_is_stable_only_when_unchanged_between_two_polls(folder: DropFolder) -> None:
    files = StableFiles()
    path = folder.inbox / "presentie.csv"
    path.write_text("kop\n")
    assert files.poll(folder) == []  # first sight
    _append(path, "rij 1\n")
    assert files.poll(folder) == []  # grew since
    os.utime(path, ns=(1, path.stat().st_mtime_ns + 1_000_000))
    assert files.poll(folder) == []  # same size, other mtime
    taken = files.poll(folder)
    assert [d.path for d in taken] == [path]
    assert taken[0].seen == Signature.of(path.stat())


def test_a_file_replaced_under_the_same_name_and_size_is_not_stable(folder: DropFolder) -> None:
    files = StableFiles()
    path = folder.inbox / "a.csv"
    path.write_text("1234")
    files.poll(folder)
    other = folder.inbox / ".b.tmp"
    other.write_text("5678")
    os.utime(other, ns=(path.stat().st_atime_ns, path.stat().st_mtime_ns))
    os.replace(other, path)  # new inode, same size and mtime
    assert files.poll(folder) == []


def test_a_file_appended_after_it_was_seen_stable_is_not_read(folder: DropFolder) -> None:
    files = StableFiles()
    path = folder.inbox / "a.csv"
    path.write_text("kop\n")
    files.poll(folder)
    [dropped] = files.poll(folder)
    _append(path, "rij\n")
    with pytest.raises(FileChanged):
        files.read(dropped, max_bytes=1000)


def test_reading_is_capped_and_refused_over_the_limit(folder: DropFolder) -> None:
    path = folder.inbox / "groot.csv"
    path.write_bytes(b"x" * 101)
    dropped = Dropped(folder, path, Signature.of(path.stat()))
    with pytest.raises(FileRefused) as caught:
        StableFiles.read(dropped, max_bytes=100)
    assert caught.value.rule == "FILE-SIZE"
    assert StableFiles.read(dropped, max_bytes=101) == b"x" * 101


def test_a_file_that_changed_is_not_archived(folder: DropFolder) -> None:
    path = folder.inbox / "a.csv"
    path.write_text("kop\n")
    seen = Signature.of(path.stat())
    _append(path, "rij\n")
    with pytest.raises(FileChanged):
        folder.archive_file(path, expect=seen)
    assert path.exists() and not any(folder.archive.rglob("a.csv"))


def _inbox(health: Health, **options: int) -> Inbox:
    return Inbox(health.part("inbox"), max_bytes=1_000_000, **options)


def _take(inbox: Inbox, folder: DropFolder, seen: list[bytes]) -> int:
    async def handle(dropped: Dropped, data: bytes) -> Taken:
        seen.append(data)
        return Taken(data.count(b"\n"))

    return asyncio.run(inbox.take([folder], handle))


def test_a_file_still_being_appended_is_taken_whole_once_it_stops(folder: DropFolder) -> None:
    """The issue's case: renamed into the inbox while the school still appends 1,000 rows."""
    inbox, seen = _inbox(Health("taalaanbieder")), []
    path = folder.inbox / "presentie.csv"
    tmp = folder.inbox / ".presentie.csv.tmp"
    tmp.write_text("kop\n")
    os.replace(tmp, path)  # renamed in early ...
    polls = 0
    for n in range(1000):  # ... and appended to between polls
        _append(path, f"rij {n}\n")
        if n % 100 == 99:
            polls += 1
            assert _take(inbox, folder, seen) == 0
    assert seen == [] and polls == 10  # a poll after every 100 rows: never taken half
    assert _take(inbox, folder, seen) == 1001  # unchanged since the last poll: taken whole
    archived = list(folder.archive.rglob("presentie.csv"))
    assert len(archived) == 1 and archived[0].read_bytes() == seen[0]
    assert seen[0].count(b"\n") == 1001


def test_a_file_that_keeps_changing_is_reported(folder: DropFolder) -> None:
    health = Health("taalaanbieder")
    health.running()
    inbox, seen = _inbox(health, unstable_polls=3), []
    path = folder.inbox / "druppel.csv"
    for n in range(4):
        _append(path, f"{n}\n")
        _take(inbox, folder, seen)
    assert seen == [] and not health.healthy
    assert "FileUnstable" in (health.last_error or "") and "druppel.csv" in (
        health.last_error or "")
    _take(inbox, folder, seen)  # it stopped changing: taken, and the report clears
    assert len(seen) == 1 and health.healthy


def test_a_poison_file_is_quarantined_after_its_attempts(folder: DropFolder) -> None:
    health = Health("taalaanbieder")
    health.running()
    inbox = _inbox(health, attempts=3)
    path = folder.inbox / "gif.csv"
    path.write_text("kop\n")
    calls = []

    async def handle(dropped: Dropped, data: bytes) -> Taken:
        calls.append(1)
        raise RecursionError("maximum recursion depth exceeded")

    for _ in range(6):
        asyncio.run(inbox.take([folder], handle))
    assert len(calls) == 3  # first poll only sees it; then three attempts; then it is gone
    reason = (folder.quarantine / "gif.csv.reason.txt").read_text()
    assert "UNEXPECTED: RecursionError" in reason and "after 3 attempts" in reason
    assert not path.exists()


def test_a_refused_file_is_quarantined_with_its_rule(folder: DropFolder) -> None:
    inbox = _inbox(Health("taalaanbieder"))
    path = folder.inbox / "kapot.csv"
    path.write_text("kop\n")

    async def handle(dropped: Dropped, data: bytes) -> Taken:
        raise FileRefused(dropped.path.name, "FORMAT", "line 1: no header")

    for _ in range(2):
        asyncio.run(inbox.take([folder], handle))
    assert "FORMAT: line 1: no header" in (folder.quarantine / "kapot.csv.reason.txt").read_text()
