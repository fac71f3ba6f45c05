"""DUO's side of the scenario: the changes DUO's service will hand out, in time order.

Written as ``duo/wijzigingen.xml``: one ``HaalWijzigingenResponse`` of the hub's DUO contract
(``connectors/duo/duo-inburgering-v1.xsd``) holding every change, numbered in time order. The
replay loads it into the DUO simulator, which pages it out to the DUO connector. A correction
(R21, kinds ``R21.correctie-*``) is a later change with the full corrected content that names
the change it corrects in ``Corrigeert`` (``connectors/duo/FORMAT.md``, "Corrections").
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from datetime import date, timedelta
from pathlib import Path
from xml.sax.saxutils import escape

from connectors.duo.simulator import fields_of
from connectors.duo.translate import DUO_NS
from hub.scenario.model import Case
from hub.scenario.streams import Appender, Feed

FILE = "duo/wijzigingen.xml"
AZC = ("AZC Ter Apel", "AZC Budel", "AZC Gilze", None)
CORRECTION_AFTER = timedelta(days=45)


class DuoWriter:
    """Collects a case's DUO changes into the time-ordered feed."""

    def __init__(self, out: Path, appender: Appender, seed: int, end: date) -> None:
        self.out, self.end = out, end
        self.feed = Feed(out / ".tmp" / "duo", appender)
        self.seed = seed
        self.written = 0

    def change(self, change_id: str, at: date, kind: str, **fields: object) -> None:
        """Queue one change; ``change_id`` is its stable WijzigingId."""
        self.queue(change_id, at, kind, fields)

    def queue(self, change_id: str, at: date, kind: str, fields: Mapping[str, object],
              corrigeert: str | None = None) -> None:
        """Queue one change, naming the change it corrects (R21) if any."""
        values = {k: _text(v) for k, v in fields.items() if v is not None}
        body: dict[str, object] = {"id": change_id, "kind": kind, "fields": values}
        if corrigeert:
            body["corrigeert"] = corrigeert
        self.feed.add(at, json.dumps(body, separators=(",", ":")))

    def corrected(self, change_id: str, at: date, kind: str, wrong: Mapping[str, object],
                  right: Mapping[str, object], **fields: object) -> None:
        """R21: the change as DUO first sent it (``wrong``), then, a month and a half later,
        its correction (``right``) naming it."""
        self.queue(change_id, at, kind, {**fields, **wrong})
        self.queue(f"{change_id}-C", min(at + CORRECTION_AFTER, self.end), kind,
                   {**fields, **right}, corrigeert=change_id)

    def add(self, c: Case) -> None:
        """Every change DUO knows about ``c`` (Wi2021: plicht; all: koppeling, exams, ...)."""
        n = iter(range(1000))
        ident = f"W{c.index:07d}"
        if c.regime == "WI2021":
            plicht = {"Bsn": c.bsn, "VNummer": f"{(c.index * 7919) % 10**10:010d}",
                      "PlichtStartdatum": c.plicht, "Regime": "Wi2021"}
            doelgroep = {"Doelgroep": c.doelgroep.lower()}
            if c.kind == "R21.correctie-doelgroep":
                self.corrected(f"{ident}-{next(n):03d}", c.plicht_told,
                               "InburgeringsplichtVastgesteld",
                               {"Doelgroep": "asielstatushouder"}, doelgroep, **plicht)
            else:
                self.change(f"{ident}-{next(n):03d}", c.plicht_told,
                            "InburgeringsplichtVastgesteld", **plicht, **doelgroep)
        if c.koppeling is not None:
            self.change(f"{ident}-{next(n):03d}", c.koppeling, "KoppelingGemeente", Bsn=c.bsn,
                        Gemeentecode=c.gemeente, Koppeldatum=c.koppeling,
                        Azc=AZC[c.index % len(AZC)] if c.doelgroep == "ASIELSTATUSHOUDER"
                        else None)
        if c.lbt is not None:
            self.change(f"{ident}-{next(n):03d}", c.lbt, "LbtResultaat", Bsn=c.bsn,
                        Examennummer=f"LBT{c.index:08d}", Afnamedatum=c.lbt,
                        B1Haalbaar=c.index % 10 < 7)
        if c.regime == "WI2021":
            for onderdeel, niveau, day, uitslag in c.exams:
                fields: dict[str, object] = {
                    "Bsn": c.bsn, "ExamenId": f"EX{c.index:07d}{onderdeel[:2]}",
                    "Onderdeel": onderdeel, "Niveau": niveau, "Examendatum": day}
                right: dict[str, object] = {"Uitslag": uitslag,
                                            "Score": 480 if uitslag == "GESLAAGD" else 390}
                if c.kind == "R21.correctie-examen" and uitslag != "GESLAAGD":
                    self.corrected(f"{ident}-{next(n):03d}", day, "Examenresultaat",
                                   {"Uitslag": "GESLAAGD", "Score": 480}, right, **fields)
                else:
                    self.change(f"{ident}-{next(n):03d}", day, "Examenresultaat",
                                **fields, **right)
        if c.ontheffing is not None:
            self.change(f"{ident}-{next(n):03d}", c.ontheffing, "Ontheffing", Bsn=c.bsn,
                        Soort="ONTHEFFING", Ingangsdatum=c.ontheffing, Grond="MEDISCH",
                        BesluitKenmerk=f"OH{c.index:07d}")
        if c.boete is not None:
            self.change(f"{ident}-{next(n):03d}", c.boete, "Boete", Bsn=c.bsn,
                        BoeteKenmerk=f"B{c.index:07d}", BedragCent=34_000, Boetedatum=c.boete,
                        Vooraankondiging=True)

    def close(self) -> None:
        """Write the response document with every change numbered in time order."""
        path = self.out / FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="\n") as handle:
            handle.write('<?xml version="1.0" encoding="UTF-8"?>\n'
                         f'<duo:HaalWijzigingenResponse xmlns:duo="{DUO_NS}">\n')
            for sequence, element in enumerate(_elements(self.feed.lines()), 1):
                handle.write(element.replace("{volgnummer}", str(sequence), 1))
                self.written = sequence
            handle.write(f"  <duo:NieuweCursor>{self.written}</duo:NieuweCursor>\n"
                         "  <duo:Meer>false</duo:Meer>\n</duo:HaalWijzigingenResponse>\n")


def _elements(lines: Iterator[tuple[str, str]]) -> Iterator[str]:
    for stamp, line in lines:
        change = json.loads(line)
        kind, values = change["kind"], change["fields"]
        payload = "".join(f"<duo:{name}>{escape(values[name])}</duo:{name}>"
                          for name in fields_of(kind) if name in values)
        corrects = change.get("corrigeert")
        yield (f"  <duo:Wijziging><duo:WijzigingId>{escape(change['id'])}</duo:WijzigingId>"
               "<duo:Volgnummer>{volgnummer}</duo:Volgnummer>"
               f"<duo:Tijdstip>{stamp}+00:00</duo:Tijdstip>"
               + (f"<duo:Corrigeert>{escape(corrects)}</duo:Corrigeert>" if corrects else "")
               + f"<duo:{kind}>{payload}</duo:{kind}></duo:Wijziging>\n")


def _text(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)
