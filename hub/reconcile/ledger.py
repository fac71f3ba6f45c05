"""Shared values of the invoice rules: a normalised line, a verdict, the reason codes, and the
ledger of what one ``decide`` call approved so far (in canonical order, so order-independent).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from hub.reconcile.model import AANGEHOUDEN, AFGEWEZEN, GOEDGEKEURD

TAAL, KREDIETBANK, PIB = "taal", "kredietbank", "pib"  # also the kostenplaats soort
CREDIT_NOTE = "CREDIT_NOTE"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)

REASONS: dict[str, tuple[str, str]] = {
    "R8.geen-keurmerk": (AFGEWEZEN, "Aanbieder had op de dienstdatum geen keurmerk."),
    "R9.akkoord": (GOEDGEKEURD, "Prijs en geleverde uren kloppen met contract en presentie."),
    "R9.dubbel-factuurnummer": (AFGEWEZEN, "Factuurnummer van deze leverancier al ontvangen."),
    "R9.dubbele-periode": (AFGEWEZEN, "Periode al gefactureerd onder een ander factuurnummer."),
    "R9.geen-aanmelding": (AANGEHOUDEN, "Geen aanmelding of PIP bij deze aanbieder."),
    "R9.geen-contractprijs": (AANGEHOUDEN, "Geen contractprijs in contractprijzen.csv."),
    "R9.eenheid": (AFGEWEZEN, "Regel is niet in uren (HUR) gefactureerd."),
    "R9.prijs": (AFGEWEZEN, "Eenheidsprijs wijkt af van de contractprijs."),
    "R9.geen-presentie": (AANGEHOUDEN, "Geen presentie gemeld over deze periode."),
    "R9.uren-niet-geleverd": (AFGEWEZEN, "Meer uren gefactureerd dan volgens presentie geleverd."),
    "R10.verrekend": (GOEDGEKEURD, "Creditnota verrekend met de goedgekeurde factuur."),
    "R10.geen-zaakreferentie": (AANGEHOUDEN, "Factuurregel noemt geen zaakreferentie (BT-128)."),
    "R10.creditnota-op-geweigerde-factuur": (AFGEWEZEN,
                                             "Gecrediteerde factuur is afgewezen."),
    "R10.al-gecrediteerd": (AFGEWEZEN, "Gecrediteerde factuur is al volledig gecrediteerd."),
    "R10.gecrediteerde-factuur-onbekend": (AANGEHOUDEN, "Gecrediteerde factuur niet ontvangen."),
    "R10.gecrediteerde-factuur-aangehouden": (AANGEHOUDEN,
                                              "Gecrediteerde factuur is nog aangehouden."),
    "R11.na-zes-maanden": (AFGEWEZEN, "Maand na bijstandstart plus 6 maanden, en het ontzorgen "
                           "is niet vrijwillig (het besluit loopt langer)."),
    "R11.bijstand-beeindigd": (AFGEWEZEN, "Maand na het einde van de bijstand, en het "
                               "ontzorgen is niet vrijwillig."),
    "R11.niet-vrijwillig": (AFGEWEZEN, "Gezinsmigrant of overige migrant: alleen vrijwillig "
                            "ontzorgd, en het besluit zegt niet vrijwillig."),
    "R11.doelgroep-onbekend": (AANGEHOUDEN, "Doelgroep nog niet bekend (geen plicht van DUO "
                               "of ISI): ontzorgen niet te beoordelen."),
    "R12.akkoord": (GOEDGEKEURD, "Tarief en ontzorgperiode kloppen."),
    "R12.onbekende-dienst": (AANGEHOUDEN, "Dienst is geen intake of budgetbeheer."),
    "R12.geen-tarief": (AANGEHOUDEN, "Geen tarief in kredietbank.csv."),
    "R12.tarief": (AFGEWEZEN, "Bedrag wijkt af van het tarief."),
    "R12.intake-dubbel": (AFGEWEZEN, "Intake voor dit huishouden al goedgekeurd (bij een van "
                          "de leden)."),
    "R12.intake-zonder-toekenning": (AFGEWEZEN, "Intake zonder toegekend ontzorgen voor dit "
                                     "huishouden."),
    "R12.geen-besluit": (AANGEHOUDEN, "Nog geen ontzorgenbesluit voor dit huishouden bekend "
                         "(ISAM)."),
    "R12.geen-actief-ontzorgen": (AFGEWEZEN, "Geen actief ontzorgen in deze maand."),
    "R12.budgetbeheer-dubbel": (AFGEWEZEN, "Budgetbeheer voor dit huishouden en deze maand al "
                                "goedgekeurd (bij een van de leden)."),
    "R13.na-plicht-voldaan": (AFGEWEZEN, "Factuur uitgereikt meer dan 4 maanden nadat de "
                              "plicht voldaan of beeindigd is."),
    "R13.lening-kwartaalplafond": (AFGEWEZEN, "Kwartaalplafond van de DUO-lening bereikt."),
    "R13.geen-leningplafond": (AANGEHOUDEN, "Geen plafond in lening.csv."),
    "R17.geen-gemeente": (AANGEHOUDEN, "Geen verantwoordelijke gemeente op de dienstdatum."),
    "R24.na-einde-plicht": (AFGEWEZEN, "Dienst begint na het einde van de inburgeringsplicht "
                            "(voldaan of ontheffing)."),
    "R22.akkoord": (GOEDGEKEURD, "Voldoet aan de PIB-regels (plan, budget, voucher)."),
    "R22.plan-niet-goedgekeurd": (AANGEHOUDEN, "PIB-trajectplan niet goedgekeurd."),
    "R22.budget-overschreden": (AFGEWEZEN, "PIB-budget overschreden."),
    "R22.voucher-te-hoog": (AFGEWEZEN, "Voucher hoger dan 250 euro."),
    "R22.bonus-voor-start": (AFGEWEZEN, "Bonus voor de start van het traject."),
    "R22.vorm": (AFGEWEZEN, "Vorm past niet bij de ontvanger."),
    "R22.ingetrokken": (AFGEWEZEN, "Voucher ingetrokken."),
}


@dataclass(frozen=True)
class Doc:
    """The header of one invoice or credit note, as the rules need it."""

    mid: str
    factuur_key: str
    factuurnummer: str
    leverancier: str
    soort: str
    factuurdatum: date
    produced: int  # ms since the epoch
    gecrediteerde: str | None
    iban: str | None = None  # BT-84, where the payment goes
    naam: str | None = None  # BT-27


@dataclass(frozen=True)
class Line:
    """One invoice line of this case; amounts in cents, quantity in thousandths."""

    doc: Doc
    regelnummer: str
    omschrijving: str
    koper_referentie: str | None
    begin: date
    einde: date
    milli: int
    eenheid: str
    prijs: int
    bedrag: int
    case_ref: str | None = None  # BT-128: the case billed (None: the document's own case)


@dataclass(frozen=True)
class Verdict:
    """A rule's outcome: the reason code, the evidence, the approved cents, hours to take."""

    code: str
    bewijs: Mapping[str, Any] = field(default_factory=dict)
    cents: int = 0
    hours: tuple[tuple[tuple[str, ...], int], ...] = ()  # (pool key, milli-minutes)
    tag: tuple[str, ...] = ()  # what may be billed once (R12: intake, budgetbeheer month)

    @property
    def beslissing(self) -> str:
        """GOEDGEKEURD, AFGEWEZEN or AANGEHOUDEN."""
        return REASONS[self.code][0]


@dataclass(frozen=True)
class Booked:
    """An approved line (or, with negative cents, an approved credit line)."""

    line: Line
    kind: str
    cents: int
    tag: tuple[str, ...]


@dataclass
class Ledger:
    """What this ``decide`` call approved so far; mutable only within that call."""

    booked: list[Booked] = field(default_factory=list)
    approved: dict[str, int] = field(default_factory=dict)  # document id -> cents approved
    credited: dict[str, int] = field(default_factory=dict)  # document id -> cents credited
    held: dict[str, int] = field(default_factory=dict)  # document id -> lines held
    hours: dict[tuple[str, ...], list[tuple[str, int]]] = field(default_factory=dict)

    def live(self, mid: str) -> bool:
        """True unless the document was credited in full (R10): its approvals still count."""
        return self.approved.get(mid, 0) > self.credited.get(mid, 0)

    def book(self, line: Line, kind: str, verdict: Verdict, credited: str | None) -> None:
        """Record an approved line; a credit line adds to its credited document's total."""
        self.booked.append(Booked(line, kind, verdict.cents, verdict.tag))
        if credited is not None:
            self.credited[credited] = self.credited.get(credited, 0) - verdict.cents
            return
        self.approved[line.doc.mid] = self.approved.get(line.doc.mid, 0) + verdict.cents
        for key, mmin in verdict.hours:
            self.hours.setdefault(key, []).append((line.doc.mid, mmin))

    def hold(self, line: Line) -> None:
        """Remember that a line of this document is held."""
        self.held[line.doc.mid] = self.held.get(line.doc.mid, 0) + 1

    def used(self, key: tuple[str, ...]) -> int:
        """Milli-minutes of a presentie pool taken by approved, not fully credited lines."""
        return sum(m for mid, m in self.hours.get(key, ()) if self.live(mid))

    def net(self, kind: str, when: Callable[[date], bool]) -> int:
        """Net approved cents of one kind over lines whose dienstdatum passes ``when``."""
        return sum(b.cents for b in self.booked if b.kind == kind and when(b.line.begin))

    def billed_before(self, line: Line, kinds: tuple[str, ...]) -> Booked | None:
        """A live approved line of the supplier, other invoice number, overlapping period."""
        for b in self.booked:
            other = b.line
            if (b.kind in kinds and b.cents > 0 and other.doc.leverancier == line.doc.leverancier
                    and other.doc.factuurnummer != line.doc.factuurnummer
                    and other.begin <= line.einde and line.begin <= other.einde
                    and self.live(other.doc.mid)):
                return b
        return None

    def tagged(self, tag: tuple[str, ...]) -> Booked | None:
        """A live approved line carrying ``tag`` (R12: billed once)."""
        return next((b for b in self.booked if tag and b.tag == tag and b.cents > 0
                     and self.live(b.line.doc.mid)), None)


def as_date(value: Any) -> date:
    """A record's date field: ``datetime.date`` (fastavro), tolerating an ISO string."""
    if isinstance(value, datetime):
        return value.date()
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def millis(value: Any) -> int:
    """A ``timestamp-millis`` field as milliseconds, for ordering (datetime or int)."""
    if isinstance(value, datetime):
        aware = value if value.tzinfo else value.replace(tzinfo=UTC)
        return (aware - EPOCH) // timedelta(milliseconds=1)
    return int(value or 0)
