"""Consumer groups: members, per-partition lag, and offset resets (``hub groups``, the console).

A reset moves a group's committed offsets on one group (every partition it has committed on),
one topic or one partition, to ``earliest``, ``latest``, a timestamp (the first message at or
after it; the end where there is none) or an absolute offset (clamped to what is retained).
``latest`` is the *true* end from ``BrokerOps.offsets`` (Tansu lists the newest batch's start
plus one), and the new offsets are written with ``alter_group_offsets``; kafka-python's own
``reset_group_offsets`` would clamp to Tansu's wrong end. Kafka's rule holds: a group with
active members is refused (``GroupActive``), since a live member would overwrite the reset
with its next commit. ``plan`` is the dry run; ``apply`` re-checks the members, writes, and
audits one row (old and new offset per partition, the reason).

Synchronous, on kafka-python (``hub.broker_ops``); the console calls it in a thread.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from kafka import TopicPartition
from kafka.structs import OffsetAndMetadata

import topics
from hub.broker_ops import BrokerOps
from hub.compat import describe_groups
from hub.errors import ConfigurationError, GroupActive, UpstreamUnavailable

RESET_ACTION = "consumer_group.reset"
SPECS = ("earliest", "latest", "timestamp", "offset")
MIN_REASON = 5


class Auditor(Protocol):
    """Where the reset's audit row goes (``hub.store.Store.audit``)."""

    def audit(self, actor: str, action: str, entity: str, entity_id: str, *, old: Any = None,
              new: Any = None, reason: str | None = None) -> None: ...


@dataclass(frozen=True)
class Member:
    """One live member of a group."""

    member_id: str
    client_id: str
    host: str


@dataclass(frozen=True)
class GroupInfo:
    """A group's state and members, as the broker describes it."""

    group: str
    state: str
    members: list[Member]


@dataclass(frozen=True)
class Move:
    """One partition of a reset: from the committed offset (None: none) to ``new``."""

    topic: str
    partition: int
    old: int | None
    new: int
    end: int

    @property
    def lag_after(self) -> int:
        """Messages the group will (re)read from ``new``."""
        return max(0, self.end - self.new)


@dataclass(frozen=True)
class ResetPlan:
    """What a reset would do (the dry run), or did once ``applied``."""

    group: str
    spec: str
    moves: list[Move]
    applied: bool = False
    errors: dict[str, str] = field(default_factory=dict)


def describe(ops: BrokerOps, group: str) -> GroupInfo:
    """State and members of ``group`` (tolerant of Tansu's ACL answer: ``hub.compat``)."""
    found = describe_groups(ops.admin, [group]).get(group) or {}
    members = [Member(str(m.get("member_id", "")), str(m.get("client_id", "")),
                      str(m.get("client_host", ""))) for m in found.get("members") or []]
    return GroupInfo(group, str(found.get("group_state") or "Dead"), members)


def check_reason(reason: str | None) -> str:
    """The stripped reason, or ``ConfigurationError`` when it is shorter than ``MIN_REASON``."""
    text = (reason or "").strip()
    if len(text) < MIN_REASON:
        raise ConfigurationError(f"a reset needs a reason of at least {MIN_REASON} characters")
    return text


def _targets(ops: BrokerOps, group: str, topic: str | None, partition: int | None,
             suffix: str) -> list[TopicPartition]:
    if topic is None:
        if partition is not None:
            raise ConfigurationError("a partition needs its topic")
        found = sorted(ops.committed(group), key=lambda tp: (tp.topic, tp.partition))
        if not found:
            raise ConfigurationError(f"group {group} has no committed offsets: name a topic")
        return found
    topics.by_name(topics.logical(topic, suffix))  # only declared topics
    tps = ops.partitions([topics.physical(topics.logical(topic, suffix), suffix)])
    if partition is not None:
        tps = [tp for tp in tps if tp.partition == partition]
    if not tps:
        raise ConfigurationError(f"{topic} has no partition {partition} on the broker"
                                 if partition is not None else f"{topic} is not on the broker")
    return tps


def _new_offsets(ops: BrokerOps, tps: list[TopicPartition], spec: str, value: str | None
                 ) -> dict[TopicPartition, int]:
    offsets = ops.offsets(tps)
    if spec == "earliest":
        return {tp: offsets[tp].earliest for tp in tps}
    if spec == "latest":
        return {tp: offsets[tp].end for tp in tps}
    if spec == "offset":
        try:
            wanted = int(value or "")
        except ValueError as exc:
            raise ConfigurationError("--to offset needs a whole number") from exc
        return {tp: min(max(wanted, offsets[tp].earliest), offsets[tp].end) for tp in tps}
    if spec == "timestamp":
        at = parse_time(value)
        found = ops.offsets_for_times(tps, int(at.timestamp() * 1000))
        return {tp: offsets[tp].end if found[tp] is None
                else min(max(int(found[tp] or 0), offsets[tp].earliest), offsets[tp].end)
                for tp in tps}
    raise ConfigurationError(f"unknown reset {spec!r}: use {', '.join(SPECS)}")


def parse_time(value: str | None) -> datetime:
    """An ISO 8601 moment with its offset (``2026-12-03T10:00:00+01:00`` or ``...Z``)."""
    try:
        at = datetime.fromisoformat((value or "").replace("Z", "+00:00"))
    except ValueError as exc:
        raise ConfigurationError("a timestamp must be ISO 8601, e.g. 2026-12-03T10:00:00Z") \
            from exc
    if at.tzinfo is None:
        raise ConfigurationError("a timestamp needs its UTC offset (Z or +01:00)")
    return at


def plan(ops: BrokerOps, group: str, spec: str, *, value: str | None = None,
         topic: str | None = None, partition: int | None = None, suffix: str = "") -> ResetPlan:
    """The dry run: every partition's committed and new offset; nothing is written."""
    tps = _targets(ops, group, topic, partition, suffix)
    new = _new_offsets(ops, tps, spec, value)
    committed = ops.committed(group)
    ends = ops.offsets(tps)
    moves = [Move(topics.logical(tp.topic, suffix), tp.partition, committed.get(tp), new[tp],
                  ends[tp].end) for tp in tps]
    return ResetPlan(group, spec, moves)


def apply(ops: BrokerOps, chosen: ResetPlan, *, actor: str, reason: str, store: Auditor,
          suffix: str = "") -> ResetPlan:
    """Write the plan's offsets (refused while the group has members) and audit it."""
    reason = check_reason(reason)
    info = describe(ops, chosen.group)
    if info.members:
        raise GroupActive(f"group {chosen.group} has {len(info.members)} active member(s) "
                          f"(state {info.state}): stop its consumers first")
    offsets = {TopicPartition(topics.physical(m.topic, suffix), m.partition):
               OffsetAndMetadata(m.new, "", -1) for m in chosen.moves}
    try:
        result = ops.admin.alter_group_offsets(chosen.group, offsets)
    except Exception as exc:  # kafka-python raises its own tree; the broker may be gone
        raise UpstreamUnavailable(f"the broker refused the reset of {chosen.group}: "
                                  f"{type(exc).__name__}") from exc
    errors = {f"{tp.topic}/{tp.partition}": err.__name__ for tp, err in result.items()
              if getattr(err, "errno", 0)}
    store.audit(actor, RESET_ACTION, "consumer_group", chosen.group, reason=reason,
                old={f"{m.topic}/{m.partition}": m.old for m in chosen.moves},
                new={"spec": chosen.spec, "errors": errors,
                     "offsets": {f"{m.topic}/{m.partition}": m.new for m in chosen.moves}})
    return ResetPlan(chosen.group, chosen.spec, chosen.moves, applied=not errors, errors=errors)
