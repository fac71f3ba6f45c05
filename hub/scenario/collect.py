"""What a replay's connectors refused: quarantined files with the rule from their reason file
(``connectors/kit/folder.py``) and the ISI rejects files, read back from its workspace, and the
dead letters, read from the store (their source of truth) once it holds all on the topics.
"""

from __future__ import annotations

import asyncio
import csv
import logging
import time
from pathlib import Path
from typing import Any

import topics
from hub.console.kafka_views import KafkaViews
from hub.console.sampler import Follower
from hub.errors import PermanentError
from hub.runtime import Runtime
from hub.store.dead_letters import list_letters

log = logging.getLogger(__name__)
LETTERS_WITHIN_S = 60.0
CHECK_EVERY_S = 1.0


def quarantined(work: Path) -> list[dict[str, Any]]:
    """Every quarantined file of the schools and the financial system, with its rule."""
    out = []
    for reason in sorted(work.glob("taalaanbieder/*/quarantine/*.reason.txt")):
        out.append(_entry("taalaanbieder", reason.parent.parent.name, reason))
    for reason in sorted(work.glob("financieel/quarantine/*.reason.txt")):
        out.append(_entry("financieel", "", reason))
    return out


def _entry(partner: str, folder: str, reason: Path) -> dict[str, Any]:
    fields = dict(line.split(": ", 1) for line in reason.read_text(encoding="utf-8").splitlines()
                  if ": " in line)
    parts = fields.get("reason", "").split(": ", 2)
    return {"partner": partner, "map": folder, "bestand": fields.get("file", ""),
            "regel": parts[1] if len(parts) > 1 else ""}


def rejects(work: Path) -> list[dict[str, Any]]:
    """Every row the ISI import refused (line, field)."""
    out = []
    for path in sorted(work.glob("isi/*.rejects.csv")):
        with path.open(encoding="utf-8", newline="") as handle:
            for row in csv.DictReader(handle, delimiter=";"):
                out.append({"partner": "isi", "regel": row["line"], "veld": row["field"]})
    return out


async def letter_ids(runtime: Runtime, views: KafkaViews) -> set[str]:
    """The ids of the dead letters on the dead-letter topics."""
    follower = Follower(runtime.settings.kafka_bootstrap, [
        runtime.physical(s.name) for s in topics.TOPICS if s.direction == "dead-letter"])
    ids = set()
    try:
        for record in await follower.poll(views):
            try:
                ids.add(str(runtime.codec.decode(record.value)[1]["message_id"]))
            except PermanentError:
                ids.add(f"dl:watch-dead-letters:{record.topic}/{record.partition}/"
                        f"{record.offset}")
    finally:
        await follower.close()
    return ids


async def stored_letters(runtime: Runtime, on_topics: set[str]) -> list[dict[str, Any]]:
    """The dead letters from the store (their source of truth), once it holds every letter
    seen on the topics (the worker records edge letters as they arrive)."""
    deadline = time.monotonic() + LETTERS_WITHIN_S
    while True:
        stored = await asyncio.to_thread(list_letters, runtime.store.engine, limit=100_000)
        missing = on_topics - {x.letter_id for x in stored}
        if not missing or time.monotonic() > deadline:
            break
        await asyncio.sleep(CHECK_EVERY_S)
    if missing:
        log.warning("replay_letters_unrecorded count=%d", len(missing))
    return [{"id": x.letter_id, "source_topic": x.source_topic, "consumer": x.consumer,
             "error_type": x.error_type, "error_message": x.error_message, "kind": x.kind,
             "status": x.status} for x in sorted(stored, key=lambda x: x.id)]
