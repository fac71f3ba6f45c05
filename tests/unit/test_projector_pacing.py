"""The projector's pacing: idle, burst (bounded share of the store's time) and drain."""

from __future__ import annotations

import pytest

from hub.agents.projector import Pacing


def test_nothing_pending_waits_one_interval() -> None:
    assert Pacing(0.5, 0.25).pause(0, 0.0, now=100.0, last_batch=99.9) == 0.5


def test_during_a_burst_the_projector_takes_at_most_its_share() -> None:
    pacing = Pacing(0.5, 0.25)
    pause = pacing.pause(1000, 0.2, now=100.0, last_batch=99.8)
    assert pause == pytest.approx(0.6)
    assert 0.2 / (0.2 + pause) == pytest.approx(0.25)


def test_after_the_burst_it_drains_without_pausing() -> None:
    assert Pacing(0.5, 0.25).pause(1000, 0.2, now=100.0, last_batch=99.0) == 0.0


def test_share_is_clamped_to_a_sane_range() -> None:
    assert Pacing(0.5, 0.0).busy_share == 0.05
    assert Pacing(0.5, 7.0).busy_share == 1.0
    assert Pacing(0.5, 1.0).pause(10, 0.3, now=1.0, last_batch=0.9) == 0.0
