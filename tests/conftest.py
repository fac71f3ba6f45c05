"""Shared pytest fixtures, one section per concern; add yours as a new section below."""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator

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


# ── Official e-invoice validators ─────────────────────────────────────────────────────────
# `ubl_oracle` runs the UBL 2.1 XSD, the CEN and Peppol BIS 3.0.19 schematrons and SI-UBL 2.0
# (../shared/fixtures/validation/) on a document; see tests/ubl_oracle.py. Compiled once per
# test process; a missing validator file fails the test that asks for it, it is never skipped.


@pytest.fixture(scope="session")
def ubl_oracle() -> UblOracle:
    """The official e-invoice validators, compiled once for the session."""
    return UblOracle()


def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> None:
    """Say which PostgreSQL the tests ran against, or why none."""
    status = terminalreporter.config.stash.get(_PG_STATUS, "not started (no test needed it)")
    terminalreporter.write_line(f"PostgreSQL: {status}")
