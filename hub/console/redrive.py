"""Re-drive dead letters: their original key and value back to their source topic, audited.

The message goes out unchanged, with the ``hub-attempts`` header set to the attempts the
dead letter counted, so the handler adds one when it fails again and the new dead letter
says ``attempts = previous + 1``. Each re-drive writes one audit row (who, when, which dead
letter, where the message went, why) right after the broker acknowledged the message; a
reason is mandatory. A bulk selection skips dead letters that were re-driven before unless
asked to include them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import topics
from hub.agents.handler import ATTEMPTS_HEADER
from hub.broker_ops import BrokerOps
from hub.console.sampler import DeadLetterEntry
from hub.console.store_reads import REDRIVE_ACTION
from hub.errors import ConfigurationError, UpstreamUnavailable
from hub.store import Store

log = logging.getLogger(__name__)
MIN_REASON = 5


@dataclass(frozen=True)
class Redriven:
    """One re-driven dead letter and where its message went."""

    dead_letter: str
    topic: str
    partition: int
    offset: int


def check_reason(reason: str | None) -> str:
    """The stripped reason, or ``ConfigurationError`` when it is missing or too short."""
    text = (reason or "").strip()
    if len(text) < MIN_REASON:
        raise ConfigurationError(f"a re-drive needs a reason of at least {MIN_REASON} characters")
    return text


def check_selection(ids: Sequence[str], topic: str | None, every: bool) -> None:
    """``ConfigurationError`` unless dead letters are chosen by ids, a source topic, or all."""
    if not (ids or topic or every):
        raise ConfigurationError("choose dead letters: ids, a source topic, or all")


def select_letters(letters: Iterable[DeadLetterEntry], *, ids: Sequence[str] = (),
                   topic: str | None = None, every: bool = False,
                   redriven: Iterable[str] = (), include_redriven: bool = False
                   ) -> list[DeadLetterEntry]:
    """The dead letters chosen by id, by source topic, or all; in dead-letter-topic order."""
    check_selection(ids, topic, every)
    done = set(redriven)
    wanted = set(ids)
    chosen = [e for e in letters
              if (e.id in wanted or every or (topic is not None
                                              and e.record["source_topic"] == topic))
              and (include_redriven or e.id in wanted or e.id not in done)]
    missing = wanted - {e.id for e in chosen}
    if missing:
        raise ConfigurationError(f"unknown dead letter(s): {', '.join(sorted(missing))}")
    return sorted(chosen, key=lambda e: (e.dlt, e.partition, e.offset))


def redrive(letters: Sequence[DeadLetterEntry], *, reason: str, actor: str,
            bootstrap: str, suffix: str, store: Store,
            on_sent: Callable[[Redriven], None] | None = None) -> list[Redriven]:
    """Produce each letter's original message to its source topic and audit it.

    One at a time, in order, through kafka-python (``hub.broker_ops``; the console calls this in
    a thread): a failure stops the run and the letters re-driven so far keep their audit rows
    (``on_sent`` is told about each, for progress).
    """
    reason = check_reason(reason)
    done: list[Redriven] = []
    with BrokerOps(bootstrap) as broker:
        for entry in letters:
            try:
                done.append(_one(broker, entry, reason, actor, suffix, store))
            except UpstreamUnavailable as exc:
                raise UpstreamUnavailable(f"re-drive stopped at {entry.id} after {len(done)} "
                                          f"re-driven: {exc}") from exc
            if on_sent is not None:
                on_sent(done[-1])
    return done


def _one(broker: BrokerOps, entry: DeadLetterEntry, reason: str, actor: str, suffix: str,
         store: Store) -> Redriven:
    record: dict[str, Any] = entry.record
    source = str(record["source_topic"])
    topics.by_name(source)  # only declared topics are re-driven to
    headers = [(ATTEMPTS_HEADER, str(int(record["attempts"])).encode())]
    meta = broker.send(topics.physical(source, suffix), record.get("original_key"),
                       record["original_value"], headers)
    sent = Redriven(entry.id, source, meta.partition, meta.offset)
    store.audit(actor, REDRIVE_ACTION, "dead_letter", entry.id, reason=reason,
                old={"dead_letter_topic": entry.dlt, "dead_letter_partition": entry.partition,
                     "dead_letter_offset": entry.offset, "source_topic": source,
                     "source_partition": record["source_partition"],
                     "source_offset": record["source_offset"],
                     "error_type": record["error_type"], "attempts": record["attempts"]},
                new={"topic": source, "partition": meta.partition, "offset": meta.offset})
    log.info("dead_letter_redriven id=%s to=%s/%d/%d actor=%s", entry.id, source,
             meta.partition, meta.offset, actor)
    return sent
