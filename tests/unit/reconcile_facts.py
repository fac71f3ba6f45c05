"""Builders of case facts for the reconciliation tests: records as the schemas give them."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from hub.store import Fact

NS = "nl.inburgering.hub."
CASE = "CR" + "A" * 30
BSN = {"key_id": "k1", "nonce": b"\x00" * 12, "ciphertext": b"\x01" * 25}
T0 = datetime(2024, 1, 1, tzinfo=UTC)


def fact(kind: str, mid: str, case_ref: str = CASE, produced_at: datetime = T0,
         **record: Any) -> Fact:
    """A stored fact of ``kind`` (short schema name) with ``record`` fields."""
    body = {"message_id": mid, "case_ref": case_ref, "source": "test",
            "produced_at": produced_at, **record}
    return Fact(mid, case_ref, NS + kind, body, "t", 0, 0)


def plicht(mid: str, start: date, doelgroep: str = "ASIELSTATUSHOUDER",
           regime: str = "WI2021") -> Fact:
    return fact("InburgeringsplichtVastgesteld", mid, bsn=BSN, v_nummer=None,
                plicht_startdatum=start, doelgroep=doelgroep, regime=regime)


def koppeling(mid: str, gemeente: str, day: date) -> Fact:
    return fact("KoppelingGemeente", mid, bsn=BSN, gemeentecode=gemeente, koppeldatum=day,
                azc=None)


def verhuizing(mid: str, day: date, oud: str, nieuw: str) -> Fact:
    return fact("Verhuizing", mid, bsn=BSN, verhuisdatum=day, gemeentecode_oud=oud,
                gemeentecode_nieuw=nieuw)


def pip(mid: str, eerste: date, dagtekening: date, *, leerroute: str = "B1",
        niveau: str = "B1", school: str | None = "100001", gemeente: str = "0363",
        soort: str = "VASTGESTELD", contract: str | None = "C-1") -> Fact:
    return fact("PipVastgesteld", mid, bsn=BSN, gemeentecode=gemeente, soort=soort,
                pip_kenmerk=f"PIP-{mid}", dagtekening_eerste_pip=eerste, dagtekening=dagtekening,
                leerroute=leerroute, niveau=niveau, taalaanbieder=school, contract_id=contract,
                ontzorgen=False)


def exam(mid: str, onderdeel: str, day: date, niveau: str = "B1",
         uitslag: str = "GESLAAGD") -> Fact:
    return fact("Examenresultaat", mid, bsn=BSN, examen_id=mid, onderdeel=onderdeel,
                niveau=niveau, examendatum=day, uitslag=uitslag, score=None)


def voldaan(kind: str, mid: str, day: date, resultaat: str = "VOLDAAN") -> Fact:
    return fact(kind, mid, bsn=BSN, gemeentecode="0363", afrondingsdatum=day,
                resultaat=resultaat, reden_niet_voldaan=None, verwijtbaar=None)


def voortgang(mid: str, school: str, begin: date, einde: date, *, taal_h: int = 0,
              participatie_h: int = 0, aangeboden_h: int | None = None,
              cumulatief: bool = False) -> Fact:
    offered = (aangeboden_h if aangeboden_h is not None else taal_h + participatie_h) * 60
    return fact("Voortgang", mid, taalaanbieder=school, contract_id="C-1", leerroute=None,
                periode_begindatum=begin, periode_einddatum=einde, minuten_aangeboden=offered,
                minuten_gevolgd_taal=taal_h * 60, minuten_gevolgd_knm=0,
                minuten_gevolgd_participatie=participatie_h * 60, minuten_gevolgd_ona=0,
                minuten_verzuim_geoorloofd=0, minuten_verzuim_ongeoorloofd=0,
                toetsresultaten=[], minuten_ingekocht=None, cumulatief=cumulatief, bestand=None)


def gesprek(mid: str, soort: str, day: date) -> Fact:
    return fact("Gesprek", mid, gemeentecode="0363", gesprek_kenmerk=mid, soort=soort,
                gespreksdatum=day)


def termijn(mid: str, weken: int, beslissing: str = "TOEGEKEND") -> Fact:
    return fact("TermijnBesluit", mid, bsn=BSN, besluitdatum=date(2025, 1, 1),
                aanvangsdatum=date(2023, 1, 1), einddatum=date(2026, 1, 1),
                verlenging_weken=weken, beslissing=beslissing, grond=None,
                aanvraag_message_id=mid)


def versioned(f: Fact, sleutel: str, *, volgnummer: int | None = None,
              tijdstip: datetime | None = None, corrigeert: str | None = None,
              produced_at: datetime | None = None) -> Fact:
    """``f`` as a version of partner record ``sleutel`` (R21: ``bron_versie``)."""
    record = {**f.record, "bron_versie": {"sleutel": sleutel, "tijdstip": tijdstip,
                                          "volgnummer": volgnummer, "document": None,
                                          "corrigeert": corrigeert}}
    if produced_at is not None:
        record["produced_at"] = produced_at
    return Fact(f.message_id, f.case_ref, f.kind, record, f.source_topic, f.source_partition,
                f.source_offset)


def ontzorgen(mid: str, huishouden: str, *, start: date, einde: date | None,
              bijstand: date, vrijwillig: bool = False, case_ref: str = CASE,
              besluit: str = "TOEGEKEND", bijstand_einde: date | None = None) -> Fact:
    return fact("OntzorgenBesluit", mid, case_ref=case_ref, bsn=BSN, gemeentecode="0363",
                besluit_kenmerk=mid, besluit=besluit, besluitdatum=bijstand,
                huishouden_id=huishouden, huishouden_aantal_personen=2,
                bijstand_startdatum=bijstand, bijstand_einddatum=bijstand_einde,
                ontzorgen_startdatum=start, ontzorgen_einddatum=einde, vrijwillig=vrijwillig,
                machtiging_kenmerk="M-1", machtiging_datum=bijstand, einde_reden=None,
                crediteuren=[])
