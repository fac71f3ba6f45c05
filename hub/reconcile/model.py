"""Plain values the rules pass between them: what a case's facts say, normalised.

``case.context(case_ref, facts)`` builds a ``CaseContext`` from a case's facts; the invoice
rules (``invoices.py``) decide on invoice lines against it. Nothing here reads a clock or does
I/O: every date is a fact's own date or passed in.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

KIND = "nl.inburgering.hub."
FACTUUR_VOOR_CASE = KIND + "FactuurVoorCase"
"""Derived fact: an invoice's lines for one case (``links.derived``), recorded under that case."""

# Decisions on an invoice line (R8-R13, R22).
GOEDGEKEURD = "GOEDGEKEURD"
AFGEWEZEN = "AFGEWEZEN"
AANGEHOUDEN = "AANGEHOUDEN"


@dataclass(frozen=True)
class Residence:
    """The case's gemeente from ``vanaf`` up to (not including) ``tot`` (R15, R17)."""

    gemeentecode: str
    vanaf: date
    tot: date | None


@dataclass(frozen=True)
class Route:
    """A leerroute bought for the case: from a PIP or an aanmelding (R5-R9)."""

    aanbieder: str | None
    leerroute: str  # B1, ONDERWIJS, Z, ONBEKEND
    niveau: str
    contract_id: str | None
    vanaf: date


@dataclass(frozen=True)
class Hours:
    """One presentie report (latest version per aanbieder and period), minutes (R5, R6, R9)."""

    aanbieder: str
    begin: date
    einde: date
    aangeboden: int
    gevolgd_taal: int
    gevolgd_knm: int
    gevolgd_participatie: int
    gevolgd_ona: int
    verzuim_geoorloofd: int
    verzuim_ongeoorloofd: int
    cumulatief: bool


@dataclass(frozen=True)
class Period:
    """A closed date interval; ``einde`` None means still running."""

    begin: date
    einde: date | None

    def covers(self, day: date) -> bool:
        """True when ``day`` lies in the period."""
        return self.begin <= day and (self.einde is None or day <= self.einde)


@dataclass(frozen=True)
class Grant:
    """A granted ontzorgen decision (ISAM ``TOEGEKEND``, latest version), as R11 reads it."""

    huishouden: str
    kenmerk: str
    begin: date
    besluit_einde: date | None
    bijstand_start: date | None
    bijstand_einde: date | None
    vrijwillig: bool


@dataclass(frozen=True)
class Pib:
    """A PIB traject (R22): approved plan, budgets and the traject start."""

    traject_id: str
    goedgekeurd: bool
    scholingsbudget_cent: int
    meerkosten_cent: int
    bonus_cent: int
    startdatum: date | None


@dataclass(frozen=True)
class CaseContext:
    """Everything the invoice rules need to know about one case."""

    case_ref: str
    regime: str  # WI2007, WI2013, WI2021, ONBEKEND (R1)
    doelgroep: str  # ASIELSTATUSHOUDER, GEZINSMIGRANT, OVERIGE_MIGRANT, ONBEKEND
    plicht_start: date | None
    plicht_voldaan_op: date | None  # R4
    residences: tuple[Residence, ...] = ()
    routes: tuple[Route, ...] = ()
    hours: tuple[Hours, ...] = ()
    ontzorgen: tuple[Period, ...] = ()  # R11: eligible ontzorgen of this case's own grants
    pib: tuple[Pib, ...] = ()
    huishoudens: frozenset[str] = field(default_factory=frozenset)  # its decisions' households
    grants: tuple[Grant, ...] = ()  # R11: its granted decisions (latest versions)
    stops: tuple[tuple[str, date], ...] = ()  # R11: (household, early end) it was told

    def gemeente_on(self, day: date) -> str | None:
        """The responsible gemeente on ``day`` (R17), None before the first koppeling."""
        for residence in self.residences:
            if residence.vanaf <= day and (residence.tot is None or day < residence.tot):
                return residence.gemeentecode
        return None
