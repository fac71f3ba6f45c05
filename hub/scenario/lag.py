"""Consumer lag of everything that must read this hub's topics, including groups that have not
committed yet: a group that never committed counts from the earliest offset, so a worker or
connector still starting up is lag, not idleness.
"""

from __future__ import annotations

import logging

from aiokafka import TopicPartition

import topics
from connectors.duo.translate import CONSUMER as DUO_GROUP
from connectors.duo.translate import OUTBOUND_TOPICS as DUO_OUT
from connectors.financieel.run import GROUP as FIN_GROUP
from connectors.isam.outbound import GROUP as ISAM_GROUP
from connectors.kredietbank.run import GROUP as KB_GROUP
from connectors.kredietbank.run import OUTBOUND as KB_OUT
from connectors.taalaanbieder.run import GROUP as TAAL_GROUP
from hub.app import APP_ID
from hub.console.kafka_views import KafkaViews, Offsets, lag
from hub.settings import Settings

log = logging.getLogger(__name__)
# partner folder -> (consumer group, topics it reads)
CONNECTOR_GROUPS: dict[str, tuple[str, tuple[str, ...]]] = {
    "duo": (DUO_GROUP, DUO_OUT),
    "taalaanbieder": (TAAL_GROUP, (topics.AANMELDING_LEERROUTE,)),
    "financieel": (FIN_GROUP, (topics.BOEKING,)),
    "kredietbank": (KB_GROUP, KB_OUT),  # the replay does not relay ISAM decisions
    "isam": (ISAM_GROUP, (topics.SIGNAAL,)),
}


def followers(settings: Settings, partners: list[str]) -> dict[str, tuple[str, ...]]:
    """Physical group -> declared topics: the worker's recording group and the connectors'."""
    suffix = settings.topic_suffix
    record = f"{APP_ID}{suffix}-record" if settings.agent_driver == "batch" else APP_ID + suffix
    out = {record: tuple(s.name for s in topics.TOPICS if s.direction == "inbound")}
    for partner in partners:
        if partner in CONNECTOR_GROUPS:
            group, names = CONNECTOR_GROUPS[partner]
            out[group + suffix] = names
    return out


async def total_lag(views: KafkaViews, settings: Settings,
                    groups: dict[str, tuple[str, ...]],
                    offsets: dict[TopicPartition, Offsets]) -> dict[str, int]:
    """Lag per group over its topics (a partition without a commit counts from the start)."""
    out = {}
    for group, names in groups.items():
        physical = {topics.physical(n, settings.topic_suffix) for n in names}
        tps = [tp for tp in offsets if tp.topic in physical]
        committed = await views.committed(group, tps)
        behind = {tp: lag(committed.get(tp), offsets[tp].end, offsets[tp].earliest)
                  for tp in tps}
        out[group] = sum(behind.values())
        for tp, n in behind.items():
            if n:
                log.info("lag group=%s topic=%s/%d committed=%s end=%d", group, tp.topic,
                         tp.partition, committed.get(tp), offsets[tp].end)
    return out
