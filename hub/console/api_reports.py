"""``/api/reports``: the nightly reports for download, per gemeente for a limited user (R26).

The worker writes the report of every gemeente each night into the report folder
(``HUB_REPORT_DIR``, else ``var/reports``). A user limited to gemeenten sees and downloads
only the reports made for one of their gemeenten (``aansluitrapport-<date>-<gemeente>.*``) and
may have today's made (``POST /api/reports/generate``, the same ``run_nightly`` as ``hub report
nightly --gemeente``); everything else is refused and audited. Downloads are audited too.
"""

from __future__ import annotations

import asyncio
import json
import re
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from aiohttp import web

from hub.console.api import read_json
from hub.console.auth import User
from hub.console.keys import CTX, USER
from hub.errors import HubError

routes = web.RouteTableDef()
_NAME = re.compile(r"aansluitrapport-(\d{4}-\d\d-\d\d)(?:-(\d{4}))?(?:-[a-z_]+)?\.(html|xlsx|csv)")
_KINDS = {"html": "text/html", "xlsx": "application/vnd.openxmlformats-officedocument."
          "spreadsheetml.sheet", "csv": "text/csv"}


def folder(ctx: Any) -> Path:
    """The report folder (as the worker's ``hub.agents.report.report_dir``)."""
    configured = ctx.hub.report_dir
    return Path(configured) if configured else ctx.hub.var_dir / "reports"


def entry(path: Path) -> dict[str, Any] | None:
    """A report file's day, gemeente (None: every gemeente) and kind, or None if not one."""
    found = _NAME.fullmatch(path.name)
    if found is None:
        return None
    return {"name": path.name, "day": found.group(1), "gemeente": found.group(2),
            "kind": found.group(3), "bytes": path.stat().st_size}


def allowed(user: User, item: dict[str, Any]) -> bool:
    """Unscoped users get every report; scoped ones those made for one of their gemeenten."""
    return not user.scoped or item["gemeente"] in user.gemeenten


def listing(ctx: Any, user: User) -> list[dict[str, Any]]:
    """The reports the user may download, newest day first."""
    where = folder(ctx)
    items = [e for p in (where.iterdir() if where.is_dir() else ()) if (e := entry(p))]
    return sorted((e for e in items if allowed(user, e)),
                  key=lambda e: (e["day"], e["gemeente"] or "", e["name"]), reverse=True)


async def _refuse(request: web.Request, what: str, why: str) -> web.Response:
    user = request[USER]
    await asyncio.to_thread(request.app[CTX].store.audit, f"console:{user.name}",
                            "console.refused", "report", what[:400],
                            new={"reason": why, "gemeenten": list(user.gemeenten)})
    return web.json_response({"error": why}, status=403)


@routes.get("/api/reports")
async def reports(request: web.Request) -> web.Response:
    """The downloadable reports and the gemeenten the user may have a report made for."""
    user = request[USER]
    found = await asyncio.to_thread(listing, request.app[CTX], user)
    return web.json_response({"reports": found, "gemeenten": list(user.gemeenten)})


@routes.get("/api/reports/file/{name}")
async def report_file(request: web.Request) -> web.StreamResponse:
    """One report file; refused (and audited) outside the user's gemeenten."""
    ctx, user = request.app[CTX], request[USER]
    name = request.match_info["name"]
    path = folder(ctx) / name
    item = entry(path) if _NAME.fullmatch(name) and path.is_file() else None
    if item is None:
        return web.json_response({"error": "no such report"}, status=404)
    if not allowed(user, item):
        return await _refuse(request, name, "out of scope")
    await asyncio.to_thread(ctx.store.audit, f"console:{user.name}", "report.download",
                            "report", name)
    return web.FileResponse(path, headers={
        "Content-Type": _KINDS[item["kind"]],
        "Content-Disposition": f'attachment; filename="{name}"'})


def _generate(ctx: Any, gemeente: str) -> list[str]:
    from hub.report.collect import Options
    from hub.report.nightly import run_nightly

    day = datetime.now(ZoneInfo(ctx.hub.report_timezone)).date()
    result = run_nightly(ctx.hub.effective_database_url, Options(day, gemeente=gemeente),
                         folder(ctx), ctx.runtime.reconciler.tables)
    return [p.name for p in result.paths]


@routes.post("/api/reports/generate")
async def generate(request: web.Request) -> web.Response:
    """Make today's report for one gemeente (a scoped user: one of theirs)."""
    user = request[USER]
    gemeente = str((await read_json(request)).get("gemeente") or "")
    if not re.fullmatch(r"\d{4}", gemeente):
        return web.json_response({"error": "gemeente: a 4-digit CBS code"}, status=400)
    if user.scoped and gemeente not in user.gemeenten:
        return await _refuse(request, gemeente, "out of scope")
    try:
        names = await asyncio.to_thread(_generate, request.app[CTX], gemeente)
    except (HubError, ValueError) as exc:  # ReportInputError: a gemeente the store does not know
        return web.json_response({"error": str(exc)}, status=400)
    await asyncio.to_thread(request.app[CTX].store.audit, f"console:{user.name}",
                            "report.generate", "report", gemeente, new={"files": len(names)})
    return web.json_response({"files": names}, dumps=json.dumps)


def add_routes(app: web.Application) -> None:
    """Register these routes."""
    app.add_routes(routes)
