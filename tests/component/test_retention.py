"""R25: raw partner files go after their period, financial records after seven years, each
removal audited, facts never; files and folders the hub keeps are its user's alone."""

from __future__ import annotations

import os
import stat
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select
from typer.testing import CliRunner

from connectors.kit.folder import DropFolder
from hub.cli import app
from hub.files import tighten, write_private
from hub.retention import RetentionSettings, apply
from hub.retention_cli import audit_to
from hub.runtime import Runtime
from hub.settings import from_env
from hub.store import InboundMessage
from hub.store import models as m
from hub.store.engine import make_engine

NOW = datetime(2024, 6, 1, 12, tzinfo=UTC)
INVOICE = (b'<?xml version="1.0"?>\n'
           b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">'
           b'<x/></Invoice>')
STATEMENT = (b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.053.001.02">'
             b'<BkToCstmrStmt/></Document>')


def _file(path: Path, data: bytes = b"BSN;Cursustype\n111222333;B1\n",
          at: datetime | None = None) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    if at is not None:
        os.utime(path, (at.timestamp(), at.timestamp()))
    return path


def _quarantined(folder: Path, name: str, data: bytes, at: datetime) -> Path:
    _file(folder / name, data, at=NOW)  # the partner's own time says nothing
    _file(folder / (name + ".reason.txt"), b"reason: FORMAT\n", at=at)  # the hub's refusal
    return folder / name


def _var(tmp_path: Path) -> dict[str, Path]:
    var = tmp_path / "var"
    school = var / "taalaanbieder" / "B10001"
    old = NOW - timedelta(days=91)
    return {
        "old raw": _file(school / "archive" / "20240229" / "B10001Aanlevering20240229.csv"),
        "young raw": _file(school / "archive" / "20240530" / "presentie_202405.csv"),
        "bsn in the name": _file(school / "archive" / "20240101" / "111222333.csv"),
        "young invoice": _file(school / "archive" / "20240101" / "F-1.xml", INVOICE),
        "old invoice": _file(school / "archive" / "20160501" / "F-0.xml", INVOICE),
        "statement": _file(var / "financieel" / "archive" / "20230101" / "s.xml", STATEMENT),
        "old quarantined": _quarantined(school / "quarantine", "kapot.xml", b"<kapot", old),
        "young quarantined": _quarantined(school / "quarantine", "kapot-2.csv", b";",
                                          NOW - timedelta(days=89)),
        "refused DUO answer": _quarantined(var / "quarantine" / "duo",
                                           "20240101T000000Z-HaalWijzigingen.xml",
                                           b"<Envelope/>", old),
        "inbox": _file(school / "inbox" / "presentie_202401.csv", at=old),  # not yet processed
    }


def _audit_rows(runtime: Runtime) -> list[tuple[str, str]]:
    engine = make_engine(runtime.settings.effective_database_url)
    with engine.connect() as conn:
        rows = conn.execute(select(m.audit.c.action, m.audit.c.entity_id)
                            .where(m.audit.c.action == "retention.delete")).all()
    engine.dispose()
    return [(r.action, r.entity_id) for r in rows]


def test_raw_files_go_after_90_days_financial_after_7_years_facts_never(
        tmp_path: Path) -> None:
    runtime = Runtime(from_env({"HUB_HOME": str(tmp_path)}))
    runtime.store.record_batch("record:test", [InboundMessage(
        "inburgering.duo.koppeling-gemeente.v1", 0, 0, "m1", "CR1", "k", {"a": 1})])
    files, settings = _var(tmp_path), RetentionSettings()

    planned = apply(runtime.settings, settings, audit=None, now=NOW, dry_run=True)
    assert all(p.exists() for p in files.values())  # a dry run removes nothing
    outcome = apply(runtime.settings, settings, audit=audit_to(runtime.store), now=NOW)

    gone = {name for name, path in files.items() if not path.exists()}
    assert gone == {"old raw", "bsn in the name", "old invoice", "old quarantined",
                    "refused DUO answer"}
    assert [k.path for k in planned.removed] == [k.path for k in outcome.removed]
    assert not (files["old quarantined"].parent / "kapot.xml.reason.txt").exists()
    assert not files["old raw"].parent.exists()  # its emptied day folder too
    assert {k.category for k in outcome.removed if k.path.name == "F-0.xml"} == {"financial"}
    assert outcome.kept == {"raw": 2, "financial": 2}
    rows = _audit_rows(runtime)
    assert len(rows) == len(gone) and not any("111222333" in entity for _, entity in rows)
    assert runtime.store.count("fact") == 1  # what the hub knows is untouched
    again = apply(runtime.settings, settings, audit=audit_to(runtime.store), now=NOW)
    assert again.removed == [] and len(_audit_rows(runtime)) == len(gone)


def test_shorter_raw_period_and_the_command(tmp_path: Path) -> None:
    files = _var(tmp_path)
    day = date.today() - timedelta(days=3)
    recent = _file(tmp_path / "var" / "taalaanbieder" / "B10001" / "archive" /
                   day.strftime("%Y%m%d") / "presentie_x.csv")
    env = {"HUB_HOME": str(tmp_path), "HUB_RETENTION_RAW_DAYS": "1"}
    runner = CliRunner()
    dry = runner.invoke(app, ["retention", "apply", "--dry-run", "--list"], env=env)
    assert dry.exit_code == 0, dry.output
    assert "due raw" in dry.output and recent.exists() and files["young raw"].exists()
    done = runner.invoke(app, ["retention", "apply"], env=env)
    assert done.exit_code == 0, done.output
    assert not recent.exists() and not files["young raw"].exists()
    assert files["young invoice"].exists() and files["inbox"].exists()


def test_files_and_folders_are_made_private(tmp_path: Path) -> None:
    folder = DropFolder(tmp_path / "school").create()
    dropped = _file(folder.inbox / "presentie_1.csv")
    dropped.chmod(0o644)  # as a partner might leave it
    for moved in (folder.archive_file(dropped), folder.quarantine_file(
            _file(folder.inbox / "kapot.xml"), "FORMAT: broken")):
        assert stat.S_IMODE(moved.stat().st_mode) == 0o600
    loose = _file(tmp_path / "var" / "logs" / "worker.log")
    loose.chmod(0o644)
    loose.parent.chmod(0o755)
    assert tighten(tmp_path / "var") >= 2
    assert stat.S_IMODE(loose.stat().st_mode) == 0o600
    assert stat.S_IMODE(loose.parent.stat().st_mode) == 0o700
    secret = write_private(tmp_path / "k", b"x")
    assert stat.S_IMODE(secret.stat().st_mode) == 0o600
