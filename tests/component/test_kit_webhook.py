"""Webhook bodies over a raw loopback socket: read to EOF (or limit + 1) before deciding, so a
body in two chunks is stored whole and chunked and Content-Length bodies are judged alike."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest

from connectors.isam.spool import Spool, engine_for
from connectors.isam.webhook import make_app
from connectors.kit.server import serve_app

TOKEN = "webhook-token"
LIMIT = 64 * 1024
NOTE = json.dumps({"kanaal": "inburgering", "hoofdObject": "http://isam.test/api/v1/x/1",
                   "resource": "pip", "resourceUrl": "http://isam.test/api/v1/pip/1",
                   "actie": "create", "aanmaakdatum": "2025-01-02T10:00:00Z",
                   "kenmerken": {"gemeentecode": "0363"}}).encode()


async def _post(url: str, chunks: list[bytes], *, chunked: bool) -> int:
    """POST ``chunks`` as separate TCP writes (a pause between) and return the status."""
    host, port = url.removeprefix("http://").split(":")
    reader, writer = await asyncio.open_connection(host, int(port))
    head = (f"POST /api/v1/notificaties HTTP/1.1\r\nHost: {host}\r\n"
            f"Authorization: Bearer {TOKEN}\r\nContent-Type: application/json\r\n")
    if chunked:
        head += "Transfer-Encoding: chunked\r\n"
    else:
        head += f"Content-Length: {sum(len(c) for c in chunks)}\r\n"
    writer.write((head + "Connection: close\r\n\r\n").encode())
    for chunk in chunks:
        writer.write(b"%x\r\n%s\r\n" % (len(chunk), chunk) if chunked else chunk)
        await writer.drain()
        await asyncio.sleep(0.05)  # the server sees the first part before the rest exists
    if chunked:
        writer.write(b"0\r\n\r\n")
    await writer.drain()
    status_line = await reader.readline()
    await reader.read()  # to the server's close (Connection: close)
    writer.close()
    await writer.wait_closed()
    return int(status_line.split()[1])


def _serve_and_post(tmp_path: Path, chunks: list[bytes], chunked: bool) -> tuple[int, Spool]:
    spool = Spool(engine_for(f"sqlite:///{tmp_path / 'isam.db'}"))

    async def go() -> int:
        async with serve_app(make_app(spool, TOKEN, lambda: None, max_bytes=LIMIT)) as url:
            return await _post(url, chunks, chunked=chunked)

    return asyncio.run(go()), spool


def _stored(spool: Spool) -> list[bytes]:
    return [p.body for p in spool.due_notifications()]


@pytest.mark.parametrize("chunked", [True, False])
def test_a_notification_in_two_parts_is_stored_whole(tmp_path: Path, chunked: bool) -> None:
    half = len(NOTE) // 2
    status, spool = _serve_and_post(tmp_path, [NOTE[:half], NOTE[half:]], chunked)
    assert status == 204
    assert _stored(spool) == [NOTE]


@pytest.mark.parametrize("chunked", [True, False])
def test_a_body_over_the_limit_is_413_either_way(tmp_path: Path, chunked: bool) -> None:
    body = b" " * (70 * 1024)
    status, spool = _serve_and_post(tmp_path, [body[:1000], body[1000:]], chunked)
    assert status == 413 and _stored(spool) == []


@pytest.mark.parametrize("chunked", [True, False])
@pytest.mark.parametrize(("size", "expected"), [(LIMIT, 400), (LIMIT + 1, 413)])
def test_the_limit_is_exact(tmp_path: Path, chunked: bool, size: int, expected: int) -> None:
    body = NOTE + b" " * (size - len(NOTE) - 1) + b"x"  # not JSON any more: stored, then 400
    status, spool = _serve_and_post(tmp_path, [body[:9000], body[9000:]], chunked)
    assert status == expected
    assert [len(b) for b in _stored(spool)] == ([size] if expected == 400 else [])
