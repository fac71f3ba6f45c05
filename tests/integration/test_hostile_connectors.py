"""`hub connectors run` against hostile partners over real sockets and files, on the real
broker: while the Kredietbank answers garbage in a loop, ISAM and the schools keep delivering,
the process stays up, `hub connectors status` names the failing connector (and clears once it
recovers), and the hostile inputs end as dead letters."""

from __future__ import annotations

import asyncio
import contextlib
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta

import aiohttp
import pytest

import topics
from connectors.kit.server import serve_app
from connectors.kredietbank.simulator import serve as serve_kredietbank
from connectors.taalaanbieder.demo import make_schools
from hub.broker import free_port
from hub.kafka_admin import apply_topics
from hub.runtime import Runtime
from tests.hostile import Elsewhere, HostileIsam, HostileKredietbank, deep_list
from tests.integration.conftest import HubEnv, stop_process, wait_until
from tests.integration.duo_support import read_topic
from tests.integration.isam_support import WEBHOOK_TOKEN, LoopThread
from tests.letters import opened

pytestmark = pytest.mark.integration
BSN = "123456782"


@dataclass
class Hostile:
    """The hostile partners, the loop serving them and the environment pointing at them."""

    loop: LoopThread
    isam: HostileIsam
    kredietbank: HostileKredietbank
    elsewhere: Elsewhere
    env: dict[str, str]
    webhook: str


@contextlib.contextmanager
def hostile(hub_env: HubEnv) -> Iterator[Hostile]:
    loop, stack = LoopThread(), contextlib.AsyncExitStack()
    isam, kb, elsewhere = HostileIsam(), HostileKredietbank(fault="list"), Elsewhere()
    try:
        other = loop.call(stack.enter_async_context(elsewhere.serve()))
        isam_url = loop.call(stack.enter_async_context(serve_app(isam.app())))
        isam.base_url, isam.elsewhere, kb.elsewhere = isam_url, other, other
        kb_url = loop.call(stack.enter_async_context(serve_kredietbank(kb)))
        port = free_port()
        env = {"HUB_ISAM_API_URL": isam_url + "/api/v1", "HUB_ISAM_API_TOKEN": isam.api_token,
               "HUB_ISAM_WEBHOOK_PORT": str(port), "HUB_ISAM_WEBHOOK_TOKEN": WEBHOOK_TOKEN,
               "HUB_ISAM_RETRY_ATTEMPTS": "3", "HUB_ISAM_RETRY_BACKOFF_S": "0.1",
               "HUB_ISAM_POLL_INTERVAL_S": "0.2",
               "HUB_KREDIETBANK_API_URL": kb_url, "HUB_KREDIETBANK_API_TOKEN": kb.token,
               "HUB_KREDIETBANK_POLL_INTERVAL_S": "0.2",
               "HUB_KREDIETBANK_RETRY_BACKOFF_S": "0.1",
               "HUB_KREDIETBANK_RETRY_MAX_BACKOFF_S": "0.8",
               "HUB_TAAL_POLL_INTERVAL_S": "0.2", "HUB_CONNECTOR_REPORT_EVERY_S": "0.5"}
        yield Hostile(loop, isam, kb, elsewhere, env, f"http://127.0.0.1:{port}")
    finally:
        with contextlib.suppress(Exception):
            loop.call(stack.aclose())
        loop.close()


async def _post(url: str, data: bytes) -> int:
    async with aiohttp.ClientSession() as session, session.post(
            url, data=data, headers={"Authorization": f"Bearer {WEBHOOK_TOKEN}",
                                     "Content-Type": "application/json"}) as resp:
        return resp.status


def _status(hub_env: HubEnv) -> tuple[int, str]:
    done = subprocess.run([sys.executable, "-m", "hub.cli", "connectors", "status"],
                          env=hub_env.env, capture_output=True, text=True, timeout=60)
    return done.returncode, done.stdout


def _line(output: str, name: str) -> str:
    return next((line for line in output.splitlines() if line.startswith(name)), "")


@pytest.mark.slow(20)
def test_one_partner_failing_in_a_loop_leaves_the_others_delivering(hub_env: HubEnv) -> None:
    asyncio.run(apply_topics(hub_env.env["HUB_KAFKA_BOOTSTRAP"], hub_env.suffix))
    runtime = Runtime(hub_env.settings())
    schools = make_schools(hub_env.settings().var_dir / "taalaanbieder", runtime, people=2,
                           seed=9)
    with hostile(hub_env) as h:
        hub_env.env.update(h.env)
        pip = h.isam.put("pip", BSN, gemeentecode="0363", soort="VASTGESTELD",
                         pipKenmerk="P1", dagtekeningEerstePip=date(2024, 3, 1),
                         dagtekening=date(2024, 3, 1), leerroute="B1", niveau="B1",
                         ontzorgen=False)
        process = hub_env.spawn("connectors", "run", "kredietbank", "isam", "taalaanbieder",
                                log_name="connectors")
        try:
            started = time.monotonic()
            wait_until(lambda: h.loop.call(_webhook_up(h.webhook)), timeout=60)
            hook = h.webhook + "/api/v1/notificaties"
            good = json.dumps(h.isam.notifications[0]).encode()
            assert h.loop.call(_post(hook, deep_list(30_000))) == 400  # kept, refused
            assert h.loop.call(_post(hook, json.dumps(h.isam.foreign("pip", pip)).encode())) \
                == 204
            assert h.loop.call(_post(hook, good)) == 204
            for week in range(3):  # the schools keep dropping files meanwhile
                for school in schools:
                    school.presentie(date(2024, 1, 8) + timedelta(weeks=week))
                time.sleep(0.5)
            voortgang = read_topic(hub_env, topics.VOORTGANG, expected=3 * 2 * 2)
            assert len(voortgang) == 3 * 2 * 2
            assert len(read_topic(hub_env, topics.ISAM_PIP_VASTGESTELD, expected=1)) == 1
            refused = read_topic(hub_env, topics.dead_letter_of(topics.ISAM_PIP_VASTGESTELD),
                                 expected=2)
            assert sorted(d["error_type"] for d in refused) == ["ForeignOrigin", "InvalidField"]
            code, output = wait_until(lambda: (lambda s: s if "FAILING" in s[1] else None)(
                _status(hub_env)), timeout=30)
            assert code == 1, output
            assert "not a JSON object" in _line(output, "kredietbank")
            assert " ok " in _line(output, "isam") and " ok " in _line(output, "taalaanbieder")
            assert process.poll() is None  # still up
            rate = h.kredietbank.hits["mutaties"] / (time.monotonic() - started)
            assert rate < 10, rate  # backoff, not 1,100 requests/s
            page = read_topic(hub_env, topics.dead_letter_of(topics.ONTZORGEN_BETALING),
                              expected=1)
            assert len(page) == 1 and opened(page[0], Runtime(hub_env.settings()).cipher) == \
                b'[{"volgnummer": 1}]'
            assert h.elsewhere.seen == []

            h.kredietbank.fault = None  # the partner fixes its API: the status clears
            wait_until(lambda: _status(hub_env)[0] == 0, timeout=30)
        finally:
            stop_process(process)
        assert process.returncode == 0  # asked to stop: a clean exit


async def _webhook_up(url: str) -> bool:
    with contextlib.suppress(aiohttp.ClientError, OSError):
        async with aiohttp.ClientSession() as session, session.get(url + "/healthz") as resp:
            return resp.status == 200
    return False


def test_connectors_run_exits_non_zero_when_none_can_run(hub_env: HubEnv) -> None:
    done = subprocess.run([sys.executable, "-m", "hub.cli", "connectors", "run", "isam",
                           "kredietbank", "onbekend"], env=hub_env.env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 1
    assert "cannot run any connector" in done.stdout
    assert "HUB_ISAM_API_URL" in done.stderr and "unknown connector 'onbekend'" in done.stderr
    heartbeat = json.loads((hub_env.home / "var" / "connectors.health.json").read_text())
    assert {c["connector"]: c["state"] for c in heartbeat["connectors"]} == {
        "isam": "not_started", "kredietbank": "not_started", "onbekend": "not_started"}
