"""Exam results in the case view (R4, R21): per onderdeel the best result, corrections win.

A correction is a newer version of the same DUO record (``ExamenId``, or a change naming the
one it corrects): only the latest version of each exam counts, so a corrected pass is no longer
a pass. Arrival order never matters: versions are ordered by DUO's own order (``hub.versions``).
"""

from __future__ import annotations

from typing import Any

from hub.reconcile import facts as k
from hub.reconcile.facts import CaseFacts, iso


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
