"""The hub's side of HTTP partners: request bodies read to EOF (or limit + 1), and serving an
aiohttp application on loopback for webhooks and simulators.

``request.content.read(n)`` returns what has *arrived*, not ``n`` bytes: a body sent in two
chunks would be cut after the first. ``read_body`` reads until EOF, or until one byte over the
limit, so chunked and ``Content-Length`` bodies are judged the same way (413 or parsed whole).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator

from aiohttp import web

from connectors.kit.http import read_stream
from hub.broker import free_port
from hub.errors import PayloadTooLarge


async def read_body(request: web.Request, max_bytes: int) -> bytes:
    """The whole body; ``PayloadTooLarge`` when it is (declared or found) over ``max_bytes``."""
    if (request.content_length or 0) > max_bytes:
        raise PayloadTooLarge(f"body of {request.content_length} bytes is over the "
                              f"{max_bytes}-byte limit")
    body = await read_stream(request.content, max_bytes)
    if body is None:
        raise PayloadTooLarge(f"body over the {max_bytes}-byte limit")
    return body


@contextlib.asynccontextmanager
async def serve_app(app: web.Application, host: str = "127.0.0.1", port: int = 0
                    ) -> AsyncIterator[str]:
    """Serve ``app`` on ``host:port`` (a free port when 0); yields ``http://host:port``."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = port or free_port()
    try:
        await web.TCPSite(runner, host, port).start()
        yield f"http://{host}:{port}"
    finally:
        await runner.cleanup()
