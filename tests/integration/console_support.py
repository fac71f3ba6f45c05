"""Helpers for the console's integration and browser tests: dead letters, users, a console."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import urllib.request
from datetime import UTC, datetime
from typing import Any

import topics
from hub.broker import free_port
from hub.demo import exam_results
from hub.publish import TopicWriter
from hub.runtime import Runtime
from tests.integration.conftest import HubEnv, wait_until

BROKEN = b"\x00\x7f\xff\xff\xffthis is not avro"  # Confluent header, unknown schema id
PASSWORD = "correct horse battery"
EXAM = topics.EXAMENRESULTAAT


def add_user(env: HubEnv, name: str, role: str, gemeenten: str = "") -> None:
    """`hub users add NAME --role ROLE [--gemeente CODES] --password-stdin`, as an operator
    would run it."""
    scope = ["--gemeente", gemeenten] if gemeenten else []
    done = subprocess.run([sys.executable, "-m", "hub.cli", "users", "add", name, "--role", role,
                           *scope, "--password-stdin"], input=PASSWORD + "\n", env=env.env,
                          capture_output=True, text=True, timeout=60)
    assert done.returncode == 0, done.stderr + done.stdout


def hub_cli(env: HubEnv, *args: str) -> str:
    """Run a `hub` command to completion; its stdout."""
    done = subprocess.run([sys.executable, "-m", "hub.cli", *args], env=env.env,
                          capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr + done.stdout
    return done.stdout


def start_console(env: HubEnv) -> tuple[subprocess.Popen[bytes], str]:
    """`hub console` on a free port; returns the process and its base URL once /healthz is ok."""
    port = free_port()
    process = env.spawn("console", "--port", str(port), log_name="console")
    url = f"http://127.0.0.1:{port}"

    def healthy() -> bool:
        assert process.poll() is None, (env.home / "console.log").read_text()
        try:
            with urllib.request.urlopen(url + "/healthz", timeout=2) as reply:
                return bool(reply.status == 200 and reply.read() == b"ok")
        except OSError:
            return False

    wait_until(healthy, timeout=60)
    return process, url


def produce_broken_and_forged(env: HubEnv, runtime: Runtime) -> dict[str, Any]:
    """A broken exam result (dead-lettered by the worker for real) and a dead letter as the
    handler writes one when the store stayed unavailable: its original message is valid, so a
    re-drive stores it. Returns the valid record."""
    record = exam_results(env.settings(), cases=1, seed=21)[0]

    async def go() -> None:
        async with TopicWriter(env.env["HUB_KAFKA_BOOTSTRAP"], runtime.codec,
                               suffix=env.suffix) as writer:
            key, value = writer.encode(EXAM, record)
            await writer.send_raw(EXAM, [(key, BROKEN)])
            letter = {
                "message_id": f"dl:record:{EXAM}:{EXAM}/0/999", "case_ref": record["case_ref"],
                "source": "hub", "produced_at": datetime.now(UTC),
                "consumer": f"record:{EXAM}", "source_topic": EXAM, "source_partition": 0,
                "source_offset": 999, "original_key": key, "original_value": value,
                "original_message_id": record["message_id"], "error_type": "StoreBusy",
                "error_message": "OperationalError: database is locked", "attempts": 5,
                "failed_at": datetime.now(UTC)}
            dlt_key = runtime.codec.encode(topics.KEY_SCHEMA, {"case_ref": record["case_ref"]})
            await writer.send_raw(topics.dead_letter_of(EXAM), [
                (dlt_key, runtime.codec.encode(topics.DEAD_LETTER_SCHEMA, letter))])

    asyncio.run(go())
    return record
