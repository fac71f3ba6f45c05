"""``hub up``: broker, topics, store, worker, console (and with ``--demo`` the connectors with
their simulated partners) as one process tree, stopped as one.

The caller installs a ``hub.shutdown.Shutdown`` before anything starts; each child is started
and recorded in one ``critical`` section, so a SIGINT or SIGTERM at any moment of start-up
finds every child it must stop in ``Stack.children`` (or the broker in ``Stack.broker``).
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from hub.broker import EmbeddedBroker, free_port, port_in_use
from hub.files import private_dir, tighten
from hub.kafka_admin import apply_topics
from hub.settings import Settings
from hub.shutdown import Shutdown, StopRequested
from hub.store import Store

Say = Callable[[str], None]


@dataclass
class Child:
    """A child process of ``hub up`` with its log file."""

    name: str
    process: subprocess.Popen[bytes]
    log: Path


@dataclass
class Stack:
    """The running embedded stack."""

    settings: Settings
    broker: EmbeddedBroker
    children: list[Child] = field(default_factory=list)
    shutdown: Shutdown = field(default_factory=Shutdown)

    def pids(self) -> dict[str, int]:
        """Process id of every part, for the operator and the tests."""
        pids = {"broker": self.broker.pid or 0}
        pids.update({c.name: c.process.pid for c in self.children})
        return pids

    def spawn(self, name: str, args: list[str]) -> Child:
        """Start ``hub <args>`` as a child in its own session, logging to var/logs."""
        log = self.settings.var_dir / "logs" / f"{name}.log"
        env = {**os.environ, "HUB_KAFKA_BOOTSTRAP": self.settings.kafka_bootstrap,
               "HUB_HOME": str(self.settings.home),
               "HUB_DATABASE_URL": self.settings.effective_database_url}
        with open(log, "ab") as out, self.shutdown.critical():
            process = subprocess.Popen([sys.executable, "-m", "hub.cli", *args], stdout=out,
                                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                       env=env, start_new_session=True)
            child = Child(name, process, log)
            self.children.append(child)
        return child

    def stop(self, say: Say) -> None:
        """Stop children in reverse order, then the broker; nothing is left behind. Signals
        that arrive meanwhile do not interrupt it; a second call does nothing."""
        self.shutdown.stopping()
        while self.children:
            child = self.children[-1]
            _terminate(child.process, grace=20.0)
            self.children.pop()
            say(f"stopped {child.name} (pid {child.process.pid})")
        pid = self.broker.pid
        if pid is not None:
            self.broker.stop()
            say(f"stopped broker (pid {pid})")


def start_stack(settings: Settings, say: Say, *, demo: bool = False, console: bool = True,
                shutdown: Shutdown | None = None) -> Stack:
    """Broker, topics, store, worker and console (with ``demo`` the console's demo accounts).
    Prints where everything runs; on any exception (``StopRequested`` too) stops what it
    started and raises."""
    private_dir(settings.var_dir / "logs")
    tighten(settings.var_dir)  # files written before R25's modes were enforced
    broker = EmbeddedBroker(settings.broker_port, log_path=settings.var_dir / "logs" / "broker.log")
    shutdown = shutdown or Shutdown()
    stack = shutdown.register(Stack(replace(settings, kafka_bootstrap=broker.bootstrap), broker,
                                    shutdown=shutdown))
    settings = stack.settings
    try:
        with stack.shutdown.critical():
            broker.launch()
        broker.wait_ready()
        say(f"broker   Tansu (memory) on {broker.bootstrap}  pid {broker.pid}")
        result = asyncio.run(apply_topics(broker.bootstrap, settings.topic_suffix))
        say(f"topics   {len(result.created)} created, {len(result.existing)} already there")
        Store(settings.effective_database_url).close()
        say(f"store    {settings.effective_database_url}")
        worker = stack.spawn("worker", ["worker"])
        say(f"worker   pid {worker.process.pid}  log {worker.log}")
        if console:
            _start_console(stack, say, demo=demo)
    except BaseException:
        stack.stop(say)
        raise
    return stack


def _start_console(stack: Stack, say: Say, *, demo: bool) -> None:
    settings = stack.settings
    if demo:
        from hub.console.demo import demo_users_file, ensure_demo_users

        created = ensure_demo_users(settings)
        if created:
            say(f"console  demo accounts {', '.join(name for name, _, _ in created)}; "
                f"passwords in {demo_users_file(settings)}")
    port = settings.console_port
    if port_in_use("127.0.0.1", port):
        port = free_port()
        say(f"console  port {settings.console_port} is busy; using {port} "
            "(set HUB_CONSOLE_PORT to choose)")
    child = stack.spawn("console", ["console", "--host", "127.0.0.1", "--port", str(port)])
    address = f"http://127.0.0.1:{port}/"
    if _wait_http(address + "healthz", child.process, timeout=30.0):
        say(f"console  {address}  pid {child.process.pid}  log {child.log}")
    else:
        say(f"console  did not answer on {address} within 30 s; see {child.log}")


def _wait_http(url: str, process: subprocess.Popen[bytes], timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and process.poll() is None:
        try:
            with urllib.request.urlopen(url, timeout=2) as response:
                if response.status == 200:
                    return True
        except (urllib.error.URLError, OSError):
            pass
        time.sleep(0.3)
    return False


def wait_for_signal(stack: Stack, say: Say) -> None:
    """Block until SIGINT/SIGTERM (``StopRequested``) or until a child dies; the caller stops
    the stack."""
    try:
        while True:
            dead = [c for c in stack.children if c.process.poll() is not None]
            if dead:
                say(f"{dead[0].name} exited with code {dead[0].process.returncode}; "
                    f"see {dead[0].log}")
                return
            time.sleep(0.2)
    except StopRequested:
        return


def _terminate(process: subprocess.Popen[bytes], grace: float) -> None:
    if process.poll() is not None:
        return
    try:
        os.killpg(process.pid, signal.SIGTERM)
    except ProcessLookupError:
        return
    try:
        process.wait(grace)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(5)
