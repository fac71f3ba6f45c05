"""The one bootstrap: wires settings to the codec, the store and the rules."""

from __future__ import annotations

import logging
import threading
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

import topics
from hub.codec import AvroCodec
from hub.errors import ConfigurationError, UnparsableSetting
from hub.outbound.emit import LedgerEmitter
from hub.privacy import BsnCipher
from hub.reconcile.links import derived, linked
from hub.reconcile.moves import Peildatum
from hub.reconcile.tables import load_tables
from hub.reconcile.view import Reconciler
from hub.registry import registry_from_settings
from hub.settings import Settings
from hub.store import Store
from hub.store.dead_letters import DeadLetter
from hub.store.engine import SQLITE_BACKSTOP_PAGES, SQLITE_CHECKPOINT_PAGES

if TYPE_CHECKING:
    from hub.agents.ownership import ShardOwnership


@dataclass
class Runtime:
    """Adapters built once per process from one ``Settings``."""

    settings: Settings
    shard_owner: ShardOwnership | None = None  # set by ``hub worker`` for its projector child

    @cached_property
    def codec(self) -> AvroCodec:
        """Avro codec on the configured schema registry."""
        return AvroCodec(registry_from_settings(self.settings))

    @cached_property
    def store(self) -> Store:
        """The case store, migrated; views are deferred to the worker's projector."""
        self.settings.var_dir.mkdir(parents=True, exist_ok=True)
        apart = self.settings.projector == "process"  # it caches facts and runs checkpoints
        return Store(self.settings.effective_database_url, projection=self.reconciler,
                     emitter=self.emitter, derive=derived, links=linked, deferred_views=True,
                     folding=self.reconciler,
                     cache_recorded=not apart,
                     checkpoint_pages=SQLITE_BACKSTOP_PAGES if apart else SQLITE_CHECKPOINT_PAGES)

    @cached_property
    def cursors(self) -> StoreCursors:
        """The connectors' cursor port (``connectors.kit.cursor.CursorStore``) on the store."""
        return StoreCursors(self.store)

    @cached_property
    def stopping(self) -> threading.Event:
        """Set when the worker stops: store work paused by an outage gives up (uncommitted)."""
        return threading.Event()

    @cached_property
    def reentries(self) -> StoreReentries:
        """The connectors' re-entry port (``connectors.kit.reentry.ReentryPort``) on the store."""
        return StoreReentries(self.store)

    @cached_property
    def emitter(self) -> LedgerEmitter:
        """What a view change sends: the effect ledger's diff (bookings and reversals, signals
        and withdrawals, registrations and corrections), encoded."""
        return LedgerEmitter(self.codec)

    @cached_property
    def reconciler(self) -> Reconciler:
        """The projection: rate tables loaded (and checked for gaps) once, at start."""
        folder = Path(self.settings.rate_tables) if self.settings.rate_tables else None
        try:
            peildatum = Peildatum.parse(self.settings.peildatum)
        except UnparsableSetting as exc:
            raise ConfigurationError(f"HUB_PEILDATUM: {exc}") from None
        return Reconciler(load_tables(folder), peildatum)

    @cached_property
    def cipher(self) -> BsnCipher:
        """BSN encryption under the configured keys."""
        return BsnCipher.from_settings(self.settings)

    @cached_property
    def store_executor(self) -> ThreadPoolExecutor:
        """One thread for store work: keeps blocking I/O off the event loop, writes serialised."""
        return ThreadPoolExecutor(max_workers=1, thread_name_prefix="store")

    def physical(self, topic: str) -> str:
        """The broker-side name of a declared topic."""
        return topics.physical(topic, self.settings.topic_suffix)

    def logical(self, physical: str) -> str:
        """The declared name of a broker-side topic."""
        return topics.logical(physical, self.settings.topic_suffix)


class StoreCursors:
    """Pull cursors of the connectors in the case store's cursor table (nothing else of it)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def get_cursor(self, name: str) -> str | None:
        """The saved cursor, or None."""
        return self._store.get_cursor(name)

    def set_cursor(self, name: str, value: str) -> None:
        """Save the cursor."""
        self._store.set_cursor(name, value)


class StoreReentries:
    """Re-driven dead letters for their connectors: edge letters to re-enter, delivered
    re-drives to resolve (nothing else of the store)."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def claim_reentries(self, consumer: str, limit: int = 20) -> list[DeadLetter]:
        """Re-driven edge letters of ``consumer`` not yet claimed; claimed now."""
        return self._store.claim_reentries(consumer, limit)

    def release_reentry(self, letter_id: str) -> None:
        """Give a claimed letter back for the next round."""
        self._store.release_reentry(letter_id)

    def settle_delivered(self, consumer: str, letter_ids: Sequence[str]) -> int:
        """Resolve ``consumer``'s re-driven letters whose message it delivered; how many."""
        return self._store.settle_delivered(consumer, letter_ids)


def configure_logging(level: str) -> None:
    """Short event-name log lines; never payloads."""
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s %(message)s")
