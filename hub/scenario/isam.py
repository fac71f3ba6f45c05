"""ISAM's side of the scenario: every resource version and the notification announcing it.

Written as ``isam/notificaties.jsonl`` in time order, one line per notification (contract:
``connectors/isam/FORMAT.md``, section "Scenario folder"): the replay makes ``gegevens`` the
current version of its resource in the ISAM simulator, then posts the notification to the hub's
webhook, which fetches the details like it would from ISAM.
"""

from __future__ import annotations

import json
import uuid
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from hub.scenario.model import Case
from hub.scenario.streams import Appender, Feed

FILE = "isam/notificaties.jsonl"
TYPO_INTAKE = timedelta(days=15)  # R21.correctie-intake: versie 1 says koppeling + 15 days
TYPO_PIP = timedelta(days=200)  # R21.correctie-pip: versie 1 dated 200 days too early
CORRECTED_AFTER = timedelta(days=14)
CREDITORS = (("HUUR", "Woonstichting De Linie", "NL91ABNA0417164300", 72_500),
             ("ENERGIE", "Vattenfall", "NL20INGB0001234567", 12_900),
             ("WATER", "Waternet", "NL39RABO0300065264", 2_350),
             ("ZORGVERZEKERING", "Zilveren Kruis", "NL02ABNA0123456789", 13_900))


class IsamWriter:
    """Collects a case's ISAM resources into the time-ordered notification feed."""

    def __init__(self, out: Path, appender: Appender, seed: int) -> None:
        self.out = out
        self.seed = seed
        self.feed = Feed(out / ".tmp" / "isam", appender)

    def resource(self, who: str, bsn: str, resource: str, day: date, n: int = 0,
                 versie: int = 1, **fields: Any) -> None:
        """Queue a version of a resource of person ``who`` (never the BSN: ids are hashes); a
        higher ``versie`` of the same resource corrects the lower (R21)."""
        ident = str(uuid.uuid5(uuid.NAMESPACE_URL, f"scenario:{self.seed}:{who}:{resource}:{n}"))
        data = {"uuid": ident, "versie": versie, "bsn": bsn,
                **{k: _json(v) for k, v in fields.items()}}
        kenmerken = {k: str(data[k]) for k in ("gemeentecode", "soort", "besluit", "status")
                     if k in data}
        person = uuid.uuid5(uuid.NAMESPACE_URL, f"scenario:{self.seed}:persoon:{who}")
        line = {"resource": resource, "actie": "create", "aanmaakdatum": f"{day}T09:00:00Z",
                "inburgeraar": str(person), "kenmerken": kenmerken, "gegevens": data}
        self.feed.add(day, json.dumps(line, sort_keys=True, separators=(",", ":")))

    def add(self, c: Case) -> None:
        """Every resource the gemeente registers for ``c`` in ISAM."""
        g = lambda day: c.gemeente_on(day) or c.gemeente  # noqa: E731 - a tiny local lookup
        who = str(c.index)
        if c.isam_koppeling and c.koppeling is not None:
            self.resource(who, c.bsn, "koppeling", c.koppeling, gemeentecode=c.gemeente,
                          koppeldatum=c.koppeling, azc=None)
        if c.intake is not None:
            if c.kind == "R21.correctie-intake" and c.koppeling is not None:
                typo = c.koppeling + TYPO_INTAKE  # versie 1: a wrong, early date
                self.resource(who, c.bsn, "intake", typo, gemeentecode=g(typo),
                              gespreksdatum=typo)
            versie = 2 if c.kind == "R21.correctie-intake" else 1
            self.resource(who, c.bsn, "intake", c.intake, versie=versie,
                          gemeentecode=g(c.intake), gespreksdatum=c.intake)
        for n, pip in enumerate(c.pips):
            fields: dict[str, Any] = {"gemeentecode": g(pip.dagtekening), "soort": pip.soort,
                      "pipKenmerk": pip.kenmerk, "dagtekeningEerstePip": pip.eerste,
                      "dagtekening": pip.dagtekening,
                      "leerroute": c.route.leerroute if c.route else "B1", "niveau": pip.niveau,
                      "taalaanbieder": c.route.school if c.route else None,
                      "contractId": c.route.contract_id if c.route else None,
                      "ontzorgen": c.ontzorgen is not None}
            if c.kind == "R21.correctie-pip" and n == 0:  # versie 1 dated wrongly, earlier
                typo = pip.dagtekening - TYPO_PIP
                self.resource(who, c.bsn, "pip", pip.dagtekening, n, **{
                    **fields, "dagtekeningEerstePip": typo, "dagtekening": typo})
                self.resource(who, c.bsn, "pip", pip.dagtekening + CORRECTED_AFTER, n,
                              versie=2, **fields)
                continue
            self.resource(who, c.bsn, "pip", pip.dagtekening, n, **fields)
        for n, day in enumerate(c.gesprekken):
            self.resource(who, c.bsn, "gesprek", day, n, gemeentecode=g(day),
                          soort="VOORTGANGSGESPREK", gespreksdatum=day)
        for resource, done in (("pvt", c.pvt), ("map", c.map)):
            if done is not None:
                self.resource(who, c.bsn, resource, done, gemeentecode=g(done),
                              afrondingsdatum=done, resultaat="VOLDAAN")
        if c.ontzorgen is not None:
            self._ontzorgen(c, g(c.ontzorgen.bijstand))
        if c.move is not None:
            day, old, new = c.move
            self.resource(who, c.bsn, "verhuizing", day, gemeentecode=new, verhuisdatum=day,
                          gemeentecodeOud=old, gemeentecodeNieuw=new)

    def _ontzorgen(self, c: Case, gemeente: str) -> None:
        o, who = c.ontzorgen, str(c.index)
        assert o is not None
        self.resource(who, c.bsn, "ontzorgenbesluit", o.bijstand - timedelta(days=5),
                      gemeentecode=gemeente, besluit="TOEGEKEND",
                      besluitdatum=o.bijstand - timedelta(days=5), huishoudenId=o.huishouden,
                      huishoudenAantalPersonen=1 + c.index % 4, bijstandStartdatum=o.bijstand,
                      ontzorgenStartdatum=o.start, ontzorgenEinddatum=o.planned_end,
                      vrijwillig=o.vrijwillig, machtigingKenmerk=f"MACHT-{c.index:07d}",
                      machtigingDatum=o.bijstand - timedelta(days=7),
                      crediteuren=[{"soort": s, "naam": naam, "iban": iban, "bedragCent": cents,
                                    "betalingskenmerk": f"{s[:4]}-{c.index:07d}"}
                                   for s, naam, iban, cents in CREDITORS])

    def close(self) -> None:
        """Write the notifications in time order."""
        path = self.out / FILE
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("w", encoding="utf-8", newline="\n") as handle:
            for _, line in self.feed.lines():
                handle.write(line + "\n")


def _json(value: Any) -> Any:
    return value.isoformat() if isinstance(value, date) else value
