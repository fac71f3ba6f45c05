"""Pull cursors: the ``CursorStore`` port a connector keeps its position in, and the check that
a partner's paging advances.

The bootstrap wires the adapter (``hub.runtime.Runtime.cursors``: the case store's cursor
table), so no partner folder touches the store; tests use ``MemoryCursors``.
"""

from __future__ import annotations

from typing import Protocol

from hub.errors import PagingStalled


class CursorStore(Protocol):
    """Where a connector keeps its pull cursors, by name."""

    def get_cursor(self, name: str) -> str | None:
        """The saved cursor, or None."""

    def set_cursor(self, name: str, value: str) -> None:
        """Save the cursor."""


class MemoryCursors:
    """``CursorStore`` in a dict (tests, one-off runs)."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def get_cursor(self, name: str) -> str | None:
        """The saved cursor, or None."""
        return self.values.get(name)

    def set_cursor(self, name: str, value: str) -> None:
        """Save the cursor."""
        self.values[name] = value


def check_advance(what: str, before: int | str | None, after: int | str, more: bool) -> None:
    """``PagingStalled`` when a page says there is more but the cursor did not move forward.

    Integer cursors must grow; other cursors must change. Without ``more`` the same cursor is
    simply "nothing new"."""
    if not more:
        if isinstance(after, int) and isinstance(before, int) and after < before:
            raise PagingStalled(f"{what}: cursor went back from {before} to {after}")
        return
    if isinstance(after, int) and isinstance(before, int):
        moved = after > before
    else:
        moved = after != before
    if not moved:
        raise PagingStalled(f"{what}: 'more' with a cursor that did not advance "
                            f"(still {str(after)[:40]})")
