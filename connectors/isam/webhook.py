"""The hub's HTTP side for ISAM: the authenticated notification webhook and the signal resource.

``POST /api/v1/notificaties`` persists the body in the spool *before* answering, so an
acknowledged notification survives any crash: 204 when stored, 400 (stored, and dead-lettered
by the processor) when it is no notification, 401 without the bearer token (not stored: a
security event, logged), 413 when too large (the body is read to its end or one byte over the
limit first, chunked or not), 503 when the spool is unavailable (ISAM retries).
``GET /api/v1/signalen/{id}`` serves a signal the hub notified ISAM about (no BSN in it).
"""

from __future__ import annotations

import asyncio
import hmac
import logging
from collections.abc import Awaitable, Callable

from aiohttp import web

from connectors.isam.notification import parse
from connectors.isam.spool import Spool
from connectors.kit.server import read_body
from hub.errors import ConfigurationError, InvalidField, PayloadTooLarge

log = logging.getLogger(__name__)
MAX_BODY = 64 * 1024
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def make_app(spool: Spool, token: str, on_receive: Callable[[], None], *,
             max_bytes: int = MAX_BODY) -> web.Application:
    """The aiohttp application; ``on_receive`` wakes the processor."""
    if not token:
        raise ConfigurationError("the ISAM webhook needs a token (HUB_ISAM_WEBHOOK_TOKEN)")
    expected = f"Bearer {token}".encode()

    @web.middleware
    async def authenticated(request: web.Request, handler: Handler) -> web.StreamResponse:
        if request.path == "/healthz":
            return web.Response(text="ok")
        given = request.headers.get("Authorization", "").encode()
        if not hmac.compare_digest(given, expected):
            log.warning("isam_webhook_refused path=%s remote=%s", request.path, request.remote)
            return web.json_response({"detail": "missing or wrong bearer token"}, status=401,
                                     headers={"WWW-Authenticate": "Bearer"})
        return await handler(request)

    async def notificatie(request: web.Request) -> web.Response:
        try:
            body = await read_body(request, max_bytes)
        except PayloadTooLarge:
            log.warning("isam_notification_too_large limit=%d", max_bytes)
            return web.json_response({"detail": f"body over {max_bytes} bytes"}, status=413)
        try:
            row_id = await asyncio.to_thread(spool.receive, body)
        except Exception as exc:  # database gone: do not acknowledge, ISAM retries
            log.error("isam_spool_unavailable error=%s", type(exc).__name__)
            return web.json_response({"detail": "try again later"}, status=503)
        on_receive()
        try:
            parse(body)
        except InvalidField as exc:
            log.warning("isam_notification_invalid id=%d error=%s", row_id, exc.field)
            return web.json_response({"detail": str(exc), "kept_as": row_id}, status=400)
        return web.Response(status=204)

    async def signaal(request: web.Request) -> web.Response:
        found = await asyncio.to_thread(spool.signal, request.match_info["id"])
        if found is None:
            return web.json_response({"detail": "unknown signal"}, status=404)
        if found.get("status") == "INGETROKKEN":  # withdrawn by the hub: gone, with its status
            return web.json_response(found, status=410)
        return web.json_response(found)

    app = web.Application(middlewares=[authenticated], client_max_size=max_bytes * 2)
    app.router.add_post("/api/v1/notificaties", notificatie)
    app.router.add_get("/api/v1/signalen/{id}", signaal)
    app.router.add_get("/healthz", lambda _: web.Response(text="ok"))  # type: ignore[arg-type, return-value]
    return app
