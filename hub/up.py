"""``hub up``: broker, topics, store and worker as one process tree, stopped as one."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from hub.broker import EmbeddedBroker
from hub.kafka_admin import apply_topics
from hub.settings import Settings
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
        with open(log, "ab") as out:
            process = subprocess.Popen([sys.executable, "-m", "hub.cli", *args], stdout=out,
                                       stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                                       env=env, start_new_session=True)
        child = Child(name, process, log)
        self.children.append(child)
        return child

    def stop(self, say: Say) -> None:
        """Stop children in reverse order, then the broker; nothing is left behind."""
        for child in reversed(self.children):
            _terminate(child.process, grace=20.0)
            say(f"stopped {child.name} (pid {child.process.pid})")
        self.children.clear()
        pid = self.broker.pid
        self.broker.stop()
        say(f"stopped broker (pid {pid})")


def start_stack(settings: Settings, say: Say) -> Stack:
    """Broker, topics, store migrations and the worker; prints where everything runs."""
    (settings.var_dir / "logs").mkdir(parents=True, exist_ok=True)
    broker = EmbeddedBroker(settings.broker_port, log_path=settings.var_dir / "logs" / "broker.log")
    broker.start()
    settings = replace(settings, kafka_bootstrap=broker.bootstrap)
    stack = Stack(settings, broker)
    try:
        say(f"broker   Tansu (memory) on {broker.bootstrap}  pid {broker.pid}")
        result = asyncio.run(apply_topics(broker.bootstrap, settings.topic_suffix))
        say(f"topics   {len(result.created)} created, {len(result.existing)} already there")
        Store(settings.effective_database_url).close()
        say(f"store    {settings.effective_database_url}")
        worker = stack.spawn("worker", ["worker"])
        say(f"worker   pid {worker.process.pid}  log {worker.log}")
    except BaseException:
        stack.stop(lambda _: None)
        raise
    return stack


def wait_for_signal(stack: Stack, say: Say) -> None:
    """Block until Ctrl-C or SIGTERM, or until a child dies; then stop everything."""
    stopping = {"flag": False}

    def _stop(signum: int, _frame: object) -> None:
        stopping["flag"] = True

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        while not stopping["flag"]:
            dead = [c for c in stack.children if c.process.poll() is not None]
            if dead:
                say(f"{dead[0].name} exited with code {dead[0].process.returncode}; "
                    f"see {dead[0].log}")
                break
            time.sleep(0.2)
    finally:
        say("stopping ...")
        stack.stop(say)
        for sig, handler in previous.items():
            signal.signal(sig, handler)


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
