"""Watches every dead-letter topic: counts per topic and error type, logs each arrival.

Dead letters are few, so a plain per-event Faust agent suits them. The counts feed the operator's
metrics; the dead letters themselves stay on their topics (and in the store) for re-drive.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import AsyncIterator
from typing import Any

import faust

import topics
from hub.errors import PermanentError
from hub.runtime import Runtime

log = logging.getLogger(__name__)

DEAD_LETTERS_SEEN: Counter[tuple[str, str]] = Counter()


def register_dead_letter_watch(app: faust.App, runtime: Runtime) -> None:
    """Register the agent on every dead-letter topic of the catalogue."""
    names = [runtime.physical(s.name) for s in topics.TOPICS if s.direction == "dead-letter"]
    channel = app.topic(*names, key_serializer="raw", value_serializer="raw")

    async def watch_dead_letters(stream: faust.StreamT[Any]) -> AsyncIterator[int]:
        async for event in stream.events():
            topic = runtime.logical(event.message.topic)
            try:
                _, letter = runtime.codec.decode(event.value)
                error_type = str(letter["error_type"])
            except PermanentError:
                error_type = "undecodable"
            DEAD_LETTERS_SEEN[(topic, error_type)] += 1
            log.info("dead_letter_seen topic=%s error_type=%s", topic, error_type)
            yield 1

    app.agent(channel, name="watch-dead-letters")(watch_dead_letters)
