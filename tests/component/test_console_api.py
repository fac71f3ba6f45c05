"""The console's HTTP surface on a real SQLite store: login, CSRF, roles, masking, audit rows.

The broker side is a fake that subclasses ``KafkaViews`` (the integration and browser tests use
the real broker); everything else is the real application.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient, TestServer
from aiokafka import TopicPartition
from sqlalchemy import select

import topics
from hub.console.auth import Accounts
from hub.console.config import ConsoleSettings
from hub.console.context import ConsoleContext
from hub.console.kafka_views import KafkaViews, Offsets, PartitionLag
from hub.console.masking import MASK
from hub.console.web import make_app
from hub.demo import exam_results
from hub.privacy import BsnCipher
from hub.reconcile.effects import summaries
from hub.settings import from_env
from hub.store import InboundMessage
from hub.store import models as m
from hub.store.engine import make_engine

PASSWORD = "correct horse battery"
TOKEN = "scrape-me-please-0123456789"
EXAM = topics.physical(topics.EXAMENRESULTAAT, "")


class FakeViews(KafkaViews):
    """One exam-result partition with a committed group offset; no broker."""

    async def start(self) -> KafkaViews:
        return self

    async def close(self) -> None:
        return None

    async def partitions(self, names: Any) -> list[TopicPartition]:
        return [TopicPartition(EXAM, 0)] if EXAM in set(names) else []

    async def offsets(self, tps: Any) -> dict[TopicPartition, Offsets]:
        return {tp: Offsets(0, 15) for tp in tps}

    extra_groups: tuple[str, ...] = ()

    async def groups(self) -> list[str]:
        return ["inburgering-hub-record", *self.extra_groups]

    at = 7

    async def group_lag(self, group: str, offsets: Any) -> list[PartitionLag]:
        return [PartitionLag(group, EXAM, 0, self.at, 15, 15 - self.at)]

    async def tail(self, tps: Any, limit: int, offsets: Any = None) -> list[Any]:
        return []


Scenario = Callable[[TestClient, ConsoleContext], Awaitable[None]]


def run(tmp_path: Path, scenario: Scenario) -> None:
    hub = from_env({"HUB_HOME": str(tmp_path), "HUB_DATABASE_URL":
                    f"sqlite:///{tmp_path / 'hub.db'}"})
    ctx = ConsoleContext.build(hub, replace(ConsoleSettings(), metrics_token=TOKEN))
    ctx.views = ctx.sampler.views = FakeViews("unused:9")
    accounts = Accounts(hub.effective_database_url, migrate=False)
    for role in ("viewer", "operator", "admin"):
        accounts.add_user(role, PASSWORD, role)
    accounts.close()

    async def go() -> None:
        async with TestClient(TestServer(make_app(ctx))) as client:
            await scenario(client, ctx)

    asyncio.run(go())


async def login(client: TestClient, name: str) -> str:
    reply = await client.post("/api/login", json={"name": name, "password": PASSWORD})
    assert reply.status == 200
    return reply.cookies["hub_csrf"].value


def audit_rows(ctx: ConsoleContext, action: str) -> list[Any]:
    engine = make_engine(ctx.hub.effective_database_url)
    with engine.connect() as conn:
        rows = conn.execute(select(m.audit).where(m.audit.c.action == action)).all()
    engine.dispose()
    return list(rows)


def seed_case(ctx: ConsoleContext) -> tuple[str, str]:
    record = exam_results(ctx.hub, cases=1, seed=5)[0]
    ctx.store.record_batch("record:test", [InboundMessage(
        topic=topics.EXAMENRESULTAAT, partition=0, offset=0, message_id=record["message_id"],
        case_ref=record["case_ref"], kind="nl.inburgering.hub.Examenresultaat", record=record)])
    return record["case_ref"], BsnCipher.from_settings(ctx.hub).decrypt(record["bsn"])


def test_healthz_is_the_only_anonymous_endpoint(tmp_path: Path) -> None:
    async def scenario(client: TestClient, ctx: ConsoleContext) -> None:
        reply = await client.get("/healthz")
        assert (reply.status, await reply.text()) == (200, "ok")
        assert client.app is not None
        paths = {r.resource.canonical for r in client.app.router.routes() if r.resource}
        assert "/api/dead-letters/redrive" in paths and "/metrics" in paths
        for path in paths - {"/healthz", "/login", "/api/login"}:
            url = path.replace("{topic}", EXAM).replace("{case_ref}", "CR1").replace(
                "{name}", "app.js")
            for method in ("GET", "POST"):
                reply = await client.request(method, url, allow_redirects=False)
                assert reply.status in (302, 401, 405), (method, url, reply.status)
                if reply.status == 302:
                    assert reply.headers["Location"] == "/login"
    run(tmp_path, scenario)


def test_login_sets_strict_httponly_cookie_and_audits(tmp_path: Path) -> None:
    async def scenario(client: TestClient, ctx: ConsoleContext) -> None:
        bad = await client.post("/api/login", json={"name": "viewer", "password": "nope"})
        assert bad.status == 401
        reply = await client.post("/api/login", json={"name": "viewer", "password": PASSWORD})
        cookie = next(v for k, v in reply.headers.items()
                      if k == "Set-Cookie" and v.startswith("hub_session="))
        assert "HttpOnly" in cookie and "SameSite=Strict" in cookie
        assert (await (await client.get("/api/me")).json()) == {"name": "viewer",
                                                                "role": "viewer", "gemeenten": []}
        overview = await (await client.get("/api/overview")).json()
        assert overview["groups"][0]["partitions"][0]["lag"] == 8
        assert [r.actor for r in audit_rows(ctx, "console.login_failed")] == ["console:viewer"]
        assert len(audit_rows(ctx, "console.login")) == 1
        garbled = await client.post("/api/login", data="{not json",
                                    headers={"Content-Type": "application/json"})
        assert garbled.status == 400
        form = await client.post("/api/login", data={"name": "viewer", "password": PASSWORD})
        assert form.status == 415  # a cross-site HTML form cannot log anyone in
        evil = await client.post("/api/login", json={"name": "viewer", "password": PASSWORD},
                                 headers={"Origin": "https://evil.example"})
        assert evil.status == 403
    run(tmp_path, scenario)


def test_csrf_and_roles_guard_the_redrive(tmp_path: Path) -> None:
    async def scenario(client: TestClient, ctx: ConsoleContext) -> None:
        csrf = await login(client, "viewer")
        body = {"all": True, "reason": "partner fixed the data"}
        assert (await client.post("/api/dead-letters/redrive", json=body)).status == 403
        refused = await client.post("/api/dead-letters/redrive", json=body,
                                    headers={"X-CSRF-Token": csrf})
        assert refused.status == 403 and "operator" in await refused.text()
        assert [(r.actor, r.entity, r.entity_id, r.new) for r in audit_rows(
            ctx, "console.refused")] == [("console:viewer", "dead_letter", "all",
                                          {"role": "viewer", "needs": "operator"})]
        csrf = await login(client, "operator")
        cross = await client.post("/api/dead-letters/redrive", json=body, headers={
            "X-CSRF-Token": csrf, "Origin": "https://evil.example"})
        assert cross.status == 403
        no_reason = await client.post("/api/dead-letters/redrive", json={"all": True},
                                      headers={"X-CSRF-Token": csrf})
        assert no_reason.status == 400 and "reason" in (await no_reason.json())["error"]
        unknown = await client.post("/api/dead-letters/redrive", headers={"X-CSRF-Token": csrf},
                                    json={"ids": ["dl:nope"], "reason": "try it again"})
        assert unknown.status == 400
        assert audit_rows(ctx, "dead_letter.redrive") == []
    run(tmp_path, scenario)


def test_case_lookup_masks_and_only_admins_unmask_with_audit(tmp_path: Path) -> None:
    async def scenario(client: TestClient, ctx: ConsoleContext) -> None:
        ref, bsn = seed_case(ctx)
        await login(client, "viewer")
        reply = await client.get(f"/api/cases/{ref}")
        text = await reply.text()
        assert reply.status == 200 and bsn not in text
        page = json.loads(text)
        shown = page["raw"]["facts"][0]["record"]
        assert shown["bsn"] == {"masked": MASK, "key_id": "dev1"}
        assert len(page["timeline"]) == 1 and page["timeline"][0]["fields"]
        assert page["effect_ledger"] == {"provided": True,
                                         "entries": summaries(ctx.store.effects(ref))}
        assert shown["case_ref"] == ref
        assert [r.entity_id for r in audit_rows(ctx, "case.lookup")] == [ref]
        csrf = await login(client, "operator")
        assert (await client.post(f"/api/cases/{ref}/unmask", json={"reason": "court order"},
                                  headers={"X-CSRF-Token": csrf})).status == 403
        assert [(r.actor, r.entity_id) for r in audit_rows(ctx, "console.refused")] == [
            ("console:operator", ref)]
        csrf = await login(client, "admin")
        assert (await client.post(f"/api/cases/{ref}/unmask", json={},
                                  headers={"X-CSRF-Token": csrf})).status == 400
        shown = await client.post(f"/api/cases/{ref}/unmask", json={"reason": "bezwaar 2026-17"},
                                  headers={"X-CSRF-Token": csrf})
        assert bsn in await shown.text()
        rows = audit_rows(ctx, "bsn.unmask")
        assert [(r.actor, r.entity_id, r.reason) for r in rows] == [
            ("console:admin", ref, "bezwaar 2026-17")]
        assert rows[0].new == {"bsns_shown": 1} and bsn not in json.dumps(rows[0].new)
    run(tmp_path, scenario)


def test_metrics_need_a_session_or_the_bearer_token(tmp_path: Path) -> None:
    async def scenario(client: TestClient, ctx: ConsoleContext) -> None:
        assert (await client.get("/metrics")).status == 401
        wrong = await client.get("/metrics", headers={"Authorization": "Bearer nope"})
        assert wrong.status == 401
        reply = await client.get("/metrics", headers={"Authorization": f"Bearer {TOKEN}"})
        text = await reply.text()
        assert reply.status == 200
        labels = f'group="inburgering-hub-record",partition="0",topic="{EXAM}"'
        assert f"hub_consumer_group_lag{{{labels}}} 8.0" in text
        assert f'hub_topic_messages_in_total{{topic="{EXAM}"}} 15.0' in text
        assert f'hub_agent_stalled{{agent="record:{EXAM}"}} 0.0' in text
        consumed = f'group="inburgering-hub-record",topic="{EXAM}"'
        assert f"hub_topic_messages_consumed_total{{{consumed}}} 7.0" in text
    run(tmp_path, scenario)


def test_logout_ends_the_session(tmp_path: Path) -> None:
    async def scenario(client: TestClient, ctx: ConsoleContext) -> None:
        csrf = await login(client, "viewer")
        assert (await client.post("/api/logout", json={}, headers={"X-CSRF-Token": csrf})
                ).status == 200
        assert (await client.get("/api/overview")).status == 401
    run(tmp_path, scenario)


def test_an_agent_with_lag_whose_offsets_do_not_move_is_stalled(tmp_path: Path) -> None:
    async def scenario(client: TestClient, ctx: ConsoleContext) -> None:
        clock = [time.monotonic()]  # the sampler's clock, moved by hand: no race with load
        ctx.sampler.clock = lambda: clock[0]
        ctx.sampler.stall_after_s = 60
        await login(client, "viewer")

        async def agent() -> dict[str, Any]:
            snap = await (await client.get("/api/overview?max_age=0")).json()
            assert snap["groups"][0]["stalled"] == snap["agents"][0]["stalled"]
            return dict(snap["agents"][0])

        assert (await agent())["stalled"] is False
        clock[0] += 59
        assert (await agent())["stalled"] is False
        clock[0] += 2
        stalled = await agent()
        assert stalled["stalled"] is True and stalled["lag"] == 8
        assert f'hub_agent_stalled{{agent="record:{EXAM}"}} 1.0' in await (
            await client.get("/metrics")).text()
        ctx.views.at = 10  # type: ignore[attr-defined]  # the group moves on
        assert (await agent())["stalled"] is False
    run(tmp_path, scenario)


def test_other_groups_on_a_topic_do_not_count_as_its_agent_lag(tmp_path: Path) -> None:
    async def scenario(client: TestClient, ctx: ConsoleContext) -> None:
        ctx.views.extra_groups = ("someones-debug-consumer",)  # type: ignore[attr-defined]
        await login(client, "viewer")
        snap = await (await client.get("/api/overview?max_age=0")).json()
        assert {g["group"]: g["lag"] for g in snap["groups"]} == {
            "inburgering-hub-record": 8, "someones-debug-consumer": 8}
        assert snap["agents"][0]["lag"] == 8  # the worker's group only, not 16
    run(tmp_path, scenario)


def test_a_connector_that_stopped_reporting_is_silent(tmp_path: Path) -> None:
    async def scenario(client: TestClient, ctx: ConsoleContext) -> None:
        now = datetime.now(UTC)
        for name, age in (("duo", 5), ("isi", 600)):
            ctx.sampler.connectors[name] = {
                "connector": name, "healthy": True, "last_success": None, "last_failure": None,
                "last_error": None, "processed": 1,
                "reported_at": (now - timedelta(seconds=age)).isoformat()}
        await login(client, "viewer")
        snap = await (await client.get("/api/overview?max_age=0")).json()
        assert {c["connector"]: c["silent"] for c in snap["connectors"]} == {
            "duo": False, "isi": True}
        text = await (await client.get("/metrics")).text()
        assert 'hub_connector_up{connector="duo"} 1.0' in text
        assert 'hub_connector_up{connector="isi"} 0.0' in text
    run(tmp_path, scenario)


def test_errors_are_json_and_the_login_page_allows_only_its_own_inline_code(
        tmp_path: Path) -> None:
    async def scenario(client: TestClient, ctx: ConsoleContext) -> None:
        page = await client.get("/login")
        policy = page.headers["Content-Security-Policy"]
        assert "script-src 'sha256-" in policy and "style-src 'sha256-" in policy
        assert "unsafe-inline" not in policy
        await login(client, "viewer")
        for url in ("/api/topics/nope/messages", "/api/cases/CRNOPE",
                    "/api/dead-letters/one?id=dl:nope"):
            reply = await client.get(url)
            assert reply.status == 404 and "error" in await reply.json(), url
    run(tmp_path, scenario)
