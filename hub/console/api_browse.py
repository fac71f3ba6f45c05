"""``/api/topics``: the declared topics, a topic's schemas, and the message browser.

Messages are read with the console's group-less consumers (``KafkaViews``), filtered by
``hub.console.browse`` and, for a user limited to gemeenten (R26), cut to the messages of their
cases (``row_visible``); ``hidden`` says how many of the scanned messages that left out. BSNs
are masked; an admin may see a page unmasked (POST ``.../messages/unmask`` with a reason:
audited as ``bsn.unmask`` with how many BSNs were shown).
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from aiohttp import web
from kafka import TopicPartition as KafkaTopicPartition

import topics
from hub.broker_ops import BrokerOps
from hub.console import browse, schema_views
from hub.console.auth import User
from hub.console.keys import CTX, USER
from hub.console.masking import count_bsns, masked, unmask
from hub.console.scope import visible_refs
from hub.errors import ConfigurationError
from hub.registry import registry_from_settings

if TYPE_CHECKING:
    from hub.console.context import ConsoleContext

routes = web.RouteTableDef()


def _ctx(request: web.Request) -> ConsoleContext:
    return request.app[CTX]


def _user(request: web.Request) -> User:
    return request[USER]


def bad_request(message: str) -> web.HTTPBadRequest:
    """400 with ``{"error": message}``."""
    import json

    return web.HTTPBadRequest(text=json.dumps({"error": message}), content_type="application/json")


def spec_of(name: str) -> topics.TopicSpec:
    """The declared topic, or 404."""
    import json

    try:
        return topics.by_name(name)
    except ConfigurationError as exc:
        raise web.HTTPNotFound(text=json.dumps({"error": str(exc)}),
                               content_type="application/json") from exc


@routes.get("/api/topics")
async def topic_list(_request: web.Request) -> web.Response:
    """Every declared topic with its schemas, partitions, direction and PII flag."""
    return web.json_response({"topics": [
        {"topic": s.name, "key_schema": s.key_schema, "value_schema": s.value_schema,
         "partitions": s.partitions, "direction": s.direction, "pii": s.pii,
         "dead_letter": s.dead_letter, "retention_ms": s.retention_ms, "doc": s.doc}
        for s in topics.TOPICS]})


@routes.get("/api/topics/{topic}/schema")
async def topic_schema(request: web.Request) -> web.Response:
    """Key and value schema of a topic: versions, fields with docs, compatibility."""
    spec = spec_of(request.match_info["topic"])
    registry = registry_from_settings(_ctx(request).hub)
    described = await asyncio.to_thread(schema_views.for_topic, spec, registry)
    return web.json_response(described)


def query_of(request: web.Request) -> browse.Query:
    """The browser query from the URL (400 when it does not parse)."""
    q = request.query
    try:
        at_ms = 0
        if q.get("seek") == "timestamp":
            at_ms = int(browse.parse_since(q.get("at", "")).timestamp() * 1000)
        return browse.Query(
            partition=int(q["partition"]) if q.get("partition", "") != "" else None,
            seek=q.get("seek", "newest"), offset=int(q.get("offset") or 0), at_ms=at_ms,
            key=q.get("key", ""), field=q.get("field", ""), grep=q.get("grep", ""),
            limit=int(q.get("limit") or 50), scan=int(q.get("scan") or 1000))
    except ValueError as exc:
        raise bad_request("partition, offset, limit and scan are whole numbers") from exc
    except ConfigurationError as exc:
        raise bad_request(str(exc)) from exc


def row_visible(user: User, spec: topics.TopicSpec, row: dict[str, Any], cases: set[str]
                ) -> bool:
    """R26: a scoped user sees a message of one of their cases, or one naming their gemeente."""
    if not user.scoped or spec.direction == "internal":
        return True
    if row["case_ref"] in cases:
        return True
    record = (row.get("value") or {}).get("record") or {}
    return isinstance(record, dict) and record.get("gemeentecode") in user.gemeenten


@routes.get("/api/topics/{topic}/messages")
async def topic_messages(request: web.Request) -> web.Response:
    """One page of a topic's messages: seek, filters, headers; decoded, masked, scoped."""
    return web.json_response(await _page(request, masked))


@routes.post("/api/topics/{topic}/messages/unmask")
async def topic_messages_unmasked(request: web.Request) -> web.Response:
    """The same page with BSNs decrypted: admins only, a reason, audited with the count."""
    from hub.console.api import _require, read_json
    from hub.console.redrive import check_reason

    name = request.match_info["topic"]
    user = await _require(request, "admin", "topic", name)
    try:
        reason = check_reason((await read_json(request)).get("reason"))
    except ConfigurationError as exc:
        raise bad_request(str(exc)) from exc
    shown = [0]
    cipher = _ctx(request).runtime.cipher

    def reveal(value: Any) -> Any:
        shown[0] += count_bsns(value)
        return unmask(value, cipher)

    found = await _page(request, reveal)
    await asyncio.to_thread(_ctx(request).store.audit, f"console:{user.name}", "bsn.unmask",
                            "topic", name, reason=reason,
                            new={"bsns_shown": shown[0], "query": dict(request.query)})
    return web.json_response(found)


async def _page(request: web.Request, show: Callable[[Any], Any]) -> dict[str, Any]:
    ctx, user = _ctx(request), _user(request)
    spec = spec_of(request.match_info["topic"])
    query = query_of(request)
    tps = await ctx.views.partitions([topics.physical(spec.name, ctx.hub.topic_suffix)])
    if query.partition is not None:
        tps = [tp for tp in tps if tp.partition == query.partition]
        if not tps:
            raise bad_request(f"{spec.name} has no partition {query.partition}")
    offsets = await ctx.views.offsets(tps)
    by_time = (await asyncio.to_thread(_times, ctx.hub.kafka_bootstrap, tps, query.at_ms)
               if query.seek == "timestamp" else None)
    first = browse.starts(query, offsets, by_time)
    if "cursor" in request.query:
        try:
            at = browse.parse_cursor(request.query["cursor"])
        except ConfigurationError as exc:
            raise bad_request(str(exc)) from exc
        first = {tp: min(max(at.get(tp.partition, first[tp]), offsets[tp].earliest),
                         offsets[tp].end) for tp in first}
    per = query.scan if query.filtered or query.seek != "newest" else query.limit
    records = await ctx.views.read_from(first, {tp: o.end for tp, o in offsets.items()}, per)
    rows = await asyncio.to_thread(lambda: [browse.row(ctx.runtime.codec, r) for r in records])
    cases = await asyncio.to_thread(visible_refs, ctx.engine, user,
                                    [r["case_ref"] for r in rows])
    kept = browse.page([r for r in rows if row_visible(user, spec, r, cases)], query)
    if show is not masked:  # decode again, unmasked, only what is shown
        wanted = {(r["partition"], r["offset"]) for r in kept}
        kept = browse.page([browse.row(ctx.runtime.codec, r, show) for r in records
                            if (r.partition, r.offset) in wanted], query)
    return {
        "topic": spec.name, "query": {"seek": query.seek, "partition": query.partition},
        "partitions": [{"partition": tp.partition, "earliest": o.earliest, "end": o.end}
                       for tp, o in sorted(offsets.items(), key=lambda kv: kv[0].partition)],
        "scanned": len(rows), "hidden": len(rows) - sum(
            1 for r in rows if row_visible(user, spec, r, cases)),
        "messages": kept, "next": browse.cursor_of(_next(first, records, kept, query))}


def _times(bootstrap: str, tps: list[Any], at_ms: int) -> dict[Any, int | None]:
    """First offsets at a time: ``BrokerOps.offsets_for_times`` (Tansu's own answer is wrong)."""
    with BrokerOps(bootstrap) as ops:
        found = ops.offsets_for_times([KafkaTopicPartition(tp.topic, tp.partition)
                                       for tp in tps], at_ms)
    return {tp: found[KafkaTopicPartition(tp.topic, tp.partition)] for tp in tps}


def _next(first: dict[Any, int], records: list[Any], kept: list[dict[str, Any]],
          query: browse.Query) -> dict[int, int]:
    """Where the following page starts per partition: after the last kept message when the
    page is full, else after everything scanned."""
    done = {tp.partition: at for tp, at in first.items()}
    for r in records:
        done[r.partition] = max(done[r.partition], r.offset + 1)
    if len(kept) < query.limit or query.seek == "newest":
        return done
    cut = (kept[-1]["timestamp"], kept[-1]["partition"], kept[-1]["offset"])
    after = {tp.partition: at for tp, at in first.items()}
    for r in records:
        if (r.timestamp, r.partition, r.offset) <= cut:
            after[r.partition] = max(after[r.partition], r.offset + 1)
    return after


def add_routes(app: web.Application) -> None:
    """Register these routes."""
    app.add_routes(routes)
