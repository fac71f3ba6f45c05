"""Reading a scenario's partner feeds into the simulators, and playing ISAM's notifications.

``load_duo`` streams ``duo/wijzigingen.xml`` (a HaalWijzigingenResponse) into the DUO
simulator's changes, keeping every WijzigingId, Volgnummer, Tijdstip and Corrigeert.
``play_isam`` makes each line's ``gegevens`` the current version of its resource and posts the
notification to the hub's webhook, in file order; a newer version of a resource waits until the
hub read the one before (notifications are information-poor: the hub only ever sees the current
version).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any

from lxml import etree

from connectors.duo.simulator import Change
from connectors.duo.translate import DUO_NS, parse_changes
from connectors.isam.config import IsamSettings
from connectors.isam.demo import wait_for_webhook
from connectors.isam.simulator import IsamSimulator

CHUNK = 100
READ_WAIT_S = 30.0


def load_duo(path: Path) -> list[Change]:
    """Every change of the file, in Volgnummer order."""
    changes = []
    for _, node in etree.iterparse(str(path), tag=f"{{{DUO_NS}}}Wijziging",
                                   resolve_entities=False, no_network=True):
        for raw in parse_changes(node):
            stamp = node.findtext(f"{{{DUO_NS}}}Tijdstip") or "1970-01-01T00:00:00+00:00"
            changes.append(Change(raw.sequence, raw.change_id, raw.kind,
                                  {k: v for k, v in raw.fields.items() if v is not None},
                                  datetime.fromisoformat(stamp), raw.corrigeert))
        node.clear()
    return sorted(changes, key=lambda c: c.sequence)


def load_mutaties(path: Path) -> list[dict[str, Any]]:
    """The Kredietbank's mutaties, numbered 1, 2, 3, ... as ``GET /mutaties`` serves them."""
    if not path.exists():
        return []
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return sorted(rows, key=lambda r: int(r["volgnummer"]))


def load_facturen(folder: Path) -> list[tuple[str, bytes]]:
    """(factuurnummer, UBL bytes) in the order ``GET /facturen`` lists them."""
    index = folder / "facturen.jsonl"
    if not index.exists():
        return []
    rows = [json.loads(line) for line in index.read_text(encoding="utf-8").splitlines() if line]
    return [(str(r["factuurnummer"]), (folder / r["bestand"]).read_bytes())
            for r in sorted(rows, key=lambda r: int(r["volgnummer"]))]


def notifications(path: Path) -> Iterator[dict[str, Any]]:
    """The lines of ``isam/notificaties.jsonl``."""
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)


async def play_isam(sim: IsamSimulator, settings: IsamSettings, path: Path,
                    sent: list[int]) -> None:
    """Post every notification of the file to the hub's webhook; ``sent`` gets the statuses."""
    base = settings.effective_public_url()
    if not path.exists() or not await wait_for_webhook(base):
        return
    webhook, bodies = base + "/api/v1/notificaties", list[dict[str, Any]]()
    for item in notifications(path):
        data = dict(item["gegevens"])
        key = (str(item["resource"]), str(data["uuid"]))
        if key in sim.versions:  # a new version: send what is queued, wait for the read
            sent += await sim.send(webhook, settings.webhook_token, bodies)
            bodies = []
            await _read(sim, key[1])
        data["url"] = sim.url(*key)
        sim.versions.setdefault(key, []).append(data)
        if item.get("onleesbaar"):
            sim.unavailable.add(key[1])
        bodies.append(_body(sim, item, key))
        if len(bodies) >= CHUNK:
            sent += await sim.send(webhook, settings.webhook_token, bodies)
            bodies = []
    sent += await sim.send(webhook, settings.webhook_token, bodies)


async def _read(sim: IsamSimulator, ident: str) -> None:
    """Wait (bounded) until the hub has read the resource at least once."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + READ_WAIT_S
    while sim.reads[ident] == 0 and loop.time() < deadline:
        await asyncio.sleep(0.2)


def _body(sim: IsamSimulator, item: dict[str, Any], key: tuple[str, str]) -> dict[str, Any]:
    return {"kanaal": "inburgering",
            "hoofdObject": f"{sim.base_url}/api/v1/inburgeraars/{item.get('inburgeraar', '')}",
            "resource": key[0], "resourceUrl": sim.url(*key), "actie": item.get("actie", "create"),
            "aanmaakdatum": item.get("aanmaakdatum", ""), "kenmerken": item.get("kenmerken", {})}
