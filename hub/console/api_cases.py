"""``/api/cases``: the case page: timeline, readable view, decisions, signals, effect ledger.

Every lookup is audited (``case.lookup``, DOMAIN R23). An admin may find a case by BSN, with a
reason (``case.lookup_by_bsn``; the audit row names the case reference, never the BSN). A user
limited to gemeenten (R26) gets 403 for a case that never lived in one of them (audited as
``console.refused``), and of the others only their periods (``hub.console.scope``).
"""

from __future__ import annotations

import asyncio
import json
from typing import TYPE_CHECKING, Any

from aiohttp import web

from hub.console import case_page
from hub.console.keys import CTX, USER
from hub.console.masking import count_bsns, unmask
from hub.console.redrive import check_reason
from hub.errors import ConfigurationError, InvalidField
from hub.privacy import case_ref, normalise_bsn

if TYPE_CHECKING:
    from hub.console.auth import User
    from hub.console.context import ConsoleContext

routes = web.RouteTableDef()


def _error(status: type[web.HTTPException], message: str) -> web.HTTPException:
    return status(text=json.dumps({"error": message}), content_type="application/json")


async def _refuse(ctx: ConsoleContext, user: User, ref: str, why: dict[str, Any],
                  status: type[web.HTTPException], text: str) -> web.HTTPException:
    await asyncio.to_thread(ctx.store.audit, f"console:{user.name}", "console.refused", "case",
                            ref[:400], new={"role": user.role, **why})
    return _error(status, text)


async def _loaded(ctx: ConsoleContext, user: User, ref: str) -> case_page.Loaded:
    found = await asyncio.to_thread(case_page.load, ctx.store, ref)
    if found.view is None and not found.facts:
        raise _error(web.HTTPNotFound, "no such case")
    if not case_page.allowed(user, found):
        raise await _refuse(ctx, user, ref, {"reason": "out of scope",
                                             "gemeenten": list(user.gemeenten)},
                            web.HTTPForbidden, "this case is not in your gemeenten")
    return found


@routes.get("/api/cases/{case_ref}")
async def case_lookup(request: web.Request) -> web.Response:
    """The case page's data, masked and scoped; the lookup is audited."""
    ctx, user = request.app[CTX], request[USER]
    ref = request.match_info["case_ref"].strip()
    found = await _loaded(ctx, user, ref)
    await asyncio.to_thread(ctx.store.audit, f"console:{user.name}", "case.lookup", "case", ref)
    return web.json_response(case_page.render(user, found))


@routes.post("/api/cases/by-bsn")
async def case_by_bsn(request: web.Request) -> web.Response:
    """Admins: the case reference of a BSN (reason required, audited without the BSN)."""
    from hub.console.api import read_json

    ctx, user = request.app[CTX], request[USER]
    if not user.may("admin"):
        raise await _refuse(ctx, user, "by-bsn", {"needs": "admin"}, web.HTTPForbidden,
                            "needs role admin")
    body = await read_json(request)
    try:
        reason = check_reason(body.get("reason"))
        bsn = normalise_bsn(str(body.get("bsn") or ""))
    except InvalidField as exc:  # before ConfigurationError: both are PermanentError
        raise _error(web.HTTPBadRequest, "not a valid BSN (R20 eleven-test)") from exc
    except ConfigurationError as exc:
        raise _error(web.HTTPBadRequest, str(exc)) from exc
    ref = case_ref(bsn, ctx.hub.case_ref_key)
    try:
        await _loaded(ctx, user, ref)
    except web.HTTPNotFound:  # a BSN was looked up all the same: on the record, unfound
        await asyncio.to_thread(ctx.store.audit, f"console:{user.name}", "case.lookup_by_bsn",
                                "case", ref, reason=reason, new={"found": False})
        raise
    await asyncio.to_thread(ctx.store.audit, f"console:{user.name}", "case.lookup_by_bsn",
                            "case", ref, reason=reason, new={"found": True})
    return web.json_response({"case_ref": ref})


@routes.post("/api/cases/{case_ref}/unmask")
async def case_unmask(request: web.Request) -> web.Response:
    """The case's facts with BSNs decrypted; admins only, reason required, audited."""
    from hub.console.api import read_json

    ctx, user = request.app[CTX], request[USER]
    ref = request.match_info["case_ref"]
    if not user.may("admin"):
        raise await _refuse(ctx, user, ref, {"needs": "admin"}, web.HTTPForbidden,
                            "needs role admin")
    body = await read_json(request)
    try:
        reason = check_reason(body.get("reason"))
    except ConfigurationError as exc:
        return web.json_response({"error": str(exc)}, status=400)
    found = await _loaded(ctx, user, ref)
    view, facts = case_page.scoped_raw(user, found)
    shown = count_bsns(facts) + count_bsns(view)
    await asyncio.to_thread(ctx.store.audit, f"console:{user.name}", "bsn.unmask", "case", ref,
                            new={"bsns_shown": shown}, reason=reason)
    cipher = ctx.runtime.cipher
    return web.json_response({"case_ref": ref, "view": unmask(view, cipher),
                              "facts": unmask(facts, cipher)})


def add_routes(app: web.Application) -> None:
    """Register these routes."""
    app.add_routes(routes)
