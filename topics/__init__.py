"""The single declaration of every topic: name, key and value schema, sizing, dead-letter topic.

Names follow one pattern, ``inburgering.<system>.<message>.v<N>``, where ``system`` is the
sender for inbound topics and ``hub`` for everything the hub produces (outbound to a partner,
signals, internal). Dead-letter topics are ``<topic>.dlt`` and carry ``DeadLetter`` values.
Constants are named after the message; where one message has several topics, every one of
them is prefixed with its system (``DUO_BOETE``, ``ISAM_BOETE``).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

from hub.errors import ConfigurationError

NS = "nl.inburgering.hub."
KEY_SCHEMA = NS + "CaseKey"
DEAD_LETTER_SCHEMA = NS + "DeadLetter"
DLT_SUFFIX = ".dlt"
DAY_MS = 24 * 60 * 60 * 1000
RETENTION_MS = 7 * DAY_MS
DLT_RETENTION_MS = 30 * DAY_MS  # must outlive the time an operator needs to re-drive
SYSTEMS = ("duo", "isam", "isi", "taalaanbieder", "kredietbank", "financieel", "hub")
HIGH_VOLUME = 6
DEFAULT_PARTITIONS = 3


@dataclass(frozen=True)
class TopicSpec:
    """One topic: its schemas, sizing, dead-letter topic and privacy flag."""

    name: str
    key_schema: str
    value_schema: str
    partitions: int
    retention_ms: int
    dead_letter: str | None
    pii: bool
    direction: str
    doc: str


# Inbound: partner -> hub.
DUO_INBURGERINGSPLICHT_VASTGESTELD = "inburgering.duo.inburgeringsplicht-vastgesteld.v1"
ISI_INBURGERINGSPLICHT_VASTGESTELD = "inburgering.isi.inburgeringsplicht-vastgesteld.v1"
KOPPELING_GEMEENTE = "inburgering.duo.koppeling-gemeente.v1"
LBT_RESULTAAT = "inburgering.duo.lbt-resultaat.v1"
ISAM_PIP_VASTGESTELD = "inburgering.isam.pip-vastgesteld.v1"
TERMIJN_BESLUIT = "inburgering.duo.termijn-besluit.v1"
EXAMENRESULTAAT = "inburgering.duo.examenresultaat.v1"
ISAM_PVT_VOLDAAN = "inburgering.isam.pvt-voldaan.v1"
ISAM_MAP_VOLDAAN = "inburgering.isam.map-voldaan.v1"
ONTHEFFING = "inburgering.duo.ontheffing.v1"
DUO_BOETE = "inburgering.duo.boete.v1"
ISAM_BOETE = "inburgering.isam.boete.v1"
VOORTGANG = "inburgering.taalaanbieder.voortgang.v1"
TAALAANBIEDER_FACTUUR = "inburgering.taalaanbieder.factuur.v1"
KREDIETBANK_FACTUUR = "inburgering.kredietbank.factuur.v1"
ONTZORGEN_BETALING = "inburgering.kredietbank.ontzorgen-betaling.v1"
ONTZORGEN_EINDE = "inburgering.kredietbank.ontzorgen-einde.v1"
VERHUIZING = "inburgering.isam.verhuizing.v1"
GESPREK = "inburgering.isam.gesprek.v1"
PIB_VOUCHER = "inburgering.isam.pib-voucher.v1"
BETALING = "inburgering.financieel.betaling.v1"
AANMELDING_BEVESTIGING = "inburgering.taalaanbieder.aanmelding-bevestiging.v1"
ISI_TRAJECT = "inburgering.isi.traject.v1"
ISI_EXAMENRESULTAAT = "inburgering.isi.examenresultaat.v1"
ISI_PIB_BUDGET = "inburgering.isi.pib-budget.v1"
ISI_PIB_VOUCHER = "inburgering.isi.pib-voucher.v1"
ISAM_KOPPELING_GEMEENTE = "inburgering.isam.koppeling-gemeente.v1"
ISAM_ONTZORGEN_BESLUIT = "inburgering.isam.ontzorgen-besluit.v1"
ISAM_PIB_TRAJECTPLAN = "inburgering.isam.pib-trajectplan.v1"

# Outbound: hub -> partner.
LBT_AANMELDING = "inburgering.hub.lbt-aanmelding.v1"
HUB_PIP_VASTGESTELD = "inburgering.hub.pip-vastgesteld.v1"
HUB_PVT_VOLDAAN = "inburgering.hub.pvt-voldaan.v1"
HUB_MAP_VOLDAAN = "inburgering.hub.map-voldaan.v1"
VERLENGING_AANVRAAG = "inburgering.hub.verlenging-aanvraag.v1"
AANMELDING_LEERROUTE = "inburgering.hub.aanmelding-leerroute.v1"
ONTZORGEN_AANMELDING = "inburgering.hub.ontzorgen-aanmelding.v1"
BOEKING = "inburgering.hub.boeking.v1"
SIGNAAL = "inburgering.hub.signaal.v1"
HUB_ONTZORGEN_EINDE = "inburgering.hub.ontzorgen-einde.v1"

# Internal: hub -> hub (operators).
CONNECTOR_STATUS = "inburgering.hub.connector-status.v1"


def _pair(
    name: str, value: str, doc: str, *, direction: str, partitions: int = DEFAULT_PARTITIONS,
    pii: bool = True,
) -> tuple[TopicSpec, TopicSpec]:
    """A topic and its dead-letter topic."""
    dlt = name + DLT_SUFFIX
    topic = TopicSpec(name, KEY_SCHEMA, NS + value, partitions, RETENTION_MS, dlt, pii,
                      direction, doc)
    dead = TopicSpec(dlt, KEY_SCHEMA, DEAD_LETTER_SCHEMA, DEFAULT_PARTITIONS, DLT_RETENTION_MS,
                     None, pii, "dead-letter", f"Messages from {name} no consumer could process.")
    return topic, dead


_inbound = partial(_pair, direction="inbound")
_outbound = partial(_pair, direction="outbound")

_PAIRS = (
    _inbound(DUO_INBURGERINGSPLICHT_VASTGESTELD, "InburgeringsplichtVastgesteld",
             "DUO: the inburgeringsplicht was established (msg 1)."),
    _inbound(ISI_INBURGERINGSPLICHT_VASTGESTELD, "InburgeringsplichtVastgesteld",
             "ISI: historic Wi2007/Wi2013 cases from the bulk import (msg 1)."),
    _inbound(KOPPELING_GEMEENTE, "KoppelingGemeente",
             "DUO/COA: the person was linked to a gemeente (msg 2)."),
    _inbound(LBT_RESULTAAT, "LbtResultaat", "DUO: result of the leerbaarheidstoets (msg 3)."),
    _inbound(ISAM_PIP_VASTGESTELD, "PipVastgesteld", "ISAM: a PIP was set or changed (msg 4)."),
    _inbound(TERMIJN_BESLUIT, "TermijnBesluit",
             "DUO: decision on the termijn or a verlenging (msg 5)."),
    _inbound(EXAMENRESULTAAT, "Examenresultaat", "DUO: an exam result (msg 6).",
             partitions=HIGH_VOLUME),
    _inbound(ISAM_PVT_VOLDAAN, "PvtVoldaan", "ISAM: outcome of the PVT (msg 7)."),
    _inbound(ISAM_MAP_VOLDAAN, "MapVoldaan", "ISAM: outcome of the MAP (msg 7)."),
    _inbound(ONTHEFFING, "Ontheffing", "DUO: ontheffing or vrijstelling granted (msg 8)."),
    _inbound(DUO_BOETE, "Boete", "DUO: a boete or its vooraankondiging (msg 9)."),
    _inbound(ISAM_BOETE, "Boete", "Gemeente (ISAM): a boete or its vooraankondiging (msg 9)."),
    _inbound(VOORTGANG, "Voortgang", "Taalaanbieder: presentie and voortgang (msg 11).",
             partitions=HIGH_VOLUME),
    _inbound(TAALAANBIEDER_FACTUUR, "Factuur", "Taalaanbieder: e-invoices and credit notes "
             "(msg 12).", partitions=HIGH_VOLUME),
    _inbound(KREDIETBANK_FACTUUR, "Factuur", "Kredietbank: e-invoices for intake and "
             "budgetbeheer fees (msg 12, R12).", partitions=HIGH_VOLUME),
    _inbound(ONTZORGEN_BETALING, "OntzorgenBetaling",
             "Kredietbank: payments made or failed per creditor and month (msg 14)."),
    _inbound(ONTZORGEN_EINDE, "OntzorgenEinde", "Kredietbank: ontzorgen ended (msg 14)."),
    _inbound(VERHUIZING, "Verhuizing", "ISAM (from BRP): the person moved (msg 15)."),
    _inbound(GESPREK, "Gesprek", "ISAM: an intake or voortgangsgesprek took place (R18, R19)."),
    _inbound(PIB_VOUCHER, "PibVoucher", "Gemeente (ISAM): a PIB voucher or bonus (msg 17)."),
    _inbound(ISI_TRAJECT, "LegacyTraject", "ISI: historic Wi2007/Wi2013 trajecten with provider "
             "and amounts, from the bulk import (R22)."),
    _inbound(ISI_EXAMENRESULTAAT, "Examenresultaat",
             "ISI: historic exam results from the bulk import (msg 6)."),
    _inbound(ISI_PIB_BUDGET, "PibBudget", "ISI: PIB budgets from the bulk import (R22)."),
    _inbound(ISI_PIB_VOUCHER, "PibVoucher",
             "ISI: PIB vouchers and bonuses from the bulk import (msg 17, R22)."),
    _inbound(ISAM_KOPPELING_GEMEENTE, "KoppelingGemeente",
             "ISAM: the consulent registered the koppeling with this gemeente (msg 2)."),
    _inbound(ISAM_ONTZORGEN_BESLUIT, "OntzorgenBesluit",
             "ISAM: the gemeente granted, refused or ended financieel ontzorgen (R11)."),
    _inbound(ISAM_PIB_TRAJECTPLAN, "PibTrajectplan",
             "ISAM: a PIB trajectplan was proposed, approved or refused (msg 17, R22)."),
    _inbound(BETALING, "Betaling", "Financial system: an invoice was paid (msg 16, camt.053).",
             pii=False),
    _inbound(AANMELDING_BEVESTIGING, "AanmeldingBevestiging",
             "Taalaanbieder: accepted or refused an aanmelding leerroute (answer to msg 10)."),
    _outbound(LBT_AANMELDING, "LbtAanmelding", "To DUO: registration for the LBT (msg 3)."),
    _outbound(HUB_PIP_VASTGESTELD, "PipVastgesteld", "To DUO: a PIP was set or changed (msg 4)."),
    _outbound(HUB_PVT_VOLDAAN, "PvtVoldaan", "To DUO: outcome of the PVT (msg 7)."),
    _outbound(HUB_MAP_VOLDAAN, "MapVoldaan", "To DUO: outcome of the MAP (msg 7)."),
    _outbound(VERLENGING_AANVRAAG, "VerlengingAanvraag",
              "To DUO: request to extend the termijn (msg 5)."),
    _outbound(AANMELDING_LEERROUTE, "AanmeldingLeerroute",
              "To a taalaanbieder: registration for a leerroute (msg 10)."),
    _outbound(ONTZORGEN_AANMELDING, "OntzorgenAanmelding",
              "To the Kredietbank: registration for financieel ontzorgen (msg 13)."),
    _outbound(BOEKING, "Boeking", "To the financial system: an approved invoice booking "
              "(msg 16).", pii=False),
    _outbound(SIGNAAL, "Signaal", "To ISAM: a signal for the consulent (R18 and others)."),
    _outbound(HUB_ONTZORGEN_EINDE, "OntzorgenEinde",
              "To the Kredietbank: end financieel ontzorgen early or as planned (msg 13, R11)."),
)

_INTERNAL = (
    _pair(CONNECTOR_STATUS, "ConnectorStatus", "Connector health for the operator console "
          "(last success, last failure and why).", direction="internal", partitions=1, pii=False),
)

TOPICS: tuple[TopicSpec, ...] = tuple(spec for pair in (*_PAIRS, *_INTERNAL) for spec in pair)
_BY_NAME = {spec.name: spec for spec in TOPICS}


def by_name(name: str) -> TopicSpec:
    """The spec of a logical topic name; ``ConfigurationError`` naming it when unknown."""
    try:
        return _BY_NAME[name]
    except KeyError:
        raise ConfigurationError(f"unknown topic {name!r}: not declared in topics/") from None


def dead_letter_of(name: str) -> str:
    """The dead-letter topic of ``name``; ``ConfigurationError`` if it has none."""
    dead_letter = by_name(name).dead_letter
    if dead_letter is None:
        raise ConfigurationError(f"topic {name!r} has no dead-letter topic")
    return dead_letter


def physical(name: str, suffix: str) -> str:
    """The broker topic for a logical name: ``name + suffix`` (tests isolate with a suffix)."""
    return name + suffix


def logical(physical_name: str, suffix: str) -> str:
    """The declared name of a broker topic: ``physical`` without the suffix."""
    if suffix and physical_name.endswith(suffix):
        return physical_name[: -len(suffix)]
    return physical_name
