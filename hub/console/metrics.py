"""Prometheus metrics of the latest snapshot, on the console's ``/metrics``.

``/metrics`` is served to a logged-in console user, or to a scraper presenting
``Authorization: Bearer <HUB_CONSOLE_METRICS_TOKEN>`` when that setting is non-empty.

Counters are taken from the broker (end offsets, committed offsets) and the store, so they
survive console restarts: ``hub_topic_messages_in_total`` per topic,
``hub_topic_messages_consumed_total`` per topic and group, ``hub_dead_letters_total`` per
source topic (every letter the store holds); gauges: ``hub_dead_letters_by_status`` per source
topic, error type and status (from the store: they survive a broker restart),
``hub_consumer_group_lag`` per group, topic and partition, ``hub_agent_stalled`` and
``hub_agent_last_processed_timestamp_seconds``, ``hub_connector_up`` (healthy and still
reporting; ``connector="hub-worker"`` is the worker, 0 while its store is out).
``hub_agent_processing_latency_seconds`` is a histogram per agent of the time from a record's
``produced_at`` to its fact being stored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from datetime import datetime
from typing import Any

from prometheus_client import CollectorRegistry, Histogram, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector

CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8"
_BUCKETS = (0.01, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0)


class SnapshotCollector(Collector):
    """Turns the sampler's latest snapshot into metric families at scrape time."""

    def __init__(self, latest: Callable[[], dict[str, Any] | None]) -> None:
        self._latest = latest

    def collect(self) -> Iterator[Metric]:
        """Metric families of the latest snapshot (none before the first one)."""
        snap = self._latest()
        if snap is None:
            return
        yield from (self._topics(snap), self._consumed(snap), self._lag(snap),
                    *self._dead(snap), *self._agents(snap), self._connectors(snap))

    @staticmethod
    def _topics(snap: dict[str, Any]) -> Metric:
        family = CounterMetricFamily("hub_topic_messages_in", "Messages written to a topic "
                                     "(sum of end offsets).", labels=["topic"])
        for row in snap["topics"]:
            family.add_metric([row["topic"]], row["end"])
        return family

    @staticmethod
    def _consumed(snap: dict[str, Any]) -> Metric:
        family = CounterMetricFamily("hub_topic_messages_consumed", "Messages a consumer group "
                                     "has committed on a topic.", labels=["topic", "group"])
        sums: dict[tuple[str, str], int] = {}
        for group in snap["groups"]:
            for p in group["partitions"]:
                key = (p["topic"], group["group"])
                sums[key] = sums.get(key, 0) + int(p["committed"] or 0)
        for (topic, group), total in sorted(sums.items()):
            family.add_metric([topic, group], total)
        return family

    @staticmethod
    def _lag(snap: dict[str, Any]) -> Metric:
        family = GaugeMetricFamily("hub_consumer_group_lag", "Messages a group has yet to read.",
                                   labels=["group", "topic", "partition"])
        for group in snap["groups"]:
            for p in group["partitions"]:
                family.add_metric([group["group"], p["topic"], str(p["partition"])], p["lag"])
        return family

    @staticmethod
    def _dead(snap: dict[str, Any]) -> tuple[Metric, Metric]:
        total = CounterMetricFamily("hub_dead_letters", "Dead letters per source topic "
                                    "(every status, from the store).", labels=["topic"])
        for topic, count in sorted(snap["dead_letters"].items()):
            total.add_metric([topic], count)
        now = GaugeMetricFamily("hub_dead_letters_by_status", "Dead letters per source topic, "
                                "error type and status, from the store.",
                                labels=["topic", "error_type", "status"])
        for row in snap.get("dead_letter_counts", []):
            now.add_metric([row["topic"], row["error_type"], row["status"]], row["count"])
        return total, now

    @staticmethod
    def _agents(snap: dict[str, Any]) -> tuple[Metric, Metric]:
        stalled = GaugeMetricFamily("hub_agent_stalled", "1 when the agent has lag and its "
                                    "offsets stopped moving.", labels=["agent"])
        last = GaugeMetricFamily("hub_agent_last_processed_timestamp_seconds",
                                 "When the agent last stored a message.", labels=["agent"])
        for row in snap["agents"]:
            stalled.add_metric([row["agent"]], 1.0 if row["stalled"] else 0.0)
            if row["last_processed_at"]:
                stamp = datetime.fromisoformat(row["last_processed_at"]).timestamp()
                last.add_metric([row["agent"]], stamp)
        return stalled, last

    @staticmethod
    def _connectors(snap: dict[str, Any]) -> Metric:
        family = GaugeMetricFamily("hub_connector_up", "1 when the connector's last status "
                                   "was healthy and recent.", labels=["connector"])
        for row in snap["connectors"]:
            up = row["healthy"] and not row.get("silent")
            family.add_metric([row["connector"]], 1.0 if up else 0.0)
        return family


class ConsoleMetrics:
    """The console's own registry: snapshot collector plus the latency histogram."""

    def __init__(self, latest: Callable[[], dict[str, Any] | None]) -> None:
        self.registry = CollectorRegistry(auto_describe=False)
        self.registry.register(SnapshotCollector(latest))
        self.latency = Histogram("hub_agent_processing_latency_seconds",
                                 "Seconds from a record's produced_at to its fact in the store.",
                                 ["agent"], registry=self.registry, buckets=_BUCKETS)

    def observe_latency(self, agent: str, seconds: float) -> None:
        """Record one message's processing latency."""
        self.latency.labels(agent=agent).observe(seconds)

    def render(self) -> bytes:
        """The exposition text."""
        return generate_latest(self.registry)
