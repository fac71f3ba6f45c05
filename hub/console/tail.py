"""``hub topics tail TOPIC``: a topic's messages as JSON lines, decoded and masked, followed.

The console's message browser on the command line (``hub.console.browse``): start at the newest
``--lines`` per partition, at ``--offset``, or at ``--since`` (ISO 8601 or 15m/2h/1d); one
``--partition`` or all; keep only ``--key`` (case reference), ``--field path=value`` and
``--grep`` text matches. Each line has topic, partition, offset, timestamp (ms) and time (UTC),
headers, key and value. Reading goes through kafka-python (``hub.broker_ops``).
"""

from __future__ import annotations

import contextlib
import json
from typing import Any

import typer

import topics
from hub.broker_ops import BrokerOps
from hub.console import browse
from hub.runtime import Runtime
from hub.settings import from_env


def topics_tail(topic: str = typer.Argument(..., help="Declared topic name."),
                lines: int = typer.Option(10, "-n", "--lines", help="Newest messages per "
                                          "partition to start with (matches, with a filter)."),
                partition: int = typer.Option(None, help="Only this partition."),
                offset: int = typer.Option(None, help="Start at this offset (per partition)."),
                since: str = typer.Option(None, help="Start at this time: ISO 8601 with offset, "
                                          "or 15m / 2h / 1d ago."),
                grep: str = typer.Option("", help="Only values containing this text."),
                key: str = typer.Option("", help="Only this case reference (or key text)."),
                field: str = typer.Option("", help="Only records with path=value."),
                follow: bool = typer.Option(True, help="Keep printing new messages.")) -> None:
    """Print a topic's messages as JSON lines, personal data masked; follows until Ctrl-C."""
    topics.by_name(topic)
    seek = "offset" if offset is not None else "timestamp" if since else "newest"
    at_ms = int(browse.parse_since(since).timestamp() * 1000) if since else 0
    query = browse.Query(partition=partition, seek=seek, offset=offset or 0, at_ms=at_ms,
                         key=key, field=field, grep=grep, limit=max(1, min(lines, 500)))
    runtime = Runtime(from_env())
    with contextlib.suppress(KeyboardInterrupt), \
            BrokerOps(runtime.settings.kafka_bootstrap) as broker:
        tps = broker.partitions([runtime.physical(topic)])
        if partition is not None:
            tps = [tp for tp in tps if tp.partition == partition]
            if not tps:
                raise typer.BadParameter(f"{topic} has no partition {partition}")
        offsets = broker.offsets(tps)
        by_time = broker.offsets_for_times(tps, at_ms) if seek == "timestamp" else None
        starts = browse.starts(query, offsets, by_time)
        rows = [browse.row(runtime.codec, r) for r in broker.read(
            {tp: at for tp, at in starts.items() if at < offsets[tp].end})]
        if seek == "newest" and query.filtered:
            kept = browse.page(rows, query)  # the newest matches among the last `scan`
        else:
            kept = [r for r in rows if browse.matches(r, query)]
        for found in kept:
            _print(topic, found)
        if follow:
            broker.assign_at({tp: offsets[tp].end for tp in tps})
            for batch in broker.follow():
                for record in batch:
                    found = browse.row(runtime.codec, record)
                    if browse.matches(found, query):
                        _print(topic, found)


def _print(topic: str, found: dict[str, Any]) -> None:
    print(json.dumps({"topic": topic, **found}, ensure_ascii=False, default=str), flush=True)
