"""What the hub must send for a case: registrations, aanmeldingen, bookings and signals.

``registrations`` are derived from facts (a PIP, PVT or MAP from ISAM goes on to DUO; a PIP
naming a school becomes an aanmelding leerroute; an ontzorgen decision becomes the Kredietbank
aanmelding or afmelding) and are kept in the view. ``booking`` and ``signaal`` build records
from the view's decisions and signals. Every message id is derived from what caused it, so a
re-projection yields the same ids and the outbox sends each once.
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, time
from typing import Any

import topics
from hub.reconcile import facts as k
from hub.reconcile import ontzorgen
from hub.reconcile.facts import CaseFacts, iso
from hub.reconcile.model import GOEDGEKEURD
from hub.reconcile.ontzorgen import ONBEKEND
from hub.versions import record_key

SOURCE = "hub"
# Same namespace as the Kredietbank connector's relay: an aanmelding derived by either has one id.
ONTZORGEN_IDS = uuid.UUID("8a3f2c1d-7e6b-5a4c-9d8e-1f2a3b4c5d6e")
HUB_IDS = uuid.UUID("2f0b6d4e-93a1-4c57-8e2d-6a1b7c9d0e3f")
INGEKOCHTE_UREN = {"B1": 600, "Z": 1600, "ONDERWIJS": 1200, "ONBEKEND": 0}


def registrations(case_ref: str, cf: CaseFacts, doelgroep: str = ONBEKEND
                  ) -> list[dict[str, Any]]:
    """Outbound records the facts call for, as ``{"id", "topic", "record", "effect"}`` (the
    partner resource the record is a version of: its effect key in the ledger), sorted by id.
    A partner record's latest version only (R21): a correction is a newer version of the same
    effect, which the ledger sends as a correction."""
    out = []
    for topic, kind, what in ((topics.HUB_PIP_VASTGESTELD, k.PIP, "pip"),
                              (topics.HUB_PVT_VOLDAAN, k.PVT, "pvt"),
                              (topics.HUB_MAP_VOLDAAN, k.MAP, "map")):
        for mid, record in cf.current_with_ids(kind):
            if record.get("source") == SOURCE:
                continue
            ident = _id(f"{what}:{mid}")
            out.append(_item(ident, topic, {**record, "message_id": ident, "source": SOURCE},
                             f"{what}:{record_key(record, mid)}"))
    out += _aanmeldingen(case_ref, cf)
    out += _ontzorgen(cf, doelgroep)
    return sorted(out, key=lambda item: item["id"])


def _aanmeldingen(case_ref: str, cf: CaseFacts) -> list[dict[str, Any]]:
    """Message 10: one aanmelding per school and contract named by a PIP (the first one)."""
    first: dict[tuple[str, str], dict[str, Any]] = {}
    for record in sorted(cf.current(k.PIP), key=lambda r: iso(r["dagtekening"])):  # R21
        school = record.get("taalaanbieder")
        if school:
            first.setdefault((str(school), str(record.get("contract_id") or "")), record)
    out = []
    for (school, contract), pip in sorted(first.items()):
        ident = _id(f"aanmelding:{case_ref}:{school}:{contract}")
        out.append(_item(ident, topics.AANMELDING_LEERROUTE, {
            "message_id": ident, "case_ref": case_ref, "source": SOURCE,
            "produced_at": pip["produced_at"], "gemeentecode": pip["gemeentecode"],
            "taalaanbieder": school, "leerroute": pip["leerroute"], "niveau": pip["niveau"],
            "startdatum": pip["dagtekening"],
            "ingekochte_uren": INGEKOCHTE_UREN.get(str(pip["leerroute"]), 0),
            "contract_id": contract, "perceel": None, "bsn": None}))
    return out


def _ontzorgen(cf: CaseFacts, doelgroep: str) -> list[dict[str, Any]]:
    """Message 13 (R11): a granted decision registers, an ending one deregisters. A grant R11
    excludes (a gezinsmigrant or overige migrant without ``vrijwillig``) registers nothing, one
    whose doelgroep is not known yet waits for it, and without ``vrijwillig`` the aanmelding
    ends where R11 ends the grant (bijstand start + 6 months, the bijstand end, the decision's
    end: the earliest), whatever end the decision carries."""
    out = []
    for mid, b in cf.current_with_ids(k.ONTZORGEN_BESLUIT):
        ident = str(uuid.uuid5(ONTZORGEN_IDS, f"hub:ontzorgen:{mid}"))
        effect = f"ontzorgen:{record_key(b, mid)}"
        base = {"message_id": ident, "case_ref": b["case_ref"], "source": SOURCE,
                "produced_at": b["produced_at"], "huishouden_id": b["huishouden_id"]}
        grant = ontzorgen.grant_of(b)
        if grant is not None and ontzorgen.eligible(doelgroep, grant):
            einde = grant.besluit_einde if grant.vrijwillig else ontzorgen.cap(grant)
            out.append(_item(ident, topics.ONTZORGEN_AANMELDING, {
                **base, "bsn": b["bsn"], "gemeentecode": b["gemeentecode"],
                "huishouden_aantal_personen": b["huishouden_aantal_personen"],
                "bijstand_startdatum": b["bijstand_startdatum"] or b["ontzorgen_startdatum"],
                "ontzorgen_startdatum": b["ontzorgen_startdatum"],
                "ontzorgen_einddatum": einde or b["ontzorgen_startdatum"],
                "vrijwillig": b["vrijwillig"], "machtiging_kenmerk": b["machtiging_kenmerk"] or "",
                "machtiging_datum": b["machtiging_datum"] or b["besluitdatum"],
                "crediteuren": b["crediteuren"]}, effect))
        elif b["besluit"] == "BEEINDIGD":
            out.append(_item(ident, topics.HUB_ONTZORGEN_EINDE, {
                **base, "einddatum": b.get("ontzorgen_einddatum") or b.get("bijstand_einddatum")
                or b["besluitdatum"], "reden": b.get("einde_reden") or "OVERIG",
                "toelichting": f"besluit {b['besluit_kenmerk']}"}, effect))
    return out



BOOKING_CONTENT = ("case_ref", "factuurnummer", "leverancier_id", "gemeentecode", "kostenplaats",
                   "kostensoort", "bedrag_cent", "begrotingsjaar", "iban_begunstigde",
                   "naam_begunstigde")  # what a booking says (not its date or ids)
SIGNAL_CONTENT = ("case_ref", "signaal_type", "gemeentecode", "regel", "vastgesteld_op",
                  "uiterlijk", "toelichting", "kenmerken")


def bookable(decision: dict[str, Any]) -> bool:
    """Approved invoice lines with an amount and a gemeente become bookings (msg 16)."""
    return (decision["beslissing"] == GOEDGEKEURD and bool(decision.get("goedgekeurd_cent"))
            and bool(decision.get("gemeentecode")) and "regelnummer" in decision
            and "factuur_message_id" in decision)


def booking_record(case_ref: str, decision: dict[str, Any], now: datetime) -> dict[str, Any]:
    """Message 16: the Boeking of an approved line (R17: its gemeente; the budget year of its
    service date), dated ``now``: a booking is dated when it is made, never in the future.
    ``message_id`` and ``boekingskenmerk`` are set per version by the ledger (``effects``)."""
    return {
        "message_id": "", "case_ref": case_ref, "source": SOURCE, "produced_at": now,
        "boekingskenmerk": "", "factuurnummer": decision["factuurnummer"],
        "leverancier_id": decision["leverancier_id"], "gemeentecode": decision["gemeentecode"],
        "kostenplaats": decision.get("kostenplaats") or "", "kostensoort":
        decision.get("kostensoort") or "", "bedrag_cent": int(decision["goedgekeurd_cent"]),
        "begrotingsjaar": int(decision["begrotingsjaar"]), "boekingsdatum": now.date(),
        "verplichting_kenmerk": None,
        "omschrijving": f"factuur {decision['factuurnummer']} regel {decision['regelnummer']}",
        "iban_begunstigde": decision.get("iban_begunstigde"),
        "naam_begunstigde": decision.get("leverancier_naam"), "tegenboeking_van": None,
        "vervangt": None}


def kenmerk_of(effect_id: str) -> str:
    """The boekingskenmerk of a booking version (an EPC-safe EndToEndId of 18 characters)."""
    return "BK" + uuid.UUID(effect_id).hex[:16].upper()


def reversal_record(booked: dict[str, Any], kenmerk: str, now: datetime) -> dict[str, Any]:
    """The reversal (tegenboeking) of a booking: the same line, minus its amount, dated ``now``,
    referencing the reversed booking's kenmerk. Paid by nobody (financieel FORMAT.md)."""
    return {**booked, "boekingskenmerk": kenmerk, "produced_at": now, "boekingsdatum": now.date(),
            "bedrag_cent": -int(booked["bedrag_cent"]), "tegenboeking_van":
            booked["boekingskenmerk"], "vervangt": None,
            "omschrijving": f"tegenboeking {booked['omschrijving']}"}


def withdrawal_record(sent: dict[str, Any], signal_id: str, now: datetime) -> dict[str, Any]:
    """The withdrawal of a sent signal: its content again, naming the signal it withdraws."""
    return {**sent, "produced_at": now, "ingetrokken_signaal_id": signal_id,
            "toelichting": f"ingetrokken: {sent['toelichting']}"[:500]}


def afmelding_record(sent: dict[str, Any], now: datetime) -> dict[str, Any]:
    """R11: the afmelding of an ontzorgen aanmelding the facts no longer grant."""
    return {"message_id": "", "case_ref": sent["case_ref"], "source": SOURCE, "produced_at": now,
            "huishouden_id": sent["huishouden_id"], "einddatum": sent["ontzorgen_startdatum"],
            "reden": "OVERIG", "toelichting": "aanmelding ingetrokken: niet (meer) toegekend"}


def operator_signal(case_ref: str, sent: dict[str, Any], topic: str, now: datetime
                    ) -> dict[str, Any]:
    """A registration the partner cannot withdraw is no longer implied: tell the consulent."""
    return {"message_id": "", "case_ref": case_ref, "source": SOURCE, "produced_at": now,
            "signaal_type": "OVERIG", "gemeentecode": str(sent.get("gemeentecode") or "onbekend"),
            "regel": "R21", "vastgesteld_op": now.date(), "uiterlijk": None,
            "toelichting": "verzonden registratie klopt niet meer met de feiten en kan niet "
                           "worden ingetrokken: corrigeer bij de partner",
            "kenmerken": {"regel": "niet-intrekbaar", "topic": topic,
                          "bericht_id": str(sent.get("message_id") or "")},
            "ingetrokken_signaal_id": None}


def signaal(case_ref: str, s: dict[str, Any], produced_at: datetime | None = None
            ) -> tuple[str, dict[str, Any]]:
    """The Signaal record of a view signal (``produced_at``: the sweep's moment; a signal the
    facts imply is stamped with the start of its ``vastgesteld_op``)."""
    ident = _id(f"signaal:{s['id']}")
    day = date.fromisoformat(s["vastgesteld_op"])
    return ident, {
        "message_id": ident, "case_ref": case_ref, "source": SOURCE,
        "produced_at": produced_at or _at(day),
        "signaal_type": s["type"], "gemeentecode": s["gemeentecode"], "regel": s["regel"],
        "vastgesteld_op": day,
        "uiterlijk": date.fromisoformat(s["uiterlijk"]) if s.get("uiterlijk") else None,
        "toelichting": s["toelichting"], "kenmerken": s["kenmerken"],
        "ingetrokken_signaal_id": None}


def _item(ident: str, topic: str, record: dict[str, Any], effect: str | None = None
          ) -> dict[str, Any]:
    return {"id": ident, "topic": topic, "record": record, "effect": effect or ident}


def _id(text: str) -> str:
    return str(uuid.uuid5(HUB_IDS, text))


def _at(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)
