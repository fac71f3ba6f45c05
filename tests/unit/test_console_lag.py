"""Lag arithmetic: Tansu's off-by-batch end offsets are corrected, lag is never negative."""

from __future__ import annotations

from aiokafka import TopicPartition
from hypothesis import given
from hypothesis import strategies as st

from hub.console.kafka_views import Offsets, PartitionLag, high_water, lag, lags_of
from hub.console.sampler import Sampler


def test_listed_end_below_the_true_end_is_corrected_by_what_was_read() -> None:
    # 15 records in two batches (0-9, 10-14): Tansu lists start of newest batch + 1 = 11.
    assert high_water(listed=11, seen_max=14) == 15
    assert lag(committed=7, end=high_water(11, 14)) == 8


def test_the_fetch_high_water_mark_counts_too() -> None:
    assert high_water(listed=11, seen_max=None, fetched=15) == 15


def test_a_correct_listed_end_is_kept() -> None:
    assert high_water(listed=15, seen_max=14) == 15
    assert high_water(listed=0) == 0


def test_a_group_ahead_of_a_wrong_end_has_no_negative_lag() -> None:
    assert lag(committed=15, end=11) == 0


def test_no_commit_counts_from_the_earliest_retained_offset() -> None:
    assert lag(committed=None, end=15, earliest=5) == 10
    assert lag(committed=-1, end=15) == 15
    assert lag(committed=2, end=15, earliest=5) == 10  # committed below retention


@given(st.integers(0, 10**9), st.one_of(st.none(), st.integers(-1, 10**9)),
       st.one_of(st.none(), st.integers(-1, 10**9)), st.integers(0, 10**9))
def test_lag_is_never_negative_and_end_never_below_what_was_seen(
        listed: int, seen: int | None, committed: int | None, earliest: int) -> None:
    end = high_water(listed, seen)
    assert end >= listed
    assert seen is None or end > seen
    assert lag(committed, end, earliest) >= 0


def test_a_partition_of_a_followed_topic_without_a_commit_counts_from_its_earliest() -> None:
    a0, a1, b0 = TopicPartition("a", 0), TopicPartition("a", 1), TopicPartition("b", 0)
    offsets = {a0: Offsets(0, 15), a1: Offsets(3, 9), b0: Offsets(0, 4)}
    rows = lags_of("g", {a0: 15}, offsets)
    assert [(r.topic, r.partition, r.committed, r.lag) for r in rows] == [
        ("a", 0, 15, 0), ("a", 1, None, 6)]  # topic b is not followed by the group


def test_a_partition_never_committed_with_lag_becomes_stalled() -> None:
    sampler = Sampler(views=None, codec=None, engine=None, bootstrap="unused:9",  # type: ignore[arg-type]
                      suffix="", stall_after_s=60)
    row = PartitionLag("g", "a", 1, None, 9, 9)
    assert sampler._groups([row], mono=100.0)[0]["stalled"] is False
    assert sampler._groups([row], mono=161.0)[0]["stalled"] is True  # nothing moved for 61 s
    moved = PartitionLag("g", "a", 1, 4, 9, 5)
    assert sampler._groups([moved], mono=162.0)[0]["stalled"] is False
