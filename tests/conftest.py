"""Shared pytest fixtures, one section per concern; add yours as a new section below."""

from __future__ import annotations

import ipaddress
import itertools
import socket
from collections.abc import Callable, Iterator
from typing import Any

import pytest

try:
    from tests.pg import PgCluster, PgUnavailable, start_cluster
    from tests.ubl_oracle import UblOracle
except ModuleNotFoundError:  # tests/ is no package: pytest put tests/ itself on sys.path
    from pg import PgCluster, PgUnavailable, start_cluster  # type: ignore[no-redef]
    from ubl_oracle import UblOracle  # type: ignore[no-redef]

# ── PostgreSQL and the store ─────────────────────────────────────────────────────────────
# `store_url` gives each test a fresh, empty database, once on SQLite and once on
# PostgreSQL. The PostgreSQL run is skipped (with the reason, also shown in the summary)
# only when no server can be started; see tests/pg.py.

_PG_STATUS = pytest.StashKey[str]()
_PG_STATUSES = pytest.StashKey[set[str]]()
_db_numbers = itertools.count(1)


@pytest.fixture(scope="session")
def postgres_cluster(request: pytest.FixtureRequest) -> Iterator[PgCluster | None]:
    """The session's PostgreSQL server, or None when unavailable (reason in the summary)."""
    try:
        cluster = start_cluster()
    except PgUnavailable as exc:
        request.config.stash[_PG_STATUS] = "unavailable: " + " ".join(str(exc).split())
        yield None
        return
    request.config.stash[_PG_STATUS] = f"{cluster.version} at {cluster.admin_url}"
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def postgres_url(postgres_cluster: PgCluster | None) -> str | None:
    """Admin URL of the session's PostgreSQL, or None when unavailable."""
    return None if postgres_cluster is None else postgres_cluster.url("postgres")


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def store_backend(request: pytest.FixtureRequest) -> str:
    """``sqlite`` or ``postgresql``; the latter skipped only when PostgreSQL is unavailable."""
    if request.param == "postgresql" and request.getfixturevalue("postgres_cluster") is None:
        pytest.skip(f"PostgreSQL {request.config.stash[_PG_STATUS]}")
    return str(request.param)


@pytest.fixture
def new_store_url(
    store_backend: str, tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[Callable[[], str]]:
    """Factory of fresh, empty databases on the test's backend (dropped afterwards)."""
    created: list[str] = []
    cluster: PgCluster | None = None
    if store_backend == "postgresql":
        cluster = request.getfixturevalue("postgres_cluster")
    folder = tmp_path_factory.mktemp("store")

    def new() -> str:
        number = next(_db_numbers)
        if cluster is None:
            return f"sqlite:///{folder / f'store-{number}.db'}"
        created.append(f"hub_test_{number}")
        return cluster.create_database(created[-1])

    yield new
    for name in created:
        assert cluster is not None
        cluster.drop_database(name)


@pytest.fixture
def store_url(new_store_url: Callable[[], str]) -> str:
    """A fresh, empty database for this test, on SQLite and on PostgreSQL."""
    return new_store_url()


def pytest_sessionfinish(session: pytest.Session) -> None:
    """On an xdist worker, hand this worker's PostgreSQL status to the controller."""
    workeroutput = getattr(session.config, "workeroutput", None)
    if workeroutput is not None and _PG_STATUS in session.config.stash:
        workeroutput["hub_pg_status"] = session.config.stash[_PG_STATUS]


def pytest_testnodedown(node: object, error: object) -> None:
    """On the xdist controller, collect each worker's PostgreSQL status."""
    status = getattr(node, "workeroutput", {}).get("hub_pg_status")
    if status:
        config = node.config  # type: ignore[attr-defined]
        config.stash.setdefault(_PG_STATUSES, set()).add(status)


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say which PostgreSQL the tests ran against, or why none."""
    stash = terminalreporter.config.stash
    statuses = set(stash.get(_PG_STATUSES, set()))
    if _PG_STATUS in stash:
        statuses.add(stash[_PG_STATUS])
    if not statuses:
        statuses = {"not started (no test needed it)"}
    servers = {status.split(" at ", 1)[0] for status in statuses}
    if len(statuses) > 1 and len(servers) == 1:  # one private server per xdist worker
        statuses = {f"{servers.pop()} ({len(statuses)} private servers, one per test worker)"}
    for status in sorted(statuses):
        terminalreporter.write_line(f"PostgreSQL: {status}")


# ── Scheduling under pytest-xdist ────────────────────────────────────────────────────────
# `make test` runs the suite on several xdist workers; a worker always holds its current test
# and the next one. Tests marked `slow(seconds)` (their usual duration here) are put first,
# longest first, each followed by one quick test, so every worker starts on a long test and
# no long test waits behind another: the suite takes about as long as its longest test.

SLOW_SECONDS = 5.0


def _expected_seconds(item: pytest.Item) -> float:
    mark = item.get_closest_marker("slow")
    return float(mark.args[0]) if mark and mark.args else 0.0


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Longest tests first, interleaved with quick ones (deterministic: every worker agrees)."""
    slow = sorted((item for item in items if _expected_seconds(item) >= SLOW_SECONDS),
                  key=lambda item: -_expected_seconds(item))
    quick = [item for item in items if _expected_seconds(item) < SLOW_SECONDS]
    ordered: list[pytest.Item] = []
    for item in slow:
        ordered.append(item)
        if quick:
            ordered.append(quick.pop(0))
    items[:] = ordered + quick


# ── Official e-invoice validators ─────────────────────────────────────────────────────────
# `ubl_oracle` runs the UBL 2.1 XSD, the CEN and Peppol BIS 3.0.19 schematrons and SI-UBL 2.0
# (../shared/fixtures/validation/) on a document; see tests/ubl_oracle.py. Compiled once per
# test process; a missing validator file fails the test that asks for it, it is never skipped.


@pytest.fixture(scope="session")
def ubl_oracle() -> UblOracle:
    """The official e-invoice validators, compiled once for the session."""
    return UblOracle()


# ── No network beyond this machine ───────────────────────────────────────────────────────
# Every test runs with sockets that may reach loopback (127.0.0.0/8, ::1, localhost) and Unix
# sockets only (as python-zeep's test suite blocks sockets). Anything else raises
# ``NonLoopbackSocket`` at once, which is no OSError, so no retry loop mistakes it for a partner
# being down. Child processes (workers, Chromium) are not covered: they are given loopback
# addresses by the fixtures that start them.


class NonLoopbackSocket(RuntimeError):
    """A test tried to reach an address outside this machine."""


def _loopback(address: Any) -> bool:
    if isinstance(address, (str, bytes)):  # AF_UNIX path
        return True
    host = str(address[0]).split("%", 1)[0]
    if host in ("localhost", ""):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False  # a host name other than localhost would need the network to resolve


def _guarded(method: Callable[..., Any]) -> Callable[..., Any]:
    def connect(self: socket.socket, address: Any, *args: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(address):
            raise NonLoopbackSocket(f"tests may only reach loopback, not {address!r}")
        return method(self, address, *args)
    return connect


def _guarded_sendto(method: Callable[..., Any]) -> Callable[..., Any]:
    def sendto(self: socket.socket, data: Any, *args: Any) -> Any:
        if self.family in (socket.AF_INET, socket.AF_INET6) and not _loopback(args[-1]):
            raise NonLoopbackSocket(f"tests may only reach loopback, not {args[-1]!r}")
        return method(self, data, *args)
    return sendto


def _guarded_lookup(method: Callable[..., Any]) -> Callable[..., Any]:
    def getaddrinfo(host: Any, port: Any, *args: Any, **kwargs: Any) -> Any:
        if host is not None and not _loopback((host.decode() if isinstance(host, bytes)
                                               else host, port)):
            raise NonLoopbackSocket(f"tests may only resolve loopback names, not {host!r}")
        return method(host, port, *args, **kwargs)
    return getaddrinfo


@pytest.fixture(autouse=True, scope="session")
def loopback_only() -> Iterator[None]:
    """Refuse sockets (and name look-ups) beyond this machine for the whole session."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(socket, "getaddrinfo", _guarded_lookup(socket.getaddrinfo))
        for name in ("connect", "connect_ex"):
            patch.setattr(socket.socket, name, _guarded(getattr(socket.socket, name)))
        patch.setattr(socket.socket, "sendto", _guarded_sendto(socket.socket.sendto))
        yield
