"""Decisions on one case's invoice lines (R8-R13, R17, R22): pure, and independent of the order
in which invoices or case facts arrive.

Documents are decided one at a time in a canonical order: (factuurdatum, message id: a hash of
the document's bytes), except that a credit note comes right after the invoice it credits; when
the hub received a document never counts (R21). Within a document,
lines go by regelnummer. What was approved so far (hours, periods, quarter sums, fees) lives in
a ``Ledger`` for this call only, so "first" always means first in that order.

Per line the first rule that fails decides:

- R9 ``dubbel-factuurnummer``: a later document with a supplier's number already received;
- R10 credit notes: netted against the credited invoice of this case (capped at what was
  approved and not yet credited); refused invoice, unknown or held invoice otherwise;
- Kredietbank suppliers (in ``kredietbank.csv``): R11, R12 (``kredietbank_fees``), decided per
  household over every member's documents (``members``, ``households``; ``own`` keeps this
  case's lines);
- Wi2007 cases with a PIB traject: R22 (``pib``);
- other taalaanbieder lines: R8, R9, R13 (``taal_lines``);
- R17: a line that would be approved is held while no gemeente is known on its service date.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from hub.reconcile.kredietbank_fees import decide_kredietbank
from hub.reconcile.ledger import (
    CREDIT_NOTE,
    KREDIETBANK,
    PIB,
    REASONS,
    TAAL,
    Doc,
    Ledger,
    Line,
    Verdict,
    as_date,
    millis,
)
from hub.reconcile.model import AANGEHOUDEN, GOEDGEKEURD, CaseContext
from hub.reconcile.ontzorgen import Household
from hub.reconcile.pib import decide_pib, pib_applies
from hub.reconcile.pib import vouchers as vouchers
from hub.reconcile.taal_lines import decide_taal
from hub.reconcile.tables import Tables

Document = tuple[Doc, tuple[Line, ...]]


def decide(ctx: CaseContext, invoices: Sequence[Mapping[str, Any]], tables: Tables, *,
           members: Mapping[str, CaseContext] | None = None,
           households: Mapping[str, Household] | None = None, own: str | None = None
           ) -> list[dict[str, Any]]:
    """One JSON-safe decision per invoice line, in canonical order; with ``own`` only the
    lines billed for that case (the others were decided with it: one ledger per household)."""
    documents = _documents(invoices)
    first = _first_by_number(documents)
    ledger, out = Ledger(), []
    for doc, lines in _canonical(documents, first):
        kind = kind_of(doc, ctx, tables)
        for line in lines:
            lctx = (members or {}).get(line.case_ref or "", ctx)
            verdict = _judge(line, kind, lctx, tables, ledger, first, households)
            if own is None or lctx is ctx:
                out.append(_decision(line, kind, verdict, lctx, tables))
    return out


def kind_of(doc: Doc, ctx: CaseContext, tables: Tables) -> str:
    """kredietbank (R12), pib (R22) or taal (R8, R9, R13): which rules a document meets."""
    if tables.is_kredietbank(doc.leverancier):
        return KREDIETBANK
    return PIB if pib_applies(ctx) else TAAL


def _judge(line: Line, kind: str, ctx: CaseContext, tables: Tables, ledger: Ledger,
           first: Mapping[tuple[str, str], Doc],
           households: Mapping[str, Household] | None = None) -> Verdict:
    doc, credited = line.doc, None
    original = first[(doc.leverancier, doc.factuurnummer)]
    if original.mid != doc.mid:
        verdict = Verdict("R9.dubbel-factuurnummer", {"eerste_factuurdatum":
                                                      original.factuurdatum.isoformat()})
    elif doc.soort == CREDIT_NOTE:
        credited = _credited(doc, first)
        verdict = credit(line, credited, ledger)
    elif kind == KREDIETBANK:
        verdict = decide_kredietbank(line, ctx, tables, ledger, households)
    elif kind == PIB:
        verdict = decide_pib(line, ctx, ledger)
    else:
        verdict = decide_taal(line, ctx, tables, ledger)
    if verdict.beslissing == GOEDGEKEURD and ctx.gemeente_on(line.begin) is None:
        verdict = Verdict("R17.geen-gemeente", verdict.bewijs)
    if verdict.beslissing == GOEDGEKEURD:
        ledger.book(line, kind, verdict, credited.mid if credited else None)
    elif verdict.beslissing == AANGEHOUDEN:
        ledger.hold(line)
    return verdict


def credit(line: Line, credited: Doc | None, ledger: Ledger) -> Verdict:
    """R10: a credit line nets against what was approved, and not yet credited, on its invoice."""
    bewijs: dict[str, Any] = {"gecrediteerde_factuurnummer": line.doc.gecrediteerde}
    if credited is None:
        return Verdict("R10.gecrediteerde-factuur-onbekend", bewijs)
    approved = ledger.approved.get(credited.mid, 0)
    already = ledger.credited.get(credited.mid, 0)
    bewijs.update(goedgekeurd_op_factuur_cent=approved, al_gecrediteerd_cent=already)
    if approved <= 0:
        held = ledger.held.get(credited.mid, 0) > 0
        return Verdict("R10.gecrediteerde-factuur-aangehouden" if held
                       else "R10.creditnota-op-geweigerde-factuur", bewijs)
    if approved <= already:
        return Verdict("R10.al-gecrediteerd", bewijs)
    return Verdict("R10.verrekend", bewijs, cents=-min(max(line.bedrag, 0), approved - already))


def _credited(doc: Doc, first: Mapping[tuple[str, str], Doc]) -> Doc | None:
    """The invoice a credit note credits: the supplier's first document with that number."""
    if doc.gecrediteerde is None:
        return None
    target = first.get((doc.leverancier, doc.gecrediteerde))
    return target if target is not None and target.soort != CREDIT_NOTE else None


def _documents(invoices: Sequence[Mapping[str, Any]]) -> list[Document]:
    """Normalised documents, one per message id (a redelivery is the same document); the
    lines of one document billed to several cases (household members) are joined."""
    unique: dict[str, dict[str, Any]] = {}
    for inv in invoices:
        mid = str(inv["factuur_message_id"])
        if mid in unique:
            seen = {(r.get("case_ref"), str(r["regelnummer"])) for r in unique[mid]["regels"]}
            unique[mid]["regels"] += [r for r in inv.get("regels") or ()
                                      if (r.get("case_ref"), str(r["regelnummer"])) not in seen]
        else:
            unique[mid] = {**inv, "regels": list(inv.get("regels") or ())}
    return [_document(mid, inv) for mid, inv in unique.items()]


def _document(mid: str, inv: Mapping[str, Any]) -> Document:
    doc = Doc(mid=mid, factuur_key=str(inv["factuur_key"]),
              factuurnummer=str(inv["factuurnummer"]), leverancier=str(inv["leverancier_id"]),
              soort=str(inv["documentsoort"]), factuurdatum=as_date(inv["factuurdatum"]),
              produced=millis(inv.get("produced_at")),
              gecrediteerde=inv.get("gecrediteerde_factuurnummer"),
              iban=inv.get("iban_begunstigde"), naam=inv.get("leverancier_naam"))
    lines = [Line(doc, str(r["regelnummer"]), str(r.get("omschrijving") or ""),
                  r.get("koper_referentie"), as_date(r["periode_begindatum"]),
                  as_date(r["periode_einddatum"]), int(r["hoeveelheid_milli"]),
                  str(r.get("eenheid") or ""), int(r["eenheidsprijs_cent"]),
                  int(r["regelbedrag_cent"]), r.get("case_ref")) for r in inv.get("regels") or ()]
    return doc, tuple(sorted(lines, key=_line_order))


def _line_order(line: Line) -> tuple[Any, ...]:
    number = line.regelnummer
    natural = (0, int(number), "") if number.isdigit() else (1, 0, number)
    return (*natural, line.begin, line.einde, line.milli, line.prijs, line.bedrag,
            line.omschrijving, line.koper_referentie or "")


def _own(doc: Doc) -> tuple[Any, ...]:
    return doc.factuurdatum, doc.mid  # R21: the document's own date, never its arrival


def _first_by_number(documents: Sequence[Document]) -> dict[tuple[str, str], Doc]:
    """Per (supplier, number) the first document in (factuurdatum, id) order."""
    first: dict[tuple[str, str], Doc] = {}
    for doc, _ in sorted(documents, key=lambda d: _own(d[0])):
        first.setdefault((doc.leverancier, doc.factuurnummer), doc)
    return first


def _canonical(documents: Sequence[Document], first: Mapping[tuple[str, str], Doc]
               ) -> list[Document]:
    """Documents in decision order; a credit note right after the invoice it credits."""
    def key(document: Document) -> tuple[Any, ...]:
        doc = document[0]
        credited = _credited(doc, first) if doc.soort == CREDIT_NOTE else None
        anchor = max(_own(doc), _own(credited)) if credited else _own(doc)
        return anchor, doc.soort == CREDIT_NOTE, _own(doc)
    return sorted(documents, key=key)


def _decision(line: Line, kind: str, verdict: Verdict, ctx: CaseContext, tables: Tables
              ) -> dict[str, Any]:
    doc = line.doc
    gemeente = ctx.gemeente_on(line.begin)
    kostenplaats, kostensoort = (tables.kostenplaats(gemeente, kind) if gemeente
                                 else (None, None))
    beslissing, toelichting = REASONS[verdict.code]
    return {
        "factuur_key": doc.factuur_key, "factuur_message_id": doc.mid,
        "factuurnummer": doc.factuurnummer, "leverancier_id": doc.leverancier,
        "regelnummer": line.regelnummer, "documentsoort": doc.soort,
        "dienstdatum": line.begin.isoformat(), "periode_einde": line.einde.isoformat(),
        "beslissing": beslissing, "reden": verdict.code, "regel": verdict.code.split(".")[0],
        "toelichting": toelichting,
        "gefactureerd_cent": -line.bedrag if doc.soort == CREDIT_NOTE else line.bedrag,
        "goedgekeurd_cent": verdict.cents if beslissing == GOEDGEKEURD else 0,
        "gemeentecode": gemeente, "begrotingsjaar": line.begin.year,
        "kostenplaats": kostenplaats, "kostensoort": kostensoort,
        "iban_begunstigde": doc.iban, "leverancier_naam": doc.naam,
        "bewijs": {**verdict.bewijs, "tabellen": tables.tables_version},
    }
