"""The suite's socket guard (tests/conftest.py): loopback passes, anything else is refused."""

from __future__ import annotations

import asyncio
import socket

import pytest

from tests.conftest import NonLoopbackSocket

OUTSIDE = ("192.0.2.1", 9)  # TEST-NET-1: never routed; the guard refuses before any packet


def test_a_connection_outside_this_machine_is_refused_at_once() -> None:
    with socket.socket() as sock, pytest.raises(NonLoopbackSocket, match=r"192\.0\.2\.1"):
        sock.connect(OUTSIDE)
    with socket.socket() as sock, pytest.raises(NonLoopbackSocket):
        sock.connect_ex(OUTSIDE)
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock, \
            pytest.raises(NonLoopbackSocket):
        sock.sendto(b"x", OUTSIDE)
    with pytest.raises(NonLoopbackSocket):
        socket.create_connection(("example.org", 80), timeout=1)


def test_asyncio_connections_are_guarded_too() -> None:
    async def connect() -> None:
        await asyncio.open_connection(*OUTSIDE)

    with pytest.raises(NonLoopbackSocket):
        asyncio.run(connect())


def test_loopback_still_works() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname(), timeout=5):
            accepted, _ = server.accept()
            accepted.close()
