"""The projector in a process of its own (``HUB_PROJECTOR=process``, the default).

Recording is bound by one interpreter's lock: with the projector as a task in the worker the
two take turns on one core. As a child process the projector runs on the other core and the
worker records at full pace; they meet only at the store's write lock, which the projector
holds just for writing a chunk's changed views (facts are read and views computed in a read
transaction, see ``Store.project_pending``). Marks make it safe to stop it anywhere: a case
whose view was not written stays marked and is projected again.

The child dies with its worker: Linux delivers SIGTERM to it when the worker dies, even by
SIGKILL (``PR_SET_PDEATHSIG``), and it also checks its parent between chunks.

A worker starts ``HUB_PROJECTOR_PROCESSES`` of them (default 1), ``HUB_PROJECTOR_NICE`` below
its CPU priority. Each projects every n-th of the shards the worker owns, always the same ones,
so no case is in two projectors' shares and each keeps the folded states of its own cases
(``hub.store.incremental``). While the worker records (a batch within the last interval; the
batch driver stamps it, with the Faust driver they never rest) each takes at most 1/n of its
time, so together they write about as much as one would and recording keeps the store's write
lock; once recording pauses they drain the marks on every core.
"""

from __future__ import annotations

import ctypes
import logging
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable
from functools import partial
from multiprocessing.process import BaseProcess
from pathlib import Path
from types import FrameType
from typing import TextIO, TypeVar

from hub.agents.ownership import ShardOwnership
from hub.errors import TransientError
from hub.runtime import Runtime, configure_logging
from hub.settings import Settings
from hub.store import Store
from hub.store.shards import SHARDS

log = logging.getLogger(__name__)

T = TypeVar("T")
PR_SET_PDEATHSIG = 1
STOP_TIMEOUT_S = 10.0
CHECKPOINT_EVERY_S = 0.1
PREFOLD_FACTS = 10_000  # facts read per prefold pass while the worker records


def start_projector(settings: Settings, owner: ShardOwnership | None = None,
                    part: int = 0) -> BaseProcess:
    """Start projector ``part`` (of ``HUB_PROJECTOR_PROCESSES``) as a child of this (worker)
    process; ``stop_projector`` ends it.

    With ``owner`` it projects only its part of the shards the worker owns
    (``hub.agents.ownership``, ``part_of``)."""
    process = multiprocessing.get_context("spawn").Process(
        target=run_projector, args=(settings, os.getpid(), owner, part),
        name=f"hub-projector-{part}", daemon=True)
    process.start()
    log.info("projector_started pid=%s", process.pid)
    return process


def stop_projector(process: BaseProcess) -> None:
    """SIGTERM, then SIGKILL if it has not ended within ``STOP_TIMEOUT_S``."""
    if process.is_alive():
        process.terminate()
        process.join(STOP_TIMEOUT_S)
    if process.is_alive():
        process.kill()
        process.join(STOP_TIMEOUT_S)


def run_projector(settings: Settings, parent: int, owner: ShardOwnership | None = None,
                  part: int = 0) -> None:
    """The child's main loop: project dirty cases a chunk at a time until told to stop.

    The first projector runs the passive WAL checkpoints, on a thread of its own every
    ``CHECKPOINT_EVERY_S`` (SQLite copies the WAL back without the interpreter lock, so projecting
    goes on meanwhile): the worker's own store leaves those to it (a backstop aside), so recording
    never pays for copying the WAL back. While the worker records (a burst), each projector
    also spends its rest folding the newest facts of its shards into its kept states
    (``ahead``: reads only, no write lock), so what is left for their projection once the burst
    ends is mostly the rules and the writes. With
    ``HUB_PROJECTOR_TRACE`` (a folder) it writes one line per projection (key, facts) into
    ``<folder>/projector-<worker pid>-<part>.trace``: how the bench counts each worker's share.
    """
    _die_with(parent)
    os.nice(settings.projector_nice)
    signal.signal(signal.SIGTERM, _exit)
    signal.signal(signal.SIGINT, _exit)  # Ctrl-C reaches the whole process group
    configure_logging(settings.log_level)
    store = Runtime(settings).store
    trace = _trace(settings.projector_trace, parent, part)
    if trace is not None:
        store.observe(lambda key, facts: print(key, facts, file=trace))
    chunk, parts = settings.projector_cases, settings.projector_processes
    checkpoints = Checkpointer(store.checkpoint) if part == 0 else None
    cursor: int | None = None  # the last fact id prefolded in this burst
    try:
        while os.getppid() == parent:
            owned = owner.owned() if owner is not None else None
            shards = part_of(owned, part, parts)
            started = time.monotonic()
            # none before an assignment, or where none of the worker's shards are this part's
            assigned = owner is None or bool(owned and shards)
            cases = guarded(partial(store.project_pending, chunk, shards)) if assigned else None
            spent = time.monotonic() - started
            if trace is not None:
                trace.flush()
            burst = owner is not None and owner.recording(settings.projector_interval_s)
            wait = pause(cases or 0, chunk, settings.projector_interval_s,
                         spent * (parts - 1) if burst else 0.0)
            if burst and assigned:
                started = time.monotonic()
                cursor = guarded(partial(ahead, store, cursor, shards))
                wait = max(0.0, wait - (time.monotonic() - started))
            else:
                cursor = None
            time.sleep(wait)
    except SystemExit:
        pass
    finally:
        if checkpoints is not None:
            checkpoints.stop()
        store.close()
        if trace is not None:
            trace.close()


def ahead(store: Store, cursor: int | None, shards: list[int] | None) -> int:
    """Fold up to ``PREFOLD_FACTS`` facts recorded after ``cursor`` into the kept states
    (``Store.prefold``); at a burst's start (None) begin after the newest fact. The new cursor."""
    if cursor is None:
        return store.fact_high_water()
    return store.prefold(cursor, PREFOLD_FACTS, shards)[0]


class Checkpointer:
    """A daemon thread running ``checkpoint`` (guarded) every ``CHECKPOINT_EVERY_S`` until
    ``stop``."""

    def __init__(self, checkpoint: Callable[[], object]) -> None:
        self._checkpoint = checkpoint
        self._stopped = threading.Event()
        self._thread = threading.Thread(target=self._run, name="checkpoints", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        while not self._stopped.wait(CHECKPOINT_EVERY_S):
            guarded(self._checkpoint)

    def stop(self) -> None:
        """End the thread after the checkpoint under way, if any."""
        self._stopped.set()
        self._thread.join(STOP_TIMEOUT_S)


def part_of(owned: list[int] | None, part: int, parts: int) -> list[int] | None:
    """The shards projector ``part`` of ``parts`` projects: every ``parts``-th of ``owned`` (the
    worker's), or of all shards where there is no ownership (None: the Faust driver). None means
    all shards, no filter (one projector, no ownership)."""
    if parts == 1:
        return owned
    return list(range(SHARDS) if owned is None else owned)[part::parts]


def _trace(folder: str, worker: int, part: int) -> TextIO | None:
    if not folder:
        return None
    Path(folder).mkdir(parents=True, exist_ok=True)
    return open(Path(folder) / f"projector-{worker}-{part}.trace", "a", encoding="utf-8")


def guarded(action: Callable[[], T]) -> T | None:
    """Run ``action``; store trouble and projection bugs are logged, never fatal (marks stay)."""
    try:
        return action()
    except TransientError as exc:
        log.warning("projector_store_busy error=%s", type(exc).__name__)
    except Exception:  # a bug in a projection must not stop projecting other cases
        log.exception("projector_failed")
    return None


def pause(cases: int, chunk: int, interval_s: float, others_s: float = 0.0) -> float:
    """Seconds to wait: the interval after a partial chunk (nothing more is waiting); after a
    full one none, or during a burst ``others_s`` (the other projectors' turns: 1/n each)."""
    return others_s if cases >= chunk else interval_s


def _die_with(parent: int) -> None:
    if sys.platform == "linux":
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    if os.getppid() != parent:  # the worker died before prctl took effect
        raise SystemExit(0)


def _exit(_signum: int, _frame: FrameType | None) -> None:
    raise SystemExit(0)
