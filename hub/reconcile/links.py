"""Facts a message implies for other keys, and which keys a projection reads besides its own.

* An invoice is recorded under its own key (supplier and number, ``FA…``); its lines name the
  cases (``case_ref`` per line). So that a case's projection sees every line billed for it, each
  invoice also becomes one ``FactuurVoorCase`` fact per case with just that case's lines.
* A household (R12: the household id of the ontzorgen decision) spans several cases. Every
  message naming a household and a case (an ISAM ontzorgen decision, a Kredietbank EINDE
  mutatie, a Kredietbank invoice line) also becomes a ``HuishoudenLid`` fact under the
  household's key (``HH…``): the household's member list, built from facts alone.
* ``linked`` says which keys a projection reads besides its own: a case reads its households,
  a household its members. The store reads two hops (a case, its households, their members), so
  a case's view decides its Kredietbank fees knowing every member's grants and fees, whatever
  the arrival order. Links are symmetric (both sides come from the same messages), so a new
  fact under any key re-projects every view that reads it.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence

from hub.reconcile.model import FACTUUR_VOOR_CASE, KIND
from hub.records import Fact, InboundMessage

FACTUUR = KIND + "Factuur"
ONTZORGEN_BESLUIT = KIND + "OntzorgenBesluit"
ONTZORGEN_EINDE = KIND + "OntzorgenEinde"
HUISHOUDEN_LID = KIND + "HuishoudenLid"
"""Derived fact under a household key: ``{"huishouden_id", "lid", "bron"}``."""
HOUSEHOLD_PREFIX = "HH"
KREDIETBANK = "kredietbank"


def household_key(huishouden_id: str) -> str:
    """``HH`` + 30 upper-case hex of SHA-256 over the household id: the household's view key."""
    return HOUSEHOLD_PREFIX + hashlib.sha256(huishouden_id.encode()).hexdigest()[:30].upper()


def derived(message: InboundMessage) -> Sequence[InboundMessage]:
    """``FactuurVoorCase`` per case an invoice names, ``HuishoudenLid`` per household and case
    a message names; nothing for other kinds."""
    if message.kind == FACTUUR:
        return [*_per_case(message), *_members(message, _invoice_households(message.record))]
    if message.kind in (ONTZORGEN_BESLUIT, ONTZORGEN_EINDE) and message.case_ref.startswith("CR"):
        return _members(message, [(str(message.record["huishouden_id"]), message.case_ref)])
    return ()


def linked(key: str, facts: Sequence[Fact]) -> list[str]:
    """The keys whose facts the projection of ``key`` also reads (one hop), sorted."""
    if key.startswith(HOUSEHOLD_PREFIX):
        return sorted({str(f.record["lid"]) for f in facts if f.kind == HUISHOUDEN_LID})
    out: set[str] = set()
    for f in facts:
        if f.case_ref != key:
            continue
        if f.kind in (ONTZORGEN_BESLUIT, ONTZORGEN_EINDE):
            out.add(household_key(str(f.record["huishouden_id"])))
        elif f.kind == FACTUUR_VOOR_CASE:
            out.update(household_key(hh) for hh, _ in _invoice_households(f.record))
    return sorted(out)


def _per_case(message: InboundMessage) -> list[InboundMessage]:
    per_case: dict[str, list[dict[str, object]]] = {}
    for line in message.record["regels"]:
        if line.get("case_ref"):
            per_case.setdefault(str(line["case_ref"]), []).append(line)
    return [
        InboundMessage(
            topic=message.topic, partition=message.partition, offset=message.offset,
            message_id=f"{message.message_id}@{case_ref}", case_ref=case_ref,
            kind=FACTUUR_VOOR_CASE,
            record={**message.record, "regels": lines, "factuur_message_id": message.message_id,
                    "factuur_key": message.case_ref},
        )
        for case_ref, lines in sorted(per_case.items())
    ]


def _invoice_households(record: dict[str, object]) -> list[tuple[str, str]]:
    """(household, case) of each Kredietbank line naming both (BT-132 and BT-128, R12)."""
    if record.get("source") != KREDIETBANK:
        return []  # a school's BT-132 is the aanmelding id, not a household
    lines = record.get("regels") or []
    assert isinstance(lines, list)
    return sorted({(str(line["koper_referentie"]), str(line["case_ref"])) for line in lines
                   if line.get("koper_referentie") and line.get("case_ref")})


def _members(message: InboundMessage, pairs: Sequence[tuple[str, str]]) -> list[InboundMessage]:
    out = []
    for huishouden, case_ref in pairs:
        key = household_key(huishouden)
        out.append(InboundMessage(
            topic=message.topic, partition=message.partition, offset=message.offset,
            message_id=f"{message.message_id}@{key}/{case_ref}", case_ref=key,
            kind=HUISHOUDEN_LID,
            record={"message_id": f"{message.message_id}@{key}/{case_ref}", "case_ref": key,
                    "source": "hub", "huishouden_id": huishouden, "lid": case_ref,
                    "bron": message.message_id}))
    return out
