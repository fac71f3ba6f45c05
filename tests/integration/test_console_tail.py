"""``hub topics tail`` on the real broker: --partition/--offset, --since, --grep and --key pick
the same messages the console's browser does, decoded and masked, with headers and time."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from hub.demo import exam_results
from hub.kafka_admin import apply_topics
from hub.publish import TopicWriter
from hub.runtime import Runtime
from tests.integration.conftest import HubEnv
from tests.integration.console_support import EXAM, hub_cli

pytestmark = pytest.mark.integration


def _lines(out: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in out.splitlines() if line.startswith("{")]


@pytest.mark.slow(35)
def test_tail_seeks_and_filters_like_the_browser(hub_env: HubEnv) -> None:
    settings = hub_env.settings()
    runtime = Runtime(settings)
    records = exam_results(settings, cases=3, seed=4)

    async def publish() -> None:
        await apply_topics(settings.kafka_bootstrap, hub_env.suffix)
        async with TopicWriter(settings.kafka_bootstrap, runtime.codec,
                               suffix=hub_env.suffix) as writer:
            await writer.send_many(EXAM, records)

    asyncio.run(publish())
    everything = _lines(hub_cli(hub_env, "topics", "tail", EXAM, "--since", "1h",
                                "--no-follow"))
    assert len(everything) == len(records)
    assert all(x["value"]["record"]["bsn"]["masked"] for x in everything)
    assert all(x["time"].endswith("+00:00") and x["headers"] is not None for x in everything)
    busiest = max({x["partition"] for x in everything},
                  key=lambda p: sum(x["partition"] == p for x in everything))
    on_it = sorted(x["offset"] for x in everything if x["partition"] == busiest)
    later = _lines(hub_cli(hub_env, "topics", "tail", EXAM, "--partition", str(busiest),
                           "--offset", str(on_it[-1]), "--no-follow"))
    assert [(x["partition"], x["offset"]) for x in later] == [(busiest, on_it[-1])]
    ref = records[0]["case_ref"]
    onderdeel = records[0]["onderdeel"]
    found = _lines(hub_cli(hub_env, "topics", "tail", EXAM, "--key", ref, "--grep", onderdeel,
                           "--no-follow", "-n", "50"))
    assert found and all(x["case_ref"] == ref and onderdeel in json.dumps(x["value"])
                         for x in found)
    assert len(found) == sum(1 for r in records if r["case_ref"] == ref
                             and onderdeel in json.dumps(r, default=str))
    assert _lines(hub_cli(hub_env, "topics", "tail", EXAM, "--since", "2099-01-01T00:00:00Z",
                          "--no-follow")) == []
