"""The console as an attacker meets it: guessing is throttled per account and per address, the
right password does not help during a lock, typed names never reach the audit table or logs as
text, and every answer (redirects, 404s, 405s, 429s, 500s) carries the security headers."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import replace
from pathlib import Path

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from hub.console.auth import Accounts
from hub.console.config import ConsoleSettings
from hub.console.context import ConsoleContext
from hub.console.throttle import LoginThrottle, Schedule
from hub.console.web import THROTTLE, make_app
from hub.settings import from_env
from tests.component.test_console_api import PASSWORD, FakeViews, audit_rows

BSN = "111222333"
HEADERS = ("Content-Security-Policy", "X-Frame-Options", "X-Content-Type-Options",
           "Referrer-Policy")


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


Scenario = Callable[[TestClient, ConsoleContext, Clock], Awaitable[None]]


def serve(tmp_path: Path, scenario: Scenario,
          prepare: Callable[[web.Application], None] = lambda app: None) -> None:
    hub = from_env({"HUB_HOME": str(tmp_path), "HUB_DATABASE_URL":
                    f"sqlite:///{tmp_path / 'hub.db'}"})
    ctx = ConsoleContext.build(hub, replace(ConsoleSettings()))
    ctx.views = ctx.sampler.views = FakeViews("unused:9")
    accounts = Accounts(hub.effective_database_url, migrate=False)
    accounts.add_user("viewer", PASSWORD, "viewer")
    accounts.close()
    clock = Clock()

    async def go() -> None:
        app = make_app(ctx)
        app[THROTTLE].clock = clock
        prepare(app)
        async with TestClient(TestServer(app)) as client:
            await scenario(client, ctx, clock)

    asyncio.run(go())


async def attempt(client: TestClient, name: str, password: str = "wrong-password"
                  ) -> tuple[int, int]:
    reply = await client.post("/api/login", json={"name": name, "password": password})
    return reply.status, int(reply.headers.get("Retry-After", "0"))


def test_fifty_wrong_passwords_in_a_row_are_throttled_then_locked(tmp_path: Path) -> None:
    async def scenario(client: TestClient, ctx: ConsoleContext, clock: Clock) -> None:
        burst = [await attempt(client, "viewer") for _ in range(50)]
        assert [s for s, _ in burst[:4]] == [401] * 4  # three free, the fourth sets a wait
        assert {s for s, _ in burst[4:]} == {429} and burst[4][1] == 1
        assert (await attempt(client, "viewer", PASSWORD))[0] == 429  # no oracle while held
        assert len(audit_rows(ctx, "console.login_failed")) == 4
        assert len(audit_rows(ctx, "console.login_throttled")) == 47

        waits = []
        for _ in range(6):  # the attacker waits each time: the wait doubles
            clock.now += burst[4][1] if not waits else waits[-1]
            status, wait = await attempt(client, "viewer")
            assert status == 401
            waits.append(wait)
        assert waits == [2, 4, 8, 16, 32, 900]  # the tenth failure locks it for 15 minutes
        assert len(audit_rows(ctx, "console.login_locked")) == 1
        clock.now += 899
        assert await attempt(client, "viewer", PASSWORD) == (429, 1)
        clock.now += 1
        assert (await attempt(client, "viewer", PASSWORD))[0] == 200  # the lock expired
        assert (await attempt(client, "viewer"))[0] == 401  # and the account starts afresh
    serve(tmp_path, scenario)


def test_guessing_many_accounts_from_one_address_is_throttled_by_address(
        tmp_path: Path) -> None:
    async def scenario(client: TestClient, ctx: ConsoleContext, clock: Clock) -> None:
        statuses = [(await attempt(client, f"user{n}"))[0] for n in range(13)]
        assert statuses == [401] * 11 + [429] * 2  # each name is new; the address is not
        rows = audit_rows(ctx, "console.login_throttled")
        assert rows and rows[-1].new["held_by"] == "address"
    serve(tmp_path, scenario)


def test_typed_login_names_reach_audit_and_logs_only_as_a_keyed_digest(
        tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    async def scenario(client: TestClient, ctx: ConsoleContext, clock: Clock) -> None:
        for name in (BSN, "correct horse battery", BSN):  # a BSN; a password in the name field
            await attempt(client, name)
        await attempt(client, "viewer")
        rows = audit_rows(ctx, "console.login_failed")
        text = repr([tuple(r) for r in rows]) + caplog.text
        assert BSN not in text and "horse" not in text
        labels = [r.entity_id for r in rows]
        assert labels[0] == labels[2] != labels[1]  # the same text twice: the same digest
        assert labels[0].startswith("unknown-name:") and labels[3] == "viewer"
    with caplog.at_level(logging.INFO):
        serve(tmp_path, scenario)


def test_every_answer_carries_the_security_headers(tmp_path: Path) -> None:
    async def boom(_request: web.Request) -> web.Response:
        raise RuntimeError("a bug")

    def prepare(app: web.Application) -> None:
        app.router.add_get("/api/boom", boom)

    async def scenario(client: TestClient, ctx: ConsoleContext, clock: Clock) -> None:
        answers = {
            "redirect": await client.get("/", allow_redirects=False),
            "anonymous unknown page": await client.get("/no-such-page", allow_redirects=False),
            "401": await client.get("/api/overview"),
            "login page": await client.get("/login"),
            "healthz": await client.get("/healthz"),
        }
        for _ in range(4):
            await attempt(client, "viewer")
        answers["429"] = await client.post("/api/login",
                                           json={"name": "viewer", "password": "x"})
        clock.now += 3600
        await attempt(client, "viewer", PASSWORD)
        answers["404"] = await client.get("/no-such-page")
        answers["405"] = await client.get("/api/logout")
        answers["500"] = await client.get("/api/boom")
        answers["static 404"] = await client.get("/static/nope.js")
        assert [a.status for a in answers.values()] == [302, 302, 401, 200, 200, 429, 404,
                                                        405, 500, 404]
        for what, answer in answers.items():
            missing = [h for h in HEADERS if h not in answer.headers]
            assert not missing, (what, missing)
            assert answer.headers["X-Frame-Options"] == "DENY"
            assert answer.headers["X-Content-Type-Options"] == "nosniff"
            assert "frame-ancestors 'none'" in answer.headers["Content-Security-Policy"]
    serve(tmp_path, scenario, prepare)


def test_schedule_and_forgetting() -> None:
    clock = Clock()
    throttle = LoginThrottle(Schedule(2, 1.0, 5, 60.0), Schedule(100, 1.0, 200, 60.0), clock)
    waits = []
    for _ in range(5):
        throttle.failed("olga", "10.0.0.1")
        waits.append(throttle.check("olga", "10.0.0.2").retry_after_s)  # any address
    assert waits == [0, 0, 1, 2, 60]
    assert throttle.check("OLGA ", "10.0.0.3").locked  # names compare case- and space-free
    clock.now += 61
    assert throttle.check("olga", "10.0.0.1").allowed
    throttle.failed("olga", "10.0.0.1")
    assert throttle.check("olga", "10.0.0.1").allowed  # quiet for a lock period: forgotten
