"""R18, R2: the deadline sweep runs once at worker start (after the projector caught up) and then
every day at HUB_SIGNAL_SWEEP_TIME, on a real store; every signal is stamped no later than it is
produced and is sent once."""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

import topics
from hub.agents.deadlines import caught_up, sweep_forever, sweep_schedule
from hub.runtime import Runtime
from hub.settings import from_env
from hub.store import InboundMessage

ZONE = ZoneInfo("Europe/Amsterdam")


class Stop(Exception):
    """Ends the otherwise endless sweep loop in the test."""


def _koppeling(runtime: Runtime, day: date) -> InboundMessage:
    ref = "CR" + "C" * 30
    record = {"message_id": "k-1", "case_ref": ref, "source": "duo",
              "produced_at": datetime(2025, 1, 1, tzinfo=UTC),
              "bsn": runtime.cipher.encrypt("111222333").as_record(), "gemeentecode": "0363",
              "koppeldatum": day, "azc": None, "bron_versie": None}
    return InboundMessage(topics.KOPPELING_GEMEENTE, 0, 0, "k-1", ref,
                          topics.by_name(topics.KOPPELING_GEMEENTE).value_schema, record)


def _signals(runtime: Runtime) -> list[dict]:
    rows = runtime.store.pending_outbox(1000)
    return [runtime.codec.decode(r.value)[1] for r in rows if r.topic == topics.SIGNAAL]


def test_r18_the_sweep_runs_at_start_once_caught_up_then_daily_at_its_time(
        tmp_path: Path) -> None:
    runtime = Runtime(from_env({"HUB_HOME": str(tmp_path), "HUB_SIGNAL_SWEEP_TIME": "07:00"}))
    runtime.store.record_batch("c", [_koppeling(runtime, date(2025, 1, 25))])
    assert runtime.store.pending_projections() == 1  # intake due by 25 March, PIP by 5 April
    started = datetime(2025, 4, 5, 15, 30, tzinfo=ZONE)  # the worker starts mid-afternoon
    ticks = iter([started, started, datetime(2025, 4, 6, 7, 0, tzinfo=ZONE)])
    slept: list[float] = []

    async def sleep(seconds: float) -> None:
        slept.append(seconds)
        if len(slept) > 1:
            raise Stop

    async def run() -> None:
        def project_later() -> None:  # the projector catches up while the sweep waits
            time.sleep(1.2)
            runtime.store.project_pending()

        projector = asyncio.get_running_loop().run_in_executor(None, project_later)
        await sweep_forever(runtime, *sweep_schedule(runtime.settings),
                            clock=lambda zone: next(ticks), sleep=sleep)
        await projector

    with pytest.raises(Stop):
        asyncio.run(run())
    assert runtime.store.pending_projections() == 0  # the start sweep waited for the projector
    sent = {s["signaal_type"]: s for s in _signals(runtime)}
    assert sorted(sent) == ["INTAKE_TE_LAAT", "PIP_TE_LAAT"]  # each once
    assert sent["INTAKE_TE_LAAT"]["vastgesteld_op"] == date(2025, 4, 5)  # at start
    assert sent["PIP_TE_LAAT"]["vastgesteld_op"] == date(2025, 4, 6)  # the next day at 07:00
    assert all(s["produced_at"] <= datetime.now(UTC) for s in sent.values())
    assert slept[0] == timedelta(hours=15, minutes=30).total_seconds()  # until 07:00 next day
    runtime.store.close()


def test_r18_the_start_sweep_gives_up_waiting_and_sweeps_anyway(tmp_path: Path) -> None:
    runtime = Runtime(from_env({"HUB_HOME": str(tmp_path)}))
    runtime.store.record_batch("c", [_koppeling(runtime, date(2025, 1, 31))])
    assert asyncio.run(caught_up(runtime, limit_s=0.2)) is False
    runtime.store.close()
