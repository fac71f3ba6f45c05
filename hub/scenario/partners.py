"""The simulated partners of a replay, each loaded from the scenario folder, and their connectors.

Files the partners drop (school files, bank statements) are copied into the replay's workspace,
so the scenario folder is never changed; DUO, ISAM and the Kredietbank are the connectors'
simulators loaded with the folder's feeds (``FORMAT.md`` of each connector, "Scenario folder").
``delivered()`` says what each partner still has to hand over.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from connectors.base import Connector
from connectors.duo.certs import generate_pki
from connectors.duo.demo import settings_for, simulator_for
from connectors.duo.run import DuoConnector
from connectors.duo.server import ServerTls
from connectors.duo.server import serve as serve_duo
from connectors.financieel.config import FinSettings
from connectors.financieel.run import FinancieelConnector
from connectors.financieel.simulator import FinancialSystemSimulator
from connectors.isam.config import IsamSettings
from connectors.isam.run import IsamConnector
from connectors.isam.signals import KANAAL
from connectors.isam.simulator import CALLBACK_PATH, IsamSimulator
from connectors.isam.simulator import serve as serve_isam
from connectors.kit.folder import DropFolder, partners
from connectors.kredietbank.config import KredietbankSettings
from connectors.kredietbank.run import KredietbankConnector
from connectors.kredietbank.simulator import KredietbankSimulator
from connectors.kredietbank.simulator import serve as serve_kredietbank
from connectors.taalaanbieder.config import TaalSettings
from connectors.taalaanbieder.run import TaalaanbiederConnector
from hub.broker import free_port
from hub.publish import TopicWriter
from hub.runtime import Runtime
from hub.scenario.arrival import DUO_LATE, Arrival
from hub.scenario.feeds import load_duo, load_facturen, load_mutaties, play_isam


class ReplayKredietbank(KredietbankSimulator):
    """The Kredietbank of a scenario: its mutaties and invoices come from the folder, so an
    aanmelding or afmelding from the hub is accepted and recorded, and adds nothing."""

    def register(self, body: dict[str, Any]) -> None:
        """Accept an aanmelding without inventing payments."""

    def end(self, hh: str, bsn: str, einddatum: Any, reden: str, toelichting: str | None
            ) -> None:
        """Accept an afmelding without inventing an EINDE mutatie."""


@dataclass
class Partners:
    """Simulators, connectors and players of one replay."""

    folder: Path
    work: Path
    runtime: Runtime
    run_id: str
    connectors: list[Connector] = field(default_factory=list)
    tasks: list[asyncio.Task[Any]] = field(default_factory=list)
    isam: IsamSimulator | None = None
    isam_total: int = 0
    isam_sent: list[int] = field(default_factory=list)
    duo_last: int = 0
    kb: ReplayKredietbank | None = None
    bank: FinancialSystemSimulator | None = None
    arrival: Arrival | None = None  # --arrival: when each partner starts handing over
    waiting: set[str] = field(default_factory=set)  # partners whose turn has not come yet

    def later(self, partner: str, release: Callable[[], Any]) -> None:
        """Run ``release`` (hand over ``partner``'s input) now, at its arrival time, or (one of
        ``arrival.last``) once everything the others handed over is processed and paid."""
        delay = self.arrival.delay(partner) if self.arrival else 0.0
        last = self.arrival is not None and partner in self.arrival.last
        if delay <= 0 and not last:
            release()
            return
        self.waiting.add(partner)

        async def at_its_time() -> None:
            await asyncio.sleep(delay)
            while last and not await asyncio.to_thread(self.settled):
                await asyncio.sleep(2.0)
            result = release()
            if asyncio.iscoroutine(result):
                self.tasks.append(asyncio.ensure_future(result))
            self.waiting.discard(partner)

        self.tasks.append(asyncio.create_task(at_its_time(), name=f"arrival-{partner}"))

    async def start(self, stack: contextlib.AsyncExitStack, writer: TopicWriter) -> None:
        """Start every partner the folder has, and its connector."""
        self.work.mkdir(parents=True, exist_ok=True)
        if (self.folder / "duo").is_dir():
            self._duo(stack, writer)
        if (self.folder / "taalaanbieder").is_dir():
            for inbox in sorted((self.folder / "taalaanbieder").glob("*/inbox")):
                DropFolder(self.work / "taalaanbieder" / inbox.parent.name).create()
            self.later("taalaanbieder", lambda: _copy_inboxes(self.folder / "taalaanbieder",
                                                              self.work / "taalaanbieder"))
            taal = TaalSettings(root=str(self.work / "taalaanbieder"), poll_interval_s=0.5)
            self.connectors.append(TaalaanbiederConnector(self.runtime, writer, settings=taal))
        if (self.folder / "financieel").is_dir():
            self._financieel(writer)
        if (self.folder / "isam").is_dir():
            await self._isam(stack, writer)
        if (self.folder / "kredietbank").is_dir():
            await self._kredietbank(stack, writer)

    def _duo(self, stack: contextlib.AsyncExitStack, writer: TopicWriter) -> None:
        pki = generate_pki(self.work / "duo-pki")
        sim = simulator_for(pki)
        changes = load_duo(self.folder / "duo" / "wijzigingen.xml")
        late: list[Any] = []
        if self.arrival is not None and DUO_LATE in self.arrival.last:
            late = [c for c in changes if c.kind == "Ontheffing" or c.corrigeert]
            changes = [c for c in changes if c not in late]
        self.duo_last = max((c.sequence for c in changes), default=0)
        self.later("duo", lambda: sim.changes.extend(changes))
        if late:
            self.later(DUO_LATE, lambda: self._late_duo(sim.changes, late))
        url = stack.enter_context(serve_duo(sim, tls=ServerTls(pki.server_cert, pki.server_key,
                                                               pki.ca_cert)))
        self.connectors.append(DuoConnector(self.runtime, writer, settings=settings_for(
            pki, url, cursor_name=self.cursor("duo"), page_size=500, poll_interval_s=1.0)))

    def _financieel(self, writer: TopicWriter) -> None:
        root = self.work / "financieel"
        folder = DropFolder(root).create()
        self.later("financieel", lambda: _copy_files(self.folder / "financieel" / "inbox",
                                                     folder.inbox))
        bank = self.folder / "financieel" / "bank.json"
        config = json.loads(bank.read_text(encoding="utf-8")) if bank.exists() else {}
        self.bank = FinancialSystemSimulator(folder, reject_every=int(config.get("reject_every",
                                                                                 0)))
        self.connectors.append(FinancieelConnector(self.runtime, writer, settings=FinSettings(
            root=str(root), poll_interval_s=0.5)))

    async def _isam(self, stack: contextlib.AsyncExitStack, writer: TopicWriter) -> None:
        sim = IsamSimulator(api_token=secrets.token_hex(16), callback_token=secrets.token_hex(16))
        url = await stack.enter_async_context(serve_isam(sim))
        subscriptions = self.work / "isam" / "abonnementen.json"
        subscriptions.parent.mkdir(parents=True, exist_ok=True)
        subscriptions.write_text(json.dumps([{
            "callbackUrl": url + CALLBACK_PATH, "auth": f"Bearer {sim.callback_token}",
            "kanalen": [{"naam": KANAAL, "filters": {}}]}], indent=2))
        settings = IsamSettings(
            api_url=url + "/api/v1", api_token=sim.api_token, webhook_port=free_port(),
            webhook_token=secrets.token_hex(16), subscriptions_file=str(subscriptions),
            database_url=f"sqlite:///{self.work / 'isam.db'}", retry_attempts=4,
            retry_backoff_s=0.5)
        self.isam = sim
        self.connectors.append(IsamConnector(self.runtime, writer, settings=settings))
        path = self.folder / "isam" / "notificaties.jsonl"
        self.isam_total = sum(1 for _ in path.open(encoding="utf-8")) if path.exists() else 0
        self.later("isam", lambda: self.tasks.append(asyncio.create_task(
            play_isam(sim, settings, path, self.isam_sent), name="scenario-isam")))

    async def _kredietbank(self, stack: contextlib.AsyncExitStack, writer: TopicWriter) -> None:
        sim = ReplayKredietbank(token=secrets.token_hex(16))
        mutaties = load_mutaties(self.folder / "kredietbank" / "mutaties.jsonl")
        facturen = load_facturen(self.folder / "kredietbank")

        def release() -> None:
            sim.mutaties, sim.facturen = mutaties, facturen

        self.later("kredietbank", release)
        url = await stack.enter_async_context(serve_kredietbank(sim))
        self.kb = sim
        self.connectors.append(KredietbankConnector(self.runtime, writer,
                                                    settings=KredietbankSettings(
            api_url=url, api_token=sim.token, poll_interval_s=1.0, retry_backoff_s=0.5,
            page_size=500, cursor_name=self.cursor("kredietbank"), relay_besluiten=False)))

    def _late_duo(self, served: list[Any], late: list[Any]) -> None:
        """DUO hands out its held-back changes after the others, numbered on from its last one
        (its cursor has passed their old numbers; the order that counts is their tijdstip)."""
        start = max((c.sequence for c in served), default=0)
        served.extend(replace(c, sequence=start + n) for n, c in enumerate(late, 1))
        self.duo_last = start + len(late)

    def settled(self) -> bool:
        """The partners that are not last have handed everything over, the hub has projected
        and published it, and the bank has executed every payment batch."""
        last = set(self.arrival.last) if self.arrival else set()
        if any(v for k, v in self.delivered().items() if k not in last):
            return False
        store = self.runtime.store
        if store.pending_projections() or store.pending_outbox(1):
            return False
        return self.bank is None or not list(self.bank.folder.outbox.glob("*.xml"))

    def cursor(self, partner: str) -> str:
        """This replay's own cursor name (a later replay starts from the beginning again)."""
        return f"{partner}.scenario.{self.run_id}"

    async def bank_loop(self, stop: asyncio.Event) -> None:
        """The bank answers payment batches with statements while the replay runs."""
        while self.bank is not None and not stop.is_set():
            await asyncio.to_thread(self.bank.step)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), 1.0)

    def delivered(self) -> dict[str, str]:
        """Per partner what is still to hand over (empty text: done)."""
        store, out = self.runtime.store, {p: "arrives later" for p in self.waiting}
        if self.duo_last and "duo" not in self.waiting:
            cursor = int(store.get_cursor(self.cursor("duo")) or 0)
            out["duo"] = "" if cursor >= self.duo_last else f"{cursor}/{self.duo_last} pulled"
        waiting = sum(len(f.waiting()) for f in partners(self.work / "taalaanbieder"))
        if "taalaanbieder" not in self.waiting:
            out["taalaanbieder"] = f"{waiting} files waiting" if waiting else ""
        if self.bank is not None:
            left = len(self.bank.folder.waiting()) + len(list(
                self.bank.folder.outbox.glob("pain001_*.xml")))
            out.setdefault("financieel", f"{left} files waiting" if left else "")
        if self.isam is not None and "isam" not in self.waiting:
            pending = sum(c.spool.count("wachtend") for c in self.connectors
                          if isinstance(c, IsamConnector))
            sent = len(self.isam_sent)
            out["isam"] = "" if sent >= self.isam_total and not pending else \
                f"{sent}/{self.isam_total} sent, {pending} to fetch"
        if self.kb is not None and "kredietbank" not in self.waiting:
            out["kredietbank"] = self._kb_left()
        return out

    def _kb_left(self) -> str:
        assert self.kb is not None
        store = self.runtime.store
        mutaties = int(store.get_cursor(self.cursor("kredietbank") + ".mutaties") or 0)
        facturen = int(store.get_cursor(self.cursor("kredietbank") + ".facturen") or 0)
        if mutaties >= len(self.kb.mutaties) and facturen >= len(self.kb.facturen):
            return ""
        return f"mutaties {mutaties}/{len(self.kb.mutaties)}, " \
               f"facturen {facturen}/{len(self.kb.facturen)}"


def _copy_inboxes(source: Path, target: Path) -> None:
    for inbox in sorted(source.glob("*/inbox")):
        folder = DropFolder(target / inbox.parent.name).create()
        _copy_files(inbox, folder.inbox)


def _copy_files(source: Path, target: Path) -> None:
    """Copy like a careful partner: hidden temporary name, then rename."""
    target.mkdir(parents=True, exist_ok=True)
    if not source.is_dir():
        return
    for path in sorted(p for p in source.iterdir() if p.is_file()):
        tmp = target / f".{path.name}.tmp"
        shutil.copyfile(path, tmp)
        os.replace(tmp, target / path.name)
