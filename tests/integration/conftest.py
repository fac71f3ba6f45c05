"""Integration fixtures: one real embedded broker per test session, a fresh suffix per test."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from hub.broker import EmbeddedBroker, free_port


@pytest.fixture(scope="session")
def broker(tmp_path_factory: pytest.TempPathFactory) -> Iterator[EmbeddedBroker]:
    """The embedded Tansu broker, started once through the same launcher as `hub broker`."""
    log = tmp_path_factory.mktemp("broker") / "broker.log"
    with EmbeddedBroker(free_port(), log_path=log) as embedded:
        yield embedded


@dataclass
class HubEnv:
    """Environment of one test's hub: its own topic suffix, store file and keys."""

    home: Path
    env: dict[str, str]

    @property
    def suffix(self) -> str:
        """Topic suffix isolating this test's topics and consumer groups."""
        return self.env["HUB_TOPIC_SUFFIX"]

    def settings(self):  # type: ignore[no-untyped-def]
        """Settings as the hub's processes see them."""
        from hub.settings import from_env

        return from_env(self.env)

    def spawn(self, *args: str, log_name: str) -> subprocess.Popen[bytes]:
        """Run `hub <args>` as a child process with this environment."""
        log = open(self.home / f"{log_name}.log", "ab")  # noqa: SIM115
        return subprocess.Popen([sys.executable, "-m", "hub.cli", *args], env=self.env,
                                stdout=log, stderr=subprocess.STDOUT, start_new_session=True)


@pytest.fixture
def hub_env(broker: EmbeddedBroker, tmp_path: Path) -> HubEnv:
    """A fresh hub environment on the session broker."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HUB_")}
    env.update({
        "HUB_HOME": str(tmp_path),
        "HUB_KAFKA_BOOTSTRAP": broker.bootstrap,
        "HUB_TOPIC_SUFFIX": f".t{uuid.uuid4().hex[:8]}",
        "HUB_DATABASE_URL": f"sqlite:///{tmp_path / 'hub.db'}",
        "HUB_WORKER_WEB_PORT": str(free_port()),
        "HUB_BATCH_WITHIN_S": "0.05",
    })
    return HubEnv(tmp_path, env)


def stop_process(process: subprocess.Popen[bytes], grace: float = 20.0) -> None:
    """Stop a child and its process group by pid: SIGTERM, then SIGKILL."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(grace)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


def wait_until(predicate, timeout: float = 60.0, interval: float = 0.2):  # type: ignore[no-untyped-def]
    """Poll ``predicate`` until it returns a truthy value; fail with the last value."""
    deadline = time.monotonic() + timeout
    value = predicate()
    while not value and time.monotonic() < deadline:
        time.sleep(interval)
        value = predicate()
    assert value, f"condition not met within {timeout}s (last value {value!r})"
    return value


@pytest.fixture
def worker(hub_env: HubEnv, request: pytest.FixtureRequest) -> Iterator[subprocess.Popen[bytes]]:
    """A real `hub worker` process on this test's topics; stopped by pid afterwards."""
    if "driver_env" in request.fixturenames:
        request.getfixturevalue("driver_env")  # set the driver before the worker starts
    import asyncio

    from hub.kafka_admin import apply_topics

    asyncio.run(apply_topics(hub_env.env["HUB_KAFKA_BOOTSTRAP"], hub_env.suffix))
    process = hub_env.spawn("worker", log_name="worker")
    yield process
    stop_process(process)
