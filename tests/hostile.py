"""Fake partners that misbehave on command, over real sockets (issue 17, point 7).

``HostileKredietbank`` and ``HostileIsam`` subclass the real simulators, so they speak the
contract exactly until a test switches a fault on; ``Elsewhere`` is another origin (a second
server on its own port) that records what reaches it, to prove that no token leaves for it.
A huge answer is streamed from one reused block: nothing of its size is ever allocated.
"""

from __future__ import annotations

import contextlib
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from connectors.isam.simulator import IsamSimulator
from connectors.kit.server import serve_app
from connectors.kredietbank.simulator import KredietbankSimulator

MiB = 1024 * 1024
_BLOCK = b" " * MiB  # one reused block: a 400 MiB answer never exists in memory


def deep_json(levels: int) -> bytes:
    """A syntactically valid JSON document nested ``levels`` deep."""
    return b'{"a":' * levels + b"1" + b"}" * levels


def deep_list(levels: int) -> bytes:
    """Valid JSON nested ``levels`` deep in two bytes a level (30k levels fit a webhook body)."""
    return b"[" * levels + b"]" * levels


@dataclass
class Streamed:
    """What a streamed huge answer managed to send before the client hung up."""

    sent: int = 0
    finished: bool = False


async def huge_answer(request: web.Request, size: int, record: Streamed, *,
                      declare_length: bool) -> web.StreamResponse:
    """Stream ``size`` bytes of a JSON-looking answer (with or without Content-Length)."""
    response = web.StreamResponse(headers={"Content-Type": "application/json"})
    if declare_length:
        response.content_length = size
    else:
        response.enable_chunked_encoding()
    await response.prepare(request)
    try:
        await response.write(b'{"mutaties": [], "pad": "')
        record.sent = 25
        while record.sent < size:
            chunk = _BLOCK[: min(MiB, size - record.sent)]
            await response.write(chunk)
            record.sent += len(chunk)
        record.finished = True
    except (ConnectionResetError, ConnectionError, RuntimeError):
        pass  # the client hung up: what we wanted to see
    return response


@dataclass
class Elsewhere:
    """Another origin: records every request (and its Authorization header)."""

    base_url: str = ""
    seen: list[tuple[str, str]] = field(default_factory=list)

    def app(self) -> web.Application:
        """Answers everything with a harmless JSON object."""
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self._any)
        return app

    async def _any(self, request: web.Request) -> web.Response:
        self.seen.append((request.path, request.headers.get("Authorization", "")))
        return web.json_response({"mutaties": [], "volgende": 0, "meer": False,
                                  "facturen": []})

    @contextlib.asynccontextmanager
    async def serve(self) -> AsyncIterator[str]:
        """Serve on a free loopback port; yields the base URL."""
        async with serve_app(self.app()) as url:
            self.base_url = url
            yield url


@dataclass
class HostileKredietbank(KredietbankSimulator):
    """The Kredietbank simulator with faults on command (``fault``; None: behaves).

    Faults of ``GET /mutaties``: ``list`` (a JSON list), ``volgende-abc``, ``deep`` (30k
    levels), ``stuck`` (``meer`` with an unchanged ``volgende``), ``huge`` / ``huge-declared``
    (400 MiB, chunked or with Content-Length), ``redirect-away`` (302 to ``elsewhere``).
    Faults of ``GET /facturen``: ``no-url`` (an invoice without url), ``foreign-url`` (its url on
    ``elsewhere``)."""

    fault: str | None = None
    elsewhere: str = ""
    huge_size: int = 400 * MiB
    streamed: Streamed = field(default_factory=Streamed)
    hits: Counter[str] = field(default_factory=Counter)

    async def _mutaties(self, request: web.Request) -> web.StreamResponse:
        self.hits["mutaties"] += 1
        vanaf = int(request.query.get("vanaf", 0))
        if self.fault == "list":
            return web.json_response([{"volgnummer": 1}])
        if self.fault == "volgende-abc":
            return web.json_response({"mutaties": [], "volgende": "abc", "meer": True})
        if self.fault == "deep":
            return web.Response(body=deep_json(30_000), content_type="application/json")
        if self.fault == "stuck":
            return web.json_response({"mutaties": [], "volgende": vanaf, "meer": True})
        if self.fault in ("huge", "huge-declared"):
            return await huge_answer(request, self.huge_size, self.streamed,
                                     declare_length=self.fault == "huge-declared")
        if self.fault == "redirect-away":
            raise web.HTTPFound(f"{self.elsewhere}/api/v1/mutaties?vanaf={vanaf}")
        return await super()._mutaties(request)

    async def _facturen(self, request: web.Request) -> web.Response:
        self.hits["facturen"] += 1
        if self.fault == "no-url":
            return web.json_response({"facturen": [
                {"volgnummer": 1, "factuurnummer": "KB-ZONDER-URL"}], "volgende": 1})
        if self.fault == "foreign-url":
            return web.json_response({"facturen": [
                {"volgnummer": 1, "factuurnummer": "KB-ELDERS",
                 "url": f"{self.elsewhere}/api/v1/facturen/KB-ELDERS"}], "volgende": 1})
        return await super()._facturen(request)


@dataclass
class HostileIsam(IsamSimulator):
    """The ISAM simulator; ``faults`` maps a resource uuid to how its GET misbehaves:
    ``list``, ``deep``, ``huge`` (400 MiB streamed), ``redirect-away``."""

    faults: dict[str, str] = field(default_factory=dict)
    elsewhere: str = ""
    huge_size: int = 400 * MiB
    streamed: Streamed = field(default_factory=Streamed)

    async def _get(self, request: web.Request) -> web.StreamResponse:  # type: ignore[override]
        fault = self.faults.get(request.match_info["uuid"])
        if fault == "list":
            return web.json_response([{"uuid": request.match_info["uuid"]}])
        if fault == "deep":
            return web.Response(body=deep_json(30_000), content_type="application/json")
        if fault == "huge":
            return await huge_answer(request, self.huge_size, self.streamed,
                                     declare_length=False)
        if fault == "redirect-away":
            raise web.HTTPFound(f"{self.elsewhere}/api/v1/pip/x")
        return await super()._get(request)

    def foreign(self, resource: str, ident: str) -> dict[str, Any]:
        """A notification about ``ident`` whose ``resourceUrl`` points at ``elsewhere``."""
        body = self.notification(resource, ident, "0", "create")
        body["resourceUrl"] = f"{self.elsewhere}/api/v1/{resource}/{ident}"
        return body
