"""Re-drive and resolve dead letters, per kind, from the store; each act audited with a reason.

- An in-hub letter (kind ``hub``) goes back to its source topic: its original key and value
  unchanged, with the ``hub-attempts`` header (the handler adds one when it fails again) and
  ``hub-redrive-of`` naming the letter, so the worker marks it ``resolved`` once the message is
  stored, or ``failed-again`` (linked to the new letter) when it is refused again.
- An edge letter (kind ``edge``) never goes to a topic: raw partner bytes are no Avro. It is
  marked ``redriven`` for its connector, which takes it back through its own translation
  (``connectors.kit.reentry``); a letter whose connector takes no such payload back is refused
  here (resolve it instead).
- Resolving without re-drive (``discarded``) needs a reason too.

Bulk selections (by source topic, error type, age, or all) take only pending letters (a
failed-again letter lives on in its next letter) unless asked to include re-driven ones; ids
named explicitly are taken while they are not settled (resolved or discarded). ``dry_run`` is
the caller's: select, print, do nothing.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import topics
from hub.broker_ops import BrokerOps
from hub.errors import ConfigurationError, UpstreamUnavailable
from hub.store import Store
from hub.store.dead_letters import (
    DISCARDED,
    EDGE,
    OPEN,
    REDRIVEN,
    RESOLVED,
    DeadLetter,
    LetterFilter,
    list_letters,
)

log = logging.getLogger(__name__)
MIN_REASON = 5
ATTEMPTS_HEADER = "hub-attempts"  # hub.agents.handler
REDRIVE_HEADER = "hub-redrive-of"
MAX_BULK = 10_000


@dataclass(frozen=True)
class Redriven:
    """One re-driven dead letter and where it went (a topic position, or its connector)."""

    dead_letter: str
    topic: str
    partition: int = -1
    offset: int = -1
    connector: str | None = None


@dataclass(frozen=True)
class Selection:
    """Which dead letters an operator chose."""

    ids: tuple[str, ...] = ()
    topic: str | None = None
    error_type: str | None = None
    older_than: timedelta | None = None
    every: bool = False
    include_redriven: bool = False

    @property
    def bulk(self) -> bool:
        """Whether letters are chosen by a criterion rather than by id."""
        return bool(self.topic or self.error_type or self.older_than or self.every)


def check_reason(reason: str | None) -> str:
    """The stripped reason, or ``ConfigurationError`` when it is missing or too short."""
    text = (reason or "").strip()
    if len(text) < MIN_REASON:
        raise ConfigurationError(f"a re-drive or resolution needs a reason of at least "
                                 f"{MIN_REASON} characters")
    return text


def check_selection(selection: Selection) -> None:
    """``ConfigurationError`` unless letters are chosen by ids, a criterion, or all."""
    if not (selection.ids or selection.bulk):
        raise ConfigurationError("choose dead letters: ids, --topic, --error-type, "
                                 "--older-than, or --all")


def select_letters(store: Store, selection: Selection) -> list[DeadLetter]:
    """The chosen letters, oldest first; ``ConfigurationError`` for unknown or settled ids."""
    check_selection(selection)
    chosen: dict[str, DeadLetter] = {}
    if selection.ids:
        named = list_letters(store.engine, LetterFilter(letter_ids=selection.ids),
                             limit=len(selection.ids))
        missing = set(selection.ids) - {x.letter_id for x in named}
        if missing:
            raise ConfigurationError(f"unknown dead letter(s): {', '.join(sorted(missing))}")
        settled = [x.letter_id for x in named if x.status in (RESOLVED, DISCARDED)]
        if settled:
            raise ConfigurationError(f"already settled: {', '.join(sorted(settled))}")
        chosen.update((x.letter_id, x) for x in named)
    if selection.bulk:
        statuses = (*OPEN, REDRIVEN) if selection.include_redriven else OPEN
        for status in statuses:
            flt = LetterFilter(status=status, source_topic=selection.topic,
                               error_type=selection.error_type, older_than=selection.older_than)
            chosen.update((x.letter_id, x) for x in list_letters(
                store.engine, flt, limit=MAX_BULK, oldest_first=True))
    return sorted(chosen.values(), key=lambda x: (x.failed_at, x.id))


def how_redriven(letter: DeadLetter) -> str:
    """Where a re-drive would send the letter, or ``ConfigurationError`` saying why not."""
    if letter.kind == EDGE:
        from connectors.registry import CONNECTORS, connector_class  # the edge's own contract

        connector = (letter.reentry or "").partition(".")[0]
        if connector not in CONNECTORS or letter.reentry not in connector_class(
                connector).reentries:
            raise ConfigurationError(
                f"{letter.letter_id}: connector {connector or '?'} takes no "
                f"{letter.reentry or 'unnamed'} payload back; resolve it with a reason")
        return f"connector {connector} ({letter.reentry})"
    if letter.original_value is None:
        raise ConfigurationError(f"{letter.letter_id}: its original is not in the store "
                                 "(recorded before 0006); resolve it with a reason")
    topics.by_name(letter.source_topic)  # only declared topics are re-driven to
    return f"topic {letter.source_topic}"


def redrive(letters: Sequence[DeadLetter], *, reason: str, actor: str, bootstrap: str,
            suffix: str, store: Store,
            on_sent: Callable[[Redriven], None] | None = None) -> list[Redriven]:
    """Re-drive each letter per its kind, in order, each audited; a failure stops the run.

    The letters re-driven so far keep their status and audit rows; kafka-python
    (``hub.broker_ops``) produces the in-hub ones (the console calls this in a thread).
    """
    reason = check_reason(reason)
    for letter in letters:
        how_redriven(letter)  # refuse the whole run before sending anything
    done: list[Redriven] = []
    with contextlib.ExitStack() as stack:
        broker = stack.enter_context(BrokerOps(bootstrap)) if any(
            x.kind != EDGE for x in letters) else None  # edge letters need no broker
        for letter in letters:
            try:
                done.append(_one(broker, letter, reason, actor, suffix, store))
            except UpstreamUnavailable as exc:
                raise UpstreamUnavailable(f"re-drive stopped at {letter.letter_id} after "
                                          f"{len(done)} re-driven: {exc}") from exc
            if on_sent is not None:
                on_sent(done[-1])
    return done


def _one(broker: BrokerOps | None, letter: DeadLetter, reason: str, actor: str, suffix: str,
         store: Store) -> Redriven:
    """Mark the letter re-driven (audited) first, then send: the worker may store or refuse
    the message before this returns, and its verdict must come after the mark."""
    if letter.kind == EDGE:
        to: dict[str, Any] = {"connector": letter.consumer, "reentry": letter.reentry}
        _mark(store, letter, actor, reason, to)
        sent = Redriven(letter.letter_id, letter.source_topic, connector=letter.consumer)
    else:
        assert broker is not None and letter.original_value is not None
        _mark(store, letter, actor, reason, {"topic": letter.source_topic})
        headers = [(ATTEMPTS_HEADER, str(letter.attempts).encode()),
                   (REDRIVE_HEADER, letter.letter_id.encode())]
        try:
            meta = broker.send(topics.physical(letter.source_topic, suffix),
                               letter.original_key, letter.original_value, headers)
        except UpstreamUnavailable:
            store.redrive_failed(letter.letter_id, back_to=letter.status, actor=actor)
            raise
        sent = Redriven(letter.letter_id, letter.source_topic, meta.partition, meta.offset)
        to = {"topic": letter.source_topic, "partition": meta.partition, "offset": meta.offset}
        store.redriven_to(letter.letter_id, to)
    log.info("dead_letter_redriven id=%s kind=%s to=%s actor=%s", letter.letter_id,
             letter.kind, to, actor)
    return sent


def _mark(store: Store, letter: DeadLetter, actor: str, reason: str, to: dict[str, Any]
          ) -> None:
    if not store.mark_redriven(letter.letter_id, actor=actor, reason=reason, to=to):
        raise ConfigurationError(f"{letter.letter_id} was settled meanwhile; not re-driven")


def resolve(letters: Sequence[DeadLetter], *, reason: str, actor: str, store: Store
            ) -> list[str]:
    """Resolve each letter without re-drive (``discarded``), audited; the ids resolved."""
    reason = check_reason(reason)
    done = [x.letter_id for x in letters
            if store.discard_dead_letter(x.letter_id, actor=actor, reason=reason)]
    for letter_id in done:
        log.info("dead_letter_discarded id=%s actor=%s", letter_id, actor)
    return done
