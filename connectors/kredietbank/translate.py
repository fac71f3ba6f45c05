"""Pure translators between the Kredietbank API (FORMAT.md) and the hub's records.

Out: OntzorgenAanmelding / OntzorgenEinde records -> request bodies (the BSN is decrypted by the
caller and validated here again, R20). In: mutaties (betalingen, einde) -> records. Relay: an
ISAM ontzorgen decision -> the aanmelding or afmelding the hub sends (message ids derived from
the decision's, so a repeat is the same message). No I/O, no clock.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import date, datetime
from typing import Any

import topics
from connectors import accounts
from connectors.edge import BsnSealer, Routed, enum_symbols
from connectors.kit.fields import Reader
from hub.errors import InvalidField
from hub.privacy import normalise_bsn
from hub.versions import bron_versie

SOURCE = "kredietbank"
_IDS = uuid.UUID("8a3f2c1d-7e6b-5a4c-9d8e-1f2a3b4c5d6e")
CREDITEUR_SOORTEN = enum_symbols("nl.inburgering.hub.CrediteurSoort")
EINDE_REDENEN = enum_symbols("nl.inburgering.hub.EindeReden")


def _iso(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date | datetime) else value


# -- out --------------------------------------------------------------------------------------

def aanmelding_body(record: Mapping[str, Any], bsn: str) -> dict[str, Any]:
    """POST /aanmeldingen body of an OntzorgenAanmelding record (msg 13)."""
    return {"berichtId": record["message_id"], "huishoudenId": record["huishouden_id"],
            "gemeentecode": record["gemeentecode"], "bsn": normalise_bsn(bsn),
            "aantalPersonen": record["huishouden_aantal_personen"],
            "bijstandStartdatum": _iso(record["bijstand_startdatum"]),
            "ontzorgenStartdatum": _iso(record["ontzorgen_startdatum"]),
            "ontzorgenEinddatum": _iso(record["ontzorgen_einddatum"]),
            "vrijwillig": record["vrijwillig"],
            "machtiging": {"kenmerk": record["machtiging_kenmerk"],
                           "datum": _iso(record["machtiging_datum"])},
            "crediteuren": [{"soort": c["soort"], "naam": c["naam"],
                             "iban": accounts.iban(c["iban"], field="crediteuren.iban"),
                             "bedragCent": c["bedrag_cent"],
                             "betalingskenmerk": c.get("betalingskenmerk")}
                            for c in record["crediteuren"]]}


def afmelding_body(record: Mapping[str, Any]) -> dict[str, Any]:
    """POST /afmeldingen body of an OntzorgenEinde record sent by the hub."""
    return {"berichtId": record["message_id"], "huishoudenId": record["huishouden_id"],
            "einddatum": _iso(record["einddatum"]), "reden": record["reden"],
            "toelichting": record.get("toelichting")}


# -- relay: ISAM decision -> what the hub sends ------------------------------------------------

def relay(besluit: Mapping[str, Any], *, produced_at: datetime) -> Routed | None:
    """The aanmelding (TOEGEKEND) or afmelding (BEEINDIGD) for an ISAM decision; else None."""
    base = {"case_ref": besluit["case_ref"], "source": "hub", "produced_at": produced_at,
            "huishouden_id": besluit["huishouden_id"]}
    ident = str(uuid.uuid5(_IDS, f"hub:ontzorgen:{besluit['message_id']}"))
    if besluit["besluit"] == "TOEGEKEND":
        return Routed(topics.ONTZORGEN_AANMELDING, {
            **base, "message_id": ident, "bsn": besluit["bsn"],
            "gemeentecode": besluit["gemeentecode"],
            "huishouden_aantal_personen": besluit["huishouden_aantal_personen"],
            "bijstand_startdatum": besluit["bijstand_startdatum"],
            "ontzorgen_startdatum": besluit["ontzorgen_startdatum"],
            "ontzorgen_einddatum": besluit["ontzorgen_einddatum"],
            "vrijwillig": besluit["vrijwillig"],
            "machtiging_kenmerk": besluit["machtiging_kenmerk"],
            "machtiging_datum": besluit["machtiging_datum"],
            "crediteuren": besluit["crediteuren"]})
    if besluit["besluit"] == "BEEINDIGD":
        return Routed(topics.HUB_ONTZORGEN_EINDE, {
            **base, "message_id": ident, "einddatum": besluit["ontzorgen_einddatum"],
            "reden": besluit.get("einde_reden") or "OVERIG",
            "toelichting": f"besluit {besluit['besluit_kenmerk']}"})
    return None


# -- in ---------------------------------------------------------------------------------------

def mutatie(data: Mapping[str, Any], *, sealer: BsnSealer, received_at: datetime) -> Routed:
    """One mutatie (BETALING or EINDE, msg 14) -> its record; ``InvalidField`` when it does
    not fit."""
    soort = str(data.get("soort", ""))
    label = soort if soort in ("BETALING", "EINDE") else "?"  # field names never echo a value
    r = Reader(f"mutatie.{label}", data)
    bsn = normalise_bsn(r.text("bsn"), field=f"mutatie.{label}.bsn")
    head = {"case_ref": sealer.case_ref(bsn), "source": SOURCE, "produced_at": received_at,
            "huishouden_id": r.text("huishoudenId")}
    volgnummer = r.optional_integer("volgnummer")  # R21: the Kredietbank's own order
    if soort == "BETALING":
        status = r.code("status", ("BETAALD", "MISLUKT"))
        betaling = r.text("betalingId")
        return Routed(topics.ONTZORGEN_BETALING, {
            **head, "message_id": _id(f"betaling:{betaling}:{status}"),
            "betaling_kenmerk": betaling, "periode_begindatum": _month(r),
            "crediteur_soort": r.code("crediteurSoort", CREDITEUR_SOORTEN),
            "crediteur_iban": accounts.iban(r.text("crediteurIban"),
                                            field=f"{r.resource}.crediteurIban"),
            "bedrag_cent": r.integer("bedragCent"),
            "status": status,
            "betaaldatum": r.date("betaaldatum") if status == "BETAALD" else None,
            "reden_mislukt": r.text("redenMislukt") if status == "MISLUKT" else None,
            "bron_versie": bron_versie(f"kredietbank:betaling:{betaling}",
                                       volgnummer=volgnummer)})
    if soort == "EINDE":
        einde, reden = r.date("einddatum"), r.code("reden", EINDE_REDENEN)
        return Routed(topics.ONTZORGEN_EINDE, {
            **head, "message_id": _id(f"einde:{head['huishouden_id']}:{einde}:{reden}"),
            "einddatum": einde, "reden": reden, "toelichting": r.optional("toelichting"),
            "bron_versie": bron_versie(f"kredietbank:einde:{head['huishouden_id']}",
                                       volgnummer=volgnummer)})
    raise InvalidField("mutatie.soort", "not BETALING or EINDE")


def _month(r: Reader) -> date:
    raw = r.text("periode")
    try:
        return date.fromisoformat(raw[:7] + "-01")
    except ValueError:
        raise InvalidField(f"{r.resource}.periode", "not a month (yyyy-mm)") from None


def _id(key: str) -> str:
    return str(uuid.uuid5(_IDS, f"kredietbank:{key}"))


def topic_of_mutatie(data: Mapping[str, Any]) -> str:
    """The topic a mutatie belongs on (its dead letters go to that topic's DLT)."""
    return topics.ONTZORGEN_EINDE if data.get("soort") == "EINDE" else topics.ONTZORGEN_BETALING
