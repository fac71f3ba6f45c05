"""``--arrival SEED``: the partners of a replay hand over their input in a seeded random order,
with delays between them, and what they received is written as ``outbound-net.json``.

Principle 3 (ARCHITECTURE §2.3) says the net outbound effect at every partner is the same for
any arrival order. ``Arrival`` draws the order and the delays (same seed, same schedule);
``outbound_net`` reads what the simulated partners received (the financial system's booking
exports, ISAM's delivered notifications), never the hub's store, so two replays of one scenario
with different seeds can be compared byte for byte.
"""

from __future__ import annotations

import json
import random
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

NET_FILE = "outbound-net.json"
PARTNERS = ("duo", "taalaanbieder", "financieel", "isam", "kredietbank", "isi")
# Deadline signals depend on the day the worker's sweep found them due (and are sent once, not
# withdrawn): not part of the facts' net effect (hub/reconcile/README.md, "Deadline signals").
DEADLINE_SIGNALS = frozenset({"INTAKE_TE_LAAT", "PIP_TE_LAAT", "LBT_TE_LAAT", "GESPREK_TE_LAAT",
                              "TERMIJN_IN_GEVAAR", "TERMIJN_VERSTREKEN"})
LINE = re.compile(r"regel (\S+)$")
DUO_LATE = "duo-ontheffingen"  # DUO's ontheffingen and corrections, apart from its other changes


@dataclass(frozen=True)
class Arrival:
    """When each partner starts handing over its input, in seconds after the replay starts."""

    seed: int
    delays: dict[str, float] = field(default_factory=dict)
    last: tuple[str, ...] = ()  # partners that start only once the others' effects settled

    @classmethod
    def demo(cls) -> Arrival:
        """``hub up --demo``: DUO's ontheffingen and corrections (``DUO_LATE``) come last, once
        the schools' invoices were approved, booked and paid: the lines they refuse then (R24:
        no service after the plicht ended) were paid, so the report shows their
        terugvorderingen, as happens when DUO's decision reaches the hub late."""
        return cls(0, {}, (DUO_LATE,))

    @classmethod
    def drawn(cls, seed: int, partners: Iterable[str] = PARTNERS, *, gap_s: tuple[float, float]
              = (2.0, 6.0)) -> Arrival:
        """A seeded random order of ``partners`` with a random gap before each."""
        rng = random.Random(seed)
        order = list(partners)
        rng.shuffle(order)
        at, delays = 0.0, {}
        for name in order:
            at += rng.uniform(*gap_s)
            delays[name] = round(at, 1)
        return cls(seed, delays)

    def delay(self, partner: str) -> float:
        """Seconds before ``partner`` starts (0 when not scheduled)."""
        return self.delays.get(partner, 0.0)

    def describe(self) -> str:
        """``isam +2.3 s, duo +5.0 s, ...`` in arrival order."""
        timed = [f"{n} +{d:.1f} s" for n, d in sorted(self.delays.items(), key=lambda kv: kv[1])]
        return ", ".join([*timed, *(f"{n} once the others settled" for n in self.last)])


def cents(text: str) -> int:
    """``-49.20`` -> -4920 (the bookings export's euro amounts)."""
    sign = -1 if text.startswith("-") else 1
    whole, _, frac = text.lstrip("-").partition(".")
    return sign * (int(whole) * 100 + int((frac + "00")[:2]))


def net_bookings(rows: Iterable[Mapping[str, str]]) -> dict[str, int]:
    """The financial system's booked sum per invoice line, gemeente, year and kostenplaats
    (lines whose bookings net to zero are left out)."""
    sums: dict[str, int] = {}
    for row in rows:
        match = LINE.search(row.get("omschrijving") or "")
        line = match.group(1) if match else "?"
        key = "|".join((row["leverancier_id"], row["factuurnummer"], line, row["gemeentecode"],
                        row["begrotingsjaar"], row["kostenplaats"], row["kostensoort"]))
        sums[key] = sums.get(key, 0) + cents(row["bedrag"])
    return {k: v for k, v in sorted(sums.items()) if v}


def live_signals(live: Mapping[str, Mapping[str, Any]]) -> dict[str, list[str]]:
    """ISAM's live signals per case: type, gemeente and rule, one entry per live signal
    (deadline signals apart). Not the message id: a signal withdrawn and implied again is a new
    ISAM resource under a new id (an id is never used twice), so which id is live depends on
    the order; that it is live does not."""
    out: dict[str, list[str]] = {}
    for body in live.values():
        k = body.get("kenmerken") or {}
        if k.get("signaal_type") in DEADLINE_SIGNALS:
            continue
        out.setdefault(str(k.get("case_ref")), []).append("|".join(
            str(k.get(f)) for f in ("signaal_type", "gemeentecode", "regel")))
    return {ref: sorted(items) for ref, items in sorted(out.items())}


def write_net(work: Path, bookings: Iterable[Mapping[str, str]],
              signals: Mapping[str, Mapping[str, Any]]) -> Path:
    """``<workspace>/outbound-net.json``: net bookings per line and live signals per case."""
    path = work / NET_FILE
    body = {"boekingen": net_bookings(bookings), "signalen": live_signals(signals)}
    path.write_text(json.dumps(body, indent=1, sort_keys=True) + "\n", encoding="utf-8")
    return path
