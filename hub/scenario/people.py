"""Who the scenario's people are: valid BSNs (R20), gemeenten, doelgroep and regime.

Proportions follow DOMAIN.md §5: in 2023 22.2k of 36.1k new inburgeringsplichtigen were
asielstatushouders (61%); the rest are gezinsmigranten and other migrants. Besides the Wi2021
cases there is a Wi2013 tail and a few historic Wi2007 (PIB) cases from ISI. New cases spread
over gemeenten unevenly: a large city takes a few hundred a year, the average gemeente ~105.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from hub.privacy import is_valid_bsn

DOELGROEPEN = (("ASIELSTATUSHOUDER", 0.61), ("GEZINSMIGRANT", 0.29), ("OVERIGE_MIGRANT", 0.10))
REGIMES = (("WI2021", 0.92), ("WI2013", 0.06), ("WI2007", 0.02))
ROUTES = (("B1", 0.70), ("Z", 0.18), ("ONDERWIJS", 0.12))
# The five gemeenten of the rate tables first (kostenplaatsen.csv), then real CBS codes that
# fall back to the tables' default kostenplaats rows.
GEMEENTEN = ("0363", "0344", "0599", "0392", "0518", "0014", "0034", "0080", "0106", "0193",
             "0200", "0202", "0228", "0268", "0307", "0361", "0394", "0402", "0439", "0479",
             "0503", "0546", "0606", "0637", "0758", "0772", "0794", "0796", "0855", "0935")
_WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2)
_BODY = 10**7
_STEP = 7_654_321  # coprime with 10**7: index -> body is a permutation


def bsn_for(seed: int, index: int) -> str:
    """A synthetic BSN passing the eleven-test (R20), unique per index below 10**7."""
    body = (index * _STEP + seed * 1_000_003) % _BODY
    tail = [int(c) for c in f"{body:07d}"]
    for step in range(9):
        first = 1 + (index + step) % 9
        digits = [first, *tail]
        total = sum(w * d for w, d in zip(_WEIGHTS, digits, strict=True))
        check = total % 11
        if check < 10 and total - check > 0:
            bsn = "".join(map(str, digits)) + str(check)
            assert is_valid_bsn(bsn)
            return bsn
    raise AssertionError("unreachable: one of nine first digits always gives a check digit")


def invalid_bsn(seed: int, index: int) -> str:
    """Nine digits that fail the eleven-test: a valid BSN with its check digit changed."""
    bsn = bsn_for(seed, index)
    wrong = bsn[:8] + str((int(bsn[8]) + 1) % 10)
    assert not is_valid_bsn(wrong)
    return wrong


def gemeenten(count: int) -> tuple[str, ...]:
    """The first ``count`` gemeenten (synthetic 4-digit codes beyond the known list)."""
    known = GEMEENTEN[:count]
    extra = tuple(f"{1900 + n:04d}" for n in range(max(0, count - len(GEMEENTEN))))
    return known + extra


def gemeente_weights(codes: Sequence[str]) -> list[float]:
    """Zipf-like shares: the first (a large city) gets the most cases."""
    return [1.0 / (rank + 1) ** 0.8 for rank in range(len(codes))]


def pick(rng: random.Random, table: Sequence[tuple[str, float]]) -> str:
    """One value of a (value, share) table."""
    return rng.choices([v for v, _ in table], weights=[w for _, w in table])[0]
