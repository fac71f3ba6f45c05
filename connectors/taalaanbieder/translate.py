"""School files -> hub records (pure: no I/O, no clock). Formats: FORMAT.md.

``translate_file`` picks the format by file name and returns every record of the file, or
raises ``FileRefused`` naming the rule or line that failed: a file is taken whole or not at all,
so the school corrects and resends it (deterministic message ids make a resend safe).
"""

from __future__ import annotations

import hashlib
import re
from datetime import date, datetime
from typing import Any

import topics
from connectors.edge import BsnSealer, Routed
from connectors.taalaanbieder import csvformat as c
from connectors.taalaanbieder.invoice import factuur
from connectors.ubl import InvoiceRejected, parse_invoice
from hub.errors import FileRefused, InvalidField
from hub.privacy import redact
from hub.versions import bron_versie

SOURCE = "taalaanbieder"
DUO_NAME = re.compile(r"^(?P<bow>[0-9A-Za-z]{1,20})Aanlevering(?P<day>\d{8})\.csv$")
PRESENTIE_NAME = re.compile(r"^presentie_[0-9A-Za-z_-]+\.csv$", re.IGNORECASE)
BEVESTIGING_NAME = re.compile(r"^bevestiging_[0-9A-Za-z_-]+\.csv$", re.IGNORECASE)
NAME_DATE = re.compile(r"^(?:presentie|bevestiging)_(?P<date>\d{6}(?:\d{2})?)", re.IGNORECASE)
UBL_NAME = re.compile(r"^[0-9A-Za-z_.-]+\.xml$", re.IGNORECASE)
LEERROUTES = ("B1", "ONDERWIJS", "Z")
STATUSES = ("GEACCEPTEERD", "AFGEWEZEN")
DUO_HEADER = ("BSN", "Cursustype", "Begindatum", "Einddatum", "UrenIngekocht", "UrenGevolgd",
              "UrenONA")
PRESENTIE_HEADER = ("zaakreferentie", "contract_id", "leerroute", "periode_begin",
                    "periode_eind", "uren_aangeboden", "uren_taal", "uren_knm",
                    "uren_participatie", "uren_ona", "verzuim_geoorloofd",
                    "verzuim_ongeoorloofd")
BEVESTIGING_HEADER = ("aanmelding_id", "zaakreferentie", "status", "startdatum", "reden",
                      "bevestigd_op")


def translate_file(name: str, data: bytes, *, school: str, sealer: BsnSealer,
                   received_at: datetime) -> list[Routed]:
    """Every record of one dropped file; ``FileRefused`` when any part of it is refused."""
    try:
        if match := DUO_NAME.match(name):
            if match["bow"] != school:
                raise FileRefused(name, "DUO-BOW", f"BOW-nummer {match['bow']!r} in the file "
                                  f"name is not this school's folder {school!r}")
            day = c.parse_date(f"{match['day'][:4]}-{match['day'][4:6]}-{match['day'][6:]}",
                               "file name date")
            return duo_csv(data, school=school, name=name, day=day, sealer=sealer,
                           received_at=received_at)
        if PRESENTIE_NAME.match(name):
            return presentie_csv(data, school=school, name=name, received_at=received_at)
        if BEVESTIGING_NAME.match(name):
            return bevestiging_csv(data, school=school, name=name, received_at=received_at)
        if UBL_NAME.match(name):
            invoice = parse_invoice(data, source=name)
            return [Routed(topics.TAALAANBIEDER_FACTUUR,
                           factuur(invoice, source=SOURCE, received_at=received_at))]
    except InvoiceRejected as exc:
        raise FileRefused(name, exc.rule, exc.detail) from exc
    except InvalidField as exc:
        raise FileRefused(name, "FORMAT", str(exc)) from exc
    raise FileRefused(name, "FILE-NAME", "unknown file name: expected <BOW>Aanlevering"
                      "<yyyymmdd>.csv, presentie_*.csv, bevestiging_*.csv or *.xml")


def message_id(kind: str, school: str, *parts: object) -> str:
    """Deterministic id from the content, so a resent file is deduplicated by the inbox."""
    text = "|".join([school, *map(str, parts)])
    return f"taal:{kind}:{hashlib.sha256(text.encode()).hexdigest()[:32]}"


def _header(case_ref: str, mid: str, received_at: datetime) -> dict[str, Any]:
    return {"message_id": mid, "case_ref": case_ref, "source": SOURCE, "produced_at": received_at}


def name_date(name: str) -> date | None:
    """The document date a presentie or bevestiging file name carries (``presentie_20240331…``
    or ``presentie_202403…``: the first of that month), else None (R21 version order)."""
    match = NAME_DATE.match(name)
    if match is None:
        return None
    digits = match["date"]
    try:
        return date(int(digits[:4]), int(digits[4:6]), int(digits[6:8] or 1))
    except ValueError:
        return None


def _report_version(school: str, ref: str, begin: date, end: date, name: str,
                    day: date | None) -> dict[str, Any]:
    """R21: one school report per case and period; a later document (date, then file name)
    replaces an earlier one."""
    return bron_versie(f"taalaanbieder:{school}:voortgang:{ref}:{begin}:{end}", tijdstip=day,
                       document=name)


def duo_csv(data: bytes, *, school: str, name: str, day: date, sealer: BsnSealer,
            received_at: datetime) -> list[Routed]:
    """DUO monthly school CSV: cumulative hours per person and course since its start."""
    out = []
    for line, row in c.rows(data, DUO_HEADER, name=name):
        try:
            ref = sealer.case_ref(row["BSN"])
        except InvalidField:
            raise InvalidField(f"line {line} BSN", "not a valid BSN (R20 eleven-test)") from None
        begin = c.parse_date(row["Begindatum"], f"line {line} Begindatum")
        end = c.optional_date(row["Einddatum"], f"line {line} Einddatum")
        if not row["Cursustype"]:
            raise InvalidField(f"line {line} Cursustype", "is empty")
        if begin > day or (end is not None and end < begin):
            raise InvalidField(f"line {line} Begindatum", "after the file date or the Einddatum")
        values = {k: c.minutes(row[k], f"line {line} {k}")
                  for k in ("UrenIngekocht", "UrenGevolgd", "UrenONA")}
        leerroute = row["Cursustype"].upper()
        record = {
            **_header(ref, message_id("duo", school, ref, *list(row.values())[1:], day),
                      received_at),
            "taalaanbieder": school, "contract_id": None,
            "leerroute": leerroute if leerroute in LEERROUTES else None,
            "periode_begindatum": begin,
            "periode_einddatum": min(end, day) if end else day,
            "minuten_aangeboden": 0, "minuten_gevolgd_taal": values["UrenGevolgd"],
            "minuten_gevolgd_knm": 0, "minuten_gevolgd_participatie": 0,
            "minuten_gevolgd_ona": values["UrenONA"], "minuten_verzuim_geoorloofd": 0,
            "minuten_verzuim_ongeoorloofd": 0, "toetsresultaten": [],
            "minuten_ingekocht": values["UrenIngekocht"], "cumulatief": True, "bestand": name,
            "bron_versie": _report_version(school, ref, begin, min(end, day) if end else day,
                                           name, day),
        }
        out.append(Routed(topics.VOORTGANG, record))
    return out


def presentie_csv(data: bytes, *, school: str, name: str, received_at: datetime
                  ) -> list[Routed]:
    """Weekly presentie CSV: hours in one period per case reference."""
    out = []
    for line, row in c.rows(data, PRESENTIE_HEADER, name=name):
        at = f"line {line} "
        ref = c.case_reference(row["zaakreferentie"], at + "zaakreferentie")
        begin = c.parse_date(row["periode_begin"], at + "periode_begin")
        end = c.parse_date(row["periode_eind"], at + "periode_eind")
        if end < begin:
            raise InvalidField(at + "periode_eind", "before periode_begin")
        m = {k: c.minutes(row[k], at + k) for k in PRESENTIE_HEADER[5:]}
        record = {
            **_header(ref, message_id("presentie", school, *row.values()), received_at),
            "taalaanbieder": school, "contract_id": row["contract_id"] or None,
            "leerroute": c.choice(row["leerroute"], LEERROUTES, at + "leerroute", empty=True),
            "periode_begindatum": begin, "periode_einddatum": end,
            "minuten_aangeboden": m["uren_aangeboden"], "minuten_gevolgd_taal": m["uren_taal"],
            "minuten_gevolgd_knm": m["uren_knm"],
            "minuten_gevolgd_participatie": m["uren_participatie"],
            "minuten_gevolgd_ona": m["uren_ona"],
            "minuten_verzuim_geoorloofd": m["verzuim_geoorloofd"],
            "minuten_verzuim_ongeoorloofd": m["verzuim_ongeoorloofd"], "toetsresultaten": [],
            "minuten_ingekocht": None, "cumulatief": False, "bestand": name,
            "bron_versie": _report_version(school, ref, begin, end, name, name_date(name)),
        }
        out.append(Routed(topics.VOORTGANG, record))
    return out


def bevestiging_csv(data: bytes, *, school: str, name: str, received_at: datetime
                    ) -> list[Routed]:
    """The school's answers to aanmeldingen."""
    out = []
    for line, row in c.rows(data, BEVESTIGING_HEADER, name=name):
        at = f"line {line} "
        if not row["aanmelding_id"]:
            raise InvalidField(at + "aanmelding_id", "is empty")
        status = c.choice(row["status"], STATUSES, at + "status")
        start = c.optional_date(row["startdatum"], at + "startdatum")
        if status == "GEACCEPTEERD" and start is None:
            raise InvalidField(at + "startdatum", "is required when GEACCEPTEERD")
        if status == "AFGEWEZEN" and not row["reden"]:
            raise InvalidField(at + "reden", "is required when AFGEWEZEN")
        record = {
            **_header(c.case_reference(row["zaakreferentie"], at + "zaakreferentie"),
                      message_id("bevestiging", school, *row.values()), received_at),
            "aanmelding_message_id": row["aanmelding_id"], "taalaanbieder": school,
            "status": status, "startdatum": start, "reden": redact(row["reden"])[:500] or None,
            "bevestigd_op": c.parse_date(row["bevestigd_op"], at + "bevestigd_op"),
        }
        record["bron_versie"] = bron_versie(  # R21: the answer to one aanmelding, by its date
            f"taalaanbieder:{school}:bevestiging:{row['aanmelding_id']}",
            tijdstip=record["bevestigd_op"], document=name)
        out.append(Routed(topics.AANMELDING_BEVESTIGING, record))
    return out
