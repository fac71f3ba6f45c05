"""Per-gemeente scoping (DOMAIN R26): what a user limited to gemeenten may see.

A user with ``gemeenten`` (``hub users add NAME --gemeente 0392,0393``) sees a case only when
its view's ``verblijf`` (the residence timeline, R15/R17) has a period in one of them, and of
that case only what belongs to those periods: facts the partner produced while the person
lived there (``produced_at`` inside a visible period; a fact without one stays hidden), and
view items that name a gemeente (decisions, signals, budget attribution, residences) only when
it is one of theirs. Everything keyed by a case (topic messages, dead letters, audit rows about
a case) follows the case; what names no case (an undecodable message, a dead letter without a
case reference, an audit row about a console account) is shown only to unscoped users.

A user without gemeenten sees everything. Refusals are audited by the callers
(``console.refused`` with ``reason: out of scope``).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import Engine, select

from hub.console.auth import User
from hub.store import models as m
from hub.store.engine import transaction

CHUNK = 500  # case refs per IN (...) query


@dataclass(frozen=True)
class Period:
    """One residence: gemeentecode from ``vanaf`` up to (not including) ``tot``; None is open."""

    gemeentecode: str
    vanaf: date | None
    tot: date | None

    def holds(self, day: date) -> bool:
        """Whether ``day`` falls in this period."""
        return (self.vanaf is None or day >= self.vanaf) and (self.tot is None or day < self.tot)


def _day(value: Any) -> date | None:
    if isinstance(value, datetime):
        return (value if value.tzinfo else value.replace(tzinfo=UTC)).date()
    if isinstance(value, date):
        return value
    if isinstance(value, str) and value:
        try:
            return date.fromisoformat(value[:10])
        except ValueError:
            return None
    return None


def periods(view: Mapping[str, Any] | None) -> list[Period]:
    """The residence periods of a case view (``verblijf``)."""
    rows = (view or {}).get("verblijf") or []
    return [Period(str(r.get("gemeentecode")), _day(r.get("vanaf")), _day(r.get("tot")))
            for r in rows if isinstance(r, Mapping) and r.get("gemeentecode")]


def visible_periods(user: User, view: Mapping[str, Any] | None) -> list[Period]:
    """The case's periods this user may see (all of them for an unscoped user)."""
    found = periods(view)
    return found if not user.scoped else [p for p in found if p.gemeentecode in user.gemeenten]


def case_visible(user: User, view: Mapping[str, Any] | None) -> bool:
    """Whether the user may see this case at all."""
    return not user.scoped or bool(visible_periods(user, view))


def fact_visible(user: User, record: Mapping[str, Any], shown: list[Period]) -> bool:
    """Whether a fact of a visible case belongs to one of the user's periods."""
    if not user.scoped:
        return True
    day = _day(record.get("produced_at"))
    return day is not None and any(p.holds(day) for p in shown)


def scoped_view(user: User, view: dict[str, Any]) -> dict[str, Any]:
    """The view with every list item that names another gemeente left out."""
    if not user.scoped:
        return view
    allowed = set(user.gemeenten)

    def keep(item: Any) -> bool:
        return not (isinstance(item, Mapping) and "gemeentecode" in item
                    and item["gemeentecode"] not in allowed)

    out = {k: [i for i in v if keep(i)] if isinstance(v, list) else v for k, v in view.items()}
    if out.get("gemeente") not in allowed:
        out["gemeente"] = None  # the case lives elsewhere now
    return out


def visible_refs(engine: Engine, user: User, refs: Iterable[str]) -> set[str]:
    """Those of ``refs`` whose case the user may see (every one for an unscoped user)."""
    wanted = sorted({r for r in refs if r})
    if not user.scoped:
        return set(wanted)
    found: set[str] = set()
    c = m.case_view.c
    with transaction(engine, write=False) as conn:
        for i in range(0, len(wanted), CHUNK):
            rows = conn.execute(select(c.case_ref, c.view)
                                .where(c.case_ref.in_(wanted[i:i + CHUNK]))).all()
            found |= {r.case_ref for r in rows if case_visible(user, r.view)}
    return found
