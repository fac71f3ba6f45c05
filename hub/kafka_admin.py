"""Create the declared topics on the broker; list what is there (async callers).

Topics are created in one way only, by kafka-python's admin client (``hub.broker_ops``); these
wrappers run it off the event loop for ``hub up``, the scenario replay and the tests.
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence

from hub.broker_ops import ApplyResult, BrokerOps, create_missing_topics
from topics import TopicSpec

__all__ = ["ApplyResult", "apply_topics", "existing_topics"]


def _names(bootstrap: str) -> set[str]:
    with BrokerOps(bootstrap) as ops:
        return ops.topic_names()


async def existing_topics(bootstrap: str) -> set[str]:
    """Names of the topics the broker has."""
    return await asyncio.to_thread(_names, bootstrap)


async def apply_topics(bootstrap: str, suffix: str = "",
                       specs: Sequence[TopicSpec] | None = None) -> ApplyResult:
    """Create every declared topic that is missing; leave existing ones unchanged."""
    return await asyncio.to_thread(create_missing_topics, bootstrap, suffix, specs)
