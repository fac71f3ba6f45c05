"""``/api/groups``: consumer groups, their members and lag, and offset resets (``hub.groups``).

Reading is open to every role. A reset needs ``operator`` and no gemeente limit (it moves what
every gemeente's messages are processed from, R26), a reason, and is refused while the group
has members (409); ``dry_run`` answers the plan without writing. Each refusal for role or scope
is audited as ``console.refused``; each reset as ``consumer_group.reset``.
"""

from __future__ import annotations

import asyncio
import json
from dataclasses import asdict
from typing import TYPE_CHECKING, Any

from aiohttp import web

import topics
from hub import groups
from hub.broker_ops import BrokerOps
from hub.console.keys import CTX, USER
from hub.errors import ConfigurationError, GroupActive, HubError
from hub.offsets import lags_of

if TYPE_CHECKING:
    from hub.console.context import ConsoleContext

routes = web.RouteTableDef()


def _json_error(status: int, message: str) -> web.Response:
    return web.json_response({"error": message}, status=status)


def _detail(ctx: ConsoleContext, group: str) -> dict[str, Any]:
    suffix = ctx.hub.topic_suffix
    with BrokerOps(ctx.hub.kafka_bootstrap) as ops:
        info = groups.describe(ops, group)
        committed = ops.committed(group)
        offsets = ops.offsets(ops.partitions(sorted({tp.topic for tp in committed})))
        rows = lags_of(group, committed, offsets)
    return {"group": group, "state": info.state,
            "members": [asdict(m) for m in info.members],
            "lag": sum(r.lag for r in rows),
            "partitions": [{"topic": topics.logical(r.topic, suffix), "partition": r.partition,
                            "committed": r.committed, "end": r.end, "lag": r.lag}
                           for r in rows]}


@routes.get("/api/groups")
async def group_list(request: web.Request) -> web.Response:
    """Every group with its total lag and whether its agent is stalled (from the snapshot)."""
    snap = await request.app[CTX].sampler.snapshot(max_age_s=5.0)
    return web.json_response({"groups": [
        {"group": g["group"], "lag": g["lag"], "stalled": g.get("stalled", False),
         "partitions": len(g["partitions"])} for g in snap["groups"]]})


@routes.get("/api/groups/{group}")
async def group_detail(request: web.Request) -> web.Response:
    """State, members, and committed offset, end and lag per partition."""
    ctx = request.app[CTX]
    try:
        found = await asyncio.to_thread(_detail, ctx, request.match_info["group"])
    except HubError as exc:
        return _json_error(503, str(exc))
    return web.json_response(found)


async def _refuse(request: web.Request, group: str, why: dict[str, Any], text: str
                  ) -> web.Response:
    user = request[USER]
    await asyncio.to_thread(request.app[CTX].store.audit, f"console:{user.name}",
                            "console.refused", "consumer_group", group[:400],
                            new={"role": user.role, **why})
    return _json_error(403, text)


def _reset(ctx: ConsoleContext, group: str, body: dict[str, Any], actor: str
           ) -> dict[str, Any]:
    suffix = ctx.hub.topic_suffix
    partition = body.get("partition")
    with BrokerOps(ctx.hub.kafka_bootstrap) as ops:
        chosen = groups.plan(ops, group, str(body.get("spec") or ""),
                             value=None if body.get("value") is None else str(body["value"]),
                             topic=body.get("topic") or None,
                             partition=None if partition in (None, "") else int(partition),
                             suffix=suffix)
        members = groups.describe(ops, group).members
        if not body.get("dry_run"):
            chosen = groups.apply(ops, chosen, actor=actor, reason=str(body.get("reason") or ""),
                                  store=ctx.store, suffix=suffix)
    return {"group": group, "spec": chosen.spec, "applied": chosen.applied,
            "dry_run": bool(body.get("dry_run")), "errors": chosen.errors,
            "active_members": len(members),
            "moves": [{**asdict(m), "lag_after": m.lag_after} for m in chosen.moves]}


@routes.post("/api/groups/{group}/reset")
async def group_reset(request: web.Request) -> web.Response:
    """Preview (``dry_run``) or apply an offset reset; operators without a gemeente limit."""
    from hub.console.api import read_json

    group = request.match_info["group"]
    user = request[USER]
    if not user.may("operator"):
        return await _refuse(request, group, {"needs": "operator"}, "needs role operator")
    if user.scoped:
        return await _refuse(request, group, {"reason": "out of scope",
                                              "gemeenten": list(user.gemeenten)},
                             "a reset moves every gemeente's messages: needs an operator "
                             "without a gemeente limit")
    body = await read_json(request)
    try:
        if not body.get("dry_run"):
            groups.check_reason(body.get("reason"))
        done = await asyncio.to_thread(_reset, request.app[CTX], group, body,
                                       f"console:{user.name}")
    except (ConfigurationError, ValueError) as exc:
        return _json_error(400, str(exc))
    except GroupActive as exc:
        return _json_error(409, str(exc))
    except HubError as exc:
        return _json_error(503, str(exc))
    return web.json_response(done, dumps=lambda v: json.dumps(v, default=str))


def add_routes(app: web.Application) -> None:
    """Register these routes."""
    app.add_routes(routes)
