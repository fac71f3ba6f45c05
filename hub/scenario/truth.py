"""The ground truth: what the hub must conclude from the scenario, written as the generator goes.

``ground_truth.json`` (layout in ``FORMAT.md``) lists every injected anomaly, every invoice line
and voucher the reconciliation must refuse or hold (with its reason code; every other line must
be approved), the deadline signals due on the scenario's last day, view fields anomalies must
show, the dead letters, quarantined files and ISI rejects the connectors must produce, and the
budget per gemeente and year: persons attributed (R15), their SPUK budget (R14) and the amount
approved. Only anomalies, refusals and totals are kept, so memory stays small.
"""

from __future__ import annotations

import json
from collections import defaultdict
from datetime import date
from pathlib import Path
from typing import Any

from hub.reconcile.tables import Tables
from hub.scenario.anomalies import EXPECTED
from hub.scenario.budget import attribution, spuk_cent, voldaan_op
from hub.scenario.model import FORMAT, Case, Params, add_months

FILE = "ground_truth.json"
# Reason codes whose decision is AANGEHOUDEN (held); every other refusal is AFGEWEZEN.
HELD = frozenset({"R9.geen-aanmelding", "R9.geen-presentie", "R9.geen-contractprijs",
                  "R10.gecrediteerde-factuur-onbekend", "R10.geen-zaakreferentie",
                  "R11.doelgroep-onbekend", "R17.geen-gemeente", "R22.plan-niet-goedgekeurd"})
PIP_WEKEN = 10
Reden = str | list[str]  # a reason code, or the codes the docs allow for the line (any of them)


def beslissing(reden: Reden) -> str:
    """AANGEHOUDEN or AFGEWEZEN for a refusal's reason code (every allowed code must agree)."""
    codes = [reden] if isinstance(reden, str) else reden
    kinds = {"AANGEHOUDEN" if code in HELD else "AFGEWEZEN" for code in codes}
    assert len(kinds) == 1, f"reason codes {codes} do not agree on held or refused"
    return kinds.pop()


class Truth:
    """Accumulates the expectations; ``write`` puts them in ``ground_truth.json``."""

    def __init__(self, params: Params, tables: Tables) -> None:
        self.params, self.tables = params, tables
        self.anomalies: list[dict[str, Any]] = []
        self.decisions: list[dict[str, Any]] = []
        self.signals: list[dict[str, Any]] = []
        self.views: list[dict[str, Any]] = []
        self.edges: dict[str, list[dict[str, Any]]] = {"dead_letters": [], "quarantaine": [],
                                                       "rejects": []}
        self.budget: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0, 0, 0])
        self.counts: dict[str, int] = defaultdict(int)
        self._ids: dict[int, str] = {}

    # -- anomalies ---------------------------------------------------------------------------
    def anomaly(self, kind: str, case: Case | None, partner: str, detail: str = "") -> str:
        """Register an injected anomaly; returns its id (``A00001``)."""
        ident = f"A{len(self.anomalies) + 1:05d}"
        self.anomalies.append({"id": ident, "soort": kind, "case_ref": case.ref if case else None,
                               "partner": partner, "verwacht": EXPECTED.get(kind, kind),
                               "toelichting": detail})
        if case is not None:
            self._ids[case.index] = ident
        return ident

    def link(self, case: Case, anomaly: str) -> None:
        """``case`` belongs to ``anomaly`` too (a second member of the anomaly's household)."""
        self._ids[case.index] = anomaly

    def anomaly_of(self, case: Case) -> str | None:
        """The id of the anomaly ``case`` carries (registered first)."""
        return self._ids.get(case.index)

    # -- decisions ---------------------------------------------------------------------------
    def refuse(self, view: str, anomaly: str | None, reden: Reden, *, leverancier: str,
               factuurnummer: str, regelnummer: int, dienstdatum: date) -> None:
        """An invoice line the hub must refuse or hold, under view key ``view``."""
        self.decisions.append({
            "anomalie": anomaly, "case_ref": view, "leverancier_id": leverancier,
            "factuurnummer": factuurnummer, "regelnummer": str(regelnummer),
            "dienstdatum": dienstdatum.isoformat(), "beslissing": beslissing(reden),
            "reden": reden})

    def refuse_voucher(self, case: Case, anomaly: str | None, voucher: str, reden: str) -> None:
        """A PIB voucher the hub must refuse or hold (R22)."""
        self.decisions.append({"anomalie": anomaly, "case_ref": case.ref, "voucher_id": voucher,
                               "beslissing": beslissing(reden), "reden": reden})

    def judge(self, c: Case, reden: Reden | None, cents: int, *, view: str, anomaly: str | None,
              leverancier: str, factuurnummer: str, regelnummer: int, dienstdatum: date) -> None:
        """An invoice line: approved (``reden`` None) on the gemeente of its service date, or
        refused or held for ``reden`` under view key ``view``."""
        if reden is None:
            self.approve(c.gemeente_on(dienstdatum), dienstdatum.year, cents)
        else:
            self.refuse(view, anomaly, reden, leverancier=leverancier,
                        factuurnummer=factuurnummer, regelnummer=regelnummer,
                        dienstdatum=dienstdatum)

    def approve(self, gemeente: str | None, year: int, cents: int) -> None:
        """An approved amount (negative for a netted credit) on gemeente and begrotingsjaar."""
        assert gemeente is not None, "an approved line needs a gemeente (R17)"
        self.budget[(gemeente, year)][2] += cents
        self.counts["goedgekeurde_regels"] += 1

    # -- per person --------------------------------------------------------------------------
    def person(self, c: Case) -> None:
        """Budget attribution (R14, R15) and deadline signals due at the end (R18)."""
        self.counts["cases"] += 1
        self.counts[f"regime.{c.regime}"] += 1
        self.counts[f"doelgroep.{c.doelgroep}"] += 1
        for year, code in attribution(c).items():
            row = self.budget[(code, year)]
            row[0] += 1
            row[1] += spuk_cent(self.tables, c.doelgroep, year)
        if c.regime == "WI2021" and c.koppeling is not None and voldaan_op(c) is None:
            self._deadlines(c, c.koppeling)

    def _deadlines(self, c: Case, koppeling: date) -> None:
        end = self.params.end
        if c.intake is None and add_months(koppeling, 2) < end:
            self.signal(c, "INTAKE_TE_LAAT")
        if not c.pips and koppeling.toordinal() + 7 * PIP_WEKEN < end.toordinal():
            self.signal(c, "PIP_TE_LAAT")

    def signal(self, c: Case, soort: str) -> None:
        """A deadline signal due on the scenario's last day."""
        self.signals.append({"anomalie": self.anomaly_of(c), "case_ref": c.ref, "type": soort})

    def view(self, c: Case, field: str, value: Any) -> None:
        """A field of ``c``'s view (dotted path) the hub must show."""
        self.views.append({"anomalie": self.anomaly_of(c), "case_ref": c.ref, "veld": field,
                           "waarde": value})

    def edge(self, section: str, anomaly: str, **what: Any) -> None:
        """A dead letter, quarantined file or ISI reject the connectors must produce."""
        self.edges[section].append({"anomalie": anomaly, **what})

    # -- output ------------------------------------------------------------------------------
    def write(self, out: Path, files: dict[str, int]) -> Path:
        """Write ``ground_truth.json`` (sorted keys: the same seed gives the same bytes)."""
        p = self.params
        body = {
            "format": FORMAT, "seed": p.seed,
            "params": {"gemeenten": p.gemeenten, "cases": p.cases, "years": p.years,
                       "start_year": p.start_year},
            "einddatum": p.end.isoformat(), "tabellen": self.tables.tables_version,
            "counts": dict(sorted(self.counts.items())), "bestanden": files,
            "anomalies": self.anomalies, "beslissingen": self.decisions,
            "signalen": self.signals, "views": self.views, **self.edges,
            "budget": [{"gemeentecode": g, "jaar": y, "personen": v[0], "spuk_budget_cent": v[1],
                        "goedgekeurd_cent": v[2]} for (g, y), v in sorted(self.budget.items())],
        }
        path = out / FILE
        path.write_text(json.dumps(body, indent=1, sort_keys=True, ensure_ascii=False) + "\n",
                        encoding="utf-8")
        return path
