"""The one HTTP client of the connectors (aiohttp), with the rules that keep a partner honest.

* **Origin.** A ``PartnerHttp`` fetches only URLs whose scheme, host and port equal its base
  URL's; anything else (a ``resourceUrl`` or invoice ``url`` on another host, a redirect there)
  is a ``ForeignOrigin`` refusal and nothing is sent, so the partner's token never leaves for
  another origin. URLs with user info are refused too.
* **Redirects.** Followed only for GET/HEAD, only within the origin, at most ``max_redirects``.
* **Time.** Connect, per-read and whole-request timeouts (``HttpLimits``).
* **Size.** A ``Content-Length`` over ``max_bytes`` is refused before reading; otherwise at most
  ``max_bytes + 1`` bytes are read (after decompression), then ``PayloadTooLarge``.

Errors map to the hub's tree: connection failures, timeouts, 5xx, 404, 408, 425 and 429 are
``UpstreamUnavailable`` (try again later); other 4xx and unexpected statuses are
``UpstreamRejected``. Texts name the URL without its query string, never a token.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from types import TracebackType
from typing import Any, Protocol

import aiohttp
from yarl import URL

from connectors.kit.jsonread import read_json
from hub.errors import ForeignOrigin, PayloadTooLarge, UpstreamRejected, UpstreamUnavailable

RETRYABLE = {404, 408, 425, 429}
REDIRECTS = {301, 302, 303, 307, 308}
MiB = 1024 * 1024
_CHUNK = 64 * 1024


@dataclass(frozen=True)
class HttpLimits:
    """Timeouts (seconds) and the answer size cap (bytes) for one partner."""

    connect_s: float = 5.0
    read_s: float = 10.0
    total_s: float = 30.0
    max_bytes: int = 10 * MiB
    max_redirects: int = 3

    def timeout(self) -> aiohttp.ClientTimeout:
        """The aiohttp timeout."""
        return aiohttp.ClientTimeout(total=self.total_s, connect=self.connect_s,
                                     sock_connect=self.connect_s, sock_read=self.read_s)


class HttpSettings(Protocol):
    """The HTTP settings every partner with an API has (``HUB_<PARTNER>_*``)."""

    @property
    def timeout_s(self) -> float:
        """One request, body included."""

    @property
    def connect_timeout_s(self) -> float:
        """Establishing the connection."""

    @property
    def max_response_bytes(self) -> int:
        """The answer size cap."""


def limits_for(settings: HttpSettings) -> HttpLimits:
    """The ``HttpLimits`` of a partner's settings."""
    return HttpLimits(connect_s=min(settings.connect_timeout_s, settings.timeout_s),
                      read_s=settings.timeout_s, total_s=settings.timeout_s,
                      max_bytes=settings.max_response_bytes)


@dataclass(frozen=True)
class Reply:
    """Status and body of a response, and the URL that gave it (after redirects)."""

    status: int
    body: bytes
    url: str


Origin = tuple[str, str, int]


def origin_of(url: str) -> Origin | None:
    """(scheme, host, port) of an absolute http(s) URL without user info; else None."""
    try:
        parsed = URL(url)
    except (ValueError, TypeError):
        return None
    if parsed.scheme not in ("http", "https") or not parsed.host or parsed.user is not None \
            or parsed.password is not None or parsed.port is None:
        return None
    return parsed.scheme, parsed.host.lower(), parsed.port


def safe(url: str) -> str:
    """The URL without query string or fragment (they may carry identifying data), capped."""
    return url.split("?", 1)[0].split("#", 1)[0][:200]


class HttpSession:
    """One aiohttp session shared by a connector's partners; use as an async context manager."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    async def __aenter__(self) -> HttpSession:
        # trust_env off: proxy variables must not reroute partner traffic (or its token)
        self._session = aiohttp.ClientSession(trust_env=False)
        return self

    async def __aexit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                        tb: TracebackType | None) -> None:
        if self._session is not None:
            await self._session.close()

    def partner(self, base_url: str, token: str = "", limits: HttpLimits | None = None
                ) -> PartnerHttp:
        """A client for the partner at ``base_url`` (its origin is the only one it reaches)."""
        if self._session is None:
            raise RuntimeError("HttpSession used outside 'async with'")
        return PartnerHttp(self._session, base_url, token, limits or HttpLimits())


class PartnerHttp:
    """Requests to one partner origin, with its bearer token and limits."""

    def __init__(self, session: aiohttp.ClientSession, base_url: str, token: str,
                 limits: HttpLimits) -> None:
        found = origin_of(base_url)
        if found is None:
            raise UpstreamRejected(f"{safe(base_url)}: not an absolute http(s) URL")
        self._session, self.base_url, self._token = session, base_url.rstrip("/"), token
        self.origin, self.limits = found, limits

    def url(self, path: str) -> str:
        """``path`` under the base URL."""
        return self.base_url + path

    def _headers(self, accept: str, has_body: bool) -> dict[str, str]:
        headers = {"Accept": accept}
        if self._token:
            token = self._token
            headers["Authorization"] = token if " " in token else f"Bearer {token}"
        if has_body:
            headers["Content-Type"] = "application/json"
        return headers

    def check(self, url: str, what: str = "URL") -> None:
        """``ForeignOrigin`` unless ``url`` is on this partner's origin."""
        if origin_of(url) != self.origin:
            raise ForeignOrigin(f"{what} {safe(url)} is not on the partner's origin "
                                f"{self.origin[0]}://{self.origin[1]}:{self.origin[2]}; "
                                "not fetched")

    async def request(self, method: str, url: str, *, body: Any = None,
                      accept: str = "application/json") -> Reply:
        """One request (same-origin redirects followed for GET); our errors for non-2xx."""
        data = None if body is None else json.dumps(body, default=str).encode()
        headers = self._headers(accept, data is not None)
        for _hop in range(self.limits.max_redirects + 1):
            self.check(url)
            try:
                async with self._session.request(
                        method, url, data=data, headers=headers, allow_redirects=False,
                        timeout=self.limits.timeout()) as resp:
                    status = resp.status
                    if status in REDIRECTS:
                        url = self._redirect(method, url, resp)
                        continue
                    _check_status(method, url, status)
                    payload = await read_capped(resp, self.limits.max_bytes, safe(url))
            except (aiohttp.ClientError, TimeoutError, OSError) as exc:
                raise UpstreamUnavailable(f"{method} {safe(url)}: {type(exc).__name__}"
                                          ) from exc
            return Reply(status, payload, url)
        raise UpstreamRejected(f"{method} {safe(url)}: more than "
                               f"{self.limits.max_redirects} redirects")

    def _redirect(self, method: str, url: str, resp: aiohttp.ClientResponse) -> str:
        location = resp.headers.get("Location", "")
        if method not in ("GET", "HEAD") or not location:
            raise UpstreamRejected(f"{method} {safe(url)}: HTTP {resp.status} redirect not "
                                   "followed")
        target = str(URL(url).join(URL(location)))
        self.check(target, f"redirect from {safe(url)} to")
        return target

    async def get_json(self, url: str) -> Any:
        """GET ``url`` and read its JSON body (typed refusals: size, depth, not JSON)."""
        reply = await self.request("GET", url)
        return read_json(reply.body, what=safe(url), max_bytes=self.limits.max_bytes)


def _check_status(method: str, url: str, status: int) -> None:
    if status >= 500 or status in RETRYABLE:
        raise UpstreamUnavailable(f"{method} {safe(url)}: HTTP {status}")
    if status >= 300 or status < 200:
        raise UpstreamRejected(f"{method} {safe(url)}: HTTP {status}")


async def read_capped(resp: aiohttp.ClientResponse, max_bytes: int, what: str) -> bytes:
    """The body, refusing more than ``max_bytes`` (declared or read); at most limit + 1 read."""
    declared = resp.content_length
    if declared is not None and declared > max_bytes:
        resp.close()
        raise PayloadTooLarge(f"{what}: Content-Length {declared} is over the "
                              f"{max_bytes}-byte limit")
    body = await read_stream(resp.content, max_bytes)
    if body is None:
        resp.close()  # do not drain the rest: drop the connection
        raise PayloadTooLarge(f"{what}: answer over the {max_bytes}-byte limit")
    return body


async def read_stream(stream: aiohttp.StreamReader, max_bytes: int) -> bytes | None:
    """Everything up to EOF, or None once more than ``max_bytes`` arrived (limit + 1 read)."""
    chunks: list[bytes] = []
    got = 0
    while True:
        chunk = await stream.read(min(_CHUNK, max_bytes + 1 - got))
        if not chunk:
            return b"".join(chunks)
        got += len(chunk)
        if got > max_bytes:
            return None
        chunks.append(chunk)
