"""``hub topics tail TOPIC``: the newest messages of a topic, decoded and masked, followed."""

from __future__ import annotations

import contextlib
import json

import typer
from kafka.consumer.fetcher import ConsumerRecord

import topics
from hub.broker_ops import BrokerOps
from hub.console.masking import decode_masked
from hub.runtime import Runtime
from hub.settings import from_env


def topics_tail(topic: str = typer.Argument(..., help="Declared topic name."),
                lines: int = typer.Option(10, "-n", "--lines", help="Newest messages per "
                                          "partition to start with."),
                follow: bool = typer.Option(True, help="Keep printing new messages.")) -> None:
    """Print a topic's messages as JSON lines, personal data masked; follows until Ctrl-C."""
    topics.by_name(topic)
    runtime = Runtime(from_env())
    with contextlib.suppress(KeyboardInterrupt), \
            BrokerOps(runtime.settings.kafka_bootstrap) as broker:
        tps = broker.partitions([runtime.physical(topic)])
        offsets = broker.offsets(tps)
        for record in broker.tail(tps, lines, offsets):
            _print(runtime, topic, record)
        if follow:
            broker.assign_at({tp: offsets[tp].end for tp in tps})
            for batch in broker.follow():
                for record in batch:
                    _print(runtime, topic, record)


def _print(runtime: Runtime, topic: str, r: ConsumerRecord) -> None:
    line = {"topic": topic, "partition": r.partition, "offset": r.offset,
            "timestamp": r.timestamp, "key": decode_masked(runtime.codec, r.key),
            "value": decode_masked(runtime.codec, r.value)}
    print(json.dumps(line, ensure_ascii=False), flush=True)
