"""Create the declared topics on the broker; list what is there."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from aiokafka.admin import AIOKafkaAdminClient, NewTopic
from aiokafka.errors import KafkaConnectionError, KafkaError

import topics
from hub.errors import UpstreamUnavailable
from topics import TopicSpec


@dataclass(frozen=True)
class ApplyResult:
    """What ``apply_topics`` did."""

    created: list[str]
    existing: list[str]


async def _admin(bootstrap: str) -> AIOKafkaAdminClient:
    admin = AIOKafkaAdminClient(bootstrap_servers=bootstrap, request_timeout_ms=10_000)
    try:
        await admin.start()
    except (KafkaConnectionError, KafkaError, OSError) as exc:
        await admin.close()
        raise UpstreamUnavailable(f"no Kafka broker answers at {bootstrap}") from exc
    return admin


async def existing_topics(bootstrap: str) -> set[str]:
    """Names of the topics the broker has."""
    admin = await _admin(bootstrap)
    try:
        return set(await admin.list_topics())
    finally:
        await admin.close()


async def apply_topics(bootstrap: str, suffix: str = "",
                       specs: Sequence[TopicSpec] | None = None) -> ApplyResult:
    """Create every declared topic that is missing; leave existing ones unchanged."""
    specs = topics.TOPICS if specs is None else specs
    admin = await _admin(bootstrap)
    try:
        present = set(await admin.list_topics())
        wanted = {topics.physical(spec.name, suffix): spec for spec in specs}
        missing = [name for name in wanted if name not in present]
        if missing:
            await admin.create_topics([_new_topic(name, wanted[name]) for name in missing])
        return ApplyResult(created=sorted(missing), existing=sorted(set(wanted) - set(missing)))
    finally:
        await admin.close()


def _new_topic(name: str, spec: TopicSpec) -> NewTopic:
    configs = {"retention.ms": str(spec.retention_ms), "cleanup.policy": "delete"}
    return NewTopic(name, spec.partitions, 1, topic_configs=configs)
