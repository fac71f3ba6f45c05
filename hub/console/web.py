"""The console's aiohttp application: login, sessions, CSRF, roles, pages, ``/metrics``.

Anonymous requests reach exactly three things: ``GET /healthz`` (200 "ok"), the login form
``GET /login`` (static, no data) and ``POST /api/login``. Everything else, the JSON API and
``/metrics`` included, needs a session cookie (HttpOnly, SameSite=Strict); ``/metrics``
also accepts ``Authorization: Bearer <HUB_CONSOLE_METRICS_TOKEN>`` when that is set.
Every state-changing request must carry ``X-CSRF-Token`` equal to the session's CSRF token
(handed to the page in the ``hub_csrf`` cookie) and, when the browser sends one, an
``Origin`` of this host; the login itself must be JSON from this origin. Failed logins are
throttled per account and per client address (``throttle.py``: 429 with ``Retry-After``).
Every answer, redirects, 404s and errors included, carries CSP, X-Frame-Options,
X-Content-Type-Options and Referrer-Policy (``on_response_prepare``).
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import logging
import re
from collections.abc import Awaitable, Callable
from importlib.resources import files
from urllib.parse import urlsplit

from aiohttp import web

from hub.console import api
from hub.console.auth import csrf_matches, login_label
from hub.console.config import ConsoleSettings
from hub.console.context import ConsoleContext
from hub.console.keys import CSRF_DIGEST, CTX, USER
from hub.console.metrics import CONTENT_TYPE
from hub.console.throttle import LoginThrottle, Schedule, Verdict

log = logging.getLogger(__name__)
SESSION_COOKIE = "hub_session"
CSRF_COOKIE = "hub_csrf"
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
THROTTLE = web.AppKey("throttle", LoginThrottle)
_ANONYMOUS = {("GET", "/healthz"), ("HEAD", "/healthz"), ("GET", "/login"),
              ("POST", "/api/login")}
_SAFE = {"GET", "HEAD", "OPTIONS"}
_STATIC = files("hub.console") / "static"
_LOGIN_HTML = (_STATIC / "login.html").read_text()
_LOGIN_JS = _LOGIN_HTML.split("<script>", 1)[1].split("</script>", 1)[0]
_LOGIN_CSS = _LOGIN_HTML.split("<style>", 1)[1].split("</style>", 1)[0]


def _sha256(text: str) -> str:
    return "sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode()


_CSP = "default-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'"


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Authenticate, check CSRF and origin (security headers: ``_security_headers``)."""
    if (request.method, request.path) not in _ANONYMOUS:
        problem = await _authenticate(request)
        if problem is not None:
            return problem
        if request.method not in _SAFE and not _csrf_ok(request):
            return web.json_response({"error": "CSRF token missing or wrong"}, status=403)
    elif request.method == "POST" and not _same_origin(request):
        return web.json_response({"error": "cross-origin login refused"}, status=403)
    return await handler(request)


async def _authenticate(request: web.Request) -> web.StreamResponse | None:
    ctx: ConsoleContext = request.app[CTX]
    if request.path == "/metrics" and _bearer_ok(request, ctx.settings.metrics_token):
        return None
    token = request.cookies.get(SESSION_COOKIE)
    found = await asyncio.to_thread(ctx.accounts.session_user, token) if token else None
    if found is None:
        if request.path.startswith(("/api/", "/metrics")):
            return web.json_response({"error": "login required"}, status=401)
        raise web.HTTPFound("/login")
    request[USER], request[CSRF_DIGEST] = found
    return None


def _bearer_ok(request: web.Request, token: str) -> bool:
    given = request.headers.get("Authorization", "")
    return bool(token) and hmac.compare_digest(given.encode(), f"Bearer {token}".encode())


def _csrf_ok(request: web.Request) -> bool:
    return _same_origin(request) and csrf_matches(request.get(CSRF_DIGEST, ""),
                                                  request.headers.get("X-CSRF-Token"))


def _same_origin(request: web.Request) -> bool:
    origin = request.headers.get("Origin")
    return origin is None or urlsplit(origin).netloc == request.host


async def _security_headers(_request: web.Request, response: web.StreamResponse) -> None:
    """On every answer as it is sent: handlers' ones, redirects, aiohttp's 404/405 and 500s."""
    response.headers.setdefault("Content-Security-Policy", _CSP)  # the login page sets its own
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers.setdefault("Cache-Control", "no-store")


async def healthz(_request: web.Request) -> web.Response:
    """Liveness for container health checks: 200 "ok", nothing else."""
    return web.Response(text="ok")


async def login_page(_request: web.Request) -> web.Response:
    """The login form (static; its inline script and style are allowed by hash)."""
    response = web.Response(text=_LOGIN_HTML, content_type="text/html")
    response.headers["Content-Security-Policy"] = (
        f"{_CSP}; script-src '{_sha256(_LOGIN_JS)}'; style-src '{_sha256(_LOGIN_CSS)}'")
    return response


async def login(request: web.Request) -> web.Response:
    """JSON {name, password} -> session and CSRF cookies; throttled and audited."""
    ctx: ConsoleContext = request.app[CTX]
    throttle = request.app[THROTTLE]
    if request.content_type != "application/json":
        return web.json_response({"error": "send JSON"}, status=415)
    body = await api.read_json(request)
    name, password = str(body.get("name", "")), str(body.get("password", ""))
    remote = request.remote or "unknown"
    verdict = throttle.check(name, remote)
    if not verdict.allowed:  # refused before the password is even looked at
        await _audit_login(ctx, name, "console.login_throttled", remote, verdict)
        return _too_many(verdict)
    user = await asyncio.to_thread(ctx.accounts.authenticate, name, password)
    if user is None:
        locked = throttle.failed(name, remote)
        after = throttle.check(name, remote)
        await _audit_login(ctx, name, "console.login_locked" if locked
                           else "console.login_failed", remote, after)
        response = web.json_response({"error": "wrong name or password"}, status=401)
        if not after.allowed:
            response.headers["Retry-After"] = str(after.retry_after_s)
        return response
    throttle.succeeded(name)
    await asyncio.to_thread(ctx.store.audit, f"console:{user.name}", "console.login",
                            "console_user", user.name, new={"remote": remote})
    new = await asyncio.to_thread(ctx.accounts.open_session, user)
    response = web.json_response({"name": user.name, "role": user.role})
    max_age = ctx.settings.session_minutes * 60
    secure = ctx.settings.secure_cookies
    response.set_cookie(SESSION_COOKIE, new.token, max_age=max_age, httponly=True,
                        samesite="Strict", secure=secure, path="/")
    response.set_cookie(CSRF_COOKIE, new.csrf, max_age=max_age, httponly=False,
                        samesite="Strict", secure=secure, path="/")
    return response


async def _audit_login(ctx: ConsoleContext, name: str, action: str, remote: str,
                       verdict: Verdict) -> None:
    """An audit row and a log line for a refused login: the name only as ``login_label``."""
    known = await asyncio.to_thread(ctx.accounts.known, name)
    label = login_label(name, known=known, key=ctx.hub.case_ref_key)
    detail = {"remote": remote, "retry_after_s": verdict.retry_after_s,
              "held_by": verdict.held_by or None}
    await asyncio.to_thread(ctx.store.audit, f"console:{label}", action, "console_user", label,
                            new=detail)
    log.warning("%s name=%s remote=%s retry_after_s=%d", action.replace(".", "_"), label,
                remote, verdict.retry_after_s)


def _too_many(verdict: Verdict) -> web.Response:
    what = "locked for a while" if verdict.locked else "slowed down"
    response = web.json_response(
        {"error": f"too many failed logins: {what}; try again in {verdict.retry_after_s} s"},
        status=429)
    response.headers["Retry-After"] = str(verdict.retry_after_s)
    return response


def _throttle(settings: ConsoleSettings) -> LoginThrottle:
    lock_s = settings.login_lock_minutes * 60
    return LoginThrottle(
        Schedule(settings.login_free_failures, settings.login_delay_s,
                 settings.login_lock_after, lock_s),
        Schedule(settings.address_free_failures, settings.login_delay_s,
                 settings.address_lock_after, lock_s))


async def logout(request: web.Request) -> web.Response:
    """End the session."""
    ctx: ConsoleContext = request.app[CTX]
    await asyncio.to_thread(ctx.accounts.close_session, request.cookies[SESSION_COOKIE])
    response = web.json_response({"ok": True})
    response.del_cookie(SESSION_COOKIE, path="/")
    response.del_cookie(CSRF_COOKIE, path="/")
    return response


async def metrics(request: web.Request) -> web.Response:
    """Prometheus exposition of the latest snapshot."""
    ctx: ConsoleContext = request.app[CTX]
    await ctx.sampler.snapshot(max_age_s=ctx.settings.sample_every_s)
    return web.Response(body=ctx.metrics.render(), headers={"Content-Type": CONTENT_TYPE})


async def page(request: web.Request) -> web.Response:
    """The console page (after login)."""
    return web.Response(text=(_STATIC / "index.html").read_text(), content_type="text/html")


async def letter_page(request: web.Request) -> web.Response:
    """One dead letter's detail and actions (after login; ``?id=<letter id>``)."""
    return web.Response(text=(_STATIC / "dead-letter.html").read_text(),
                        content_type="text/html")


_KINDS = {".js": "application/javascript", ".css": "text/css", ".html": "text/html"}
_NAME = re.compile(r"[a-z][a-z0-9-]*\.(js|css|html)")


async def static(request: web.Request) -> web.Response:
    """The console's scripts, style sheet and pages (after login; only files of static/)."""
    name = request.match_info["name"]
    if not _NAME.fullmatch(name) or name == "login.html" or not (_STATIC / name).is_file():
        raise web.HTTPNotFound()
    kind = _KINDS["." + name.rsplit(".", 1)[1]]
    return web.Response(text=(_STATIC / name).read_text(), content_type=kind)


def make_app(ctx: ConsoleContext) -> web.Application:
    """The console application around a ready ``ConsoleContext``."""
    app = web.Application(middlewares=[guard], client_max_size=256 * 1024)
    app[CTX] = ctx
    app[THROTTLE] = _throttle(ctx.settings)
    app.on_response_prepare.append(_security_headers)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/login", login_page)
    app.router.add_post("/api/login", login)
    app.router.add_post("/api/logout", logout)
    app.router.add_get("/metrics", metrics)
    app.router.add_get("/", page)
    app.router.add_get("/dead-letter", letter_page)
    app.router.add_get("/static/{name}", static)
    api.add_routes(app)
    app.on_startup.append(_start_sampling)
    app.on_cleanup.append(_stop)
    return app


async def _start_sampling(app: web.Application) -> None:
    ctx: ConsoleContext = app[CTX]
    await ctx.start()
    ctx.task = asyncio.create_task(ctx.sample_forever())


async def _stop(app: web.Application) -> None:
    await app[CTX].close()
