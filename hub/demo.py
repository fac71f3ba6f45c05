"""The foundation demo: DUO exam results through the real broker, worker and store.

It produces a seeded set of examenresultaten (one delivered twice, one with broken bytes), waits
until the worker has stored them and prints what the store holds. The scenario issue replaces
this feed with the full multi-partner scenario; the path through the stack stays the same.
"""

from __future__ import annotations

import asyncio
import random
import time
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

import topics
from hub.privacy import BsnCipher, case_ref
from hub.publish import TopicWriter
from hub.runtime import Runtime
from hub.settings import Settings

ONDERDELEN = ("LEZEN", "LUISTEREN", "SCHRIJVEN", "SPREKEN", "KNM")


def synthetic_bsn(rng: random.Random) -> str:
    """A random 9-digit number passing the R20 eleven-test (test data, not a real person)."""
    while True:
        digits = [rng.randrange(10) for _ in range(8)]
        total = sum(w * d for w, d in zip((9, 8, 7, 6, 5, 4, 3, 2), digits, strict=True))
        last = total % 11
        if last < 10 and digits[0] != 0:
            return "".join(map(str, digits)) + str(last)


def exam_results(settings: Settings, cases: int, seed: int = 2022) -> list[dict[str, Any]]:
    """Seeded examenresultaat records for ``cases`` people, BSNs encrypted."""
    rng = random.Random(seed)
    cipher = BsnCipher.from_settings(settings)
    records = []
    for _ in range(cases):
        bsn = synthetic_bsn(rng)
        ref = case_ref(bsn, settings.case_ref_key)
        start = date(2023, 1, 1) + timedelta(days=rng.randrange(700))
        for n, onderdeel in enumerate(rng.sample(ONDERDELEN, rng.randint(1, 5))):
            records.append({
                "message_id": str(uuid.UUID(int=rng.getrandbits(128))), "case_ref": ref,
                "source": "duo", "produced_at": datetime.now(UTC),
                "bsn": cipher.encrypt(bsn).as_record(),
                "examen_id": f"EX{rng.randrange(10**8):08d}", "onderdeel": onderdeel,
                "niveau": rng.choice(("A2", "B1", "B1", "B1")),
                "examendatum": start + timedelta(days=30 * n),
                "uitslag": rng.choice(("GESLAAGD", "GESLAAGD", "NIET_GESLAAGD")),
                "score": rng.randint(300, 700),
            })
    return records


async def _feed(settings: Settings, records: list[dict[str, Any]]) -> None:
    runtime = Runtime(settings)
    async with TopicWriter(settings.kafka_bootstrap, runtime.codec,
                           suffix=settings.topic_suffix) as writer:
        await writer.send_many(topics.EXAMENRESULTAAT, records)
        await writer.send(topics.EXAMENRESULTAAT, records[0])  # delivered twice: stored once
        await writer.send_raw(topics.EXAMENRESULTAAT, [(None, b"\x00\x00\x00\xff\xffnot avro")])


def run_demo(settings: Settings, say: Callable[[str], None], cases: int = 40,
             timeout: float = 120.0) -> dict[str, int]:
    """Feed the demo, wait for the worker to store it, print and return the store's counts."""
    records = exam_results(settings, cases)
    say(f"demo     producing {len(records)} examenresultaten for {cases} cases, "
        f"1 redelivery and 1 broken message to {topics.EXAMENRESULTAAT}")
    asyncio.run(_feed(settings, records))
    store = Runtime(settings).store
    deadline = time.monotonic() + timeout
    counts: dict[str, int] = {}
    while time.monotonic() < deadline:
        counts = {t: store.count(t) for t in ("fact", "case_view", "dead_letter", "inbox")}
        if (counts["fact"] >= len(records) and counts["dead_letter"] >= 1
                and store.pending_projections() == 0):  # views are written by the projector
            break
        time.sleep(0.5)
    say(f"demo     store: {counts['fact']} facts, {counts['case_view']} case views, "
        f"{counts['inbox']} inbox rows, {counts['dead_letter']} dead letter(s)")
    view = store.case_view(records[0]["case_ref"])
    if view is not None:
        say(f"demo     case {view['case_ref']}: passed {', '.join(view['examens_behaald']) or '-'}")
    store.close()
    return counts
