"""What a connector reports: per part (poll loop, consumer, deliverer) its last success and
failure, and from the supervisor its state and restarts.

A connector is healthy only when it is running, every part's last exchange succeeded, and after
a crash at least one exchange succeeded again. One part's success never hides another part's
failure. Error texts are capped and BSN-redacted.
"""

from __future__ import annotations

import itertools
import json
import os
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from hub.privacy import redact

STARTING, RUNNING, RESTARTING, STOPPED, NOT_STARTED = (
    "starting", "running", "restarting", "stopped", "not_started")
_ticks = itertools.count(1)  # orders events exactly (two timestamps may be equal)


def describe(exc: BaseException) -> str:
    """``Type: text`` of an error (the only one of a group), capped and BSN-redacted."""
    while isinstance(exc, BaseExceptionGroup) and len(exc.exceptions) == 1:
        exc = exc.exceptions[0]
    return f"{type(exc).__name__}: {redact(str(exc))[:200]}"


@dataclass
class Part:
    """One loop of a connector: its last success and failure."""

    last_success: datetime | None = None
    last_failure: datetime | None = None
    last_error: str | None = None
    ok_tick: int = 0
    fail_tick: int = 0

    @property
    def healthy(self) -> bool:
        """True when the last exchange succeeded (or none failed yet)."""
        return self.fail_tick <= self.ok_tick


@dataclass
class Health:
    """Health of one connector, shared by its parts and its supervisor."""

    connector: str
    processed: int = 0
    state: str = STARTING
    restarts: int = 0
    crash_error: str | None = None
    crash_tick: int = 0
    crashed_at: datetime | None = None
    parts: dict[str, Part] = field(default_factory=dict)

    def part(self, name: str) -> HealthPart:
        """A handle for one loop of the connector."""
        self.parts.setdefault(name, Part())
        return HealthPart(self, name)

    def succeeded(self, count: int = 0, part: str = "main") -> None:
        """Record a successful exchange (``count`` messages; 0 for an idle poll)."""
        p = self.parts.setdefault(part, Part())
        p.last_success, p.ok_tick = datetime.now(UTC), next(_ticks)
        self.processed += count

    def failed(self, exc: BaseException | str, part: str = "main") -> None:
        """Record a failed exchange."""
        p = self.parts.setdefault(part, Part())
        p.last_failure, p.fail_tick = datetime.now(UTC), next(_ticks)
        p.last_error = exc if isinstance(exc, str) else describe(exc)

    # -- the supervisor's side ------------------------------------------------------------------
    def running(self) -> None:
        """The connector's loop (re)started."""
        self.state = RUNNING

    def crashed(self, exc: BaseException) -> None:
        """The connector's loop died: unhealthy until an exchange succeeds after a restart."""
        self.state, self.crash_tick = RESTARTING, next(_ticks)
        self.crashed_at, self.crash_error = datetime.now(UTC), describe(exc)
        self.restarts += 1

    def stopped(self) -> None:
        """The host stopped the connector."""
        self.state = STOPPED

    def not_started(self, exc: BaseException) -> None:
        """The connector could not be built (missing settings)."""
        self.state, self.crashed_at, self.crash_error = NOT_STARTED, datetime.now(UTC), \
            describe(exc)
        self.crash_tick = next(_ticks)

    # -- what is reported -----------------------------------------------------------------------
    @property
    def healthy(self) -> bool:
        """Running, every part's last exchange succeeded, and one succeeded since a crash."""
        return (self.state == RUNNING and all(p.healthy for p in self.parts.values())
                and not self._unrecovered)

    @property
    def _unrecovered(self) -> bool:
        return bool(self.crash_tick) and not any(p.ok_tick > self.crash_tick
                                                 for p in self.parts.values())

    @property
    def last_success(self) -> datetime | None:
        """The latest success of any part."""
        return max((p.last_success for p in self.parts.values() if p.last_success), default=None)

    @property
    def last_failure(self) -> datetime | None:
        """The latest failure of any part, or the latest crash."""
        stamps = [p.last_failure for p in self.parts.values() if p.last_failure]
        return max([*stamps, *([self.crashed_at] if self.crashed_at else [])], default=None)

    @property
    def last_error(self) -> str | None:
        """Why it is unhealthy (the crash, else a failing part), else the latest error."""
        failing = [(n, p) for n, p in self.parts.items() if not p.healthy]
        if self.state in (RESTARTING, NOT_STARTED) or (self._unrecovered and not failing):
            verb = "not started" if self.state == NOT_STARTED else "crashed"
            return f"{verb} ({self.restarts} restarts): {self.crash_error}"
        named = failing or sorted(((n, p) for n, p in self.parts.items() if p.last_error),
                                  key=lambda item: item[1].fail_tick, reverse=True)[:1]
        return "; ".join(f"{n}: {p.last_error}" for n, p in named) or None

    def as_dict(self) -> dict[str, Any]:
        """The heartbeat entry."""
        return {"connector": self.connector, "healthy": self.healthy, "state": self.state,
                "restarts": self.restarts, "processed": self.processed,
                "last_success": _iso(self.last_success), "last_failure": _iso(self.last_failure),
                "last_error": self.last_error,
                "parts": {n: {"healthy": p.healthy, "last_success": _iso(p.last_success),
                              "last_failure": _iso(p.last_failure), "last_error": p.last_error}
                          for n, p in sorted(self.parts.items())}}


@dataclass(frozen=True)
class HealthPart:
    """A handle on one part of a connector's health."""

    health: Health
    name: str

    def succeeded(self, count: int = 0) -> None:
        """Record a successful exchange of this part."""
        self.health.succeeded(count, self.name)

    def failed(self, exc: BaseException | str) -> None:
        """Record a failed exchange of this part."""
        self.health.failed(exc, self.name)


def _iso(value: datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def write_heartbeat(path: Path, states: list[Health]) -> None:
    """Atomically write the heartbeat file read by ``hub connectors status``."""
    path.parent.mkdir(parents=True, exist_ok=True)
    body = {"written_at": time.time(), "pid": os.getpid(),
            "connectors": [h.as_dict() for h in states]}
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(json.dumps(body, indent=2))
    os.replace(tmp, path)
