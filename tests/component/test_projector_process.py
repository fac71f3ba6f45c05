"""The projector as the worker's child process: projects what batches marked, stops when told
and dies with its worker, even when the worker is killed with SIGKILL."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from hub.agents.projector_process import (
    guarded,
    part_of,
    pause,
    start_projector,
    stop_projector,
)
from hub.demo import exam_results
from hub.errors import StoreBusy
from hub.runtime import Runtime
from hub.settings import Settings, from_env
from hub.store import InboundMessage
from hub.store.shards import SHARDS

VALUE = "nl.inburgering.hub.Examenresultaat"


def _settings(home: Path) -> Settings:
    return from_env({"HUB_HOME": str(home), "HUB_PROJECTOR_INTERVAL_S": "0.05",
                     "HUB_LOG_LEVEL": "WARNING", "HUB_PROJECTOR_PROCESSES": "1"})


def _record_exams(settings: Settings, cases: int) -> Counter[str]:
    """Record exam results for ``cases`` people through the worker's store; facts per case."""
    records = exam_results(settings, cases=cases, seed=7)
    Runtime(settings).store.record_batch("exams", [
        InboundMessage("inburgering.examenresultaat", 0, n, r["message_id"], r["case_ref"], VALUE,
                       r) for n, r in enumerate(records)])
    return Counter(r["case_ref"] for r in records)


def _gone(pid: int) -> bool:
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return True
    return state in ("Z", "X")  # a zombie has ended; its reaper is not ours


def test_the_child_projects_marked_cases_and_stops_when_told(tmp_path: Path) -> None:
    settings = _settings(tmp_path)
    facts = _record_exams(settings, cases=12)
    store = Runtime(settings).store
    assert store.pending_projections() == 12 and store.case_view(next(iter(facts))) is None

    process = start_projector(settings)
    try:
        deadline = time.monotonic() + 60
        while store.pending_projections() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert store.pending_projections() == 0
        for case_ref, count in facts.items():
            view = store.case_view(case_ref)
            assert view is not None and view["facts"] == count
    finally:
        stop_projector(process)
    assert process.exitcode == 0


def _nice(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[16])


@pytest.mark.skipif(sys.platform != "linux", reason="reads /proc")
def test_two_projectors_split_the_cases_and_run_below_the_worker_s_priority(
        tmp_path: Path) -> None:
    settings = from_env({"HUB_HOME": str(tmp_path), "HUB_PROJECTOR_INTERVAL_S": "0.05",
                         "HUB_LOG_LEVEL": "WARNING", "HUB_PROJECTOR_NICE": "3",
                         "HUB_PROJECTOR_PROCESSES": "2",
                         "HUB_PROJECTOR_TRACE": str(tmp_path / "trace")})
    facts = _record_exams(settings, cases=40)
    store = Runtime(settings).store
    processes = [start_projector(settings, part=part) for part in (0, 1)]
    try:
        deadline = time.monotonic() + 60
        while store.pending_projections() and time.monotonic() < deadline:
            time.sleep(0.1)
        assert store.pending_projections() == 0
        assert [_nice(p.pid or 0) for p in processes] == [os.nice(0) + 3] * 2
    finally:
        for process in processes:
            stop_projector(process)
    projected = [{line.split()[0] for line in path.read_text().splitlines()}
                 for path in sorted((tmp_path / "trace").glob("*.trace"))]
    assert len(projected) == 2 and all(projected)  # both took a share of the 40 cases
    assert projected[0].isdisjoint(projected[1])
    assert projected[0] | projected[1] == set(facts)
    for case_ref, count in facts.items():
        view = store.case_view(case_ref)
        assert view is not None and view["facts"] == count


def test_each_projector_takes_every_nth_of_the_worker_s_shards() -> None:
    owned = [3, 7, 11, 15, 19]
    assert part_of(owned, 0, 2) == [3, 11, 19] and part_of(owned, 1, 2) == [7, 15]
    assert part_of(owned, 0, 1) == owned and part_of(None, 0, 1) is None
    assert part_of(None, 1, 2) == list(range(1, SHARDS, 2))  # no ownership: all shards, split
    assert part_of([], 0, 2) == [] and part_of([5], 1, 2) == []  # nothing (yet) for this one


@pytest.mark.skipif(sys.platform != "linux", reason="PR_SET_PDEATHSIG is Linux-only")
def test_the_child_dies_with_a_worker_killed_by_sigkill(tmp_path: Path) -> None:
    script = (
        "import sys, time\n"
        "from hub.agents.projector_process import start_projector\n"
        "from hub.settings import from_env\n"
        "if __name__ == '__main__':\n"
        f"    child = start_projector(from_env({{'HUB_HOME': {str(tmp_path)!r}}}))\n"
        "    print(child.pid, flush=True)\n"
        "    time.sleep(120)\n"
    )
    (tmp_path / "fake_worker.py").write_text(script)
    worker = subprocess.Popen([sys.executable, str(tmp_path / "fake_worker.py")],
                              stdout=subprocess.PIPE, text=True, cwd=os.getcwd())
    try:
        assert worker.stdout is not None
        child = int(worker.stdout.readline())
        assert not _gone(child)
        os.kill(worker.pid, signal.SIGKILL)
        worker.wait(10)
        deadline = time.monotonic() + 15
        while not _gone(child) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert _gone(child), "the projector outlived its worker"
    finally:
        worker.kill()
        worker.wait(10)


def test_a_full_chunk_goes_on_at_once_and_a_partial_one_waits() -> None:
    assert pause(200, 200, 0.5) == 0.0
    assert pause(17, 200, 0.5) == 0.5
    assert pause(0, 200, 0.5) == 0.5
    assert pause(200, 200, 0.5, 0.08) == 0.08  # a burst: the other projectors' turns


def test_store_trouble_and_projection_bugs_are_logged_not_fatal(
        caplog: pytest.LogCaptureFixture) -> None:
    def busy() -> int:
        raise StoreBusy("database is locked")

    def bug() -> int:
        raise KeyError("dienstdatum")

    assert guarded(lambda: 7) == 7
    assert guarded(busy) is None and guarded(bug) is None
    assert [r.getMessage().split()[0] for r in caplog.records] == [
        "projector_store_busy", "projector_failed"]
