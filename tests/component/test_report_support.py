"""A small store for the report tests (no tests here): four people with real encrypted BSNs,
invoices, a move, hours, payments, recorded through ``Store.record_batch`` from the topics the
agents read, and projected by the real ``case_view``."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from connectors.ubl import invoice_key
from hub.outbound.emit import ledger_only
from hub.privacy import BsnCipher, case_ref
from hub.reconcile.links import derived
from hub.reconcile.view import case_view
from hub.store import InboundMessage, Store

NS = "nl.inburgering.hub."
KEY = "report-test-key"
CIPHER = BsnCipher({"t1": bytes(range(32))}, "t1")
BSNS = ("111222333", "123456782", "999999990", "200000019")  # pass the eleven-test (R20)
A, B, C, D = (case_ref(bsn, KEY) for bsn in BSNS)
SCHOOL = "B10001"
DAY = date(2025, 6, 30)
T0 = datetime(2025, 1, 2, tzinfo=UTC)
DUO, ISAM, TAAL, FIN = ("inburgering.duo.", "inburgering.isam.", "inburgering.taalaanbieder.",
                        "inburgering.financieel.")
_offsets = iter(range(1, 1_000_000))


def msg(topic: str, kind: str, mid: str, ref: str, **fields: Any) -> InboundMessage:
    """One accepted message as an agent hands it to the store."""
    record = {"message_id": mid, "case_ref": ref, "source": "test", "produced_at": T0, **fields}
    return InboundMessage(topic + "x.v1", 0, next(_offsets), mid, ref, NS + kind, record)


def bsn(n: int) -> dict[str, Any]:
    return CIPHER.encrypt(BSNS[n]).as_record()


def person_facts() -> list[InboundMessage]:
    """A: DUO and ISAM, hours, a move over New Year; B: DUO only; C: ISAM only; D: hours only."""
    return [
        msg(DUO, "InburgeringsplichtVastgesteld", "a-plicht", A, bsn=bsn(0), v_nummer=None,
            plicht_startdatum=date(2023, 1, 10), doelgroep="ASIELSTATUSHOUDER", regime="WI2021"),
        msg(DUO, "KoppelingGemeente", "a-kop", A, bsn=bsn(0), gemeentecode="0363",
            koppeldatum=date(2023, 1, 20), azc=None),
        msg(ISAM, "PipVastgesteld", "a-pip", A, bsn=bsn(0), gemeentecode="0363",
            soort="VASTGESTELD", pip_kenmerk="PIP-1", dagtekening_eerste_pip=date(2023, 3, 1),
            dagtekening=date(2023, 3, 1), leerroute="B1", niveau="B1", taalaanbieder=SCHOOL,
            contract_id="C-1", ontzorgen=False),
        msg(ISAM, "Verhuizing", "a-move", A, bsn=bsn(0), verhuisdatum=date(2024, 12, 28),
            gemeentecode_oud="0363", gemeentecode_nieuw="0599"),
        hours("a-v1", A, date(2024, 4, 1), date(2024, 4, 30), 40),
        hours("a-v2", A, date(2024, 5, 1), date(2024, 5, 31), 40),
        msg(DUO, "InburgeringsplichtVastgesteld", "b-plicht", B, bsn=bsn(1), v_nummer=None,
            plicht_startdatum=date(2024, 2, 1), doelgroep="GEZINSMIGRANT", regime="WI2021"),
        msg(DUO, "KoppelingGemeente", "b-kop", B, bsn=bsn(1), gemeentecode="0599",
            koppeldatum=date(2024, 2, 10), azc=None),
        msg(ISAM, "KoppelingGemeente", "c-kop", C, bsn=bsn(2), gemeentecode="0363",
            koppeldatum=date(2024, 9, 1), azc=None),
        hours("d-v1", D, date(2025, 1, 1), date(2025, 1, 31), 12),
    ]


def hours(mid: str, ref: str, begin: date, end: date, taal_h: int) -> InboundMessage:
    return msg(TAAL, "Voortgang", mid, ref, taalaanbieder=SCHOOL, contract_id="C-1",
               leerroute=None, periode_begindatum=begin, periode_einddatum=end,
               minuten_aangeboden=taal_h * 60, minuten_gevolgd_taal=taal_h * 60,
               minuten_gevolgd_knm=0, minuten_gevolgd_participatie=0, minuten_gevolgd_ona=0,
               minuten_verzuim_geoorloofd=0, minuten_verzuim_ongeoorloofd=0, toetsresultaten=[],
               minuten_ingekocht=None, cumulatief=False, bestand=None)


def invoice(number: str, ref: str | None, begin: date, end: date, hours_: int,
            factuurdatum: date) -> InboundMessage:
    """A school's invoice with one line of ``hours_`` at the contract price, for ``ref``."""
    amount = hours_ * 4100
    line = {"regelnummer": "1", "omschrijving": "Lesuren", "case_ref": ref,
            "koper_referentie": None, "periode_begindatum": begin, "periode_einddatum": end,
            "hoeveelheid_milli": hours_ * 1000, "eenheid": "HUR", "eenheidsprijs_cent": 4100,
            "regelbedrag_cent": amount, "btw_categorie": "E", "btw_tarief_basispunten": 0}
    return msg(TAAL, "Factuur", f"inv-{number}", invoice_key(SCHOOL, number),
               documentsoort="INVOICE", factuurnummer=number, factuurdatum=factuurdatum,
               vervaldatum=None, leverancier_id=SCHOOL, leverancier_naam="School",
               leverancier_btw_nummer=None, koper_referentie="C-1",
               gecrediteerde_factuurnummer=None, valuta="EUR", totaal_excl_btw_cent=amount,
               btw_bedrag_cent=0, totaal_incl_btw_cent=amount, te_betalen_cent=amount,
               iban_begunstigde=None, regels=[line], ubl_sha256=number)


def invoices() -> list[InboundMessage]:
    """Approved (April), too many hours (May), no presentie yet (June), and one naming no case."""
    return [invoice("2024-04", A, date(2024, 4, 1), date(2024, 4, 30), 40, date(2024, 5, 3)),
            invoice("2024-05", A, date(2024, 5, 1), date(2024, 5, 31), 80, date(2024, 6, 4)),
            invoice("2024-06", A, date(2024, 6, 1), date(2024, 6, 30), 30, date(2025, 6, 1)),
            invoice("2024-07", None, date(2024, 7, 1), date(2024, 7, 31), 10, date(2025, 4, 1))]


def payment(mid: str, number: str, kenmerk: str, cents: int) -> InboundMessage:
    """A ``Betaling`` from the bank statement, recorded under the invoice's key."""
    return msg(FIN, "Betaling", mid, invoice_key(SCHOOL, number), factuurnummer=number,
               leverancier_id=SCHOOL, boekingskenmerk=kenmerk, betaaldatum=date(2024, 6, 1),
               bedrag_cent=cents, bankreferentie="E2E-" + mid)


def build(url: str) -> Store:
    """Record everything in 500-message batches, project, then the bank's payments."""
    store = Store(url, projection=case_view, derive=derived, deferred_views=True,
                  emitter=ledger_only)
    store.record_batch("report-test", [*person_facts(), *invoices()])
    while store.project_pending():
        pass
    view = store.case_view(A) or {}
    [approved] = [d for d in view["beslissingen"] if d["beslissing"] == "GOEDGEKEURD"]
    [booked] = [e for e in store.effects(A) if e["soort"] == "BOEKING"]
    kenmerk = booked["record"]["boekingskenmerk"]
    store.record_batch("report-test", [payment("pay-1", "2024-04", kenmerk,
                                               approved["goedgekeurd_cent"]),
                                       payment("pay-2", "2099-01", "BKONBEKEND00000000", 1234)])
    while store.project_pending():
        pass
    return store
