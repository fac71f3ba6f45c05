"""ISAM and Kredietbank simulators for integration tests: served from a background event loop
in the test process while the connector runs as a `hub connectors run` child process."""

from __future__ import annotations

import asyncio
import contextlib
import json
import sqlite3
import threading
from collections.abc import Coroutine, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from connectors.isam import simulator as isam_sim
from connectors.isam.signals import KANAAL
from connectors.kredietbank import simulator as kb_sim
from hub.broker import free_port

T = TypeVar("T")
WEBHOOK_TOKEN = "integration-webhook-token"


class LoopThread:
    """An asyncio loop in a daemon thread; ``call`` runs a coroutine on it and waits."""

    def __init__(self) -> None:
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()

    def call(self, coro: Coroutine[Any, Any, T], timeout: float = 60.0) -> T:
        return asyncio.run_coroutine_threadsafe(coro, self.loop).result(timeout)

    def close(self) -> None:
        self.loop.call_soon_threadsafe(self.loop.stop)
        self.thread.join(5)


@dataclass
class Partners:
    """Both simulators, the loop serving them, and the env pointing connectors at them."""

    loop: LoopThread
    isam: isam_sim.IsamSimulator
    kredietbank: kb_sim.KredietbankSimulator
    env: dict[str, str]
    webhook_url: str

    def notify(self, **options: Any) -> list[int]:
        """Send the ISAM simulator's queued notifications to the hub's webhook."""
        return self.loop.call(self.isam.flush(self.webhook_url + "/api/v1/notificaties",
                                              WEBHOOK_TOKEN, **options))

    def webhook_up(self) -> bool:
        """True when the hub's webhook answers /healthz."""
        from connectors.isam.demo import wait_for_webhook

        return self.loop.call(wait_for_webhook(self.webhook_url, timeout_s=1.0))


@contextlib.contextmanager
def partners(home: Path, **kb_options: Any) -> Iterator[Partners]:
    """Serve both simulators; subscribe the ISAM simulator to every signal."""
    loop = LoopThread()
    isam = isam_sim.IsamSimulator()
    kb = kb_sim.KredietbankSimulator(**kb_options)
    stack = contextlib.AsyncExitStack()
    try:
        isam_url = loop.call(stack.enter_async_context(isam_sim.serve(isam)))
        kb_url = loop.call(stack.enter_async_context(kb_sim.serve(kb)))
        port = free_port()
        subs = home / "abonnementen.json"
        subs.write_text(json.dumps([{
            "callbackUrl": isam_url + isam_sim.CALLBACK_PATH,
            "auth": f"Bearer {isam.callback_token}",
            "kanalen": [{"naam": KANAAL, "filters": {}}]}]))
        env = {"HUB_ISAM_API_URL": isam_url + "/api/v1", "HUB_ISAM_API_TOKEN": isam.api_token,
               "HUB_ISAM_WEBHOOK_PORT": str(port), "HUB_ISAM_WEBHOOK_TOKEN": WEBHOOK_TOKEN,
               "HUB_ISAM_SUBSCRIPTIONS_FILE": str(subs), "HUB_ISAM_RETRY_ATTEMPTS": "3",
               "HUB_ISAM_RETRY_BACKOFF_S": "0.1", "HUB_ISAM_POLL_INTERVAL_S": "0.2",
               "HUB_KREDIETBANK_API_URL": kb_url, "HUB_KREDIETBANK_API_TOKEN": kb.token,
               "HUB_KREDIETBANK_POLL_INTERVAL_S": "0.3", "HUB_KREDIETBANK_RETRY_BACKOFF_S": "0.1",
               "HUB_KREDIETBANK_RETRY_ATTEMPTS": "20"}
        yield Partners(loop, isam, kb, env, f"http://127.0.0.1:{port}")
    finally:
        with contextlib.suppress(Exception):
            loop.call(stack.aclose())
        loop.close()


def fact_ids(db: Path, kind: str) -> set[str]:
    """Message ids of the store's facts of one kind (schema name without namespace)."""
    with contextlib.closing(sqlite3.connect(db)) as con:
        rows = con.execute("SELECT message_id FROM fact WHERE kind = ?",
                           ("nl.inburgering.hub." + kind,)).fetchall()
    return {r[0] for r in rows}


def delivery_log(db: Path) -> list[tuple[str, int, int | None]]:
    """(signal id, attempt, HTTP status) per logged delivery attempt."""
    with contextlib.closing(sqlite3.connect(db)) as con:
        return con.execute(
            "SELECT a.signaal_id, p.poging, p.http_status FROM isam_afleverpoging p "
            "JOIN isam_aflevering a ON a.id = p.aflevering_id ORDER BY p.id").fetchall()
