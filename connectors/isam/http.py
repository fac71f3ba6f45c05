"""The only HTTP I/O of the ISAM and Kredietbank connectors: aiohttp, errors mapped to ours.

Connection failures, timeouts, 5xx, 404 and 429 are ``UpstreamUnavailable`` (try again later:
with information-poor notifications a resource may not be readable yet); other 4xx are
``UpstreamRejected``. Bodies that are not the JSON we expect are ``InvalidField``.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from types import TracebackType
from typing import Any

import aiohttp

from hub.errors import InvalidField, UpstreamRejected, UpstreamUnavailable

RETRYABLE = {404, 408, 425, 429}


@dataclass(frozen=True)
class Reply:
    """Status and body of a response."""

    status: int
    body: bytes


class HttpClient:
    """A bearer-token HTTP client with a timeout; use as an async context manager."""

    def __init__(self, token: str = "", timeout_s: float = 5.0) -> None:
        self._token = token
        self._timeout = aiohttp.ClientTimeout(total=timeout_s)
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> HttpClient:
        self._session = aiohttp.ClientSession(timeout=self._timeout)
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        if self._session is not None:
            await self._session.close()

    def _headers(self, token: str | None) -> dict[str, str]:
        token = self._token if token is None else token
        headers = {"Accept": "application/json"}
        if token:
            headers["Authorization"] = token if " " in token else f"Bearer {token}"
        return headers

    async def request(self, method: str, url: str, *, body: Any = None,
                      token: str | None = None, accept: str | None = None) -> Reply:
        """One request; raises our errors for anything but 2xx."""
        if self._session is None:
            raise RuntimeError("HttpClient used outside 'async with'")
        headers = self._headers(token)
        if accept:
            headers["Accept"] = accept
        data = None if body is None else json.dumps(body, default=str).encode()
        if data is not None:
            headers["Content-Type"] = "application/json"
        try:
            async with self._session.request(method, url, data=data, headers=headers) as resp:
                payload = await resp.read()
                status = resp.status
        except (aiohttp.ClientError, TimeoutError, OSError) as exc:
            raise UpstreamUnavailable(f"{method} {_safe(url)}: {type(exc).__name__}") from exc
        if status >= 500 or status in RETRYABLE:
            raise UpstreamUnavailable(f"{method} {_safe(url)}: HTTP {status}")
        if status >= 400:
            raise UpstreamRejected(f"{method} {_safe(url)}: HTTP {status}")
        return Reply(status, payload)

    async def get_json(self, url: str) -> Any:
        """GET ``url`` and decode its JSON body."""
        reply = await self.request("GET", url)
        try:
            return json.loads(reply.body)
        except ValueError:
            raise InvalidField(_safe(url), "response is not JSON") from None


def _safe(url: str) -> str:
    """The URL without its query string (which might carry identifying data)."""
    return url.split("?", 1)[0][:200]
