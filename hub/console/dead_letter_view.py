"""The console's dead letters from the store: the list, one letter's detail, and its actions.

``GET /api/dead-letters`` (filters: ``status``, ``topic``, ``error_type``, ``kind``,
``older_than_h``, ``limit``, ``offset``) and ``GET /api/dead-letters/one?id=`` are open to
every role; the detail shows the error, source, attempts, status, history (audit rows and the
letters before and after it in a re-drive chain) and the original decoded and masked.
``POST /api/dead-letters/redrive`` and ``/resolve`` (ids, or ``topic`` / ``error_type`` /
``older_than_h`` / ``all``; a reason; ``dry_run``) need ``operator``; ``/unseal`` (an edge
letter's partner payload as it came) needs ``admin`` and a reason, and is audited.

Per-gemeente scoping (R26): a user limited to gemeenten lists only the letters of cases they may
see (``hub.console.scope.visible_refs``; a letter without a case reference belongs to no
gemeente and is not shown to them), of at most ``SCOPED_READ_CAP`` newest matching letters; the
detail and every action on a letter outside their gemeenten is refused (403) and audited as
``console.refused``; bulk selections (topic, error type, age, all) are refused to them.
``q`` filters on free text in the error type and message.
"""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Sequence
from datetime import timedelta
from typing import TYPE_CHECKING, Any

from aiohttp import web

from hub.console.api import _error, _require, read_json
from hub.console.keys import USER
from hub.console.originals import masked_original, unsealed
from hub.console.redrive import Selection, check_reason, how_redriven, redrive, resolve
from hub.console.redrive import select_letters as choose
from hub.console.scope import visible_refs
from hub.errors import ConfigurationError, HubError
from hub.store.dead_letters import (
    UNSEAL_ACTION,
    DeadLetter,
    LetterFilter,
    count_letters,
    get_letter,
    letter_facets,
    letter_history,
    list_letters,
)

if TYPE_CHECKING:
    from hub.console.context import ConsoleContext

routes = web.RouteTableDef()
SCOPED_READ_CAP = 5000  # letters read per list request for a scoped user (filtered here)


def _ctx(request: web.Request) -> ConsoleContext:
    from hub.console.api import CTX

    return request.app[CTX]


def _hours(value: Any, name: str) -> timedelta | None:
    if value in (None, ""):
        return None
    try:
        return timedelta(hours=float(value))
    except (TypeError, ValueError) as exc:
        raise ConfigurationError(f"{name} must be a number of hours") from exc


def letter_filter(query: Any) -> LetterFilter:
    """A ``LetterFilter`` from query parameters (or a JSON body)."""
    return LetterFilter(status=query.get("status") or None,
                        source_topic=query.get("topic") or None,
                        error_type=query.get("error_type") or None,
                        kind=query.get("kind") or None,
                        case_ref=query.get("case_ref") or None,
                        older_than=_hours(query.get("older_than_h"), "older_than_h"),
                        newer_than=_hours(query.get("newer_than_h"), "newer_than_h"))


async def _in_scope(request: web.Request, letters: Sequence[DeadLetter]) -> None:
    """Refuse (403, audited) when a scoped user asks for a letter outside their gemeenten."""
    user = request[USER]
    if not user.scoped:
        return
    ctx = _ctx(request)
    refs = await asyncio.to_thread(visible_refs, ctx.engine, user, [x.case_ref for x in letters])
    outside = [x.letter_id for x in letters if x.case_ref not in refs]
    if outside:
        await asyncio.to_thread(ctx.store.audit, f"console:{user.name}", "console.refused",
                                "dead_letter", ",".join(outside)[:400],
                                new={"reason": "out of scope", "gemeenten": list(user.gemeenten)})
        raise _error(web.HTTPForbidden, "this dead letter is not in your gemeenten")


def _filtered(ctx: ConsoleContext, user: Any, flt: LetterFilter, text: str, limit: int,
              offset: int) -> dict[str, Any]:
    """The list for a scoped user or a free-text search: filtered here, then paged."""
    rows = list_letters(ctx.engine, flt, limit=SCOPED_READ_CAP)
    if user.scoped:
        refs = visible_refs(ctx.engine, user, [x.case_ref for x in rows])
        rows = [x for x in rows if x.case_ref in refs]
    if text:
        rows = [x for x in rows if text in f"{x.error_type} {x.error_message}".lower()]
    facets = {name: dict(Counter(str(getattr(x, field)) for x in rows)) for name, field in (
        ("source_topics", "source_topic"), ("error_types", "error_type"),
        ("statuses", "status"), ("kinds", "kind"))}
    return {"dead_letters": [x.as_json() for x in rows[offset:offset + limit]],
            "total": len(rows), "facets": facets}


def detail(ctx: ConsoleContext, letter: DeadLetter) -> dict[str, Any]:
    """A letter for its detail view: fields, history, chain, masked original, actions."""
    try:
        redrive_to: str | None = how_redriven(letter)
        refusal = None
    except ConfigurationError as exc:
        redrive_to, refusal = None, str(exc)
    open_ = letter.status not in ("resolved", "discarded")
    return {**letter.as_json(),
            "history": [{**vars(h), "at": h.at.isoformat()}
                        for h in letter_history(ctx.engine, letter.letter_id)],
            "original": masked_original(letter, ctx.runtime.codec, ctx.runtime.cipher),
            "actions": {"redrive": open_ and redrive_to is not None, "redrive_to": redrive_to,
                        "redrive_refused": refusal, "resolve": open_,
                        "unseal": letter.sealed}}


@routes.get("/api/dead-letters")
async def dead_letters(request: web.Request) -> web.Response:
    """Dead letters from the store, newest first, with their total and filter facets."""
    ctx = _ctx(request)
    try:
        flt = letter_filter(request.query)
        limit = min(500, int(request.query.get("limit", 200)))
        offset = max(0, int(request.query.get("offset", 0)))
    except (ConfigurationError, ValueError) as exc:
        raise _error(web.HTTPBadRequest, str(exc)) from exc

    user, text = request[USER], (request.query.get("q") or "").strip().lower()

    def read() -> dict[str, Any]:
        if user.scoped or text:
            return _filtered(ctx, user, flt, text, limit, offset)
        return {"dead_letters": [x.as_json() for x in list_letters(
                    ctx.engine, flt, limit=limit, offset=offset)],
                "total": count_letters(ctx.engine, flt),
                "facets": vars(letter_facets(ctx.engine))}
    return web.json_response(await asyncio.to_thread(read))


@routes.get("/api/dead-letters/one")
async def dead_letter(request: web.Request) -> web.Response:
    """One dead letter's detail (original masked)."""
    ctx = _ctx(request)
    letter = await asyncio.to_thread(get_letter, ctx.engine, request.query.get("id", ""))
    if letter is None:
        raise _error(web.HTTPNotFound, "no such dead letter")
    await _in_scope(request, [letter])
    return web.json_response(await asyncio.to_thread(detail, ctx, letter))


def _selection(body: dict[str, Any]) -> Selection:
    return Selection(ids=tuple(str(x) for x in body.get("ids") or ()),
                     topic=body.get("topic") or None, error_type=body.get("error_type") or None,
                     older_than=_hours(body.get("older_than_h"), "older_than_h"),
                     every=bool(body.get("all")),
                     include_redriven=bool(body.get("include_redriven")))


async def _act(request: web.Request, action: str) -> web.Response:
    body = await read_json(request)
    user = await _require(request, "operator", "dead_letter",
                          ",".join(map(str, body.get("ids") or ()))
                          or ("all" if body.get("all") else action))
    ctx = _ctx(request)
    actor = f"console:{user.name}"
    if user.scoped and not body.get("ids"):
        await asyncio.to_thread(ctx.store.audit, actor, "console.refused", "dead_letter", action,
                                new={"reason": "out of scope: bulk selection",
                                     "gemeenten": list(user.gemeenten)})
        raise _error(web.HTTPForbidden, "a user limited to gemeenten selects letters by id")
    try:
        reason = check_reason(body.get("reason"))
        chosen = await asyncio.to_thread(choose, ctx.store, _selection(body))
        await _in_scope(request, chosen)
        if body.get("dry_run"):
            return web.json_response({"dry_run": True, "would": [x.letter_id for x in chosen]})
        if action == "resolve":
            done = await asyncio.to_thread(resolve, chosen, reason=reason, actor=actor,
                                           store=ctx.store)
            return web.json_response({"resolved": done})
        sent = await asyncio.to_thread(
            redrive, chosen, reason=reason, actor=actor, bootstrap=ctx.hub.kafka_bootstrap,
            suffix=ctx.hub.topic_suffix, store=ctx.store)
    except ConfigurationError as exc:
        return web.json_response({"error": str(exc)}, status=400)
    except HubError as exc:
        return web.json_response({"error": str(exc)}, status=503)
    return web.json_response({"redriven": [vars(d) for d in sent]})


@routes.post("/api/dead-letters/redrive")
async def redrive_letters(request: web.Request) -> web.Response:
    """Re-drive letters per their kind; operators and admins only."""
    return await _act(request, "redrive")


@routes.post("/api/dead-letters/resolve")
async def resolve_letters(request: web.Request) -> web.Response:
    """Resolve letters without re-drive (discard), with a reason; operators and admins."""
    return await _act(request, "resolve")


@routes.post("/api/dead-letters/unseal")
async def unseal_letter(request: web.Request) -> web.Response:
    """An edge letter's partner payload as it came; admins only, reason required, audited."""
    body = await read_json(request)
    letter_id = str(body.get("id") or "")
    user = await _require(request, "admin", "dead_letter", letter_id)
    ctx = _ctx(request)
    try:
        reason = check_reason(body.get("reason"))
    except ConfigurationError as exc:
        return web.json_response({"error": str(exc)}, status=400)
    letter = await asyncio.to_thread(get_letter, ctx.engine, letter_id)
    if letter is None or not letter.sealed:
        raise _error(web.HTTPNotFound, "no sealed dead letter with that id")
    await _in_scope(request, [letter])
    await asyncio.to_thread(ctx.store.audit_dead_letter, letter_id, actor=f"console:{user.name}",
                            action=UNSEAL_ACTION, reason=reason)
    return web.json_response({"id": letter_id,
                              "original": unsealed(letter, ctx.runtime.cipher)})


def add_routes(app: web.Application) -> None:
    """Register the dead-letter routes."""
    app.add_routes(routes)
