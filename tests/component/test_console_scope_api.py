"""The console's R26 scoping, audit page, BSN lookup and reset refusals over HTTP, on a real
SQLite store (the broker side is the fake of test_console_api; resets are refused before it)."""

from __future__ import annotations

import csv
import io
import random
import uuid
from datetime import UTC, date, datetime
from pathlib import Path

from aiohttp.test_utils import TestClient

import topics
from hub.console.auth import Accounts
from hub.console.context import ConsoleContext
from hub.demo import exam_results, synthetic_bsn
from hub.privacy import BsnCipher, case_ref
from hub.store import InboundMessage
from tests.component.test_console_api import PASSWORD, audit_rows, login, run


def _case(ctx: ConsoleContext, seed: int, gemeente: str) -> tuple[str, str]:
    """A case living in ``gemeente`` since 2024 with one exam result: (case ref, BSN)."""
    exam = exam_results(ctx.hub, cases=1, seed=seed)[0]
    koppeling = {"message_id": str(uuid.uuid4()), "case_ref": exam["case_ref"], "source": "duo",
                 "produced_at": datetime(2024, 1, 5, tzinfo=UTC), "bsn": exam["bsn"],
                 "gemeentecode": gemeente, "koppeldatum": date(2024, 1, 2), "azc": None,
                 "bron_versie": None}
    ctx.store.record_batch("record:test", [
        InboundMessage(topics.KOPPELING_GEMEENTE, 0, seed, koppeling["message_id"],
                       exam["case_ref"], "nl.inburgering.hub.KoppelingGemeente", koppeling),
        InboundMessage(topics.EXAMENRESULTAAT, 0, seed, exam["message_id"], exam["case_ref"],
                       "nl.inburgering.hub.Examenresultaat", exam)])
    ctx.store.project_pending()
    return exam["case_ref"], BsnCipher.from_settings(ctx.hub).decrypt(exam["bsn"])


def _scoped_admin(ctx: ConsoleContext) -> None:
    accounts = Accounts(ctx.hub.effective_database_url, migrate=False)
    accounts.add_user("gina", PASSWORD, "admin", ("0392",))
    accounts.close()


def test_a_scoped_user_sees_their_cases_only_and_refusals_are_audited(tmp_path: Path) -> None:
    async def scenario(client: TestClient, ctx: ConsoleContext) -> None:
        haarlem, _ = _case(ctx, 1, "0392")
        amsterdam, _ = _case(ctx, 2, "0363")
        _scoped_admin(ctx)
        await login(client, "gina")
        assert (await (await client.get("/api/me")).json())["gemeenten"] == ["0392"]
        mine = await client.get(f"/api/cases/{haarlem}")
        assert mine.status == 200 and (await mine.json())["residences"][0]["gemeentecode"] \
            == "0392"
        other = await client.get(f"/api/cases/{amsterdam}")
        assert other.status == 403
        refused = audit_rows(ctx, "console.refused")
        assert [(r.actor, r.entity, r.entity_id, r.new["reason"]) for r in refused] == [
            ("console:gina", "case", amsterdam, "out of scope")]
        assert [r.entity_id for r in audit_rows(ctx, "case.lookup")] == [haarlem]
        page = await (await client.get("/api/audit")).json()
        ids = {r["entity_id"] for r in page["rows"]}
        assert haarlem in ids and amsterdam in ids  # the lookup, and her own refused attempt
        assert all(r["actor"] == "console:gina" or r["entity_id"] == haarlem
                   for r in page["rows"])
        await login(client, "admin")
        await client.get(f"/api/cases/{amsterdam}")
        await login(client, "gina")
        page = await (await client.get("/api/audit?action=case.lookup")).json()
        assert [r["entity_id"] for r in page["rows"]] == [haarlem]  # not admin's Amsterdam one
    run(tmp_path, scenario)


def test_the_audit_page_is_for_admins_filters_and_exports_formula_safe_csv(
        tmp_path: Path) -> None:
    async def scenario(client: TestClient, ctx: ConsoleContext) -> None:
        ctx.store.audit("cli:root", "dead_letter.redrive", "dead_letter", "dl:1",
                        reason='=HYPERLINK("http://evil.example","x")')
        await login(client, "operator")
        assert (await client.get("/api/audit")).status == 403
        assert [r.new["needs"] for r in audit_rows(ctx, "console.refused")] == ["admin"]
        await login(client, "admin")
        page = await (await client.get("/api/audit?action=dead_letter.")).json()
        assert [r["entity_id"] for r in page["rows"]] == ["dl:1"]
        assert (await (await client.get("/api/audit?actor=nobody")).json())["rows"] == []
        assert (await client.get("/api/audit?since=yesterday")).status == 400
        reply = await client.get("/api/audit?format=csv&entity=dead_letter")
        text = await reply.text()
        assert reply.headers["Content-Type"].startswith("text/csv")
        rows = list(csv.reader(io.StringIO(text)))
        assert rows[0] == ["id", "at", "actor", "action", "entity", "entity_id", "reason", "old",
                           "new"]
        assert rows[1][6] == '\'=HYPERLINK("http://evil.example","x")'
        assert [r.new["rows"] for r in audit_rows(ctx, "audit.export")] == [1]
    run(tmp_path, scenario)


def test_admins_find_a_case_by_bsn_with_a_reason_and_the_audit_names_no_bsn(
        tmp_path: Path) -> None:
    async def scenario(client: TestClient, ctx: ConsoleContext) -> None:
        ref, bsn = _case(ctx, 3, "0392")
        csrf = await login(client, "viewer")
        headers = {"X-CSRF-Token": csrf}
        body = {"bsn": bsn, "reason": "bezwaar 2026-17"}
        assert (await client.post("/api/cases/by-bsn", json=body, headers=headers)).status == 403
        headers = {"X-CSRF-Token": await login(client, "admin")}
        no_reason = await client.post("/api/cases/by-bsn", json={"bsn": bsn}, headers=headers)
        assert no_reason.status == 400
        bad = await client.post("/api/cases/by-bsn", json={"bsn": "123456789",
                                                           "reason": "typo test"},
                                headers=headers)
        assert bad.status == 400 and "123456789" not in await bad.text()
        found = await client.post("/api/cases/by-bsn", json=body, headers=headers)
        assert (await found.json()) == {"case_ref": ref}
        other = synthetic_bsn(random.Random(99))
        unknown = await client.post("/api/cases/by-bsn", json={"bsn": other, "reason": "phone"},
                                    headers=headers)
        assert unknown.status == 404
        rows = audit_rows(ctx, "case.lookup_by_bsn")
        assert [(r.entity_id, r.reason, r.new) for r in rows] == [
            (ref, "bezwaar 2026-17", {"found": True}),
            (case_ref(other, ctx.hub.case_ref_key), "phone", {"found": False})]
        assert bsn not in str([tuple(r) for r in rows]) and other not in str(
            [tuple(r) for r in rows])
    run(tmp_path, scenario)


def test_offset_resets_need_an_unscoped_operator_and_refusals_are_audited(
        tmp_path: Path) -> None:
    async def scenario(client: TestClient, ctx: ConsoleContext) -> None:
        _scoped_admin(ctx)
        body = {"spec": "earliest", "reason": "replay it all", "dry_run": False}
        headers = {"X-CSRF-Token": await login(client, "viewer")}
        viewer = await client.post("/api/groups/g1/reset", json=body, headers=headers)
        assert viewer.status == 403 and "operator" in (await viewer.json())["error"]
        headers = {"X-CSRF-Token": await login(client, "gina")}
        scoped = await client.post("/api/groups/g1/reset", json=body, headers=headers)
        assert scoped.status == 403 and "gemeente" in (await scoped.json())["error"]
        headers = {"X-CSRF-Token": await login(client, "operator")}
        short = await client.post("/api/groups/g1/reset", json={**body, "reason": "x"},
                                  headers=headers)
        assert short.status == 400 and "reason" in (await short.json())["error"]
        refused = audit_rows(ctx, "console.refused")
        assert [(r.actor, r.entity, r.entity_id) for r in refused] == [
            ("console:viewer", "consumer_group", "g1"), ("console:gina", "consumer_group", "g1")]
        assert audit_rows(ctx, "consumer_group.reset") == []
    run(tmp_path, scenario)
