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

import topics
from hub.console.auth import User
from hub.console.masking import count_bsns, decode_masked, masked, unmask
from hub.console.redrive import check_reason
from hub.errors import ConfigurationError
from hub.reconcile.effects import summaries

if TYPE_CHECKING:
    from hub.console.context import ConsoleContext

CTX: web.AppKey[ConsoleContext] = web.AppKey("console", None)
USER: web.RequestKey[User] = web.RequestKey("user", User)
CSRF_DIGEST: web.RequestKey[str] = web.RequestKey("csrf_digest", str)
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
    return web.json_response({"name": user.name, "role": user.role} if user else {})


@routes.get("/api/overview")
async def overview(request: web.Request) -> web.Response:
    """Topics with rates, group lag, agents, connectors, dead letters per topic."""
    max_age = _number(request, "max_age", 2.0)
    return web.json_response(await _ctx(request).sampler.snapshot(max_age_s=max_age))


@routes.get("/api/topics/{topic}/messages")
async def topic_messages(request: web.Request) -> web.Response:
    """The newest messages of a declared topic, decoded, personal data masked."""
    ctx = _ctx(request)
    name = request.match_info["topic"]
    try:
        topics.by_name(name)
    except ConfigurationError as exc:
        raise _error(web.HTTPNotFound, str(exc)) from exc
    limit = max(1, min(int(_number(request, "limit", 20)), 200))
    tps = await ctx.views.partitions([topics.physical(name, ctx.hub.topic_suffix)])
    if "partition" in request.query:  # page through one partition from an offset
        part = int(_number(request, "partition", 0))
        tps = [tp for tp in tps if tp.partition == part]
        if not tps:
            raise _error(web.HTTPNotFound, f"{name} has no partition {part}")
        start = int(_number(request, "offset", 0))
        records = await ctx.views.read(tps[0], start, limit)
    else:
        records = await ctx.views.tail(tps, limit)
    rows = [{"partition": r.partition, "offset": r.offset, "timestamp": r.timestamp,
             "key": decode_masked(ctx.runtime.codec, r.key),
             "value": decode_masked(ctx.runtime.codec, r.value)} for r in records[-limit:]]
    return web.json_response({"topic": name, "messages": rows})


@routes.get("/api/cases/{case_ref}")
async def case_lookup(request: web.Request) -> web.Response:
    """The case view and its facts, masked; the lookup is audited."""
    ctx, user = _ctx(request), request[USER]
    ref = request.match_info["case_ref"]
    view, facts = await asyncio.to_thread(_case, ctx, ref)
    if view is None and not facts:
        raise _error(web.HTTPNotFound, "no such case")
    await asyncio.to_thread(ctx.store.audit, f"console:{user.name}", "case.lookup", "case", ref)
    ledger = summaries(await asyncio.to_thread(ctx.store.effects, ref))
    return web.json_response({"case_ref": ref, "view": masked(view), "facts": masked(facts),
                              "effecten": ledger})


def _case(ctx: ConsoleContext, ref: str) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    facts = [{"message_id": f.message_id, "kind": f.kind, "source_topic": f.source_topic,
              "source_partition": f.source_partition, "source_offset": f.source_offset,
              "record": f.record} for f in ctx.store.facts_for(ref)]
    return ctx.store.case_view(ref), facts


@routes.post("/api/cases/{case_ref}/unmask")
async def case_unmask(request: web.Request) -> web.Response:
    """The case's facts with BSNs decrypted; admins only, reason required, audited."""
    ref = request.match_info["case_ref"]
    user = await _require(request, "admin", "case", ref)
    ctx = _ctx(request)
    body = await read_json(request)
    try:
        reason = check_reason(body.get("reason"))
    except ConfigurationError as exc:
        return web.json_response({"error": str(exc)}, status=400)
    view, facts = await asyncio.to_thread(_case, ctx, ref)
    shown = count_bsns(facts) + count_bsns(view)
    await asyncio.to_thread(ctx.store.audit, f"console:{user.name}", "bsn.unmask", "case", ref,
                            new={"bsns_shown": shown}, reason=reason)
    cipher = ctx.runtime.cipher
    return web.json_response({"case_ref": ref, "view": unmask(view, cipher),
                              "facts": unmask(facts, cipher)})


def add_routes(app: web.Application) -> None:
    """Register the API routes (the dead-letter ones too)."""
    from hub.console import dead_letter_view

    app.add_routes(routes)
    dead_letter_view.add_routes(app)
