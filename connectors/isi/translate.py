"""Pure translation of ISI bulk-export rows (connectors/isi/FORMAT.md) into hub records.

No I/O and no clock: the caller passes ``received_at`` and a ``BsnSealer``. Every refusal is an
``InvalidField`` naming the field (never its value), so it can go straight to the rejects file.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from typing import Any

import topics
from connectors.edge import BsnSealer, Routed
from hub.errors import InvalidField
from hub.ids import content_id
from hub.privacy import normalise_bsn

SOURCE = "isi"
_AMOUNT = re.compile(r"^(\d{1,9})(?:[.,](\d{1,2}))?$")
_GEMEENTECODE = re.compile(r"^\d{4}$")
MAX_MEERKOSTEN_CENT = 100_000  # R22: meerkosten up to 1,000 EUR per person
MAX_BONUS_CENT = 25_000  # R22: success bonus / voucher up to 250 EUR
MAX_TEXT = 200


class _Row:
    """Typed access to one row's positional fields; errors name ``TYPE.field``."""

    def __init__(self, kind: str, names: Sequence[str], values: Sequence[str]) -> None:
        if len(values) != len(names):
            raise InvalidField(kind, f"expected {len(names) + 1} fields, got {len(values) + 1}")
        self.kind = kind
        self.values = dict(zip(names, (v.strip() for v in values), strict=True))

    def text(self, name: str) -> str:
        value = self.optional(name)
        if value is None:
            raise InvalidField(f"{self.kind}.{name}", "missing")
        return value

    def optional(self, name: str) -> str | None:
        value = self.values[name] or None
        if value is not None and len(value) > MAX_TEXT:
            raise InvalidField(f"{self.kind}.{name}", f"longer than {MAX_TEXT} characters")
        return value

    def bsn(self) -> str:
        return normalise_bsn(self.values["bsn"], field=f"{self.kind}.bsn")

    def day(self, name: str) -> date:
        return self._date(name, self.text(name))

    def optional_day(self, name: str) -> date | None:
        raw = self.optional(name)
        return None if raw is None else self._date(name, raw)

    def _date(self, name: str, raw: str) -> date:
        for layout in ("%Y-%m-%d", "%d-%m-%Y"):
            with contextlib.suppress(ValueError):
                return datetime.strptime(raw, layout).date()
        raise InvalidField(f"{self.kind}.{name}", "not a date (yyyy-mm-dd or dd-mm-yyyy)")

    def cents(self, name: str, *, limit: int | None = None, optional: bool = False) -> int:
        raw = self.optional(name) if optional else self.text(name)
        if raw is None:
            return 0
        match = _AMOUNT.match(raw)
        if match is None:
            raise InvalidField(f"{self.kind}.{name}", "not an amount in euros (e.g. 987,50)")
        cents = int(match[1]) * 100 + int((match[2] or "0").ljust(2, "0"))
        if limit is not None and cents > limit:
            raise InvalidField(f"{self.kind}.{name}", f"above the R22 limit of {limit // 100} EUR")
        return cents

    def code(self, name: str, allowed: Sequence[str]) -> str:
        value = self.text(name).upper()
        if value not in allowed:
            raise InvalidField(f"{self.kind}.{name}", f"not one of {', '.join(allowed)}")
        return value

    def gemeentecode(self) -> str:
        value = self.text("gemeentecode")
        if not _GEMEENTECODE.match(value):
            raise InvalidField(f"{self.kind}.gemeentecode", "not a 4-digit CBS gemeentecode")
        return value

    def integer(self, name: str) -> int | None:
        raw = self.optional(name)
        if raw is not None and not (raw.isascii() and raw.isdigit() and len(raw) <= 9):
            raise InvalidField(f"{self.kind}.{name}", "not a whole number (at most 9 digits)")
        return None if raw is None else int(raw)


REGIMES = ("WI2007", "WI2013")


def _persoon(r: _Row) -> dict[str, Any]:
    return {"v_nummer": r.optional("v_nummer"), "plicht_startdatum": r.day("plicht_startdatum"),
            "doelgroep": r.code("doelgroep", ("ASIELSTATUSHOUDER", "GEZINSMIGRANT",
                                              "OVERIGE_MIGRANT", "ONBEKEND")),
            "regime": r.code("regime", REGIMES)}


def _traject(r: _Row) -> dict[str, Any]:
    start, end = r.day("startdatum"), r.optional_day("einddatum")
    if end is not None and end < start:
        raise InvalidField("TRAJECT.einddatum", "before startdatum")
    return {"isi_traject_id": r.text("traject_id"), "regime": r.code("regime", REGIMES),
            "gemeentecode": r.gemeentecode(), "soort": r.text("soort").upper(),
            "aanbieder": r.text("aanbieder"), "aanbieder_kvk": r.optional("aanbieder_kvk"),
            "startdatum": start, "einddatum": end, "bedrag_cent": r.cents("bedrag"),
            "meerkosten_cent": r.cents("meerkosten", limit=MAX_MEERKOSTEN_CENT, optional=True),
            "status": r.code("status", ("LOPEND", "AFGEROND", "AFGEBROKEN"))}


def _examen(r: _Row) -> dict[str, Any]:
    return {"examen_id": r.text("examen_id"),
            "onderdeel": r.code("onderdeel", ("LEZEN", "LUISTEREN", "SCHRIJVEN", "SPREKEN",
                                              "KNM", "ONA")),
            "niveau": r.code("niveau", ("A1", "A2", "B1", "B2")),
            "examendatum": r.day("examendatum"),
            "uitslag": r.code("uitslag", ("GESLAAGD", "NIET_GESLAAGD", "NIET_VERSCHENEN")),
            "score": r.integer("score")}


def _pib_budget(r: _Row) -> dict[str, Any]:
    return {"pib_traject_id": r.text("pib_traject_id"), "gemeentecode": r.gemeentecode(),
            "toekenningsdatum": r.day("toekenningsdatum"),
            "scholingsbudget_cent": r.cents("scholingsbudget"),
            "meerkosten_cent": r.cents("meerkosten", limit=MAX_MEERKOSTEN_CENT, optional=True),
            "bonus_cent": r.cents("bonus", limit=MAX_BONUS_CENT, optional=True)}


def _voucher(r: _Row) -> dict[str, Any]:
    ontvanger = r.code("ontvanger", ("INBURGERAAR", "MAKELAAR_PROFESSIONAL",
                                     "MAKELAAR_VRIJWILLIGER"))
    vorm = r.code("vorm", ("VOUCHER", "GELD"))
    if vorm == "GELD" and ontvanger != "MAKELAAR_PROFESSIONAL":
        raise InvalidField("VOUCHER.vorm", "money only for a professional makelaar (R22)")
    status = r.code("status", ("GEKOCHT", "GEREGISTREERD", "IN_KLUIS", "UITGEREIKT",
                               "VERANTWOORD", "INGETROKKEN"))
    status_date, started = r.day("statusdatum"), r.optional_day("trajectstartdatum")
    if status in ("UITGEREIKT", "VERANTWOORD") and (started is None or started > status_date):
        raise InvalidField("VOUCHER.trajectstartdatum",
                           "a bonus is paid only once the traject has started (R22)")
    return {"pib_traject_id": r.text("pib_traject_id"), "voucher_id": r.text("voucher_id"),
            "gemeentecode": r.gemeentecode(), "ontvanger": ontvanger, "vorm": vorm,
            "waarde_cent": r.cents("waarde", limit=MAX_BONUS_CENT), "status": status,
            "statusdatum": status_date, "trajectstartdatum": started}


Layout = tuple[str, tuple[str, ...], Callable[[_Row], dict[str, Any]], bool]
LAYOUTS: dict[str, Layout] = {  # row type -> (topic, field names, body, has bsn field)
    "PERSOON": (topics.ISI_INBURGERINGSPLICHT_VASTGESTELD,
                ("bsn", "v_nummer", "regime", "doelgroep", "plicht_startdatum"), _persoon,
                True),
    "TRAJECT": (topics.ISI_TRAJECT,
                ("bsn", "traject_id", "regime", "gemeentecode", "soort", "aanbieder",
                 "aanbieder_kvk", "startdatum", "einddatum", "bedrag", "meerkosten", "status"),
                _traject, True),
    "EXAMEN": (topics.ISI_EXAMENRESULTAAT,
               ("bsn", "examen_id", "onderdeel", "niveau", "examendatum", "uitslag", "score"),
               _examen, True),
    "PIBBUDGET": (topics.ISI_PIB_BUDGET,
                  ("bsn", "pib_traject_id", "gemeentecode", "toekenningsdatum",
                   "scholingsbudget", "meerkosten", "bonus"), _pib_budget, True),
    "VOUCHER": (topics.ISI_PIB_VOUCHER,
                ("bsn", "pib_traject_id", "voucher_id", "gemeentecode", "ontvanger", "vorm",
                 "waarde", "status", "statusdatum", "trajectstartdatum"), _voucher, False),
}


def row_message_id(kind: str, case_ref: str, body: Mapping[str, Any]) -> str:
    """The id of a row: its type, the keyed case reference and what the row says, parsed
    (``hub.ids.content_id``). The same data imported again gets the same id, however it was
    written (``01-03-2009`` or ``2009-03-01``); a correction gets a new one (R21); without the
    case-reference key no id can be computed for a guessed BSN (FORMAT.md, "Message ids")."""
    return content_id(f"isi:{kind.lower()}", case_ref, body)


def translate_row(values: Sequence[str], *, sealer: BsnSealer, received_at: datetime) -> Routed:
    """One export row (row type first) -> the record and its topic; ``InvalidField`` if refused."""
    kind = (values[0] if values else "").strip().upper()
    if kind not in LAYOUTS:
        raise InvalidField("row_type", f"unknown row type (use {', '.join(LAYOUTS)})")
    topic, names, body, with_bsn = LAYOUTS[kind]
    row = _Row(kind, names, values[1:])
    bsn = row.bsn()
    ref, content = sealer.case_ref(bsn), body(row)
    record: dict[str, Any] = {"message_id": row_message_id(kind, ref, content), "case_ref": ref,
                              "source": SOURCE, "produced_at": received_at}
    if with_bsn:
        record["bsn"] = sealer.seal(bsn)
    record.update(content)
    return Routed(topic, record)
