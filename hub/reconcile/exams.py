"""Exam results in the case view (R4, R21): per onderdeel the best result, corrections win.

A correction is a newer version of the same DUO record (``ExamenId``, or a change naming the
one it corrects): only the latest version of each exam counts, so a corrected pass is no longer
a pass. Arrival order never matters: versions are ordered by DUO's own order (``hub.versions``).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from hub import versions
from hub.reconcile import facts as k
from hub.reconcile.facts import CaseFacts, Item, as_date, iso

READ = ("onderdeel", "niveau", "uitslag", "examendatum", "bron_versie")
"""The fields of an exam result any rule reads (here and in ``status``); ``fold`` keeps only
these (a rule reading another field fails the fold property test)."""


def exam_view(cf: CaseFacts) -> dict[str, Any]:
    """The exam part of a case view: results per onderdeel and the onderdelen passed."""
    exams = _exam_results(cf)
    return {
        "examens": exams,
        "examens_behaald": sorted(k for k, v in exams.items() if v["uitslag"] == "GESLAAGD"),
    }


def _exam_results(cf: CaseFacts) -> dict[str, dict[str, Any]]:
    """Per onderdeel the best current result: a pass outranks a fail, then the later date,
    then the version order."""
    per_onderdeel: dict[str, dict[str, Any]] = {}
    items = cf.current_with_ids(k.EXAMEN)  # in version order: a stable sort keeps it for ties
    for _, record in sorted(items, key=lambda item: (item[1]["uitslag"] == "GESLAAGD",
                                                     iso(item[1]["examendatum"]))):
        per_onderdeel[str(record["onderdeel"])] = {
            "niveau": str(record["niveau"]),
            "uitslag": str(record["uitslag"]),
            "examendatum": iso(record["examendatum"]),
        }
    return per_onderdeel


def deciding(items: Sequence[Item]) -> list[Item]:
    """The current exam results that decide every rule reading them, in version order.

    Per onderdeel the best result (what ``exam_view`` shows) and per onderdeel and niveau the
    earliest pass (``status``: the best niveau passed and the day the last required exam was
    passed; of equal days the latest version, so a repeated result is kept once). Any other
    current result changes nothing, so ``hub.reconcile.fold`` may forget it
    (``deciding(deciding(a) + b) == deciding(a + b)``: each pick is a maximum or minimum).
    """
    best: dict[str, tuple[Any, Item]] = {}
    first: dict[tuple[str, str], tuple[Any, Any, Item]] = {}
    for mid, record in items:
        order = versions.version_key(record, mid)
        passed = record["uitslag"] == "GESLAAGD"
        rank = (passed, iso(record["examendatum"]), order)
        onderdeel = str(record["onderdeel"])
        if onderdeel not in best or rank > best[onderdeel][0]:
            best[onderdeel] = (rank, (mid, record))
        if passed:
            key, day = (onderdeel, str(record["niveau"])), as_date(record["examendatum"])
            seen = first.get(key)
            if seen is None or day < seen[0] or (day == seen[0] and order > seen[1]):
                first[key] = (day, order, (mid, record))
    chosen = {item[0]: item for *_, item in (*best.values(), *first.values())}
    return sorted(chosen.values(), key=lambda item: versions.version_key(item[1], item[0]))
