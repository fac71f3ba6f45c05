"""A fake ISAM speaking the connector's contract over a real socket (FORMAT.md).

It serves resources at ``GET /api/v1/<resource>/<uuid>`` (bearer token), keeps every version,
posts ZGW-style notifications to the hub's webhook (in order, out of order or repeated, as a
test asks) and receives the hub's signal notifications at ``POST /api/v1/ontvang`` like a
subscriber would. Faults on demand: unreadable resources (503), resources visible only after a
few reads (404), and a callback endpoint that refuses the first deliveries.
"""

from __future__ import annotations

import contextlib
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from typing import Any

import aiohttp
from aiohttp import web

from connectors.kit.server import serve_app

CALLBACK_PATH = "/api/v1/ontvang"


@dataclass
class Received:
    """A request the simulator received on its callback endpoint."""

    body: dict[str, Any]
    authorization: str
    status: int


@dataclass
class IsamSimulator:
    """In-memory ISAM; ``base_url`` is set once served."""

    api_token: str = "isam-api-token"
    callback_token: str = "isam-callback-token"
    base_url: str = ""
    versions: dict[tuple[str, str], list[dict[str, Any]]] = field(default_factory=dict)
    notifications: list[dict[str, Any]] = field(default_factory=list)
    unavailable: set[str] = field(default_factory=set)  # uuids answered with 503
    hidden_reads: Counter[str] = field(default_factory=Counter)  # uuid -> 404s left
    # ISAM's own person ids: random per person (never derived from the BSN, R20/issue 19)
    persons: dict[str, str] = field(default_factory=dict)
    refuse_callbacks: int = 0  # how many callback posts to answer with 503 first
    callbacks: list[Received] = field(default_factory=list)
    reads: Counter[str] = field(default_factory=Counter)
    sent: list[tuple[dict[str, Any], int]] = field(default_factory=list)

    # -- the data ---------------------------------------------------------------------------
    def url(self, resource: str, resource_uuid: str) -> str:
        """The resourceUrl of a resource."""
        return f"{self.base_url}/api/v1/{resource}/{resource_uuid}"

    def put(self, resource: str, bsn: str, *, resource_uuid: str | None = None,
            **fields: Any) -> str:
        """Create a resource (or a new version of it) and queue its notification."""
        ident = resource_uuid or str(uuid.uuid4())
        history = self.versions.setdefault((resource, ident), [])
        base = dict(history[-1]) if history else {}
        base.update({k: _json(v) for k, v in fields.items()})
        base.update({"uuid": ident, "versie": len(history) + 1, "bsn": bsn,
                     "url": self.url(resource, ident)})
        history.append(base)
        self.notifications.append(self.notification(resource, ident, bsn,
                                                    "create" if len(history) == 1 else "update"))
        return ident

    def notification(self, resource: str, ident: str, bsn: str, actie: str) -> dict[str, Any]:
        """A Notificaties API message about one resource (no BSN in it)."""
        latest = self.versions[(resource, ident)][-1]
        kenmerken = {k: str(latest[k]) for k in ("gemeentecode", "soort", "besluit", "status")
                     if k in latest}
        person = self.persons.setdefault(bsn, str(uuid.uuid4()))
        return {"kanaal": "inburgering",
                "hoofdObject": f"{self.base_url}/api/v1/inburgeraars/{person}",
                "resource": resource, "resourceUrl": self.url(resource, ident), "actie": actie,
                "aanmaakdatum": datetime.now(UTC).isoformat().replace("+00:00", "Z"),
                "kenmerken": kenmerken}

    # -- sending notifications --------------------------------------------------------------
    async def send(self, webhook_url: str, token: str, bodies: list[dict[str, Any]]) -> list[int]:
        """POST each body to the hub's webhook; returns the status codes."""
        statuses = []
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        async with aiohttp.ClientSession() as session:
            for body in bodies:
                async with session.post(webhook_url, json=body, headers=headers) as resp:
                    statuses.append(resp.status)
                    self.sent.append((body, resp.status))
        return statuses

    async def flush(self, webhook_url: str, token: str, *, reverse: bool = False,
                    repeat: int = 0) -> list[int]:
        """Send the queued notifications (reversed: out of order; ``repeat`` first ones again)."""
        bodies = list(reversed(self.notifications)) if reverse else list(self.notifications)
        bodies += bodies[:repeat]
        self.notifications.clear()
        return await self.send(webhook_url, token, bodies)

    # -- the HTTP side ----------------------------------------------------------------------
    def app(self) -> web.Application:
        """aiohttp app: the resource API and the subscriber callback."""
        app = web.Application()
        app.router.add_get("/api/v1/{resource}/{uuid}", self._get)
        app.router.add_post(CALLBACK_PATH, self._callback)
        return app

    async def _get(self, request: web.Request) -> web.Response:
        if request.headers.get("Authorization") != f"Bearer {self.api_token}":
            return web.json_response({"detail": "unauthorised"}, status=401)
        resource, ident = request.match_info["resource"], request.match_info["uuid"]
        self.reads[ident] += 1
        if ident in self.unavailable:
            return web.json_response({"detail": "storing"}, status=503)
        if self.hidden_reads[ident] > 0:
            self.hidden_reads[ident] -= 1
            return web.json_response({"detail": "not found"}, status=404)
        history = self.versions.get((resource, ident))
        if not history:
            return web.json_response({"detail": "not found"}, status=404)
        return web.json_response(history[-1])

    async def _callback(self, request: web.Request) -> web.Response:
        body = await request.json()
        auth = request.headers.get("Authorization", "")
        if auth != f"Bearer {self.callback_token}":
            status = 403
        elif self.refuse_callbacks > 0:
            self.refuse_callbacks -= 1
            status = 503
        else:
            status = 204
        self.callbacks.append(Received(body, auth, status))
        return web.Response(status=status)

    def delivered(self) -> list[dict[str, Any]]:
        """Bodies of the callbacks that were accepted."""
        return [r.body for r in self.callbacks if r.status == 204]


def _json(value: Any) -> Any:
    if isinstance(value, date | datetime):
        return value.isoformat()
    if isinstance(value, list):
        return [_json(v) for v in value]
    if isinstance(value, dict):
        return {k: _json(v) for k, v in value.items()}
    return value


@contextlib.asynccontextmanager
async def serve(sim: IsamSimulator, port: int = 0) -> AsyncIterator[str]:
    """Serve ``sim`` on 127.0.0.1; yields its base URL."""
    async with serve_app(sim.app(), port=port) as url:
        sim.base_url = url
        yield url
