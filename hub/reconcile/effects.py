"""The effect ledger and its diff (ARCHITECTURE §2.3): side effects follow the final truth.

An *effect* is something a partner holds because of the hub, under one key per case:

- ``boeking:<document id>:<regel>``: the booking of an approved invoice line (its amount);
- ``signaal:<signal id>``: a signal ISAM shows the consulent;
- ``uitgaand:<resource>``: a registration (PIP/PVT/MAP to DUO, aanmelding leerroute, ontzorgen
  aanmelding).

``implied`` reads what a view implies; ``plan`` compares it with the ledger (every version sent
under each key) and returns the new ledger entries, each one message to send:

- a booking for a newly approved line; a reversal (``TEGENBOEKING``: minus the booked amount,
  ``tegenboeking_van`` the booked kenmerk) when the line is no longer approved or its booking
  changed, then the corrected booking where one is due (``vervangt``: the kenmerk it replaces,
  so what was paid on the line counts for it);
- a signal the view implies; a withdrawal (``INTREKKING``, ``ingetrokken_signaal_id``) of a live
  signal the view no longer implies (or whose content changed, then the new version);
- a registration; a correction (``CORRECTIE``) of a correctable one that changed; an ontzorgen
  aanmelding no longer implied is withdrawn by an afmelding; a change a partner cannot take
  (``NIET_INTREKBAAR``) raises an operator signal (``SIGNALERING``) instead.

Pure: ``now`` is passed in (a booking is dated when it is made). Every entry's ``effect_id`` is
derived from the case, key, version and content, so a retried transaction plans the same ids.
"""

from __future__ import annotations

import hashlib
import json
import uuid
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypedDict

import topics
from hub.reconcile import outbound as ob

BOEKING, TEGENBOEKING = "BOEKING", "TEGENBOEKING"
SIGNAAL, INTREKKING = "SIGNAAL", "INTREKKING"
REGISTRATIE, CORRECTIE, AFMELDING, SIGNALERING = ("REGISTRATIE", "CORRECTIE", "AFMELDING",
                                                  "SIGNALERING")
# Registrations a partner contract cannot withdraw (FORMAT.md of duo, taalaanbieder, kredietbank):
# a change after sending is sent as a newer version (a correction), but one the view no longer
# implies at all stays with the partner, and an operator signal says so.
NIET_INTREKBAAR = frozenset({topics.HUB_PIP_VASTGESTELD, topics.HUB_PVT_VOLDAAN,
                             topics.HUB_MAP_VOLDAAN, topics.AANMELDING_LEERROUTE,
                             topics.HUB_ONTZORGEN_EINDE})
VERVALLEN = "vervallen (R21)"  # the fact that implied it is gone (corrected away)
GONE = "-"  # digest of a registration the partner keeps though the view no longer implies it


class Entry(TypedDict):
    """One ledger entry: one version of an effect, and the one message that sent it."""

    effect_key: str
    seq: int
    effect_id: str
    soort: str
    topic: str
    live: bool  # whether the partner holds the effect after this message
    bedrag_cent: int | None  # bookings: this message's amount (negative for a reversal)
    digest: str  # what the effect says (empty after a reversal or withdrawal)
    reden: str  # why: the decision's reason code, the signal's R-id, the registration
    record: dict[str, Any]


@dataclass(frozen=True)
class Implied:
    """What the view implies under one key."""

    key: str
    soort: str  # BOEKING, SIGNAAL or REGISTRATIE
    topic: str
    record: dict[str, Any]
    digest: str
    reden: str


def implied(case_ref: str, view: Mapping[str, Any], now: datetime) -> dict[str, Implied]:
    """Every effect ``view`` implies, by key."""
    out: dict[str, Implied] = {}
    for d in view.get("beslissingen") or ():
        if ob.bookable(d):
            record = ob.booking_record(case_ref, d, now)
            key = booking_key(d)
            out[key] = Implied(key, BOEKING, topics.BOEKING, record,
                               digest(record, ob.BOOKING_CONTENT), str(d["reden"]))
    for s in view.get("signalen") or ():
        _, record = ob.signaal(case_ref, s)
        key = f"signaal:{s['id']}"
        out[key] = Implied(key, SIGNAAL, topics.SIGNAAL, record,
                           digest(record, ob.SIGNAL_CONTENT), str(s["regel"]))
    for item in view.get("uitgaand") or ():
        key = f"uitgaand:{item.get('effect') or item['id']}"
        record = {**item["record"], "message_id": item["record"].get("message_id", item["id"])}
        out[key] = Implied(key, REGISTRATIE, str(item["topic"]), record,
                           digest({k: v for k, v in record.items() if k != "message_id"}),
                           str(item["topic"]))
    return out


def booking_key(decision: Mapping[str, Any]) -> str:
    """The effect key of a line's booking: the source document's identity and the line."""
    return f"boeking:{decision['factuur_message_id']}:{decision['regelnummer']}"


def reasons(view: Mapping[str, Any]) -> dict[str, str]:
    """Per booking key the line's current reason code (also for lines no longer approved)."""
    return {booking_key(d): str(d["reden"]) for d in view.get("beslissingen") or ()
            if "factuur_message_id" in d and "regelnummer" in d}


def current(ledger: Iterable[Mapping[str, Any]]) -> dict[str, Mapping[str, Any]]:
    """The latest entry per effect key."""
    last: dict[str, Mapping[str, Any]] = {}
    for e in ledger:
        seen = last.get(str(e["effect_key"]))
        if seen is None or int(e["seq"]) > int(seen["seq"]):
            last[str(e["effect_key"])] = e
    return last


def plan(case_ref: str, view: Mapping[str, Any], ledger: Sequence[Mapping[str, Any]],
         now: datetime) -> list[Entry]:
    """The new ledger entries (in order) that bring the partners from ``ledger`` to ``view``."""
    wanted = implied(case_ref, view, now)
    latest = current(ledger)
    used = {str(e["effect_id"]) for e in ledger}
    why = reasons(view)
    out: list[Entry] = []
    for key in sorted(set(wanted) | set(latest)):
        imp, cur = wanted.get(key), latest.get(key)
        if cur is not None and imp is not None and cur["digest"] == imp.digest:
            continue
        if imp is None and (cur is None or not cur["live"] or cur["digest"] == GONE):
            continue  # nothing implied, and nothing (more) to withdraw
        step = _Step(case_ref, key, int(cur["seq"]) if cur else 0, used, now)
        soort = imp.soort if imp else _kind(cur)
        if soort == BOEKING:
            out += step.booking(cur, imp, why.get(key, VERVALLEN))
        elif soort == SIGNAAL:
            out += step.signal(cur, imp)
        else:
            out += step.registration(cur, imp)
        used.update(e["effect_id"] for e in out)
    return out


def _kind(entry: Mapping[str, Any] | None) -> str:
    key = str(entry["effect_key"]) if entry else ""
    return BOEKING if key.startswith("boeking:") else SIGNAAL if key.startswith("signaal:") \
        else REGISTRATIE


@dataclass
class _Step:
    case_ref: str
    key: str
    seq: int
    used: set[str]
    now: datetime

    def entry(self, soort: str, topic: str, record: dict[str, Any], *, live: bool, content: str,
              reden: str, amount: int | None = None, ident: str | None = None) -> Entry:
        """The next version under this key; ``ident`` is kept when not used before."""
        self.seq += 1
        if ident is None or ident in self.used:
            ident = effect_id(self.case_ref, self.key, self.seq, content)
        self.used.add(ident)
        return Entry(effect_key=self.key, seq=self.seq, effect_id=ident, soort=soort,
                     topic=topic, live=live, bedrag_cent=amount, digest=content, reden=reden,
                     record={**record, "message_id": ident})

    def booking(self, cur: Mapping[str, Any] | None, imp: Implied | None, why: str
                ) -> list[Entry]:
        out = []
        replaces = None
        if cur is not None and cur["live"]:
            ident = effect_id(self.case_ref, self.key, self.seq + 1, "tegen:" + cur["effect_id"])
            record = ob.reversal_record(cur["record"], ob.kenmerk_of(ident), self.now)
            reden = why if imp is None else changed(cur["record"], imp.record)
            out.append(self.entry(TEGENBOEKING, topics.BOEKING, record, live=False, content="",
                                  reden=reden, amount=record["bedrag_cent"], ident=ident))
            replaces = str(cur["record"]["boekingskenmerk"])
        elif cur is not None:  # reversed earlier: what was paid on the line still counts
            replaces = cur["record"].get("tegenboeking_van") or None
        if imp is not None:
            ident = effect_id(self.case_ref, self.key, self.seq + 1, imp.digest)
            record = {**imp.record, "boekingskenmerk": ob.kenmerk_of(ident),
                      "vervangt": replaces}
            out.append(self.entry(BOEKING, topics.BOEKING, record, live=True, content=imp.digest,
                                  reden=imp.reden, amount=record["bedrag_cent"], ident=ident))
        return out

    def signal(self, cur: Mapping[str, Any] | None, imp: Implied | None) -> list[Entry]:
        out = []
        if cur is not None and cur["live"]:
            record = ob.withdrawal_record(cur["record"], str(cur["effect_id"]), self.now)
            reden = "vervangen" if imp is not None else "vervallen"
            out.append(self.entry(INTREKKING, topics.SIGNAAL, record, live=False, content="",
                                  reden=reden))
        if imp is not None:
            out.append(self.entry(SIGNAAL, topics.SIGNAAL, imp.record, live=True,
                                  content=imp.digest, reden=imp.reden,
                                  ident=str(imp.record["message_id"])))
        return out

    def registration(self, cur: Mapping[str, Any] | None, imp: Implied | None) -> list[Entry]:
        if imp is not None:  # new, sent again after a withdrawal, or corrected
            soort = CORRECTIE if cur is not None and cur["live"] else REGISTRATIE
            return [self.entry(soort, imp.topic, imp.record, live=True, content=imp.digest,
                               reden=imp.reden, ident=str(imp.record["message_id"]))]
        assert cur is not None  # plan() never asks about an effect nobody implied or sent
        topic = str(cur["topic"])
        if topic == topics.ONTZORGEN_AANMELDING:  # the Kredietbank takes an afmelding
            record = ob.afmelding_record(cur["record"], self.now)
            return [self.entry(AFMELDING, topics.HUB_ONTZORGEN_EINDE, record, live=False,
                               content="", reden="niet meer toegekend (R11)")]
        record = ob.operator_signal(self.case_ref, cur["record"], topic, self.now)
        return [self.entry(SIGNALERING, topics.SIGNAAL, record, live=True, content=GONE,
                           reden="niet-intrekbaar")]


def changed(booked: Mapping[str, Any], now: Mapping[str, Any]) -> str:
    """Why a standing booking is corrected: which of its fields the view changed."""
    fields = [f for f in ob.BOOKING_CONTENT if booked.get(f) != now.get(f)]
    return "gewijzigd: " + ", ".join(fields or ["inhoud"])


def effect_id(case_ref: str, key: str, seq: int, content: str) -> str:
    """The stable id of one effect version."""
    return str(uuid.uuid5(ob.HUB_IDS, f"effect:{case_ref}:{key}:{seq}:{content}"))


def digest(record: Mapping[str, Any], fields: Sequence[str] | None = None) -> str:
    """A short hash of what a record says (``fields`` only, when given)."""
    chosen = {k: record.get(k) for k in fields} if fields is not None else dict(record)
    text = json.dumps(chosen, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def net(entries: Iterable[Mapping[str, Any]]) -> dict[str, Any]:
    """What the partners hold after ``entries``: the booked sum per line, the live signals, the
    current registrations (by key) and the registrations a partner keeps although no view implies
    them any more (each raised as an operator signal). The ledger's statement of principle 3."""
    bookings: dict[str, int] = {}
    for e in entries:
        if e["soort"] in (BOEKING, TEGENBOEKING):
            bookings[str(e["effect_key"])] = bookings.get(str(e["effect_key"]), 0) \
                + int(e["bedrag_cent"] or 0)
    latest = current(entries)
    return {"boekingen": {k: v for k, v in sorted(bookings.items()) if v},
            "signalen": sorted(k for k, e in latest.items()
                               if k.startswith("signaal:") and e["live"]),
            "registraties": {k: e["digest"] for k, e in sorted(latest.items())
                             if k.startswith("uitgaand:") and e["live"] and e["digest"] != GONE},
            # sent, not withdrawable, no longer implied: an operator signal said so
            "niet_intrekbaar": sorted(k for k, e in latest.items() if e["digest"] == GONE)}


WITHDRAWALS = frozenset({TEGENBOEKING, INTREKKING, AFMELDING})


def summaries(entries: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """A case's ledger as operators read it (``hub case effects``, the console's case lookup):
    per effect, in version order, what was sent, why, and whether the partner holds it now
    (``geldt``), it was replaced or withdrawn later (``vervallen``), or it is itself a reversal,
    withdrawal or afmelding (``intrekking``)."""
    latest = current(entries)
    out = []
    for e in sorted(entries, key=lambda e: (str(e["effect_key"]), int(e["seq"]))):
        last = latest[str(e["effect_key"])]
        if e["soort"] in WITHDRAWALS:
            staat = "intrekking"
        elif e["live"] and last["seq"] == e["seq"]:
            staat = "geldt"
        else:
            staat = "vervallen"
        out.append(summary(e, staat))
    return out


def summary(entry: Mapping[str, Any], staat: str) -> dict[str, Any]:
    """One ledger entry: what was sent, why, and its ``staat`` (``summaries``)."""
    record = entry.get("record") or {}
    what = record.get("boekingskenmerk") or record.get("signaal_type") or ""
    refers = record.get("tegenboeking_van") or record.get("ingetrokken_signaal_id") or \
        record.get("vervangt") or None
    created = entry.get("created_at")
    return {"seq": entry["seq"], "effect": entry["effect_key"], "soort": entry["soort"],
            "bericht_id": entry["effect_id"], "topic": entry["topic"], "kenmerk": what,
            "verwijst_naar": refers, "bedrag_cent": entry.get("bedrag_cent"),
            "reden": entry["reden"], "staat": staat,
            "verzonden_op": created.isoformat() if isinstance(created, datetime) else created}
