"""The keys the console's handlers share: the context on the app, the user on the request."""

from __future__ import annotations

from typing import TYPE_CHECKING

from aiohttp import web

from hub.console.auth import User

if TYPE_CHECKING:
    from hub.console.context import ConsoleContext

CTX: web.AppKey[ConsoleContext] = web.AppKey("console", None)
USER: web.RequestKey[User] = web.RequestKey("user", User)
CSRF_DIGEST: web.RequestKey[str] = web.RequestKey("csrf_digest", str)
