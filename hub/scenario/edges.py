"""What the connectors refused at the edge, against the ground truth: dead letters (with the
source topic and the dead letter's id or a text its error must contain), quarantined files (with
the rule) and ISI rejects (with line and field). Anything refused that the truth does not list
is an extra: a regular input must never be refused.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Protocol

Json = dict[str, Any]


class Edges(Protocol):
    """What a replay saw at the edge (``replay.RunResult`` has these)."""

    dead_letters: Sequence[Json]  # source_topic, id, error_message
    quarantined: Sequence[Json]  # partner, map, bestand, regel
    rejects: Sequence[Json]  # partner, regel (line), veld


def edge_mismatches(truth: Mapping[str, Any], run: Edges) -> list[Json]:
    """Misses (``mist``) and extras (``extra``) at the edge."""
    out: list[Json] = []
    letters = list(run.dead_letters)
    for want in truth["dead_letters"]:
        hit = next((d for d in letters if _letter(want, d)), None)
        if hit is None:
            out.append({"anomalie": want["anomalie"], "mist": "dead letter", **_short(want)})
        else:
            letters.remove(hit)
    out += [{"anomalie": None, "extra": "dead letter", "topic": d["source_topic"],
             "fout": str(d.get("error_message", ""))[:120]} for d in letters]
    out += _pairs(truth["quarantaine"], run.quarantined, ("partner", "map", "bestand", "regel"),
                  "quarantaine")
    out += _pairs(truth["rejects"], run.rejects, ("partner", "regel", "veld"), "reject")
    return out


def _letter(want: Json, got: Json) -> bool:
    if got.get("source_topic") != want["topic"]:
        return False
    if "id" in want and got.get("id") != want["id"]:
        return False
    return str(want.get("bevat", "")) in str(got.get("error_message", ""))


def _pairs(expected: Sequence[Json], seen: Sequence[Json], fields: tuple[str, ...],
           what: str) -> list[Json]:
    left = [tuple(str(s.get(f, "")) for f in fields) for s in seen]
    out: list[Json] = []
    for want in expected:
        key = tuple(str(want.get(f, "")) for f in fields)
        if key in left:
            left.remove(key)
        else:
            out.append({"anomalie": want["anomalie"], "mist": what, **dict(zip(fields, key,
                                                                                 strict=True))})
    out += [{"anomalie": None, "extra": what, **dict(zip(fields, key, strict=True))}
            for key in left]
    return out


def _short(want: Json) -> Json:
    return {k: v for k, v in want.items() if k != "anomalie"}
