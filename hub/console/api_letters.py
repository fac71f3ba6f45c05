"""``/api/dead-letters``: the list with filters, one letter, re-drive; scoped per gemeente (R26).

The list takes the query of the store's dead-letter API (issue 18, ``dead_letter_view.py``):
``status``, ``topic`` (the source topic), ``error_type``, ``kind``, ``case_ref``,
``older_than_h``, plus ``newer_than_h``, ``q`` (free text in the error) and ``limit``/``offset``;
it answers ``{dead_letters, total, facets: {source_topics, error_types, statuses}}`` over what
the user may see, with the store's status names (``STATUS``). Rows come from ``letters_view``
(the dead-letter topics followed by the sampler, with re-drive history from the audit trail).
A user limited to gemeenten sees the letters of their cases only; asking for another one (the
detail, a re-drive) is refused and audited.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from hub.console import store_reads
from hub.console.api import _error, _require, letter_row, letters_view, read_json
from hub.console.auth import User
from hub.console.keys import CTX, USER
from hub.console.masking import decode_masked
from hub.console.redrive import check_reason, redrive, select_letters
from hub.console.scope import visible_refs
from hub.errors import ConfigurationError, HubError

routes = web.RouteTableDef()
EXACT = ("status", "source_topic", "error_type", "kind", "consumer", "case_ref")
# The store's status names (issue 18's hub.store.dead_letters) for what ``letter_row`` derives
# from the topics and the audit trail: the page speaks the store's vocabulary already.
STATUS = {"dead": "pending", "pending": "redriven", "processed": "resolved",
          "failed again": "failed-again"}


def _as_store_row(row: dict[str, Any]) -> dict[str, Any]:
    return {**row, "letter_id": row["id"], "status": STATUS.get(row["status"], row["status"])}


def _hours(q: Mapping[str, str], name: str) -> timedelta | None:
    try:
        return timedelta(hours=float(q[name])) if q.get(name) else None
    except ValueError as exc:
        raise _error(web.HTTPBadRequest, f"{name} must be a number of hours") from exc


def keep(row: Mapping[str, Any], q: Mapping[str, str], now: datetime) -> bool:
    """Whether a letter row passes the list's filters."""
    for name in EXACT:
        if q.get(name) and str(row.get(name) or "") != q[name]:
            return False
    failed = datetime.fromisoformat(row["failed_at"]) if row.get("failed_at") else None
    older, newer = _hours(q, "older_than_h"), _hours(q, "newer_than_h")
    if older is not None and (failed is None or now - failed < older):
        return False
    if newer is not None and (failed is None or now - failed > newer):
        return False
    text = q.get("q", "").lower()
    return not text or text in f"{row['error_type']} {row['error_message']}".lower()


async def visible(request: web.Request, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The rows the user may see (R26: letters of their cases)."""
    user: User = request[USER]
    if not user.scoped:
        return rows
    refs = await asyncio.to_thread(visible_refs, request.app[CTX].engine, user,
                                   [str(r["case_ref"] or "") for r in rows])
    return [r for r in rows if r["case_ref"] in refs]


@routes.get("/api/dead-letters")
async def dead_letters(request: web.Request) -> web.Response:
    """A page of dead letters with the total and facets."""
    q = {**request.query}
    if q.get("topic"):  # the store API's name for the source topic
        q["source_topic"] = q.pop("topic")
    rows = [_as_store_row(r) for r in await visible(request, await letters_view(request.app[CTX]))]
    now = datetime.now(UTC)
    chosen = [r for r in rows if keep(r, q, now)]
    try:
        limit, offset = max(1, min(int(q.get("limit") or 100), 1000)), int(q.get("offset") or 0)
    except ValueError as exc:
        raise _error(web.HTTPBadRequest, "limit and offset are whole numbers") from exc
    facets = {plural: dict(Counter(str(r[name]) for r in rows)) for name, plural in (
        ("source_topic", "source_topics"), ("error_type", "error_types"), ("status", "statuses"))}
    return web.json_response({"dead_letters": chosen[offset:offset + limit],
                              "total": len(chosen), "facets": facets})


async def _scoped_entry(request: web.Request, letter: str) -> Any:
    ctx, user = request.app[CTX], request[USER]
    entry = (await ctx.sampler.poll_letters()).get(letter)
    if entry is None:
        raise _error(web.HTTPNotFound, "no such dead letter")
    if user.scoped:
        refs = await asyncio.to_thread(visible_refs, ctx.engine, user,
                                       [str(entry.record.get("case_ref") or "")])
        if not refs:
            await asyncio.to_thread(ctx.store.audit, f"console:{user.name}", "console.refused",
                                    "dead_letter", letter[:400],
                                    new={"reason": "out of scope",
                                         "gemeenten": list(user.gemeenten)})
            raise _error(web.HTTPForbidden, "this dead letter is not in your gemeenten")
    return entry


@routes.get("/api/dead-letters/one")
async def dead_letter(request: web.Request) -> web.Response:
    """One dead letter with its original message decoded and masked."""
    ctx = request.app[CTX]
    entry = await _scoped_entry(request, request.query.get("id", ""))
    history = await asyncio.to_thread(store_reads.redrives, ctx.engine)
    row = await asyncio.to_thread(letter_row, ctx, entry, history)
    row["original_key"] = decode_masked(ctx.runtime.codec, entry.record.get("original_key"))
    row["original_value"] = decode_masked(ctx.runtime.codec, entry.record["original_value"])
    return web.json_response(row)


@routes.post("/api/dead-letters/redrive")
async def redrive_letters(request: web.Request) -> web.Response:
    """Re-drive one or several dead letters by id (or a topic's, or all: unscoped users)."""
    body = await read_json(request)
    ids = [str(i) for i in body.get("ids") or ()]
    user = await _require(request, "operator", "dead_letter",
                          ",".join(ids) or str(body.get("topic") or "all"))
    ctx = request.app[CTX]
    if user.scoped:
        if not ids:
            raise _error(web.HTTPForbidden, "a user limited to gemeenten re-drives by id")
        for letter in ids:
            await _scoped_entry(request, letter)
    try:
        reason = check_reason(body.get("reason"))
        letters = await ctx.sampler.poll_letters()
        history = await asyncio.to_thread(store_reads.redrives, ctx.engine)
        chosen = select_letters(letters.values(), ids=ids, topic=body.get("topic"),
                                every=bool(body.get("all")), redriven=history,
                                include_redriven=bool(body.get("include_redriven")))
        done = await asyncio.to_thread(
            redrive, chosen, reason=reason, actor=f"console:{user.name}",
            bootstrap=ctx.hub.kafka_bootstrap, suffix=ctx.hub.topic_suffix, store=ctx.store)
    except ConfigurationError as exc:
        return web.json_response({"error": str(exc)}, status=400)
    except HubError as exc:
        return web.json_response({"error": str(exc)}, status=503)
    return web.json_response({"redriven": [vars(d) for d in done]})


def add_routes(app: web.Application) -> None:
    """Register these routes."""
    app.add_routes(routes)
