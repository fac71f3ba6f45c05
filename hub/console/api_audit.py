"""``/api/audit``: the audit trail for admins, filtered and paged; ``format=csv`` downloads it.

Query: ``actor``, ``action``, ``entity``, ``entity_id``, ``since``/``until`` (ISO 8601 dates or
moments, Europe/Amsterdam when no offset is given), ``before_id``, ``limit``. Non-admins are
refused (audited). A CSV download is itself audited (``audit.export``, with the filter).
"""

from __future__ import annotations

import asyncio
import json
from datetime import datetime
from typing import Any

from aiohttp import web

from hub.console import audit_reads
from hub.console.api import _error, _require
from hub.console.keys import CTX
from hub.errors import ConfigurationError

routes = web.RouteTableDef()


def _dumps(value: Any) -> str:
    return json.dumps(value, default=str)


def _moment(text: str, name: str) -> datetime | None:
    try:
        return audit_reads.parse_moment(text, name)
    except ConfigurationError as exc:
        raise _error(web.HTTPBadRequest, str(exc)) from exc


def filter_of(q: Any) -> audit_reads.AuditFilter:
    """The filter from the query string (400 when it does not parse)."""
    try:
        before = int(q["before_id"]) if q.get("before_id") else None
        limit = int(q.get("limit") or 200)
    except ValueError as exc:
        raise _error(web.HTTPBadRequest, "before_id and limit are whole numbers") from exc
    return audit_reads.AuditFilter(
        actor=q.get("actor", ""), action=q.get("action", ""), entity=q.get("entity", ""),
        entity_id=q.get("entity_id", ""), since=_moment(q.get("since", ""), "since"),
        until=_moment(q.get("until", ""), "until"), before_id=before, limit=limit)


@routes.get("/api/audit")
async def audit(request: web.Request) -> web.StreamResponse:
    """Audit rows, newest first; admins only; scoped per gemeente (R26)."""
    user = await _require(request, "admin", "audit", request.path_qs[:400])
    ctx = request.app[CTX]
    flt = filter_of(request.query)
    rows = await asyncio.to_thread(audit_reads.scoped_rows, ctx.engine, user, flt)
    if request.query.get("format") != "csv":
        return web.json_response({"rows": rows,
                                  "next_before_id": rows[-1]["id"] if rows else None},
                                 dumps=_dumps)
    await asyncio.to_thread(ctx.store.audit, f"console:{user.name}", "audit.export", "audit",
                            "csv", new={"rows": len(rows), "query": dict(request.query)})
    text = await asyncio.to_thread(audit_reads.to_csv, rows)
    return web.Response(text=text, content_type="text/csv", charset="utf-8", headers={
        "Content-Disposition": 'attachment; filename="audit.csv"'})


def add_routes(app: web.Application) -> None:
    """Register these routes."""
    app.add_routes(routes)
