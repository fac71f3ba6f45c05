"""The supervisor with real connectors in-process: one connector that crashes in a loop is
logged with its traceback and name, reported unhealthy at once (heartbeat and status topic),
restarted alone with growing delays, while another connector keeps delivering; ``hub connectors
status`` says so."""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import time
from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import topics
from connectors.base import Connector
from connectors.cli import connectors_app
from connectors.kit.health import Health
from connectors.kit.retry import RetryPolicy
from connectors.kit.supervisor import Supervisor
from connectors.taalaanbieder.config import TaalSettings
from connectors.taalaanbieder.demo import make_schools
from connectors.taalaanbieder.run import TaalaanbiederConnector
from hub.errors import InvalidField
from hub.publish import TopicWriter
from hub.runtime import Runtime
from hub.settings import from_env
from tests.recording import RecordingWriter


class Crasher(Connector):
    """A connector with a bug: its loop dies on the first round, every time."""

    name = "kapot"

    def __init__(self, runtime: Runtime, writer: TopicWriter) -> None:
        super().__init__(runtime, writer)
        self.runs = 0

    async def run_once(self) -> int:
        self.runs += 1
        raise RuntimeError(f"bug number {self.runs} (BSN 123456782 in a value)")


class Quitter(Connector):
    """A connector whose loop just returns (its own stop, set by itself, as the old bug did)."""

    name = "stopt"

    async def run(self, stop: asyncio.Event) -> None:
        stop.set()

    async def run_once(self) -> int:
        return 0


class FilesOnly(TaalaanbiederConnector):
    """The real school connector without its outbound consumer (no broker here)."""

    async def run(self, stop: asyncio.Event) -> None:
        await Connector.run(self, stop)


def _wait(predicate: Any, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not met"
        time.sleep(0.05)


def test_a_crash_loop_is_reported_and_restarted_while_the_others_deliver(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    runtime = Runtime(from_env({"HUB_HOME": str(tmp_path)}))
    writer = RecordingWriter(runtime)
    root = tmp_path / "taal"
    schools = make_schools(root, runtime, people=2, seed=5)
    crasher, quitter = Crasher(runtime, writer), Quitter(runtime, writer)
    taal = FilesOnly(runtime, writer, settings=TaalSettings(root=str(root), poll_interval_s=0.05))
    unbuilt = Health("duo")
    unbuilt.not_started(InvalidField("HUB_DUO_URL", "not set"))
    heartbeat = tmp_path / "var" / "connectors.health.json"
    supervisor = Supervisor([crasher, taal, quitter], heartbeat, writer, [unbuilt],
                            report_every_s=60.0, restart=RetryPolicy(1, 0.05, 0.4, jitter=0.0))

    async def scenario() -> dict[str, Any]:
        serving = asyncio.create_task(supervisor.serve())
        for week in range(4):  # the school keeps dropping files while "kapot" keeps dying
            for school in schools:
                school.presentie(date(2024, 1, 8) + timedelta(weeks=week))
            await asyncio.sleep(0.3)
        while len(writer.on(topics.VOORTGANG)) < 4 * 2 * 2 or crasher.health.restarts < 4:
            await asyncio.sleep(0.05)
            assert not serving.done()  # a crashing connector never ends the host
        during = json.loads(heartbeat.read_text())
        supervisor.stop.set()
        await serving
        return during

    with caplog.at_level(logging.INFO):
        during = asyncio.run(asyncio.wait_for(scenario(), 60))
    assert len(writer.on(topics.VOORTGANG)) == 4 * 2 * 2  # every row of every file

    states = {c["connector"]: c for c in during["connectors"]}
    assert states["taalaanbieder"]["healthy"] and states["taalaanbieder"]["restarts"] == 0
    kapot = states["kapot"]
    assert not kapot["healthy"] and kapot["restarts"] >= 4
    assert "RuntimeError: bug number" in kapot["last_error"]
    assert "123456782" not in json.dumps(during)  # BSN-redacted everywhere
    assert not states["stopt"]["healthy"] and "ConnectorExited" in states["stopt"]["last_error"]
    assert states["duo"]["state"] == "not_started" and not states["duo"]["healthy"]

    # unhealthy at once: published after the first crash, long before the 60 s report
    status = writer.on(topics.CONNECTOR_STATUS)
    assert any(s["connector"] == "kapot" and not s["healthy"]
               and "crashed (1 restarts): RuntimeError" in (s["last_error"] or "")
               for s in status)
    crashes = [r for r in caplog.records if r.getMessage().startswith(
        "connector_crashed connector=kapot")]
    assert len(crashes) >= 4
    text = crashes[0].getMessage()
    assert "Traceback" in text and "RuntimeError: bug number 1" in text
    assert "123456782" not in text
    restarts = [r.created for r in crashes]
    gaps = [b - a for a, b in itertools.pairwise(restarts)]
    assert gaps[-1] > gaps[0]  # the delays grow (0.05, 0.1, 0.2, 0.4 s)


def test_status_tells_the_truth(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from connectors.kit.health import write_heartbeat

    monkeypatch.setenv("HUB_HOME", str(tmp_path))
    path = tmp_path / "var" / "connectors.health.json"
    ok, kapot = Health("taalaanbieder"), Health("kapot")
    for h in (ok, kapot):
        h.running()
        h.succeeded(3, "poll")
    kapot.crashed(RuntimeError("bug"))
    write_heartbeat(path, [ok, kapot])
    failing = CliRunner().invoke(connectors_app, ["status"])
    assert failing.exit_code == 1
    assert "kapot" in failing.output and "RESTARTING" in failing.output
    assert "failing: kapot" in failing.output

    kapot.running()  # restarted, but nothing succeeded since: still not healthy
    write_heartbeat(path, [ok, kapot])
    assert CliRunner().invoke(connectors_app, ["status"]).exit_code == 1
    kapot.succeeded(0, "poll")  # a good exchange after the restart
    write_heartbeat(path, [ok, kapot])
    healthy = CliRunner().invoke(connectors_app, ["status"])
    assert healthy.exit_code == 0, healthy.output
    assert "restarts 1" in healthy.output

    kapot.failed(InvalidField("page", "not a JSON object"), "push")  # one part failing
    write_heartbeat(path, [ok, kapot])
    assert CliRunner().invoke(connectors_app, ["status"]).exit_code == 1
