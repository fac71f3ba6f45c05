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
from hub.reconcile.facts import CaseFacts, iso

SOURCE = "hub"
# Same namespace as the Kredietbank connector's relay: an aanmelding derived by either has one id.
ONTZORGEN_IDS = uuid.UUID("8a3f2c1d-7e6b-5a4c-9d8e-1f2a3b4c5d6e")
HUB_IDS = uuid.UUID("2f0b6d4e-93a1-4c57-8e2d-6a1b7c9d0e3f")
INGEKOCHTE_UREN = {"B1": 600, "Z": 1600, "ONDERWIJS": 1200, "ONBEKEND": 0}


def registrations(case_ref: str, cf: CaseFacts) -> list[dict[str, Any]]:
    """Outbound records the facts call for, as ``{"id", "topic", "record"}``, sorted by id."""
    out = []
    for topic, kind, what in ((topics.HUB_PIP_VASTGESTELD, k.PIP, "pip"),
                              (topics.HUB_PVT_VOLDAAN, k.PVT, "pvt"),
                              (topics.HUB_MAP_VOLDAAN, k.MAP, "map")):
        for mid, record in cf.with_ids(kind):
            if record.get("source") == SOURCE:
                continue
            ident = _id(f"{what}:{mid}")
            out.append(_item(ident, topic, {**record, "message_id": ident, "source": SOURCE}))
    out += _aanmeldingen(case_ref, cf)
    out += _ontzorgen(cf)
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


def _ontzorgen(cf: CaseFacts) -> list[dict[str, Any]]:
    """Message 13 (R11): a granted decision registers, an ending one deregisters."""
    out = []
    for mid, b in cf.with_ids(k.ONTZORGEN_BESLUIT):
        ident = str(uuid.uuid5(ONTZORGEN_IDS, f"hub:ontzorgen:{mid}"))
        base = {"message_id": ident, "case_ref": b["case_ref"], "source": SOURCE,
                "produced_at": b["produced_at"], "huishouden_id": b["huishouden_id"]}
        if b["besluit"] == "TOEGEKEND" and b.get("ontzorgen_startdatum"):
            out.append(_item(ident, topics.ONTZORGEN_AANMELDING, {
                **base, "bsn": b["bsn"], "gemeentecode": b["gemeentecode"],
                "huishouden_aantal_personen": b["huishouden_aantal_personen"],
                "bijstand_startdatum": b["bijstand_startdatum"] or b["ontzorgen_startdatum"],
                "ontzorgen_startdatum": b["ontzorgen_startdatum"],
                "ontzorgen_einddatum": b["ontzorgen_einddatum"] or b["ontzorgen_startdatum"],
                "vrijwillig": b["vrijwillig"], "machtiging_kenmerk": b["machtiging_kenmerk"] or "",
                "machtiging_datum": b["machtiging_datum"] or b["besluitdatum"],
                "crediteuren": b["crediteuren"]}))
        elif b["besluit"] == "BEEINDIGD":
            out.append(_item(ident, topics.HUB_ONTZORGEN_EINDE, {
                **base, "einddatum": b.get("ontzorgen_einddatum") or b.get("bijstand_einddatum")
                or b["besluitdatum"], "reden": b.get("einde_reden") or "OVERIG",
                "toelichting": f"besluit {b['besluit_kenmerk']}"}))
    return out


def booking(case_ref: str, decision: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    """Message 16: the Boeking record of an approved invoice line (R17: its gemeente)."""
    kenmerk = "BK" + uuid.uuid5(HUB_IDS, f"boeking:{decision['factuur_key']}:"
                                f"{decision['regelnummer']}").hex[:16].upper()
    ident = _id(f"boeking:{kenmerk}")
    day = date.fromisoformat(decision["dienstdatum"])
    return ident, {
        "message_id": ident, "case_ref": case_ref, "source": SOURCE, "produced_at": _at(day),
        "boekingskenmerk": kenmerk, "factuurnummer": decision["factuurnummer"],
        "leverancier_id": decision["leverancier_id"], "gemeentecode": decision["gemeentecode"],
        "kostenplaats": decision.get("kostenplaats") or "", "kostensoort":
        decision.get("kostensoort") or "", "bedrag_cent": int(decision["goedgekeurd_cent"]),
        "begrotingsjaar": int(decision["begrotingsjaar"]), "boekingsdatum": day,
        "verplichting_kenmerk": None,
        "omschrijving": f"factuur {decision['factuurnummer']} regel {decision['regelnummer']}",
        "iban_begunstigde": decision.get("iban_begunstigde"),
        "naam_begunstigde": decision.get("leverancier_naam")}


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
        "toelichting": s["toelichting"], "kenmerken": s["kenmerken"]}


def _item(ident: str, topic: str, record: dict[str, Any]) -> dict[str, Any]:
    return {"id": ident, "topic": topic, "record": record}


def _id(text: str) -> str:
    return str(uuid.uuid5(HUB_IDS, text))


def _at(day: date) -> datetime:
    return datetime.combine(day, time(), tzinfo=UTC)
