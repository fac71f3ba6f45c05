"""WAL checkpoints run by the projector process for a worker whose own commits leave them."""

from __future__ import annotations

from pathlib import Path

from hub.store import Store
from hub.store.engine import SQLITE_BACKSTOP_PAGES
from tests.component.test_store_support import message


def _wal_pages(store: Store) -> int:
    """Frames in the WAL now (a passive checkpoint reports them and changes nothing else)."""
    return store.checkpoint(restart_pages=10**9) or 0


def _fill(store: Store) -> None:
    for n in range(0, 3000, 300):
        store.record_batch("exams", [message(i, f"CR-{i % 97}") for i in range(n, n + 300)])


def test_a_store_checkpoints_on_commit_at_its_threshold(tmp_path: Path) -> None:
    small, backstop = (Store(f"sqlite:///{tmp_path / name}", deferred_views=True,
                             checkpoint_pages=pages)
                       for name, pages in (("a.db", 50), ("b.db", SQLITE_BACKSTOP_PAGES)))
    try:
        _fill(small)
        _fill(backstop)
        assert _wal_pages(small) < 50 * 2 < _wal_pages(backstop)
    finally:
        small.close()
        backstop.close()


def test_a_recording_store_leaves_checkpoints_to_the_projector(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'hub.db'}"
    worker = Store(url, deferred_views=True, checkpoint_pages=SQLITE_BACKSTOP_PAGES)
    projector = Store(url, deferred_views=True)
    try:
        _fill(worker)
        grown = _wal_pages(projector)
        assert grown > 100  # no commit of the worker checkpointed and restarted the WAL

        assert projector.checkpoint() == grown  # >= 10,000 pages would also restart it
        assert projector.checkpoint(restart_pages=1) == grown
        worker.record_batch("exams", [message(5000, "CR-1")])

        assert _wal_pages(projector) < 20  # the next write started the WAL from the top
        assert worker.count("fact") == 3001
    finally:
        worker.close()
        projector.close()
