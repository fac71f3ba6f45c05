"""A private, throwaway PostgreSQL cluster for one test session.

``start_cluster()`` runs ``initdb`` into a fresh temporary directory and ``pg_ctl start`` on a
free 127.0.0.1 port (socket in the same directory, fsync off), as the ``postgres`` OS user
when we are root, because PostgreSQL refuses to run as root. ``PgCluster.stop()`` stops it
by its pid and removes the directory. Anything that prevents this raises ``PgUnavailable``
with the reason, so the caller can skip PostgreSQL tests and say why.

``HUB_TEST_POSTGRES_URL`` (an admin URL, e.g. ``postgresql+psycopg://u:p@host/postgres``)
makes the tests use that server instead of starting one.
"""

from __future__ import annotations

import glob
import os
import pwd
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

import psycopg
from sqlalchemy.engine import URL, make_url

SERVER_USER = "postgres"  # the OS account that runs the server when we are root
ROLE = "hub"  # the database superuser initdb creates (trust auth, local only)
ENV_URL = "HUB_TEST_POSTGRES_URL"


class PgUnavailable(Exception):
    """PostgreSQL cannot be used in this session; the message says why."""


@dataclass
class PgCluster:
    """A running PostgreSQL server the tests may create databases on."""

    admin_url: URL
    version: str
    root: Path | None = None  # our private cluster's directory; None for an external server
    bin_dir: Path | None = None
    pid: int | None = None
    _stopped: bool = field(default=False, repr=False)

    def url(self, database: str) -> str:
        """SQLAlchemy URL of ``database`` on this server."""
        return self.admin_url.set(database=database).render_as_string(hide_password=False)

    def create_database(self, name: str) -> str:
        """Create an empty database and return its URL."""
        self._admin(f'CREATE DATABASE "{name}"')
        return self.url(name)

    def drop_database(self, name: str) -> None:
        """Drop a database, disconnecting whoever is still on it."""
        self._admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')

    def stop(self) -> None:
        """Stop our private server by pid (immediate mode) and remove its directory."""
        if self._stopped or self.root is None or self.bin_dir is None:
            return
        self._stopped = True
        try:
            _run(self, [str(self.bin_dir / "pg_ctl"), "stop", "-D", str(self.root / "data"),
                        "-m", "immediate", "-w", "-t", "30"], check=False)
        finally:
            if self.pid is not None and _alive(self.pid):
                os.kill(self.pid, signal.SIGKILL)
            shutil.rmtree(self.root, ignore_errors=True)

    def _admin(self, sql: str) -> None:
        url = self.admin_url
        with psycopg.connect(host=url.host, port=url.port, user=url.username,
                             password=url.password, dbname=url.database or "postgres",
                             autocommit=True, connect_timeout=10) as conn:
            conn.execute(sql.encode())


def start_cluster() -> PgCluster:
    """Start a private cluster (or attach to ``HUB_TEST_POSTGRES_URL``); raise PgUnavailable."""
    if os.environ.get(ENV_URL):
        return _external(make_url(os.environ[ENV_URL]))
    bin_dir = find_bin_dir()
    if bin_dir is None:
        raise PgUnavailable("no PostgreSQL server binaries (run scripts/ensure-postgres.sh)")
    if os.geteuid() == 0 and not _user_exists(SERVER_USER):
        raise PgUnavailable(f"running as root and there is no {SERVER_USER!r} user to run as")
    root = Path(tempfile.mkdtemp(prefix="hub-pg-"))
    cluster = PgCluster(make_url(f"postgresql+psycopg://{ROLE}@127.0.0.1/postgres"), "",
                        root, bin_dir)
    try:
        _initdb(cluster)
        _start(cluster)
        cluster.version = _server_version(cluster)
    except BaseException:
        cluster.stop()
        raise
    return cluster


def find_bin_dir() -> Path | None:
    """The newest ``/usr/lib/postgresql/*/bin`` with a server, else ``pg_ctl`` on PATH."""
    def major(path: str) -> float:
        try:
            return float(Path(path).parent.name)
        except ValueError:
            return 0.0

    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=major, reverse=True):
        if all((Path(candidate) / tool).exists() for tool in ("initdb", "pg_ctl", "postgres")):
            return Path(candidate)
    on_path = shutil.which("pg_ctl")
    if on_path and shutil.which("initdb") and shutil.which("postgres"):
        return Path(on_path).parent
    return None


def _external(url: URL) -> PgCluster:
    cluster = PgCluster(url.set(drivername="postgresql+psycopg"), "")
    try:
        cluster.version = _server_version(cluster)
    except psycopg.Error as exc:
        raise PgUnavailable(f"{ENV_URL} is set but not reachable: {exc}") from exc
    return cluster


def _initdb(cluster: PgCluster) -> None:
    assert cluster.root is not None and cluster.bin_dir is not None
    if os.geteuid() == 0:
        account = pwd.getpwnam(SERVER_USER)
        os.chown(cluster.root, account.pw_uid, account.pw_gid)
    _run(cluster, [str(cluster.bin_dir / "initdb"), "-D", str(cluster.root / "data"),
                   "-U", ROLE, "-A", "trust", "-E", "UTF8", "--no-locale", "--no-sync"])


def _start(cluster: PgCluster) -> None:
    assert cluster.root is not None and cluster.bin_dir is not None
    last_error = ""
    for _attempt in range(3):  # a free port can be taken between probing and binding
        port = _free_port()
        options = (f"-c listen_addresses=127.0.0.1 -c port={port} "
                   f"-c unix_socket_directories={shlex.quote(str(cluster.root))} "
                   "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
                   "-c max_connections=200")
        done = _run(cluster, [str(cluster.bin_dir / "pg_ctl"), "start", "-D",
                              str(cluster.root / "data"), "-l", str(cluster.root / "server.log"),
                              "-w", "-t", "60", "-o", options], check=False)
        if done.returncode == 0:
            cluster.admin_url = cluster.admin_url.set(port=port)
            pid_file = (cluster.root / "data" / "postmaster.pid").read_text()
            cluster.pid = int(pid_file.splitlines()[0])
            return
        last_error = _tail(cluster.root / "server.log") or done.stdout.strip()
    raise PgUnavailable(f"pg_ctl start failed: {last_error}")


def _server_version(cluster: PgCluster) -> str:
    url = cluster.admin_url
    with psycopg.connect(host=url.host, port=url.port, user=url.username, password=url.password,
                         dbname=url.database or "postgres", connect_timeout=10) as conn:
        row = conn.execute("SHOW server_version").fetchone()
    return str(row[0]) if row else "?"


def _run(
    cluster: PgCluster, argv: list[str], *, check: bool = True
) -> subprocess.CompletedProcess[str]:
    tool = Path(argv[0]).name
    if os.geteuid() == 0:
        argv = ["runuser", "-u", SERVER_USER, "--", *argv]
    done = subprocess.run(argv, capture_output=True, text=True, cwd=cluster.root or "/",
                          timeout=120, check=False)
    if check and done.returncode != 0:
        lines = (done.stderr or done.stdout).strip().splitlines()
        raise PgUnavailable(f"{tool} failed: {lines[-1] if lines else done.returncode}")
    return done


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _user_exists(name: str) -> bool:
    try:
        pwd.getpwnam(name)
    except KeyError:
        return False
    return True


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _tail(path: Path, lines: int = 3) -> str:
    try:
        return " | ".join(path.read_text().strip().splitlines()[-lines:])
    except OSError:
        return ""
