"""Re-driving an edge dead letter: its sealed original re-enters its connector's translation.

An edge letter holds the partner's payload (a notification with its details, a DUO change, a
Kredietbank mutatie or invoice), never an Avro message, so it cannot go back to a topic as is.
A re-drive (``hub dlq redrive``, the console) marks it ``redriven`` in the store; the connector
that wrote it claims it through the ``ReentryPort`` (the bootstrap wires the case store's
adapter, ``hub.runtime.StoreReentries``; no partner folder touches the store), unseals the
original and hands it to its own ``reenter(reentry, original)``: the same translation a fresh
payload goes through. What that yields is produced with the ``hub-redrive-of`` header, so the
worker resolves the letter once the message is stored (one that translates to nothing the hub
keeps, a page without entries, is resolved at once); a payload refused again becomes a new
edge letter naming the old one (``redrive_of``), which the worker marks failed-again.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from typing import Any, Protocol

from connectors.edge import Routed
from connectors.kit.deadletter import REDRIVE_HEADER, DeadLetters
from connectors.kit.retry import wait
from hub.errors import HubError, PermanentError

log = logging.getLogger(__name__)


class Reentry(Protocol):
    """A re-driven edge letter, claimed by its connector (``hub.store.DeadLetter``)."""

    @property
    def letter_id(self) -> str:
        """The letter's id."""

    @property
    def source_topic(self) -> str:
        """The topic the payload was meant for."""

    @property
    def reentry(self) -> str | None:
        """How it re-enters (``isam.notificatie``)."""

    @property
    def sealed_original(self) -> dict[str, Any] | None:
        """The sealed partner payload."""

    @property
    def attempts(self) -> int:
        """Attempts so far."""

    @property
    def case_ref(self) -> str:
        """The case, when known."""


class ReentryPort(Protocol):
    """Where a connector finds its re-driven edge letters (each handed out once) and resolves
    its re-driven in-hub letters once it delivered their message (``kit.consumer``)."""

    def claim_reentries(self, consumer: str, limit: int = 20) -> Sequence[Reentry]:
        """Re-driven letters of ``consumer`` not yet claimed; claimed now."""

    def release_reentry(self, letter_id: str) -> None:
        """Give a claimed letter back (its re-entry failed for a passing reason)."""

    def settle_delivered(self, consumer: str, letter_ids: Sequence[str]) -> int:
        """Resolve ``consumer``'s re-driven letters whose message it delivered; how many."""


class Opener(Protocol):
    """Opens a sealed original (``hub.privacy.BsnCipher``)."""

    def open_payload(self, sealed: dict[str, Any]) -> bytes:
        """The payload's bytes."""


class Writer(Protocol):
    """Produces encoded records with headers (``hub.publish.TopicWriter``)."""

    def encode(self, topic: str, record: dict[str, Any]) -> tuple[bytes, bytes]:
        """(key, value) bytes."""

    async def send_raw(self, topic: str, pairs: Sequence[tuple[bytes | None, bytes | None]],
                       headers: Sequence[tuple[str, bytes]] = ()) -> None:
        """Produce encoded pairs with headers."""


class Reenterable(Protocol):
    """A connector that can take its own edge letters back."""

    async def reenter(self, reentry: str, original: bytes) -> list[Routed]:
        """Translate a re-entered original like a fresh one (``PermanentError`` if refused)."""


async def reenter_once(connector: Reenterable, port: ReentryPort, consumer: str,
                       opener: Opener, writer: Writer, dead: DeadLetters) -> int:
    """Claim this connector's re-driven letters and re-enter each; how many were taken."""
    claimed = await asyncio.to_thread(port.claim_reentries, consumer)
    for n, item in enumerate(claimed):
        try:
            await _one(connector, item, opener, writer, dead, port)
        except HubError:  # the partner or the broker is away: give the rest back for later
            for later in claimed[n:]:
                await asyncio.to_thread(port.release_reentry, later.letter_id)
            raise
    return len(claimed)


async def _one(connector: Reenterable, item: Reentry, opener: Opener, writer: Writer,
               dead: DeadLetters, port: ReentryPort) -> None:
    original, sealed = b"", item.sealed_original or {}
    try:
        original = opener.open_payload(sealed)
        made = await connector.reenter(item.reentry or "", original)
    except PermanentError as exc:
        media = str(sealed.get("media_type") or "application/octet-stream")
        ident = f"{item.letter_id.removeprefix(f'dl:{dead.consumer}:')}/redrive-{item.attempts}"
        await dead.put_edge(item.source_topic, original, exc, ident, media_type=media,
                            reentry=item.reentry or "", redrive_of=item.letter_id,
                            attempts=item.attempts + 1, case_ref=item.case_ref)
        return
    if not made:  # translated to nothing the hub keeps (a page with no entries): done
        await asyncio.to_thread(port.settle_delivered, dead.consumer, [item.letter_id])
        log.info("dead_letter_reentered id=%s reentry=%s records=0", item.letter_id,
                 item.reentry)
        return
    headers = [(REDRIVE_HEADER, item.letter_id.encode())]
    for routed in made:
        await writer.send_raw(routed.topic, [writer.encode(routed.topic, routed.record)],
                              headers)
    log.info("dead_letter_reentered id=%s reentry=%s records=%d", item.letter_id, item.reentry,
             len(made))


async def reentry_loop(connector: Reenterable, port: ReentryPort, consumer: str,
                       opener: Opener, writer: Writer, dead: DeadLetters,
                       stop: asyncio.Event, interval_s: float = 2.0) -> None:
    """``reenter_once`` every ``interval_s`` until stopped; a failing round is logged, retried."""
    while not stop.is_set():
        try:
            await reenter_once(connector, port, consumer, opener, writer, dead)
        except HubError as exc:  # store, partner or broker away: the next round tries again
            log.warning("reentry_failed consumer=%s error=%s", consumer, type(exc).__name__)
        if await wait(stop, interval_s):
            return


class NoReentry:
    """``ReentryPort`` with nothing to re-enter (tests, one-off runs)."""

    def claim_reentries(self, consumer: str, limit: int = 20) -> Sequence[Reentry]:
        """Nothing."""
        return []

    def release_reentry(self, letter_id: str) -> None:
        """Nothing to give back."""

    def settle_delivered(self, consumer: str, letter_ids: Sequence[str]) -> int:
        """Nothing to resolve."""
        return 0
