"""``hub scenario generate``: every partner's input and the ground truth, case by case.

Each case is drawn, handed to every partner writer (DUO, ISAM, the schools, the Kredietbank,
ISI) and to the ground truth, then forgotten: output streams through buffered appends and
month buckets, so memory does not grow with ``--cases``. The same parameters give the same
bytes (no clock, no unseeded randomness, sorted JSON).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import topics
from connectors.kredietbank.ublgen import Fee
from connectors.taalaanbieder import ublgen
from connectors.taalaanbieder.translate import DUO_HEADER, PRESENTIE_HEADER
from hub.errors import ConfigurationError
from hub.reconcile.tables import Tables, load_tables
from hub.scenario import anomalies, financieel, profiles
from hub.scenario.cases import make_case
from hub.scenario.duo import DuoWriter
from hub.scenario.expect import expect_views
from hub.scenario.invoices import TaalInvoices, document
from hub.scenario.isam import IsamWriter
from hub.scenario.isi import IsiWriter
from hub.scenario.kredietbank import KredietbankWriter
from hub.scenario.model import FORMAT, MIN_START_YEAR, SCHOOLS, Case, Params
from hub.scenario.people import gemeente_weights, gemeenten, invalid_bsn
from hub.scenario.pib import PibWriter
from hub.scenario.schools import SchoolReports, csv_line, inbox
from hub.scenario.streams import Appender
from hub.scenario.truth import Truth

SCENARIO_FILE = "scenario.json"
PARTNER_OF = {"R11": "kredietbank", "R12": "kredietbank", "R22": "isi", "afschalen": "isam",
              "intake": "isam", "pip": "isam", "verhuizing": "isam", "plicht": "duo"}
KIND_PARTNER = {"R21.correctie-doelgroep": "duo", "R21.correctie-examen": "duo",
                "R21.correctie-intake": "isam", "R21.correctie-pip": "isam"}
COMPANIONS = 100  # companion indexes start past the edge anomalies' BSN indexes


@dataclass(frozen=True)
class Summary:
    """What was generated."""

    folder: Path
    cases: int
    anomalies: int
    files: dict[str, int]


def check_params(p: Params) -> None:
    """Refuse parameters the scenario cannot honour, naming the option."""
    if p.gemeenten < 2:
        raise ConfigurationError("--gemeenten must be at least 2 (moves need two gemeenten)")
    if p.years < 1:
        raise ConfigurationError("--years must be at least 1")
    if p.start_year < MIN_START_YEAR:
        raise ConfigurationError(f"--start-year must be {MIN_START_YEAR} or later (ongoing cases "
                         "reach back a year, and Wi2021 began on 2022-01-01)")
    if p.cases < anomalies.minimum_cases():
        raise ConfigurationError(f"--cases must be at least {anomalies.minimum_cases()}")


@dataclass
class Writers:
    """Every partner's writer and the ground truth; one appender buffers them all."""

    out: Path
    appender: Appender
    truth: Truth
    duo: DuoWriter
    isam: IsamWriter
    isi: IsiWriter
    schools: SchoolReports
    invoices: TaalInvoices
    kredietbank: KredietbankWriter
    pib: PibWriter

    @classmethod
    def open(cls, p: Params, out: Path, tables: Tables) -> Writers:
        """Writers for the folder ``out``."""
        appender, truth = Appender(), Truth(p, tables)
        isam, isi = IsamWriter(out, appender, p.seed), IsiWriter(out, appender, p.seed)
        return cls(out, appender, truth, DuoWriter(out, appender, p.seed, p.end), isam, isi,
                   SchoolReports(out, appender, p.end), TaalInvoices(out, truth, p.end),
                   KredietbankWriter(out, appender, truth, tables, p.end),
                   PibWriter(out, truth, isi, isam))

    def add(self, case: Case) -> None:
        """Hand one case to every partner and to the ground truth."""
        for writer in (self.duo, self.isam, self.schools, self.invoices, self.kredietbank,
                       self.isi, self.pib):
            writer.add(case)
        self.truth.person(case)

    def close(self, p: Params) -> None:
        """Write what is still buffered and the feeds in time order."""
        self.invoices.close()
        for feed in (self.duo, self.isam, self.kredietbank):
            feed.close()
        self.appender.flush()
        financieel.write(self.out, range(p.start_year, p.end.year + 1), broken=True)
        _truth_edge_financieel(self.truth)


def generate(p: Params, out: Path, *, tables: Tables | None = None,
             progress: Callable[[int], None] = lambda done: None) -> Summary:
    """Write the scenario folder ``out`` (which must be empty or absent)."""
    check_params(p)
    if out.exists() and any(out.iterdir()):
        raise ConfigurationError(f"--out {out} is not empty")
    codes = gemeenten(p.gemeenten)
    weights, plan = gemeente_weights(codes), anomalies.plan(p.seed, p.cases)
    w = Writers.open(p, out, tables or load_tables())
    companions = 0
    for index in range(p.cases):
        kind = plan.kind_of(index)
        case = make_case(p, index, kind, codes, weights)
        if kind is not None:
            aid = w.truth.anomaly(kind, case, _partner(kind))
            expect_views(w.truth, case)
        w.add(case)
        if kind == "R12.huishouden-dubbel" and case.ontzorgen is not None:
            member = profiles.companion(p, case, p.cases + COMPANIONS + companions)
            companions += 1
            w.truth.link(member, aid)
            w.truth.view(member, "huishoudens", [case.ontzorgen.huishouden])
            w.add(member)
        if index % 1000 == 999:
            progress(index + 1)
    _edges(p, w, codes[0])
    w.close(p)
    _scenario_file(p, out)
    shutil.rmtree(out / ".tmp", ignore_errors=True)
    files = _files(out)
    w.truth.write(out, files)
    progress(p.cases)
    return Summary(out, p.cases, len(w.truth.anomalies), files)


def _partner(kind: str) -> str:
    """The partner whose input carries the anomaly."""
    head = kind.split(".")[0].split("-")[0]
    return KIND_PARTNER.get(kind) or PARTNER_OF.get(head, "taalaanbieder")


def _edges(p: Params, w: Writers, gemeente: str) -> None:
    """Invalid BSNs (R20) and unreadable files: refused at the connector, not stored."""
    day, n, truth = p.start + timedelta(days=40), p.cases, w.truth
    aid = truth.anomaly("ongeldig-bsn", None, "duo", "plicht with a BSN failing the 11-test")
    w.duo.change("WX0000001", day, "InburgeringsplichtVastgesteld", Bsn=invalid_bsn(p.seed, n),
                 PlichtStartdatum=day, Doelgroep="gezinsmigrant", Regime="Wi2021")
    truth.edge("dead_letters", aid, partner="duo", topic=topics.DUO_INBURGERINGSPLICHT_VASTGESTELD,
               id="dl:connector-duo:WX0000001")
    aid = truth.anomaly("ongeldig-bsn", None, "isam", "koppeling with a BSN failing the 11-test")
    w.isam.resource("X1", invalid_bsn(p.seed, n + 1), "koppeling", day, gemeentecode=gemeente,
                    koppeldatum=day, azc=None)
    truth.edge("dead_letters", aid, partner="isam", topic=topics.ISAM_KOPPELING_GEMEENTE,
               bevat="koppeling.bsn")
    aid = truth.anomaly("ongeldig-bsn", None, "isi", "PERSOON row with a bad BSN")
    line = w.isi.row(("PERSOON", invalid_bsn(p.seed, n + 2), "", "WI2013", "GEZINSMIGRANT",
                      "2020-03-01"))
    truth.edge("rejects", aid, partner="isi", regel=line, veld="PERSOON.bsn")
    aid = truth.anomaly("bestand-onleesbaar", None, "isi", "a row of an unknown type")
    line = w.isi.row(("BEZWAAR", "onbekend", "rijtype"))
    truth.edge("rejects", aid, partner="isi", regel=line, veld="row_type")
    _school_edges(p, w.out, truth, w.appender, n)
    aid = truth.anomaly("bestand-onleesbaar", None, "kredietbank", "invoice total off (BR-CO-16)")
    fee = Fee("Intake financieel ontzorgen", Decimal("147.00"), day, day, "HH-KAPOT", None)
    w.kredietbank.broken_invoice("KB-KAPOT-0001", day, fee)
    truth.edge("dead_letters", aid, partner="kredietbank", topic=topics.KREDIETBANK_FACTUUR,
               bevat="BR-CO-16")


def _school_edges(p: Params, out: Path, truth: Truth, appender: Appender, n: int) -> None:
    day = p.start + timedelta(days=14)
    name = f"B20002Aanlevering{day:%Y%m%d}.csv"
    appender.write(inbox(out, "B20002") / name, csv_line(
        (invalid_bsn(p.seed, n + 3), "B1", day - timedelta(days=10), "", 600, 4, 0)),
        header=csv_line(DUO_HEADER))
    _quarantine(truth, "ongeldig-bsn", "B20002", name, "FORMAT", "DUO file row with a bad BSN")
    (inbox(out, "B10001") / "kapot-0001.xml").parent.mkdir(parents=True, exist_ok=True)
    (inbox(out, "B10001") / "kapot-0001.xml").write_bytes(b"<Invoice><cbc:ID>1</Invoice")
    _quarantine(truth, "bestand-onleesbaar", "B10001", "kapot-0001.xml", "XML-SYNTAX",
                "truncated XML")
    appender.write(inbox(out, "B10001") / "presentie_kapot0001.csv",
                   csv_line(["CR" + "0" * 30, "x"]), header=csv_line(PRESENTIE_HEADER[:-1]))
    _quarantine(truth, "bestand-onleesbaar", "B10001", "presentie_kapot0001.csv", "FORMAT",
                "presentie file without its last column")
    school = SCHOOLS["B20002"]
    doc = document(school, "B20002-KAPOT-0001", day, "0363", "INK-0363",
                   [ublgen.Line("Lesuren", Decimal(1), Decimal("41.00"), day, day)],
                   payable_override=Decimal("1.00"))
    (inbox(out, "B20002") / "B20002-KAPOT-0001.xml").write_bytes(ublgen.render(doc))
    _quarantine(truth, "bestand-onleesbaar", "B20002", "B20002-KAPOT-0001.xml", "BR-CO-16",
                "invoice whose amount due does not add up")


def _quarantine(truth: Truth, kind: str, school: str, name: str, rule: str, detail: str) -> None:
    aid = truth.anomaly(kind, None, "taalaanbieder", detail)
    truth.edge("quarantaine", aid, partner="taalaanbieder", map=school, bestand=name, regel=rule)


def _truth_edge_financieel(truth: Truth) -> None:
    aid = truth.anomaly("bestand-onleesbaar", None, "financieel", "truncated camt.053 statement")
    truth.edge("quarantaine", aid, partner="financieel", map="", bestand="camt053_kapot.xml",
               regel="XML-SYNTAX")


def _scenario_file(p: Params, out: Path) -> None:
    body = {"format": FORMAT, "seed": p.seed, "gemeenten": p.gemeenten, "cases": p.cases,
            "years": p.years, "start_year": p.start_year, "einddatum": p.end.isoformat(),
            "case_ref_key": p.case_ref_key,
            "case_ref_key_note": "test key of this scenario only; hub scenario run uses it"}
    (out / SCENARIO_FILE).write_text(json.dumps(body, indent=1, sort_keys=True) + "\n",
                                     encoding="utf-8")


def _files(out: Path) -> dict[str, int]:
    """Number of files per partner folder."""
    counts: dict[str, int] = {}
    for path in sorted(out.rglob("*")):
        if path.is_file() and len(path.relative_to(out).parts) > 1:
            partner = path.relative_to(out).parts[0]
            counts[partner] = counts.get(partner, 0) + 1
    return counts
