"""``hub up`` installs its signal handling before it starts a child: SIGTERM or SIGINT at any
moment of start-up (before the broker, while it starts, after the topics, with the worker
started and the console starting, once ready) stops every child it started, and it exits 0."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hub.broker import free_port

pytestmark = pytest.mark.integration

MOMENTS = [  # (signal, after this line of output, or after this many seconds)
    (signal.SIGTERM, 0.2), (signal.SIGINT, 1.0), (signal.SIGTERM, 1.8),
    (signal.SIGTERM, "broker "), (signal.SIGINT, "topics "), (signal.SIGTERM, "worker "),
    (signal.SIGINT, "ready "),
]


def _processes_of(home: Path) -> list[int]:
    """Every live process whose environment names this test's HUB_HOME (its whole tree)."""
    marker = f"HUB_HOME={home}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit() or int(entry.name) == os.getpid():
            continue
        try:
            environ = (entry / "environ").read_bytes()
            state = (entry / "status").read_text()
        except OSError:
            continue
        if marker in environ.split(b"\0") and "\nState:\tZ" not in state:
            found.append(int(entry.name))
    return found


def _up(home: Path) -> subprocess.Popen[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update({"HUB_HOME": str(home), "HUB_WORKER_WEB_PORT": str(free_port()),
                "HUB_CONSOLE_PORT": str(free_port())})
    return subprocess.Popen([sys.executable, "-m", "hub.cli", "up", "--port", str(free_port())],
                            env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.mark.parametrize(("sig", "when"), MOMENTS,
                         ids=[f"{s.name}-{w}".strip() for s, w in MOMENTS])
def test_a_signal_at_any_moment_of_start_up_stops_every_child(
        tmp_path: Path, sig: signal.Signals, when: float | str) -> None:
    process = _up(tmp_path)
    assert process.stdout is not None
    seen: list[str] = []
    try:
        if isinstance(when, str):
            for line in process.stdout:
                seen.append(line)
                if line.startswith(when):
                    break
            assert seen and seen[-1].startswith(when), "".join(seen)
        else:
            time.sleep(when)
        started = [pid for pid in _processes_of(tmp_path) if pid != process.pid]
        process.send_signal(sig)
        rest, _ = process.communicate(timeout=90)
    finally:
        if process.poll() is None:
            process.kill()
    output = "".join(seen) + rest
    # Before its handlers are installed (still importing) the default action ends it: then
    # nothing has started yet. From then on it stops what it started and exits 0.
    assert process.returncode == 0 or (process.returncode == -sig and not started), output
    deadline = time.monotonic() + 10
    while _processes_of(tmp_path) and time.monotonic() < deadline:
        time.sleep(0.2)  # a child's own children may take a moment to be reaped
    assert _processes_of(tmp_path) == [], output
    if isinstance(when, str):
        assert started and "stopped broker" in output, output
