"""Seeded test data shared by tests and benchmarks: synthetic BSNs and DUO examenresultaten.

``hub up --demo`` replays the multi-partner scenario instead (``hub/up_demo.py``).
"""

from __future__ import annotations

import random
import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hub.privacy import BsnCipher, case_ref
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
