"""The kit's HTTP client against fake partners over real loopback sockets: only the configured
origin, redirects only within it, the token never elsewhere, timeouts, and answers capped
(a 400 MiB answer is refused after at most limit + 1 bytes, nothing of its size allocated)."""

from __future__ import annotations

import asyncio
import gzip
import time
from collections.abc import Awaitable, Callable
from typing import Any

import pytest
from aiohttp import web

from connectors.kit.http import HttpLimits, HttpSession, PartnerHttp
from connectors.kit.server import serve_app
from hub.errors import ForeignOrigin, PayloadTooLarge, UpstreamRejected, UpstreamUnavailable
from tests.hostile import Elsewhere, MiB, Streamed, huge_answer

TOKEN = "partner-secret-token"


class Partner:
    """A fake partner whose routes a test fills in; records the Authorization it got."""

    def __init__(self) -> None:
        self.app = web.Application()
        self.auth: list[str] = []
        self.streamed = Streamed()
        self.elsewhere = Elsewhere()

    def route(self, path: str, handler: Callable[[web.Request], Awaitable[web.StreamResponse]],
              method: str = "GET") -> None:
        async def recorded(request: web.Request) -> web.StreamResponse:
            self.auth.append(request.headers.get("Authorization", ""))
            return await handler(request)

        self.app.router.add_route(method, path, recorded)


def _run(partner: Partner, test: Callable[[PartnerHttp, str, Elsewhere], Awaitable[Any]],
         limits: HttpLimits | None = None) -> Any:
    async def go() -> Any:
        elsewhere = partner.elsewhere
        async with elsewhere.serve(), serve_app(partner.app) as base, HttpSession() as http:
            return await test(http.partner(base + "/api", TOKEN, limits), base, elsewhere)

    return asyncio.run(go())


def _json(body: Any, status: int = 200) -> Callable[[web.Request], Awaitable[web.Response]]:
    async def handler(_: web.Request) -> web.Response:
        return web.json_response(body, status=status)

    return handler


def test_the_partner_origin_is_fetched_with_the_token() -> None:
    partner = Partner()
    partner.route("/api/x", _json({"ok": True}))
    assert _run(partner, lambda api, base, _: api.get_json(api.url("/x"))) == {"ok": True}
    assert partner.auth == [f"Bearer {TOKEN}"]


@pytest.mark.parametrize("make_url", [
    lambda base, other: f"{other}/api/x",  # another port is another origin
    lambda base, other: base.replace("http://", "https://") + "/api/x",  # another scheme
    lambda base, other: base.replace("127.0.0.1", "localhost") + "/api/x",  # another host
    lambda base, other: base.replace("http://", "http://user:pw@") + "/api/x",  # user info
    lambda base, other: "/api/x",  # not absolute
])
def test_a_url_outside_the_origin_is_refused_and_nothing_is_sent(
        make_url: Callable[[str, str], str]) -> None:
    partner = Partner()
    partner.route("/api/x", _json({"ok": True}))

    async def test(api: PartnerHttp, base: str, elsewhere: Elsewhere) -> None:
        with pytest.raises(ForeignOrigin, match="not on the partner's origin"):
            await api.get_json(make_url(base, elsewhere.base_url))
        assert elsewhere.seen == []

    _run(partner, test)
    assert partner.auth == []


def test_a_redirect_to_another_host_is_refused_without_the_token_leaving() -> None:
    partner = Partner()

    async def away(_: web.Request) -> web.Response:
        raise web.HTTPFound(f"{partner.elsewhere.base_url}/steal?token=1")

    partner.route("/api/away", away)

    async def test(api: PartnerHttp, base: str, elsewhere: Elsewhere) -> str:
        with pytest.raises(ForeignOrigin) as caught:
            await api.get_json(api.url("/away"))
        assert elsewhere.seen == []  # never contacted: no token, no request at all
        return str(caught.value)

    message = _run(partner, test)
    assert "redirect from" in message and "token=1" not in message and TOKEN not in message


def test_a_same_origin_redirect_is_followed_and_a_loop_is_cut() -> None:
    partner = Partner()

    async def moved(_: web.Request) -> web.Response:
        raise web.HTTPMovedPermanently("/api/new")

    async def loop(_: web.Request) -> web.Response:
        raise web.HTTPFound("/api/loop")

    partner.route("/api/old", moved)
    partner.route("/api/new", _json({"moved": True}))
    partner.route("/api/loop", loop)

    async def test(api: PartnerHttp, base: str, _: Elsewhere) -> Any:
        with pytest.raises(UpstreamRejected, match="more than 3 redirects"):
            await api.get_json(api.url("/loop"))
        return await api.get_json(api.url("/old"))

    assert _run(partner, test) == {"moved": True}


def test_a_post_is_never_redirected() -> None:
    partner = Partner()

    async def moved(_: web.Request) -> web.Response:
        raise web.HTTPTemporaryRedirect("/api/elders")

    partner.route("/api/post", moved, method="POST")

    async def test(api: PartnerHttp, base: str, _: Elsewhere) -> None:
        with pytest.raises(UpstreamRejected, match="HTTP 307 redirect not followed"):
            await api.request("POST", api.url("/post"), body={"a": 1})

    _run(partner, test)


@pytest.mark.parametrize("declared", [False, True])
def test_a_400_mib_answer_is_refused_after_the_limit(declared: bool) -> None:
    partner = Partner()

    async def huge(request: web.Request) -> web.StreamResponse:
        return await huge_answer(request, 400 * MiB, partner.streamed, declare_length=declared)

    partner.route("/api/huge", huge)

    async def test(api: PartnerHttp, base: str, _: Elsewhere) -> str:
        with pytest.raises(PayloadTooLarge) as caught:
            await api.get_json(api.url("/huge"))
        await asyncio.sleep(0.2)  # let the server notice the hang-up
        return str(caught.value)

    message = _run(partner, test, HttpLimits(max_bytes=10 * MiB))
    assert "10485760-byte limit" in message
    assert ("Content-Length" in message) is declared
    assert not partner.streamed.finished
    assert partner.streamed.sent < 200 * MiB  # the rest was never sent, let alone read


def test_a_compressed_bomb_is_capped_after_decompression() -> None:
    partner = Partner()
    bomb = gzip.compress(b"0" * (40 * MiB), compresslevel=9)

    async def compressed(_: web.Request) -> web.Response:
        return web.Response(body=bomb, headers={"Content-Encoding": "gzip",
                                                "Content-Type": "application/json"})

    partner.route("/api/bomb", compressed)

    async def test(api: PartnerHttp, base: str, _: Elsewhere) -> None:
        with pytest.raises(PayloadTooLarge):
            await api.request("GET", api.url("/bomb"))

    assert len(bomb) < MiB
    _run(partner, test, HttpLimits(max_bytes=10 * MiB))


def test_a_partner_that_hangs_times_out_as_unavailable() -> None:
    partner = Partner()
    release = asyncio.Event()

    async def slow(_: web.Request) -> web.Response:
        await release.wait()
        return web.json_response({})

    partner.route("/api/slow", slow)

    async def test(api: PartnerHttp, base: str, _: Elsewhere) -> float:
        started = time.monotonic()
        with pytest.raises(UpstreamUnavailable, match="TimeoutError"):
            await api.get_json(api.url("/slow"))
        release.set()
        return time.monotonic() - started

    assert _run(partner, test, HttpLimits(read_s=0.3, total_s=0.5)) < 4.0


@pytest.mark.parametrize(("status", "kind"), [
    (503, UpstreamUnavailable), (404, UpstreamUnavailable), (429, UpstreamUnavailable),
    (400, UpstreamRejected), (403, UpstreamRejected), (204, None)])
def test_statuses_map_to_the_error_tree(status: int, kind: type[Exception] | None) -> None:
    partner = Partner()

    async def answer(_: web.Request) -> web.Response:
        return web.Response(status=status)

    partner.route("/api/s", answer)

    async def test(api: PartnerHttp, base: str, _: Elsewhere) -> None:
        if kind is None:
            assert (await api.request("GET", api.url("/s"))).status == status
        else:
            with pytest.raises(kind, match=f"HTTP {status}"):
                await api.request("GET", api.url("/s?bsn=123456782"))

    _run(partner, test)


def test_the_same_rules_hold_for_requests_sessions_zeep_uses() -> None:
    """DUO's SOAP client goes through requests: the kit's adapter binds it to DUO's origin."""
    import requests

    from connectors.kit.blocking import bind

    partner = Partner()

    async def away(_: web.Request) -> web.Response:
        raise web.HTTPFound(f"{partner.elsewhere.base_url}/wsdl")

    async def huge(request: web.Request) -> web.StreamResponse:
        return await huge_answer(request, 400 * MiB, partner.streamed, declare_length=False)

    partner.route("/api/ok", _json({"ok": True}))
    partner.route("/api/away", away)
    partner.route("/api/huge", huge)

    async def test(api: PartnerHttp, base: str, elsewhere: Elsewhere) -> None:
        session = bind(requests.Session(), base + "/api", 10 * MiB)

        def get(url: str) -> requests.Response:
            return session.get(url, timeout=5)

        assert (await asyncio.to_thread(get, base + "/api/ok")).json() == {"ok": True}
        with pytest.raises(UpstreamRejected, match="HTTP 302 redirect not followed"):
            await asyncio.to_thread(get, base + "/api/away")
        with pytest.raises(ForeignOrigin):
            await asyncio.to_thread(get, elsewhere.base_url + "/api/ok")
        with pytest.raises(PayloadTooLarge, match="10485760-byte limit"):
            await asyncio.to_thread(get, base + "/api/huge")
        assert elsewhere.seen == []

    _run(partner, test)
    assert not partner.streamed.finished
