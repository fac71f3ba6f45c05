"""Taking files from drop folders, the same way for every file-based connector.

Per stable file (``folder.StableFiles``): read it (capped), hand the bytes to the connector
(translate and produce), then archive it; a refused file goes to quarantine with its reason; a
file that changed is left for a later poll. A file that breaks the connector in a way nobody
foresaw (any other exception) is retried on the next polls and quarantined after ``attempts``,
so one poison file never stops the folder. Broker trouble (a ``TransientError``) propagates:
the poll loop backs off and the file is read again.
"""

from __future__ import annotations

import asyncio
import logging
import traceback
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path

from connectors.kit.folder import DropFolder, Dropped, Signature, StableFiles
from connectors.kit.health import HealthPart, describe
from hub.errors import FileChanged, FileRefused, FileUnstable, PermanentError, TransientError
from hub.privacy import redact

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Taken:
    """What the connector made of a file: records produced, and what to do once archived."""

    count: int
    archived: Callable[[Path], None] | None = None  # called (in a thread) with the archive path


Handle = Callable[[Dropped, bytes], Awaitable[Taken]]


class Inbox:
    """Stable files in, archived or quarantined out; reports files that keep changing."""

    def __init__(self, part: HealthPart, *, max_bytes: int, attempts: int = 3,
                 unstable_polls: int = 60) -> None:
        self.part, self.max_bytes, self.attempts = part, max_bytes, max(1, attempts)
        self.files = StableFiles(unstable_polls)
        self._strikes: Counter[tuple[Path, Signature]] = Counter()
        self._reported: set[Path] = set()
        self._failures: list[Exception] = []

    async def take(self, folders: list[DropFolder], handle: Handle) -> int:
        """Process every stable file of ``folders``; returns what ``handle`` counted."""
        total, self._failures = 0, []
        for folder in folders:
            for dropped in self.files.poll(folder):
                total += await self._one(dropped, handle)
        self._report()
        return total

    async def _one(self, dropped: Dropped, handle: Handle) -> int:
        folder, path = dropped.folder, dropped.path
        try:
            data = await asyncio.to_thread(self.files.read, dropped, self.max_bytes)
            taken = await handle(dropped, data)
            target = await asyncio.to_thread(folder.archive_file, path, expect=dropped.seen)
        except FileChanged as exc:
            self.files.forget(path)
            log.info("file_changed folder=%s file=%s: %s; read again later", folder.name,
                     path.name, exc)
            return 0
        except TransientError:
            raise
        except PermanentError as exc:
            rule = exc.rule if isinstance(exc, FileRefused) else type(exc).__name__
            await self._quarantine(dropped, str(exc), rule)
            return 0
        except Exception as exc:
            return await self._poison(dropped, exc)
        self._forget(dropped)
        if taken.archived is not None:
            await asyncio.to_thread(taken.archived, target)
        log.info("file_processed folder=%s file=%s records=%d", folder.name, path.name,
                 taken.count)
        return taken.count

    async def _poison(self, dropped: Dropped, exc: Exception) -> int:
        key = (dropped.path, dropped.seen)
        self._strikes[key] += 1
        strikes = self._strikes[key]
        log.error("file_failed folder=%s file=%s attempt=%d of %d\n%s", dropped.folder.name,
                  dropped.path.name, strikes, self.attempts,
                  redact("".join(traceback.format_exception(exc)).rstrip()))
        self._failures.append(exc)
        if strikes >= self.attempts:
            reason = f"{dropped.path.name}: UNEXPECTED: {describe(exc)} (after {strikes} attempts)"
            await self._quarantine(dropped, reason, "UNEXPECTED")
        return 0

    async def _quarantine(self, dropped: Dropped, reason: str, rule: str) -> None:
        try:
            await asyncio.to_thread(dropped.folder.quarantine_file, dropped.path, reason,
                                    expect=dropped.seen)
        except FileChanged:
            self.files.forget(dropped.path)
            return
        self._forget(dropped)
        log.warning("file_quarantined folder=%s file=%s rule=%s", dropped.folder.name,
                    dropped.path.name, rule)

    def _forget(self, dropped: Dropped) -> None:
        self.files.forget(dropped.path)
        self._reported.discard(dropped.path)
        for key in [k for k in self._strikes if k[0] == dropped.path]:
            del self._strikes[key]

    def _report(self) -> None:
        unstable = self.files.unstable()
        for path in unstable:
            if path not in self._reported:
                self._reported.add(path)
                log.warning("file_unstable folder=%s file=%s: still changing after %d polls; "
                            "taken once it stops", path.parent.parent.name, path.name,
                            self.files.unstable_polls)
        self._reported &= set(unstable)
        if unstable:
            names = ", ".join(f"{p.parent.parent.name}/{p.name}" for p in unstable[:5])
            self.part.failed(FileUnstable(f"still changing: {names}"))
        elif self._failures:
            self.part.failed(self._failures[-1])
        else:
            self.part.succeeded(0)
