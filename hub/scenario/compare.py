"""Compare what the hub concluded with the ground truth: misses and extras, per anomaly kind.

* Decisions: every refused or held invoice line and voucher in the views must be in the truth
  (else an *extra*), and every one the truth lists must be in the views (else a *miss*); a line
  is its view key, supplier, number, line number and service date, and its reason code must be
  the one the truth names or, where the truth lists several (the docs allow a choice), any one
  of them.
* Deadline signals due on the scenario's last day (INTAKE_TE_LAAT, PIP_TE_LAAT; Wi2021 cases).
* View fields anomalies must show, compared as typed JSON values (``68800`` is not ``"68800"``,
  ``true`` is not ``1``), and the budget per gemeente and year: persons attributed (R15), SPUK
  budget (R14) and amount approved.
* The edge refusals: dead letters, quarantined files and ISI rejects, from a replay's result
  (``run``) or the ``edges.json`` a replay leaves in its workspace (``read_edges``).
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from hub.reconcile.signals import due
from hub.reconcile.tables import Tables, load_tables
from hub.scenario.budget import spuk_cent
from hub.scenario.edges import edge_mismatches
from hub.store import Store

DEADLINES = ("INTAKE_TE_LAAT", "PIP_TE_LAAT")
Json = dict[str, Any]


@dataclass
class Report:
    """Everything that did not match, each item naming its anomaly (or ``normaal``)."""

    misses: list[Json] = field(default_factory=list)
    extras: list[Json] = field(default_factory=list)
    views: list[Json] = field(default_factory=list)
    budget: list[Json] = field(default_factory=list)
    edges: list[Json] = field(default_factory=list)
    checked: Counter[str] = field(default_factory=Counter)

    @property
    def ok(self) -> bool:
        """True when nothing mismatched."""
        return not (self.misses or self.extras or self.views or self.budget or self.edges)

    def by_kind(self, truth: Mapping[str, Any]) -> Counter[str]:
        """Mismatches per anomaly kind (``normaal`` for the regular flow)."""
        kinds = {a["id"]: a["soort"] for a in truth["anomalies"]}
        return Counter(kinds.get(item.get("anomalie") or "", item.get("soort", "normaal"))
                       for item in (*self.misses, *self.extras, *self.views, *self.edges))

    def lines(self, truth: Mapping[str, Any], limit: int = 40) -> list[str]:
        """A readable account, at most ``limit`` lines per section."""
        out = [f"checked: {dict(sorted(self.checked.items()))}"]
        for name in ("misses", "extras", "views", "budget", "edges"):
            items = getattr(self, name)
            out.append(f"{name}: {len(items)}")
            out += [f"  {item}" for item in items[:limit]]
        kinds = self.by_kind(truth)
        if kinds:
            out.append("per kind: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
        return out


def check(store: Store, truth: Mapping[str, Any], *, run: Any = None,
          tables: Tables | None = None) -> Report:
    """Compare the store's case views (and a replay's edges, ``run``) with the ground truth."""
    views: list[tuple[str, Json]] = []

    def collect(ref: str, view: Json) -> list[Any]:
        views.append((ref, view))
        return []

    store.sweep(collect)
    return check_views(views, truth, run=run, tables=tables)


def check_views(views: Iterable[tuple[str, Json]], truth: Mapping[str, Any], *,
                run: Any = None, tables: Tables | None = None) -> Report:
    """Compare (key, view) pairs with the ground truth."""
    tables = tables or load_tables()
    report = Report()
    end = date.fromisoformat(truth["einddatum"])
    found: Counter[tuple[Any, ...]] = Counter()
    signals: set[tuple[str, str]] = set()
    budget: dict[tuple[str, int], list[int]] = {}
    by_ref: dict[str, Json] = {}
    for ref, view in views:
        by_ref[ref] = view
        for d in view.get("beslissingen") or ():
            _budget(budget, d)
            if d["beslissing"] != "GOEDGEKEURD":
                found[_key(ref, d)] += 1
        if ref.startswith("CR"):
            _attribution(budget, tables, view)
            if view.get("regime") == "WI2021":
                signals |= {(ref, s["type"]) for s in due(view, end) if s["type"] in DEADLINES}
    _decisions(report, truth, found)
    _signals(report, truth, signals)
    _views(report, truth, by_ref)
    _budgets(report, truth, budget)
    if run is not None:
        report.edges = edge_mismatches(truth, run)
    return report


def _key(ref: str, d: Mapping[str, Any]) -> tuple[Any, ...]:
    return (*_line(ref, d), d["reden"])


def _line(ref: str, d: Mapping[str, Any]) -> tuple[str, ...]:
    """A decision's line: view key, supplier, number, line number, service date (or voucher)."""
    if "voucher_id" in d:
        return (ref, "voucher", str(d["voucher_id"]))
    return (ref, str(d["leverancier_id"]), str(d["factuurnummer"]), str(d["regelnummer"]),
            str(d["dienstdatum"]))


def allowed(reden: str | list[str]) -> tuple[str, ...]:
    """The reason codes a ground-truth decision accepts: one, or any of a list."""
    return (reden,) if isinstance(reden, str) else tuple(sorted(reden))


def _decisions(report: Report, truth: Mapping[str, Any], found: Counter[tuple[Any, ...]]
               ) -> None:
    left = Counter(found)
    report.checked["beslissingen"] = len(truth["beslissingen"])
    for d in sorted(truth["beslissingen"], key=lambda d: (_line(d["case_ref"], d),
                                                          allowed(d["reden"]))):
        line, codes = _line(d["case_ref"], d), allowed(d["reden"])
        hit = next(((*line, code) for code in codes if left[(*line, code)] > 0), None)
        if hit is None:
            shown = codes[0] if len(codes) == 1 else "|".join(codes)
            report.misses.append({"anomalie": d["anomalie"], "beslissing": (*line, shown)})
        else:
            left[hit] -= 1
    by_ref = {d["case_ref"]: d["id"] for d in truth["anomalies"] if d["case_ref"]}
    for key, n in sorted((+left).items()):
        report.extras += [{"anomalie": by_ref.get(key[0]), "beslissing": key}] * n


def _signals(report: Report, truth: Mapping[str, Any], found: set[tuple[str, str]]) -> None:
    expected = {(s["case_ref"], s["type"]): s["anomalie"] for s in truth["signalen"]}
    report.checked["signalen"] = len(expected)
    for key in sorted(set(expected) - found):
        report.misses.append({"anomalie": expected[key], "signaal": key})
    by_ref = {d["case_ref"]: d["id"] for d in truth["anomalies"] if d["case_ref"]}
    for key in sorted(found - set(expected)):
        report.extras.append({"anomalie": by_ref.get(key[0]), "signaal": key})


def _views(report: Report, truth: Mapping[str, Any], views: Mapping[str, Json]) -> None:
    report.checked["views"] = len(truth["views"])
    for item in truth["views"]:
        view = views.get(item["case_ref"])
        got = None if view is None else resolve(view, item["veld"])
        if view is None or not same(got, item["waarde"]):
            report.views.append({"anomalie": item["anomalie"], "case_ref": item["case_ref"],
                                 "veld": item["veld"], "verwacht": item["waarde"],
                                 "gevonden": got if view is not None else "(geen view)"})


def same(got: Any, want: Any) -> bool:
    """Equal as typed JSON values: ``68800`` is not ``"68800"``, ``true`` is not ``1``."""
    return _typed(got) == _typed(want)


def _typed(value: Any) -> str:
    return json.dumps(value, sort_keys=True, ensure_ascii=False, default=str)


def resolve(view: Json, path: str) -> Any:
    """A dotted path; ``list[field=value]`` selects entries (``value`` compared with the field's
    text), the next part collects that field of each selected entry, typed, in a stable order."""
    node: Any = view
    for part in path.split("."):
        if "[" in part and isinstance(node, dict):
            name, _, cond = part.partition("[")
            wanted_field, _, wanted = cond.rstrip("]").partition("=")
            node = [e for e in node.get(name) or () if _text(e.get(wanted_field)) == wanted]
        elif isinstance(node, list):
            node = sorted((e.get(part) for e in node), key=_typed)
        elif isinstance(node, dict):
            node = node.get(part)
        else:
            return None
    return node


def _text(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)


def read_edges(path: Path) -> SimpleNamespace:
    """The edge refusals a replay wrote to its workspace (``edges.json``)."""
    body = json.loads(path.read_text(encoding="utf-8"))
    return SimpleNamespace(dead_letters=body["dead_letters"], quarantined=body["quarantined"],
                           rejects=body["rejects"])


def _budget(budget: dict[tuple[str, int], list[int]], d: Mapping[str, Any]) -> None:
    if d["beslissing"] == "GOEDGEKEURD" and d.get("gemeentecode"):
        row = budget.setdefault((str(d["gemeentecode"]), int(d["begrotingsjaar"])), [0, 0, 0])
        row[2] += int(d.get("goedgekeurd_cent") or 0)


def _attribution(budget: dict[tuple[str, int], list[int]], tables: Tables, view: Json) -> None:
    for year, code in (view.get("budget_toerekening") or {}).items():
        row = budget.setdefault((str(code), int(year)), [0, 0, 0])
        row[0] += 1
        row[1] += spuk_cent(tables, str(view.get("doelgroep")), int(year))


def _budgets(report: Report, truth: Mapping[str, Any], found: dict[tuple[str, int], list[int]]
             ) -> None:
    expected = {(b["gemeentecode"], b["jaar"]): [b["personen"], b["spuk_budget_cent"],
                                                 b["goedgekeurd_cent"]] for b in truth["budget"]}
    report.checked["budget"] = len(expected)
    for key in sorted(set(expected) | set(found)):
        want, got = expected.get(key, [0, 0, 0]), found.get(key, [0, 0, 0])
        if want != got:
            report.budget.append({"gemeentecode": key[0], "jaar": key[1],
                                  "verwacht": dict(zip(("personen", "spuk", "goedgekeurd"), want,
                                                       strict=True)),
                                  "gevonden": dict(zip(("personen", "spuk", "goedgekeurd"), got,
                                                       strict=True))})
