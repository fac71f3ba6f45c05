"""Plain values of a generated scenario: its parameters, the partners, one case's life.

A ``Case`` is what the generator decided about one person (dates, route, hours, moves); the
partner writers (``duo.py``, ``isam.py``, ``schools.py``, ...) each render the part their
partner knows, in that partner's contract. Nothing here does I/O.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from hub.reconcile.rules import add_months

FORMAT = "inburgering-hub-scenario/1"
MIN_START_YEAR = 2023  # ongoing cases reach back a year; Wi2021 started on 2022-01-01 (R1)


@dataclass(frozen=True)
class Params:
    """What ``hub scenario generate`` was asked for."""

    seed: int
    gemeenten: int
    cases: int
    years: int
    start_year: int = MIN_START_YEAR

    @property
    def start(self) -> date:
        """First day of the scenario."""
        return date(self.start_year, 1, 1)

    @property
    def end(self) -> date:
        """Last day of the scenario: nothing later is generated."""
        return date(self.start_year + self.years - 1, 12, 31)

    @property
    def case_ref_key(self) -> str:
        """The scenario's own case-reference key (test data only, derived from the seed)."""
        return hmac.new(b"inburgering-hub/scenario", f"seed:{self.seed}".encode(),
                        hashlib.sha256).hexdigest()


DEMO = Params(seed=2026, gemeenten=2, cases=500, years=3)
"""The scenario ``hub up --demo`` replays: two gemeenten, 500 people, three years."""


@dataclass(frozen=True)
class School:
    """A taalaanbieder as the scenario uses it (rows in the rate tables name it)."""

    bow: str
    name: str
    kvk: str
    iban: str
    feed: str  # "presentie": monthly presentie CSV; "duo": the monthly DUO school CSV
    vat: str   # BTW-id (BT-31): an exempt invoice must name it (BR-E-02)
    cius: str = "peppol"  # its invoices: "peppol" (Peppol BIS 3) or "si-ubl" (SI-UBL 2.0)


SCHOOLS = {
    "B10001": School("B10001", "Taalcentrum Utrecht", "30000001", "NL91ABNA0417164300",
                     "presentie", "NL300000010B01"),
    "B20002": School("B20002", "Inburgeren Haarlem BV", "30000002", "NL20INGB0001234567",
                     "duo", "NL300000020B01", cius="si-ubl"),
    # Scenario-only schools (rows added to the rate tables): no keurmerk; only a B1 contract.
    "B50005": School("B50005", "Taalschool Zonder Keurmerk", "30000003", "NL39RABO0300065264",
                     "presentie", "NL300000040B01"),
    "B60006": School("B60006", "Taalhuis Oost", "30000004", "NL02ABNA0123456789", "presentie",
                     "NL300000050B01"),
}
REGULAR_SCHOOLS = ("B10001", "B20002")
INGEKOCHT = {"B1": 600, "Z": 1600, "ONDERWIJS": 1200, "NT2": 600}


@dataclass(frozen=True)
class Month:
    """Hours of one month of a route (decimal hours, whole minutes)."""

    start: date
    aangeboden: Decimal
    taal: Decimal
    knm: Decimal
    participatie: Decimal
    geoorloofd: Decimal
    ongeoorloofd: Decimal

    @property
    def end(self) -> date:
        """Last day of the month."""
        return month_end(self.start)

    @property
    def gevolgd(self) -> Decimal:
        """Attended hours (taal, KNM, participatie) plus excused absence (R9 ``gevolgd``)."""
        return self.taal + self.knm + self.participatie + self.geoorloofd


@dataclass
class Route:
    """A leerroute bought at one school, month by month."""

    school: str
    leerroute: str  # B1, Z, ONDERWIJS; NT2 for a Wi2013 course the gemeente did not buy
    niveau: str
    contract_id: str
    months: list[Month] = field(default_factory=list)

    @property
    def start(self) -> date:
        """First day of the first month."""
        return self.months[0].start

    @property
    def end(self) -> date:
        """Last day of the last month."""
        return self.months[-1].end


@dataclass(frozen=True)
class Pip:
    """One PIP as ISAM registers it (R2: ``eerste`` never moves)."""

    uuid: str
    kenmerk: str
    soort: str
    eerste: date
    dagtekening: date
    niveau: str


@dataclass(frozen=True)
class Ontzorgen:
    """Financieel ontzorgen of one household (R11) and what the Kredietbank did."""

    huishouden: str
    bijstand: date
    start: date  # first day of a month
    months: int | None  # months the decision grants; None: R11's six months from the bijstand
    stopped_after: int | None  # months actually run when the bijstand stopped early
    vrijwillig: bool = False

    @property
    def cap(self) -> date:
        """R11 without vrijwillig: the last day of the six months from the bijstand start."""
        return add_months(self.bijstand, 6) - timedelta(days=1)

    @property
    def planned_end(self) -> date:
        """The end date the ISAM decision carries."""
        if self.months is None:
            return self.cap
        return add_months(self.start, self.months) - timedelta(days=1)

    @property
    def end(self) -> date:
        """Last day the Kredietbank ran it (early end when the bijstand stopped)."""
        if self.stopped_after is None:
            return self.planned_end
        return min(self.planned_end, add_months(self.start, self.stopped_after) - timedelta(days=1))

    def refusal(self, doelgroep: str, month: date | None) -> str | None:
        """The refusal of the household's fee for ``month`` (its first day; None: the intake),
        or None when R11 and R12 let it be paid."""
        if month is not None and month > self.end:
            return "R12.geen-actief-ontzorgen"  # after the decision's (or an early) end
        if not self.vrijwillig and doelgroep != "ASIELSTATUSHOUDER":
            return "R11.niet-vrijwillig"
        if month is not None and not self.vrijwillig and month > self.cap:
            return "R11.na-zes-maanden"
        return None


@dataclass(frozen=True)
class Pib:
    """A Wi2007 PIB traject (R22)."""

    traject_id: str
    gemeente: str
    toekenning: date
    start: date
    scholingsbudget_cent: int
    meerkosten_cent: int
    approved: bool  # PIBBUDGET in ISI; otherwise only an ISAM plan, INGEDIEND


@dataclass
class Case:
    """Everything the scenario decided about one person."""

    index: int
    bsn: str
    ref: str
    kind: str | None
    regime: str
    doelgroep: str
    gemeente: str
    plicht: date
    plicht_told: date  # when DUO told the plicht (late for R21)
    koppeling: date | None
    intake: date | None = None
    lbt: date | None = None
    pips: list[Pip] = field(default_factory=list)
    route: Route | None = None
    exams: list[tuple[str, str, date, str]] = field(default_factory=list)
    pvt: date | None = None
    map: date | None = None
    ontheffing: date | None = None
    move: tuple[date, str, str] | None = None  # (date, old, new)
    ontzorgen: Ontzorgen | None = None
    gesprekken: list[date] = field(default_factory=list)
    boete: date | None = None
    pib: Pib | None = None
    isam_koppeling: bool = False
    companion: bool = False  # a second member of another case's household (R12)

    def gemeente_on(self, day: date) -> str | None:
        """The gemeente responsible on ``day`` (R17), None before the koppeling."""
        if self.koppeling is None or day < self.koppeling:
            return None
        if self.move is not None and day >= self.move[0]:
            return self.move[2]
        return self.gemeente

    @property
    def first_pip(self) -> date | None:
        """R2: the first PIP's dagtekening."""
        return min((p.eerste for p in self.pips), default=None)

    @property
    def lening(self) -> bool:
        """R13: the DUO lening runs for Wi2013 and gezinsmigranten."""
        return self.regime == "WI2013" or self.doelgroep == "GEZINSMIGRANT"


def month_end(day: date) -> date:
    """Last day of ``day``'s month."""
    return add_months(day.replace(day=1), 1) - timedelta(days=1)


def next_month(day: date) -> date:
    """First day of the month after ``day``."""
    return add_months(day.replace(day=1), 1)


def hours(value: Decimal) -> str:
    """Decimal hours as a school writes them (``12,5``)."""
    text = f"{value.normalize():f}"
    return text.replace(".", ",")
