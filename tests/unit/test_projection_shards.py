"""Projection shards (issue 24): the workers of one group own disjoint shards covering all."""

from __future__ import annotations

import topics
from hub.agents.ownership import ShardOwnership, reference_topic
from hub.store.shards import SHARDS, owned_shards, shard_of


def test_any_split_of_the_partitions_gives_disjoint_shards_that_cover_every_shard() -> None:
    for count in (1, 2, 3, 6, 12):
        for workers in (1, 2, 3, 5):
            owned = [set(owned_shards(range(w, count, workers), count)) for w in range(workers)]
            assert set().union(*owned) == set(range(SHARDS))
            assert sum(len(o) for o in owned) == SHARDS


def test_the_shard_of_a_key_is_stable_and_spread() -> None:
    keys = [f"CR{n:030X}" for n in range(5000)]
    assert [shard_of(k) for k in keys] == [shard_of(k) for k in keys]
    assert len({shard_of(k) for k in keys}) == SHARDS


def test_ownership_follows_the_reference_topic_of_what_is_subscribed() -> None:
    subscribed = [topics.EXAMENRESULTAAT, topics.KOPPELING_GEMEENTE]
    ref = reference_topic(subscribed)
    count = topics.by_name(ref).partitions
    owner = ShardOwnership()
    assert owner.owned() is None  # nothing known yet: project nothing
    owner.publish(subscribed, [(ref, 0)])
    assert owner.owned() == owned_shards([0], count)
    owner.publish(subscribed, [])  # all partitions revoked
    assert owner.owned() == []


def test_the_worker_s_recording_stamp_tells_its_projectors_a_burst_is_on() -> None:
    owner = ShardOwnership()
    assert not owner.recording(60.0)  # never recorded
    owner.recorded()
    assert owner.recording(60.0)
    assert not owner.recording(0.0)
