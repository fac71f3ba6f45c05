"""``hub topics tail TOPIC``: the newest messages of a topic, decoded and masked, followed."""

from __future__ import annotations

import asyncio
import contextlib
import json

import typer
from aiokafka import ConsumerRecord

import topics
from hub.console.kafka_views import KafkaViews
from hub.console.masking import decode_masked
from hub.runtime import Runtime
from hub.settings import from_env


def topics_tail(topic: str = typer.Argument(..., help="Declared topic name."),
                lines: int = typer.Option(10, "-n", "--lines", help="Newest messages per "
                                          "partition to start with."),
                follow: bool = typer.Option(True, help="Keep printing new messages.")) -> None:
    """Print a topic's messages as JSON lines, personal data masked; follows until Ctrl-C."""
    topics.by_name(topic)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_tail(topic, lines, follow))


async def _tail(topic: str, lines: int, follow: bool) -> None:
    runtime = Runtime(from_env())
    settings = runtime.settings
    views = await KafkaViews(settings.kafka_bootstrap).start()
    try:
        tps = await views.partitions([topics.physical(topic, settings.topic_suffix)])
        offsets = await views.offsets(tps)
        for record in await views.tail(tps, lines, offsets):
            _print(runtime, topic, record)
        if not follow:
            return
        reader = views.reader()
        await reader.start()
        try:
            reader.assign(tps)
            for tp in tps:
                reader.seek(tp, offsets[tp].end)
            while True:
                for batch in (await reader.getmany(timeout_ms=1000)).values():
                    for record in batch:
                        _print(runtime, topic, record)
        finally:
            await reader.stop()
    finally:
        await views.close()


def _print(runtime: Runtime, topic: str, r: ConsumerRecord) -> None:
    line = {"topic": topic, "partition": r.partition, "offset": r.offset,
            "timestamp": r.timestamp, "key": decode_masked(runtime.codec, r.key),
            "value": decode_masked(runtime.codec, r.value)}
    print(json.dumps(line, ensure_ascii=False), flush=True)
