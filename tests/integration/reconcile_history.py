"""A small multi-partner history for the reconciliation test: two gemeenten, a move across
31 December, and one bad invoice of each kind; records as the connectors would produce them.

Invoices are real UBL, rendered by the simulators' generators and parsed by the connectors'
own parser and translators, so their records are exactly what the hub receives.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from typing import Any

import topics
from connectors.kredietbank import invoice as kb_invoice
from connectors.kredietbank import ublgen as kb_ubl
from connectors.taalaanbieder import invoice as taal_invoice
from connectors.taalaanbieder import ublgen
from connectors.ubl import parse_invoice
from hub.privacy import BsnCipher, case_ref

SCHOOL, NO_KEURMERK = "B10001", "B90009"
BSNS = {"A": "111222333", "B": "123456782", "C": "200000019", "D": "999990019"}
T0 = datetime(2024, 3, 1, tzinfo=UTC)


@dataclass
class History:
    """Records per topic, and the case reference of each person."""

    refs: dict[str, str]
    records: dict[str, list[dict[str, Any]]] = field(default_factory=dict)

    def add(self, topic: str, **record: Any) -> None:
        n = sum(len(v) for v in self.records.values())
        record.setdefault("message_id", f"test:{topic.split('.')[2]}:{n}")
        record.setdefault("source", "test")
        record.setdefault("produced_at", T0 + timedelta(seconds=n))
        self.records.setdefault(topic, []).append(record)


def build(case_ref_key: str, cipher: BsnCipher) -> History:
    """The whole history; see the module docstring."""
    h = History({p: case_ref(bsn, case_ref_key) for p, bsn in BSNS.items()})
    for person, bsn in BSNS.items():
        doelgroep, start = ("GEZINSMIGRANT", date(2021, 6, 1)) if person == "C" else \
            ("ASIELSTATUSHOUDER", date(2023, 1, 10))
        enc = cipher.encrypt(bsn).as_record()
        h.add(topics.DUO_INBURGERINGSPLICHT_VASTGESTELD, case_ref=h.refs[person], bsn=enc,
              v_nummer=None, plicht_startdatum=start, doelgroep=doelgroep, regime="ONBEKEND")
        h.add(topics.KOPPELING_GEMEENTE, case_ref=h.refs[person], bsn=enc,
              gemeentecode="0363", koppeldatum=start + timedelta(days=10), azc=None)
        if person == "D":
            continue  # D: koppeling only, no intake, no PIP: overdue (R18)
        school = NO_KEURMERK if person == "B" else SCHOOL
        h.add(topics.ISAM_PIP_VASTGESTELD, case_ref=h.refs[person], bsn=enc,
              gemeentecode="0363", soort="VASTGESTELD", pip_kenmerk=f"PIP-{person}",
              dagtekening_eerste_pip=date(2023, 3, 1), dagtekening=date(2023, 3, 1),
              leerroute="B1", niveau="B1", taalaanbieder=school, contract_id="C-1",
              ontzorgen=person == "A")
        h.add(topics.GESPREK, case_ref=h.refs[person], gemeentecode="0363",
              gesprek_kenmerk=f"G-{person}", soort="BREDE_INTAKE",
              gespreksdatum=date(2023, 2, 20))
        for month in ((2023, 10), (2024, 1)):
            _presentie(h, person, school, *month, hours=60 if person == "C" else 48)
    enc_a = cipher.encrypt(BSNS["A"]).as_record()
    h.add(topics.VERHUIZING, case_ref=h.refs["A"], bsn=enc_a, verhuisdatum=date(2023, 12, 28),
          gemeentecode_oud="0363", gemeentecode_nieuw="0599")
    h.add(topics.ISAM_ONTZORGEN_BESLUIT, case_ref=h.refs["A"], bsn=enc_a, gemeentecode="0363",
          besluit_kenmerk="OB-A", besluit="TOEGEKEND", besluitdatum=date(2023, 1, 25),
          huishouden_id="HH-A", huishouden_aantal_personen=1,
          bijstand_startdatum=date(2023, 2, 1), bijstand_einddatum=None,
          ontzorgen_startdatum=date(2023, 2, 1), ontzorgen_einddatum=date(2023, 7, 31),
          vrijwillig=False, machtiging_kenmerk="M-A", machtiging_datum=date(2023, 1, 25),
          einde_reden=None, crediteuren=[{"soort": "HUUR", "naam": "Woonstad",
                                          "iban": "NL91ABNA0417164300", "bedrag_cent": 65000,
                                          "betalingskenmerk": "huur"}])
    _invoices(h)
    return h


def _presentie(h: History, person: str, school: str, year: int, month: int, hours: int) -> None:
    begin = date(year, month, 1)
    end = (begin + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    h.add(topics.VOORTGANG, case_ref=h.refs[person], taalaanbieder=school, contract_id="C-1",
          leerroute="B1", periode_begindatum=begin, periode_einddatum=end,
          minuten_aangeboden=hours * 60, minuten_gevolgd_taal=hours * 60,
          minuten_gevolgd_knm=0, minuten_gevolgd_participatie=0, minuten_gevolgd_ona=0,
          minuten_verzuim_geoorloofd=0, minuten_verzuim_ongeoorloofd=0, toetsresultaten=[],
          minuten_ingekocht=None, cumulatief=False, bestand=None)


# (number, person, school, period start, hours, price, credited invoice, expected reason)
TAAL_INVOICES = (
    ("A-2023-10", "A", SCHOOL, date(2023, 10, 1), 48, "41.00", None, "R9.akkoord"),
    ("A-2024-01", "A", SCHOOL, date(2024, 1, 1), 48, "41.00", None, "R9.akkoord"),
    ("A-2024-01-P", "A", SCHOOL, date(2024, 1, 1), 10, "45.00", None, "R9.prijs"),
    ("A-2024-01-U", "A", SCHOOL, date(2024, 1, 1), 80, "41.00", None, "R9.uren-niet-geleverd"),
    ("A-2023-10-D", "A", SCHOOL, date(2023, 10, 1), 48, "41.00", None, "R9.dubbele-periode"),
    ("A-2023-11", "A", SCHOOL, date(2023, 11, 1), 20, "41.00", None, "R9.geen-presentie"),
    ("CN-A-1", "A", SCHOOL, date(2023, 10, 1), 8, "41.00", "A-2023-10", "R10.verrekend"),
    ("CN-A-2", "A", SCHOOL, date(2024, 1, 1), 10, "45.00", "A-2024-01-P",
     "R10.creditnota-op-geweigerde-factuur"),
    ("B-2023-10", "B", NO_KEURMERK, date(2023, 10, 1), 48, "41.00", None, "R8.geen-keurmerk"),
    ("C-2023-10", "C", SCHOOL, date(2023, 10, 1), 55, "41.00", None,
     "R13.lening-kwartaalplafond"),
)
DUPLICATE_NUMBER = ("A-2023-10", "R9.dubbel-factuurnummer")  # a second document, same number
KB_EXPECTED = {("KB-1", "1"): "R12.akkoord", ("KB-1", "2"): "R12.akkoord",
               ("KB-1", "3"): "R12.geen-actief-ontzorgen", ("KB-2", "1"): "R12.intake-dubbel"}


def _invoices(h: History) -> None:
    for n, (number, person, school, start, hours, price, credited, _) in enumerate(
            TAAL_INVOICES):
        end = (start + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        line = ublgen.Line(f"Lesuren {start:%Y-%m}", Decimal(hours), Decimal(price), start, end,
                           case_ref=h.refs[person])
        _taal(h, number, school, end + timedelta(days=n), [line], credited)  # issue order
    dup = ublgen.Line("Lesuren 2023-10 (opnieuw)", Decimal(48), Decimal("41.00"),
                      date(2023, 10, 1), date(2023, 10, 31), case_ref=h.refs["A"])
    _taal(h, DUPLICATE_NUMBER[0], SCHOOL, date(2023, 11, 15), [dup], None)
    nobody = ublgen.Line("Lesuren zonder zaak", Decimal(4), Decimal("41.00"), date(2023, 10, 1),
                         date(2023, 10, 31), case_ref=None)
    _taal(h, "X-2023-10", SCHOOL, date(2023, 10, 31), [nobody], None)
    fees = [kb_ubl.Fee("Intake financieel ontzorgen", Decimal("147.00"), date(2023, 2, 1),
                       date(2023, 2, 1), "HH-A", h.refs["A"]),
            kb_ubl.Fee("Budgetbeheer 2023-03", Decimal("25.00"), date(2023, 3, 1),
                       date(2023, 3, 31), "HH-A", h.refs["A"]),
            kb_ubl.Fee("Budgetbeheer 2023-09", Decimal("25.00"), date(2023, 9, 1),
                       date(2023, 9, 30), "HH-A", h.refs["A"])]
    _kredietbank(h, "KB-1", date(2023, 10, 1), fees)
    _kredietbank(h, "KB-2", date(2023, 10, 2), fees[:1])


def _taal(h: History, number: str, school: str, issue: date, lines: list[ublgen.Line],
          credited: str | None) -> None:
    doc = ublgen.Document(number=number, issue_date=issue, supplier_id=school,
                          supplier_name=f"School {school}", supplier_kvk="30000001",
                          buyer_reference="C-1", buyer_oin="00000001001234567000",
                          buyer_name="Gemeente", iban="NL91ABNA0417164300", lines=lines,
                          credit_note_for=credited)
    inv = parse_invoice(ublgen.render(doc), source=f"{number}.xml")
    record = taal_invoice.factuur(inv, source="taalaanbieder", received_at=T0)
    h.add(topics.TAALAANBIEDER_FACTUUR, **record)


def _kredietbank(h: History, number: str, issue: date, fees: list[kb_ubl.Fee]) -> None:
    xml = kb_ubl.render(number, issue, "C-1", "00000001001234567000", fees)
    record = kb_invoice.factuur(parse_invoice(xml, source=f"{number}.xml"), received_at=T0)
    h.add(topics.KREDIETBANK_FACTUUR, **record)
