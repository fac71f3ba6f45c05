"""Exam results in the case view (R4, R21): per onderdeel the best result, corrections win.

Arrival order never matters: every choice below is made on the facts' own content (dates,
production time, message id), so a replay or a permutation of the same facts gives the same view.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime
from typing import Any

from hub.store import Fact

EXAMENRESULTAAT = "nl.inburgering.hub.Examenresultaat"


def exam_view(facts: Sequence[Fact]) -> dict[str, Any]:
    """The exam part of a case view: results per onderdeel and the onderdelen passed."""
    exams = _exam_results([f for f in facts if f.kind == EXAMENRESULTAAT])
    return {
        "examens": exams,
        "examens_behaald": sorted(k for k, v in exams.items() if v["uitslag"] == "GESLAAGD"),
    }


def _exam_results(facts: Sequence[Fact]) -> dict[str, dict[str, Any]]:
    """Per onderdeel the best result; a correction (same examen_id, later) replaces the original."""
    latest: dict[str, Fact] = {}
    for fact in facts:
        examen_id = str(fact.record["examen_id"])
        current = latest.get(examen_id)
        if current is None or _version(fact) > _version(current):
            latest[examen_id] = fact
    per_onderdeel: dict[str, dict[str, Any]] = {}
    for fact in sorted(latest.values(), key=_exam_order):
        record = fact.record
        per_onderdeel[str(record["onderdeel"])] = {
            "niveau": str(record["niveau"]),
            "uitslag": str(record["uitslag"]),
            "examendatum": _iso(record["examendatum"]),
        }
    return per_onderdeel


def _version(fact: Fact) -> tuple[str, str]:
    return (_iso(fact.record["produced_at"]), fact.message_id)


def _exam_order(fact: Fact) -> tuple[bool, str, str]:
    """Later dates win; a pass outranks a fail on the same date."""
    record = fact.record
    return (record["uitslag"] == "GESLAAGD", _iso(record["examendatum"]), fact.message_id)


def _iso(value: Any) -> str:
    return value.isoformat() if isinstance(value, date | datetime) else str(value)
