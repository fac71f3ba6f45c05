"""The case page's content: what the console shows of one case, masked and scoped (R26).

Sections: ``fields`` (the view's plain values as label/value pairs), ``residences``,
``timeline`` (facts in the order the partners produced them, each with its readable fields),
``decisions`` (with reason code and R-id), ``signals``, ``effect_ledger`` (issue 15: what the hub
sent per effect and version, with its reason and whether the partner holds it now, as
``hub case effects`` shows it: ``hub.reconcile.effects.summaries``) and ``raw`` (view and facts as
JSON, for the toggle).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from hub.console.auth import User
from hub.console.masking import masked
from hub.console.scope import case_visible, fact_visible, scoped_view, visible_periods
from hub.reconcile.effects import summaries
from hub.store import Store

_SKIP = {"message_id", "case_ref", "bron_versie"}


@dataclass(frozen=True)
class Loaded:
    """A case as the store holds it (unmasked: never sent as it is)."""

    case_ref: str
    view: dict[str, Any] | None
    facts: list[dict[str, Any]]
    ledger: list[dict[str, Any]] | None


def load(store: Store, ref: str) -> Loaded:
    """The case's view, facts and (when the store has one) effect ledger."""
    facts = [{"message_id": f.message_id, "kind": f.kind, "source_topic": f.source_topic,
              "source_partition": f.source_partition, "source_offset": f.source_offset,
              "record": f.record} for f in store.facts_for(ref)]
    return Loaded(ref, store.case_view(ref), facts, summaries(store.effects(ref)))


def allowed(user: User, found: Loaded) -> bool:
    """Whether the user may open this case at all."""
    return case_visible(user, found.view)


def scoped_raw(user: User, found: Loaded) -> tuple[dict[str, Any] | None, list[dict[str, Any]]]:
    """View and facts cut to the user's periods (still unmasked)."""
    if not user.scoped or found.view is None:
        return found.view, found.facts
    shown = visible_periods(user, found.view)
    return (scoped_view(user, found.view),
            [f for f in found.facts if fact_visible(user, f["record"], shown)])


def label(name: str) -> str:
    """``plicht_voldaan_op`` -> ``Plicht voldaan op``."""
    text = name.replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def readable(record: Mapping[str, Any]) -> list[dict[str, Any]]:
    """A record's scalar fields (nested records flattened one level) as label/value pairs."""
    out: list[dict[str, Any]] = []
    for key, value in record.items():
        if key in _SKIP or value is None:
            continue
        if isinstance(value, Mapping) and "masked" not in value:
            out += [{"label": f"{label(key)} · {label(k)}", "value": v}
                    for k, v in value.items() if not isinstance(v, Mapping | list)]
        elif isinstance(value, list):
            out.append({"label": label(key), "value": f"{len(value)} item(s)"})
        else:
            out.append({"label": label(key), "value": value})
    return out


def _when(fact: Mapping[str, Any]) -> str:
    record = fact.get("record") or {}
    return str(record.get("produced_at") or "")


def render(user: User, found: Loaded) -> dict[str, Any]:
    """Everything the page shows, masked and scoped."""
    view, facts = scoped_raw(user, found)
    view_m: dict[str, Any] = masked(view) or {}
    facts_m: list[dict[str, Any]] = masked(facts)
    timeline = sorted(({"at": _when(f), "kind": f["kind"].rsplit(".", 1)[-1],
                        "source": f"{f['source_topic']} [{f['source_partition']}] "
                                  f"@{f['source_offset']}",
                        "message_id": f["message_id"], "fields": readable(f["record"])}
                       for f in facts_m), key=lambda t: t["at"])
    scalars = {k: v for k, v in view_m.items() if not isinstance(v, Mapping | list)}
    ledger = None if found.ledger is None else masked(found.ledger)
    return {
        "case_ref": found.case_ref, "gemeenten": list(user.gemeenten),
        "hidden_facts": len(found.facts) - len(facts),
        "fields": readable(scalars),
        "residences": view_m.get("verblijf") or [],
        "budget": view_m.get("budget_toerekening") or [],
        "timeline": timeline,
        "decisions": view_m.get("beslissingen") or [],
        "signals": view_m.get("signalen") or [],
        "effect_ledger": {"provided": ledger is not None, "entries": ledger or []},
        "raw": {"view": view_m, "facts": facts_m}}
