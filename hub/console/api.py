"""The console's JSON API under ``/api/`` (authentication is done by ``web.guard``).

Reads are open to every role (dead letters: ``dead_letter_view``). Re-drives need ``operator``;
unmasking a BSN needs ``admin``
and a reason, and is audited with how many BSNs were shown (never the BSNs themselves).
Case lookups are audited too: who saw which case, when (DOMAIN R23); so is every request
refused for its role (``console.refused``, a security event in BIO terms). Errors are JSON
``{"error": ...}``.
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

from hub.console.auth import User
from hub.console.keys import CTX, USER

if TYPE_CHECKING:
    from hub.console.context import ConsoleContext

routes = web.RouteTableDef()


def _ctx(request: web.Request) -> ConsoleContext:
    return request.app[CTX]


def _error(status: type[web.HTTPException], message: str) -> web.HTTPException:
    """An HTTP error with a JSON body ``{"error": message}``."""
    return status(text=json.dumps({"error": message}), content_type="application/json")


async def _require(request: web.Request, role: str, action: str, entity_id: str) -> User:
    """The user when their role is at least ``role``; else 403, and the refusal is audited."""
    user: User = request[USER]
    if not user.may(role):
        await asyncio.to_thread(_ctx(request).store.audit, f"console:{user.name}",
                                "console.refused", action, entity_id[:400],
                                new={"role": user.role, "needs": role})
        raise _error(web.HTTPForbidden, f"needs role {role}")
    return user


async def read_json(request: web.Request) -> dict[str, Any]:
    """The JSON object sent, or 400."""
    try:
        body = await request.json()
    except ValueError as exc:
        raise web.HTTPBadRequest(text='{"error": "send a JSON object"}',
                                 content_type="application/json") from exc
    if not isinstance(body, dict):
        raise web.HTTPBadRequest(text='{"error": "send a JSON object"}',
                                 content_type="application/json")
    return body


def _number(request: web.Request, name: str, default: float) -> float:
    try:
        return float(request.query.get(name, default))
    except ValueError as exc:
        raise web.HTTPBadRequest(text=f'{{"error": "{name} must be a number"}}',
                                 content_type="application/json") from exc


@routes.get("/api/me")
async def me(request: web.Request) -> web.Response:
    """The logged-in user."""
    user: User | None = request.get(USER)
    return web.json_response({"name": user.name, "role": user.role,
                              "gemeenten": list(user.gemeenten)} if user else {})


@routes.get("/api/overview")
async def overview(request: web.Request) -> web.Response:
    """Topics with rates, group lag, agents, connectors, dead letters per topic."""
    max_age = _number(request, "max_age", 2.0)
    return web.json_response(await _ctx(request).sampler.snapshot(max_age_s=max_age))


def add_routes(app: web.Application) -> None:
    """Register the API routes (and those of the page-specific modules)."""
    from hub.console import (
        api_audit,
        api_browse,
        api_cases,
        api_groups,
        api_reports,
        dead_letter_view,
    )

    app.add_routes(routes)
    for module in (api_browse, api_groups, api_cases, api_audit, api_reports, dead_letter_view):
        module.add_routes(app)
