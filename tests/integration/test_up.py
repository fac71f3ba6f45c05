"""Acceptance 10: `hub up` starts broker, topics and worker as one tree; Ctrl-C stops all."""

from __future__ import annotations

import ast
import os
import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from hub.broker import answers_kafka, free_port

pytestmark = pytest.mark.integration


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "\nState:\tZ" in status.read_text())


@pytest.mark.slow(10)
def test_up_prints_where_everything_runs_and_ctrl_c_stops_every_child(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    console_port = free_port()
    env.update({"HUB_HOME": str(tmp_path), "HUB_WORKER_WEB_PORT": str(free_port()),
                "HUB_CONSOLE_PORT": str(console_port)})
    process = subprocess.Popen([sys.executable, "-m", "hub.cli", "up", "--port", str(port)],
                               env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                               text=True)
    lines: list[str] = []
    assert process.stdout is not None
    for line in process.stdout:
        lines.append(line)
        if line.startswith("ready"):
            break
    output = "".join(lines)
    match = re.search(r"pids (\{.*\})", output)
    assert match, output
    pids: dict[str, int] = ast.literal_eval(match.group(1))
    assert set(pids) == {"broker", "worker", "console"}
    assert f"127.0.0.1:{port}" in output and "topics" in output and "store" in output
    assert f"console  http://127.0.0.1:{console_port}/" in output
    assert answers_kafka("127.0.0.1", port)
    assert all(_alive(pid) for pid in pids.values())

    time.sleep(3)  # let the worker get going, so the stop is not a stop-before-start
    process.send_signal(signal.SIGINT)
    rest, _ = process.communicate(timeout=60)
    assert process.returncode == 0, rest
    assert "stopped worker" in rest and "stopped broker" in rest and "stopped console" in rest
    assert not any(_alive(pid) for pid in pids.values())
    assert not answers_kafka("127.0.0.1", port)


@pytest.mark.slow(50)
# the whole demo: minutes on a loaded 2-core machine (not a speed target)
@pytest.mark.timeout(900)
def test_up_demo_runs_connectors_and_console_accounts_then_stops_everything(
        tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update({"HUB_HOME": str(tmp_path), "HUB_WORKER_WEB_PORT": str(free_port()),
                "HUB_CONSOLE_PORT": str(free_port())})
    process = subprocess.Popen(
        [sys.executable, "-m", "hub.cli", "up", "--demo", "--exit-after-demo", "--port",
         str(port)], env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        output, _ = process.communicate(timeout=600)
    except subprocess.TimeoutExpired:
        process.terminate()  # hub up stops every child it started on SIGTERM: none left behind
        output, _ = process.communicate(timeout=120)
        pytest.fail(f"the demo did not finish within 600 s:\n{output}")

    assert process.returncode == 0, output
    pids: dict[str, int] = ast.literal_eval(re.search(r"pids (\{.*\})", output).group(1))  # type: ignore[union-attr]
    assert set(pids) == {"broker", "worker", "console"}  # the replay runs the connectors
    store: dict[str, int] = ast.literal_eval(re.search(r"store +(\{.*\})", output).group(1))  # type: ignore[union-attr]
    assert store["fact"] > 20_000 and store["case_view"] > 500, output
    assert "waiting for" in output  # progress while the partners deliver
    report = re.search(r"nightly report for \S+: (\S+\.html)", output)
    assert report and Path(report.group(1)).stat().st_size > 10_000, output
    accounts = (tmp_path / "var" / "console-demo-users.txt")
    assert "demo-admin" in accounts.read_text() and oct(accounts.stat().st_mode)[-3:] == "600"
    assert not any(_alive(pid) for pid in pids.values())
