"""The checks that must hold when the report's sections tie out (shown on the page, tested)."""

from __future__ import annotations

from collections.abc import Sequence

from hub.report.columns import (
    BUDGET,
    COMPLETENESS,
    EURO,
    EXCEPTIONS,
    LINES,
    RECLAIMS,
    VOUCHERS,
    Row,
)
from hub.report.csvs import Tally
from hub.report.sections import UNPAID


def tieouts(tally: Tally, budget: Sequence[Row]) -> list[tuple[str, int, int]]:
    """(check, left, right) pairs that must be equal when the sections tie out; per gemeente
    one line for all of them, plus a line for each gemeente that does not tie out."""
    t = {c.key: tally.total(BUDGET, c.key) for c in BUDGET.columns if c.kind == EURO}
    lines = {c.key: tally.total(LINES, c.key) for c in LINES.columns if c.kind == EURO}
    held = tally.groups[EXCEPTIONS.key]["beslissing"].get("AANGEHOUDEN", [0, 0])[1]
    unpaid = tally.groups[COMPLETENESS.key]["controle"].get(UNPAID, [0, 0])[1]
    checks = [
        ("Gefactureerd = goedgekeurd + aangehouden + afgewezen en verschil", t["gefactureerd"],
         t["goedgekeurd"] + t["aangehouden"] + t["afgewezen"]),
        ("Gefactureerd - goedgekeurd = som factuuruitzonderingen",
         t["gefactureerd"] - t["goedgekeurd"], tally.total(EXCEPTIONS, "bedrag")),
        ("Aangehouden = uitzonderingen met beslissing AANGEHOUDEN", t["aangehouden"], held),
        ("Goedgekeurd = betaald - terug te vorderen + geboekt, nog niet betaald",
         t["goedgekeurd"], t["betaald"] - tally.total(RECLAIMS, "bedrag") + unpaid),
        ("Terugvorderingen = begrotingsposten: terug te vorderen",
         tally.total(RECLAIMS, "bedrag"), lines["terug_te_vorderen"]),
        ("Vouchers in het budget = goedgekeurd in het voucherregister", t["vouchers"],
         tally.total(VOUCHERS, "goedgekeurd")),
        ("Begrotingsposten: budget = SPUK-budget", lines["budget"], t["spuk_budget"]),
        ("Begrotingsposten: verplicht = verplicht", lines["verplicht"], t["verplicht"]),
        ("Begrotingsposten: goedgekeurd = goedgekeurd + vouchers", lines["goedgekeurd"],
         t["goedgekeurd"] + t["vouchers"]),
        ("Begrotingsposten: betaald = betaald", lines["betaald"], t["betaald"])]
    per_gemeente: dict[str, int] = {}
    billed, approved = BUDGET.index("gefactureerd"), BUDGET.index("goedgekeurd")
    for row in budget:
        per_gemeente[row[0]] = per_gemeente.get(row[0], 0) + row[billed] - row[approved]
    exceptions = {code: v[1] for code, v in tally.groups[EXCEPTIONS.key]["gemeente"].items()}
    codes = sorted(set(per_gemeente) | set(exceptions))
    checks.append((f"Per gemeente ({len(codes)}): gefactureerd - goedgekeurd = uitzonderingen",
                   sum(per_gemeente.values()), sum(exceptions.values())))
    checks += [(f"Gemeente {code}: gefactureerd - goedgekeurd = uitzonderingen",
                per_gemeente.get(code, 0), exceptions.get(code, 0)) for code in codes
               if per_gemeente.get(code, 0) != exceptions.get(code, 0)]
    return checks
