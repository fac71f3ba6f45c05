"""Signal handling for a process that starts children (``hub up``, ``hub scenario run``).

Install ``Shutdown`` before the first child starts. The first SIGINT or SIGTERM then raises
``StopRequested`` in the main thread wherever it is, so the ``except``/``finally`` that stops
the children runs; except inside ``critical()`` (a child being started and recorded), which
finishes first and raises on leaving. Once stopping has begun, further signals are ignored, so
the stop itself is never cut short.
"""

from __future__ import annotations

import contextlib
import signal
from collections.abc import Callable, Iterator
from types import FrameType
from typing import Any, TypeVar

SIGNALS = (signal.SIGINT, signal.SIGTERM)
T = TypeVar("T")


class StopRequested(KeyboardInterrupt):
    """SIGINT or SIGTERM arrived: stop everything that was started."""


class Shutdown:
    """Turns SIGINT/SIGTERM into ``StopRequested``, outside critical sections, once."""

    def __init__(self) -> None:
        self.requested: int | None = None
        self.is_stopping = False
        self.registered: list[Any] = []  # what was started (before a call could return it)
        self._depth = 0
        self._previous: dict[int, Callable[[int, FrameType | None], Any] | int | None] = {}

    def install(self) -> Shutdown:
        """Handle SIGINT and SIGTERM from now on (call in the main thread)."""
        self._previous = {sig: signal.signal(sig, self._handle) for sig in SIGNALS}
        return self

    def restore(self) -> None:
        """Put the handlers back that were there before ``install``."""
        for sig, handler in self._previous.items():
            signal.signal(sig, handler)
        self._previous = {}

    def register(self, item: T) -> T:
        """Remember ``item`` (e.g. a ``Stack``) so the caller can stop it even when a signal
        comes between its creation and the caller receiving it."""
        self.registered.append(item)
        return item

    def stopping(self) -> None:
        """Stopping has begun: from now on signals are ignored."""
        self.is_stopping = True

    @contextlib.contextmanager
    def critical(self) -> Iterator[None]:
        """Run the block uninterrupted; a signal that came meanwhile raises on leaving it."""
        self._depth += 1
        try:
            yield
        finally:
            self._depth -= 1
        if not self._depth and self.requested is not None and not self.is_stopping:
            raise StopRequested(signal.Signals(self.requested).name)

    def _handle(self, signum: int, _frame: FrameType | None) -> None:
        if self.is_stopping or self.requested is not None:
            return
        self.requested = signum
        if not self._depth:
            raise StopRequested(signal.Signals(signum).name)
