"""The case view: a pure function of a case's facts (ARCHITECTURE §2, principle 1).

``Reconciler`` is the store's projection: (case_ref, facts) -> view, holding the rate tables
and the peildatum it was built with. A person's view carries status (R1-R7, R18), the
gemeente timeline and budget attribution (R15, R17), the decision on every invoice line and
voucher billed for the case (R8-R13, R22), the signals the facts imply, and the registrations
the hub must send. An invoice's own view (key ``FA…``) holds the document and the lines that
name no case, which are held (R10). ``effects.plan`` turns a view into what to send beyond
what was sent.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import date
from functools import cache
from typing import Any

from hub.reconcile import facts as k
from hub.reconcile import fold, invoices, ontzorgen
from hub.reconcile.case import context
from hub.reconcile.exams import exam_view
from hub.reconcile.facts import CaseFacts, iso
from hub.reconcile.fold import CaseState
from hub.reconcile.ledger import REASONS
from hub.reconcile.links import FACTUUR, HOUSEHOLD_PREFIX, HUISHOUDEN_LID
from hub.reconcile.model import FACTUUR_VOOR_CASE, CaseContext
from hub.reconcile.moves import Peildatum, attribution
from hub.reconcile.outbound import registrations
from hub.reconcile.signals import from_facts
from hub.reconcile.status import status
from hub.reconcile.tables import Tables, load_tables
from hub.records import Fact

INVOICE_KEY_PREFIX = "FA"
HELD_WITHOUT_CASE = "R10.geen-zaakreferentie"
CASE_PREFIX = "CR"


class Reconciler:
    """The projection: every case's view from its facts, under fixed tables and peildatum."""

    def __init__(self, tables: Tables | None = None, peildatum: Peildatum | None = None) -> None:
        self.tables = tables if tables is not None else load_tables()
        self.peildatum = peildatum or Peildatum()

    def __call__(self, case_ref: str, facts: Sequence[Fact]) -> dict[str, Any]:
        """The view of one case (or one invoice, or one household) from all its facts; facts of
        linked keys (``links.linked``: the case's households and their members) may be among
        them and are told apart by their ``case_ref``."""
        own = [f for f in facts if f.case_ref == case_ref]
        others = _by_case(f for f in facts if f.case_ref != case_ref)
        return self.project(case_ref, CaseFacts(own), others)

    def build_state(self, facts: Sequence[Fact]) -> CaseState:
        """The incremental state of a key with exactly ``facts`` (``hub.reconcile.fold``)."""
        return fold.build(facts)

    def fold_state(self, state: CaseState, facts: Sequence[Fact]) -> CaseState | None:
        """``state`` plus new ``facts``, or None where it must be rebuilt from all facts."""
        return fold.fold(state, facts)

    def view_of_state(self, case_ref: str, state: CaseState) -> dict[str, Any]:
        """The same view from a folded state (``hub.reconcile.fold``) of a key that reads no
        other key's facts (``links.linked`` names none)."""
        return self.project(case_ref, state.case_facts(), {})

    def basis(self, state: CaseState) -> bytes:
        """What a state's view is made of apart from its fact count (``recount``), for
        ``hub.store.incremental`` to memoise views on: ``fold.basis``."""
        return fold.basis(state)

    def recount(self, view: dict[str, Any], state: CaseState) -> dict[str, Any]:
        """A view of a state with equal ``basis`` as the view of ``state``: only ``facts``
        (``CaseFacts.count``, read by nothing else) differs."""
        return {**view, "facts": state.count}

    def project(self, case_ref: str, cf: CaseFacts,
                others: dict[str, list[Fact]]) -> dict[str, Any]:
        """The view of ``case_ref`` from its own facts and those of the keys it reads."""
        if case_ref.startswith(INVOICE_KEY_PREFIX):
            return invoice_view(case_ref, cf)
        if case_ref.startswith(HOUSEHOLD_PREFIX):
            return household_view(case_ref, cf, others)
        ctx = context(case_ref, cf)
        st = status(cf, ctx, self.tables.keurmerk)
        voldaan = st["plicht_voldaan_op"]
        ctx = replace(ctx, plicht_voldaan_op=date.fromisoformat(voldaan) if voldaan else None)
        decisions = self._invoice_decisions(ctx, cf, others)
        decisions += invoices.vouchers(ctx, cf.current(k.PIB_VOUCHER))
        return {
            "case_ref": case_ref, "facts": cf.count(), **exam_view(cf), **st,
            "gemeente": ctx.residences[-1].gemeentecode if ctx.residences else None,
            "verblijf": [{"gemeentecode": r.gemeentecode, "vanaf": _day(r.vanaf),
                          "tot": iso(r.tot) or None} for r in ctx.residences],
            "budget_toerekening": attribution(ctx.residences, _years(ctx, st), self.peildatum),
            "ontzorgen": [{"begin": iso(p.begin), "einde": iso(p.einde) or None}
                          for p in ctx.ontzorgen],
            "huishoudens": sorted(ctx.huishoudens),
            "beslissingen": decisions,
            "signalen": from_facts(ctx, st, decisions),
            "uitgaand": registrations(case_ref, cf, ctx.doelgroep),
            "tabellen": self.tables.tables_version,
        }

    def _invoice_decisions(self, ctx: CaseContext, cf: CaseFacts,
                           others: dict[str, list[Fact]]) -> list[dict[str, Any]]:
        """Schools' lines per case (R8-R10, R13, R24); Kredietbank lines per household, over
        every member's grants and fees (R11, R12), keeping this case's lines."""
        mine = _invoices(cf)
        kb = self.tables.is_kredietbank
        decisions = invoices.decide(ctx, [i for i in mine if not kb(str(i["leverancier_id"]))],
                                    self.tables)
        members = {ref: context(ref, CaseFacts(fs)) for ref, fs in others.items()
                   if ref.startswith(CASE_PREFIX)}
        fees = [i for i in mine if kb(str(i["leverancier_id"]))]
        for ref in sorted(members):
            fees += [i for i in _invoices(CaseFacts(others[ref]))
                     if kb(str(i["leverancier_id"]))]
        if not fees:
            return decisions
        homes = ontzorgen.households([_member(c) for c in (ctx, *members.values())])
        return decisions + invoices.decide(ctx, fees, self.tables, members=members,
                                           households=homes, own=ctx.case_ref)


def invoice_view(key: str, cf: CaseFacts) -> dict[str, Any]:
    """An invoice's own view: its documents, and a held decision for lines naming no case."""
    documents = cf.with_ids(FACTUUR)
    held = []
    for mid, doc in documents:
        for line in doc["regels"]:
            if line.get("case_ref"):
                continue
            held.append({
                "factuur_key": key, "factuur_message_id": mid,
                "factuurnummer": doc["factuurnummer"], "leverancier_id": doc["leverancier_id"],
                "regelnummer": line["regelnummer"], "documentsoort": doc["documentsoort"],
                "dienstdatum": iso(line["periode_begindatum"]),
                "beslissing": REASONS[HELD_WITHOUT_CASE][0], "reden": HELD_WITHOUT_CASE,
                "regel": "R10", "toelichting": REASONS[HELD_WITHOUT_CASE][1],
                "gefactureerd_cent": int(line["regelbedrag_cent"]), "goedgekeurd_cent": 0})
    return {
        "case_ref": key, "facts": cf.count(), "soort": "factuur",
        "documenten": [{"message_id": mid, "factuurnummer": d["factuurnummer"],
                        "leverancier_id": d["leverancier_id"],
                        "documentsoort": d["documentsoort"], "factuurdatum": iso(d["factuurdatum"]),
                        "te_betalen_cent": int(d["te_betalen_cent"]),
                        "regels": len(d["regels"])} for mid, d in documents],
        "beslissingen": sorted(held, key=lambda d: (d["factuur_message_id"], d["regelnummer"])),
    }


def household_view(key: str, cf: CaseFacts, others: dict[str, list[Fact]]) -> dict[str, Any]:
    """A household's own view (key ``HH…``, R11, R12): its members and their ontzorgen."""
    ids = sorted({str(r["huishouden_id"]) for r in cf.records(HUISHOUDEN_LID)})
    members = [_member(context(ref, CaseFacts(fs))) for ref, fs in sorted(others.items())
               if ref.startswith(CASE_PREFIX)]
    homes = ontzorgen.households(members)
    return {
        "case_ref": key, "facts": cf.count(), "soort": "huishouden", "huishouden_id": ids,
        "leden": sorted({str(r["lid"]) for r in cf.records(HUISHOUDEN_LID)}),
        "ontzorgen": [{"begin": iso(p.begin), "einde": iso(p.einde) or None}
                      for hh in ids if hh in homes for p in homes[hh].actief],
    }


def _member(ctx: CaseContext) -> ontzorgen.Member:
    return ontzorgen.Member(ctx.case_ref, ctx.doelgroep, ctx.grants, ctx.stops, ctx.huishoudens)


def _by_case(facts: Iterable[Fact]) -> dict[str, list[Fact]]:
    grouped: dict[str, list[Fact]] = {}
    for fact in facts:
        grouped.setdefault(fact.case_ref, []).append(fact)
    return grouped


def _invoices(cf: CaseFacts) -> list[dict[str, Any]]:
    return cf.records(FACTUUR_VOOR_CASE)


def _years(ctx: CaseContext, st: dict[str, Any]) -> range:
    """R15: the years the case runs: from the koppeling to the plicht met (or termijn end)."""
    if not ctx.residences:
        return range(0)
    first = ctx.residences[0].vanaf.year if ctx.residences[0].vanaf != date.min else \
        min(r.vanaf.year for r in ctx.residences[1:])
    end = st["plicht_voldaan_op"] or st["termijn_einde"]
    last = date.fromisoformat(end).year if end else max(r.vanaf.year for r in ctx.residences)
    return range(first, max(first, last) + 1)


def _day(day: date) -> str | None:
    return None if day == date.min else day.isoformat()


@cache
def default_reconciler() -> Reconciler:
    """A Reconciler on the packaged tables and the default peildatum (tests, tools)."""
    return Reconciler()


def case_view(case_ref: str, facts: Sequence[Fact]) -> dict[str, Any]:
    """The view of one case under the packaged tables and default peildatum."""
    return default_reconciler()(case_ref, facts)
