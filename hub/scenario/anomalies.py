"""The anomalies a scenario injects, and which cases carry them.

Case-bound kinds are named after the reason code the reconciliation must give (``R9.prijs``) or
after what is wrong (``intake-ontbreekt``); each kind needs a case of a certain profile (an
ongoing B1 case at a keurmerk school, a household in ontzorgen, a Wi2007 PIB case, ...). Every
kind is injected ``max(1, cases // PER_CASES)`` times, on cases chosen by the seed. Edge kinds
(invalid BSNs, unreadable files) are not bound to a case: one of each per partner.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from hub.errors import ConfigurationError

PER_CASES = 1000

# kind -> profile of the case that carries it (see ``cases.py``)
CASE_KINDS: dict[str, str] = {
    "R8.geen-keurmerk": "geen-keurmerk",
    "R9.dubbel-factuurnummer": "b1",
    "R9.dubbele-periode": "b1",
    "R9.prijs": "b1",
    "R9.uren-niet-geleverd": "b1",
    "R9.geen-aanmelding": "b1",
    "R9.geen-presentie": "b1",
    "R9.geen-contractprijs": "geen-contract",
    "R10.creditnota-op-geweigerde-factuur": "b1",
    "R10.gecrediteerde-factuur-onbekend": "b1",
    "R10.geen-zaakreferentie": "b1",
    "R10.verrekend": "b1",
    "R11.na-zes-maanden": "ontzorgen",
    "R11.niet-vrijwillig": "ontzorgen-gezinsmigrant",
    "R12.intake-dubbel": "ontzorgen",
    "R12.huishouden-dubbel": "ontzorgen",
    "R12.tarief": "ontzorgen",
    "R12.geen-actief-ontzorgen": "ontzorgen",
    "R13.lening-kwartaalplafond": "lening",
    "R13.na-plicht-voldaan": "lening",
    "R17.geen-gemeente": "geen-koppeling",
    "R21.correctie-doelgroep": "lening",
    "R21.correctie-examen": "b1",
    "R21.correctie-intake": "b1",
    "R21.correctie-pip": "b1",
    "R24.na-einde-plicht": "b1",
    "R22.budget-overschreden": "pib",
    "R22.plan-niet-goedgekeurd": "pib-plan",
    "R22.voucher-te-hoog": "pib",
    "R22.bonus-voor-start": "pib",
    "R22.vorm": "pib",
    "afschalen-onder-600-uur": "b1-laag",
    "intake-ontbreekt": "b1",
    "intake-te-laat": "b1",
    "pip-ontbreekt": "geen-pip",
    "pip-te-laat": "b1",
    "verhuizing-voor-jaarwisseling": "b1",
    "verhuizing-na-jaarwisseling": "b1",
    "plicht-laat": "plicht-laat",
    "bevestiging-zonder-pip": "wi2013",
}

# kind -> partners that get one each
EDGE_KINDS: dict[str, tuple[str, ...]] = {
    "ongeldig-bsn": ("duo", "isam", "isi", "taalaanbieder"),
    "bestand-onleesbaar": ("taalaanbieder-xml", "taalaanbieder-csv", "taalaanbieder-ubl",
                           "financieel", "kredietbank", "isi"),
}

# What each kind is expected to produce, for the ground truth's readers.
EXPECTED: dict[str, str] = {
    "R10.verrekend": "credit note netted against an approved invoice (approved, negative)",
    "afschalen-onder-600-uur": "PIP lowered to A2 below 600 keurmerk hours: view keeps "
                               "afschalen_mogelijk false (R5)",
    "intake-ontbreekt": "no brede intake: INTAKE_TE_LAAT due at the scenario's end (R18)",
    "intake-te-laat": "intake after the two months of R18: view deadlines show it",
    "pip-ontbreekt": "no PIP: PIP_TE_LAAT due at the scenario's end (R18)",
    "pip-te-laat": "PIP after the ten weeks of R18: view deadlines show it",
    "verhuizing-voor-jaarwisseling": "move in late December: that year's budget goes to the "
                                     "new gemeente (R15), overdracht to both (R17)",
    "verhuizing-na-jaarwisseling": "move in early January: the past year stays with the old "
                                   "gemeente (R15), overdracht to both (R17)",
    "plicht-laat": "plicht told a year after the koppeling (R21): view plicht_start and regime",
    "R11.na-zes-maanden": "decision runs 9 months without vrijwillig: budgetbeheer for months "
                          "after bijstand start + 6 months refused (R11)",
    "R11.niet-vrijwillig": "gezinsmigrant ontzorgd without vrijwillig: every Kredietbank fee "
                           "refused, view ontzorgen empty (R11)",
    "R12.huishouden-dubbel": "a second member of the household is billed the intake and a "
                             "month again, later: refused as household duplicates (R12)",
    "R13.na-plicht-voldaan": "ontheffing; the last months invoiced more than 4 months later: "
                             "refused by the invoice's issue date (R13; a month after the "
                             "ontheffing may be refused under R24 or R13)",
    "R21.correctie-doelgroep": "DUO corrects the doelgroep (asielstatushouder -> gezinsmigrant) "
                               "in a later change naming the first: view doelgroep",
    "R21.correctie-examen": "DUO corrects a pass to a fail in a later change naming the first: "
                            "the exam no longer counts, plicht not met (R4)",
    "R21.correctie-intake": "ISAM versie 2 of the intake corrects its date: view intake_op",
    "R21.correctie-pip": "ISAM versie 2 of the first PIP corrects its dagtekening: view "
                         "eerste_pip and termijn_einde (R2)",
    "R24.na-einde-plicht": "ontheffing mid-route; the school keeps billing: lines starting "
                           "after the ontheffing refused (R24)",
    "bevestiging-zonder-pip": "Wi2013 case without PIP, school bevestiging accepted: its "
                              "invoices are approved (taalaanbieder FORMAT §6, R13 applies)",
    "ongeldig-bsn": "refused at the connector edge (R20): dead letter, quarantine or reject",
    "bestand-onleesbaar": "refused whole: quarantined, dead-lettered or rejected with the rule",
}


@dataclass(frozen=True)
class Plan:
    """Which case index carries which anomaly kind."""

    kinds: dict[int, str]
    per_kind: int

    def kind_of(self, index: int) -> str | None:
        """The anomaly kind of case ``index``, or None for a regular case."""
        return self.kinds.get(index)


def minimum_cases(per_kind: int = 1) -> int:
    """The smallest ``--cases`` that leaves room for every kind and some regular cases."""
    return len(CASE_KINDS) * per_kind + 5


def plan(seed: int, cases: int) -> Plan:
    """Spread ``max(1, cases // PER_CASES)`` of every kind over the cases, by the seed."""
    per_kind = max(1, cases // PER_CASES)
    needed = minimum_cases(per_kind)
    if cases < needed:
        raise ConfigurationError(f"--cases {cases} is too few: every anomaly kind needs its own "
                                 f"case, so use at least {needed}")
    rng = random.Random(f"{seed}/anomalies")
    chosen = rng.sample(range(cases), len(CASE_KINDS) * per_kind)
    kinds = [kind for kind in CASE_KINDS for _ in range(per_kind)]
    return Plan(dict(zip(chosen, kinds, strict=True)), per_kind)


def profile_of(kind: str | None) -> str | None:
    """The profile a kind's case must have (None for a regular case)."""
    return None if kind is None else CASE_KINDS[kind]
