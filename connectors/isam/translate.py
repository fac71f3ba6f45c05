"""Pure translators: an ISAM resource (JSON fetched from ``resourceUrl``) -> a hub record.

No I/O, no clock, no logging. Each resource carries its ``uuid`` and ``versie``; the message id
derives from (resource, uuid, versie), so a repeated or out-of-order notification that fetches
the same version produces the same message id and the store's inbox drops the copy. The record's
``bron_versie`` is ISAM's own order (R21): the resource (``isam:<resource>:<uuid>``) and its
``versie``, so a higher versie replaces a lower one whenever either arrives. BSNs are validated
here (R20); errors name the field (``pip.dagtekening``), never a value.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

import topics
from connectors import accounts
from connectors.edge import BsnSealer, Routed
from connectors.kit.fields import Reader
from hub.errors import InvalidField
from hub.privacy import normalise_bsn, redact
from hub.versions import bron_versie

SOURCE = "isam"
_IDS = uuid.UUID("3d7b8f0e-4f0a-5b8e-9c1d-2a6e5f4b3c21")
UNKNOWN_RESOURCE_TOPIC = topics.ISAM_PIP_VASTGESTELD  # its DLT keeps unknown resources


def message_id(resource: str, resource_uuid: str, versie: int) -> str:
    """Stable id of one version of one ISAM resource."""
    return str(uuid.uuid5(_IDS, f"isam:{resource}:{resource_uuid}:{versie}"))


def translate(resource: str, data: Mapping[str, Any], *, sealer: BsnSealer,
              received_at: datetime) -> Routed:
    """Route and translate one fetched resource; ``InvalidField`` when it does not fit."""
    route = ROUTES.get(resource)
    if route is None:
        raise InvalidField("resource", f"unknown ISAM resource {redact(resource)[:40]!r}")
    topic, body, with_bsn = route
    r = Reader(resource, data)
    bsn = normalise_bsn(r.text("bsn") if isinstance(data.get("bsn"), str) else "",
                        field=f"{resource}.bsn")
    ident, versie = r.text("uuid"), r.integer("versie")
    if versie < 1:
        raise InvalidField(f"{resource}.versie", "must be 1 or more")
    record: dict[str, Any] = {
        "message_id": message_id(resource, ident, versie),
        "case_ref": sealer.case_ref(bsn), "source": SOURCE, "produced_at": received_at,
        "bron_versie": bron_versie(f"isam:{resource}:{ident}", volgnummer=versie)}
    if with_bsn:
        record["bsn"] = sealer.seal(bsn)
    record.update(body(r))
    return Routed(topic, record)


def topic_of(resource: str) -> str:
    """The topic a resource goes to (or the topic whose DLT keeps unknown resources)."""
    route = ROUTES.get(resource)
    return UNKNOWN_RESOURCE_TOPIC if route is None else route[0]


GESPREK_SOORTEN = ("BREDE_INTAKE", "VOORTGANGSGESPREK", "DRIEGESPREK",
                   "MULTIDISCIPLINAIR_OVERLEG", "EINDGESPREK", "OVERIG")


def _koppeling(r: Reader) -> dict[str, Any]:
    return {"gemeentecode": r.gemeentecode(), "koppeldatum": r.date("koppeldatum"),
            "azc": r.optional("azc")}


def _intake(r: Reader) -> dict[str, Any]:
    return {"gemeentecode": r.gemeentecode(), "gesprek_kenmerk": r.text("uuid"),
            "soort": "BREDE_INTAKE", "gespreksdatum": r.date("gespreksdatum")}


def _gesprek(r: Reader) -> dict[str, Any]:
    return {"gemeentecode": r.gemeentecode(), "gesprek_kenmerk": r.text("uuid"),
            "soort": r.code("soort", GESPREK_SOORTEN), "gespreksdatum": r.date("gespreksdatum")}


def _pip(r: Reader) -> dict[str, Any]:
    return {"gemeentecode": r.gemeentecode(),
            "soort": r.code("soort", ("VASTGESTELD", "GEWIJZIGD", "HERZIEN_NA_BEZWAAR")),
            "pip_kenmerk": r.text("pipKenmerk"),
            "dagtekening_eerste_pip": r.date("dagtekeningEerstePip"),
            "dagtekening": r.date("dagtekening"),
            "leerroute": r.code("leerroute", ("B1", "ONDERWIJS", "Z")),
            "niveau": r.code("niveau", ("A1", "A2", "B1", "B2")),
            "taalaanbieder": r.optional("taalaanbieder"), "contract_id": r.optional("contractId"),
            "ontzorgen": r.boolean("ontzorgen")}


def _voldaan(r: Reader) -> dict[str, Any]:
    resultaat = r.code("resultaat", ("VOLDAAN", "NIET_VOLDAAN"))
    niet = resultaat == "NIET_VOLDAAN"
    return {"gemeentecode": r.gemeentecode(), "afrondingsdatum": r.date("afrondingsdatum"),
            "resultaat": resultaat,
            "reden_niet_voldaan": r.optional("redenNietVoldaan") if niet else None,
            "verwijtbaar": r.optional_boolean("verwijtbaar") if niet else None}


def _verhuizing(r: Reader) -> dict[str, Any]:
    return {"verhuisdatum": r.date("verhuisdatum"),
            "gemeentecode_oud": r.gemeentecode("gemeentecodeOud"),
            "gemeentecode_nieuw": r.gemeentecode("gemeentecodeNieuw")}


CREDITEUR_SOORTEN = ("HUUR", "GAS", "ELEKTRICITEIT", "ENERGIE", "WATER", "ZORGVERZEKERING",
                     "OVERIG")
EINDE_REDENEN = ("TERMIJN_VERSTREKEN", "BIJSTAND_BEEINDIGD", "VERHUIZING", "OP_VERZOEK", "OVERIG")


def crediteur(r: Reader) -> dict[str, Any]:
    """One creditor of an ontzorgen decision (R11); the IBAN passes the one account check."""
    iban = accounts.iban(r.text("iban"), field=f"{r.resource}.iban")
    bedrag = r.integer("bedragCent")
    if bedrag <= 0:
        raise InvalidField(f"{r.resource}.bedragCent", "must be positive")
    return {"soort": r.code("soort", CREDITEUR_SOORTEN), "naam": r.text("naam"), "iban": iban,
            "bedrag_cent": bedrag, "betalingskenmerk": r.optional("betalingskenmerk")}


def _ontzorgen(r: Reader) -> dict[str, Any]:
    besluit = r.code("besluit", ("TOEGEKEND", "AFGEWEZEN", "BEEINDIGD"))
    toegekend = besluit == "TOEGEKEND"
    need_date = r.date if toegekend else r.optional_date
    return {"gemeentecode": r.gemeentecode(), "besluit_kenmerk": r.text("uuid"),
            "besluit": besluit, "besluitdatum": r.date("besluitdatum"),
            "huishouden_id": r.text("huishoudenId"),
            "huishouden_aantal_personen": r.integer("huishoudenAantalPersonen"),
            "bijstand_startdatum": need_date("bijstandStartdatum"),
            "bijstand_einddatum": r.optional_date("bijstandEinddatum"),
            "ontzorgen_startdatum": need_date("ontzorgenStartdatum"),
            "ontzorgen_einddatum": (r.date("ontzorgenEinddatum") if besluit != "AFGEWEZEN"
                                    else r.optional_date("ontzorgenEinddatum")),
            "vrijwillig": bool(r.optional_boolean("vrijwillig")),
            "machtiging_kenmerk": r.text("machtigingKenmerk") if toegekend
            else r.optional("machtigingKenmerk"),
            "machtiging_datum": need_date("machtigingDatum"),
            "einde_reden": r.code("eindeReden", EINDE_REDENEN) if besluit == "BEEINDIGD"
            else None,
            "crediteuren": [crediteur(c) for c in r.items("crediteuren")] if toegekend else []}


def _pib_trajectplan(r: Reader) -> dict[str, Any]:
    status = r.code("status", ("INGEDIEND", "GOEDGEKEURD", "AFGEWEZEN"))
    beoordeeld = status != "INGEDIEND"
    return {"gemeentecode": r.gemeentecode(), "pib_traject_id": r.text("pibTrajectId"),
            "status": status, "indieningsdatum": r.date("indieningsdatum"),
            "beoordelingsdatum": r.date("beoordelingsdatum") if beoordeeld else None,
            "aanbieder": r.optional("aanbieder"),
            "geplande_startdatum": r.optional_date("geplandeStartdatum"),
            "begroting_cent": r.integer("begrotingCent"),
            "scholingsbudget_cent": r.optional_integer("scholingsbudgetCent"),
            "meerkosten_cent": r.optional_integer("meerkostenCent"),
            "reden_afwijzing": r.optional("redenAfwijzing")}


def _pib_voucher(r: Reader) -> dict[str, Any]:
    return {"gemeentecode": r.gemeentecode(), "pib_traject_id": r.text("pibTrajectId"),
            "voucher_id": r.text("voucherId"),
            "ontvanger": r.code("ontvanger", ("INBURGERAAR", "MAKELAAR_PROFESSIONAL",
                                              "MAKELAAR_VRIJWILLIGER")),
            "vorm": r.code("vorm", ("VOUCHER", "GELD")), "waarde_cent": r.integer("waardeCent"),
            "status": r.code("status", ("GEKOCHT", "GEREGISTREERD", "IN_KLUIS", "UITGEREIKT",
                                        "VERANTWOORD", "INGETROKKEN")),
            "statusdatum": r.date("statusdatum"),
            "trajectstartdatum": r.optional_date("trajectstartdatum")}


Body = Callable[[Reader], dict[str, Any]]
# resource -> (topic, body, whether the record carries the encrypted BSN)
ROUTES: dict[str, tuple[str, Body, bool]] = {
    "koppeling": (topics.ISAM_KOPPELING_GEMEENTE, _koppeling, True),
    "intake": (topics.GESPREK, _intake, False),
    "gesprek": (topics.GESPREK, _gesprek, False),
    "pip": (topics.ISAM_PIP_VASTGESTELD, _pip, True),
    "pvt": (topics.ISAM_PVT_VOLDAAN, _voldaan, True),
    "map": (topics.ISAM_MAP_VOLDAAN, _voldaan, True),
    "ontzorgenbesluit": (topics.ISAM_ONTZORGEN_BESLUIT, _ontzorgen, True),
    "verhuizing": (topics.VERHUIZING, _verhuizing, True),
    "pibtrajectplan": (topics.ISAM_PIB_TRAJECTPLAN, _pib_trajectplan, True),
    "pibvoucher": (topics.PIB_VOUCHER, _pib_voucher, False),
}
