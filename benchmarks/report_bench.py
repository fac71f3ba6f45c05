"""The nightly report over a national-size store: time and peak memory (issue 8.7).

Builds a SQLite store with ``--cases`` people and their facts (DUO plicht and koppeling, ISAM
PIP and intake, two months of presentie, one invoice of two lines per person with some lines
refused or held, a bank payment for most approved lines, some moves, some cases only DUO or
only ISAM knows, some hours for unknown cases), recorded through ``Store.record_batch`` in
500-message batches with deferred views and then projected by the real ``case_view``. Then
runs ``hub report nightly`` logic in a fresh child process and prints its wall time, peak RSS
and the Python heap peak (tracemalloc, in a second child run).

    .venv/bin/python -m benchmarks.report_bench --cases 100000 [--store PATH] [--keep]
"""

from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

from connectors.ubl import invoice_key
from hub.outbound.emit import ledger_only
from hub.reconcile.links import derived
from hub.reconcile.view import case_view
from hub.store import InboundMessage, Store

NS = "nl.inburgering.hub."
SCHOOL, PRICE = "B10001", 4100
DAY = date(2025, 6, 30)
T0 = datetime(2025, 1, 2, tzinfo=UTC)
BSN = {"key_id": "b1", "nonce": b"\x00" * 12, "ciphertext": b"\x01" * 25}
GEMEENTEN = ["0344", "0363", "0392", "0518", "0599", *(f"{n:04d}" for n in range(1, 36))]
BATCH = 500


def _msg(topic: str, kind: str, mid: str, ref: str, **fields: Any) -> InboundMessage:
    record = {"message_id": mid, "case_ref": ref, "source": "bench", "produced_at": T0, **fields}
    return InboundMessage(topic, 0, 0, mid, ref, NS + kind, record)


def _hours(mid: str, ref: str, begin: date, end: date, hours: int) -> InboundMessage:
    return _msg("inburgering.taalaanbieder.voortgang.v1", "Voortgang", mid, ref,
                taalaanbieder=SCHOOL, contract_id="C-1", leerroute=None, periode_begindatum=begin,
                periode_einddatum=end, minuten_aangeboden=hours * 60,
                minuten_gevolgd_taal=hours * 60, minuten_gevolgd_knm=0,
                minuten_gevolgd_participatie=0, minuten_gevolgd_ona=0,
                minuten_verzuim_geoorloofd=0, minuten_verzuim_ongeoorloofd=0,
                toetsresultaten=[], minuten_ingekocht=None, cumulatief=False, bestand=None)


def _line(n: int, ref: str, begin: date, hours: int) -> dict[str, Any]:
    end = (begin + timedelta(days=32)).replace(day=1) - timedelta(days=1)
    return {"regelnummer": str(n), "omschrijving": "Lesuren", "case_ref": ref,
            "koper_referentie": None, "periode_begindatum": begin, "periode_einddatum": end,
            "hoeveelheid_milli": hours * 1000, "eenheid": "HUR", "eenheidsprijs_cent": PRICE,
            "regelbedrag_cent": hours * PRICE, "btw_categorie": "E", "btw_tarief_basispunten": 0}


def _invoice(i: int, ref: str, lines: list[dict[str, Any]], day: date) -> InboundMessage:
    number, total = f"BENCH-{i}", sum(line["regelbedrag_cent"] for line in lines)
    return _msg("inburgering.taalaanbieder.factuur.v1", "Factuur", f"inv-{i}",
                invoice_key(SCHOOL, number), documentsoort="INVOICE", factuurnummer=number,
                factuurdatum=day, vervaldatum=None, leverancier_id=SCHOOL,
                leverancier_naam="School", leverancier_btw_nummer=None, koper_referentie="C-1",
                gecrediteerde_factuurnummer=None, valuta="EUR", totaal_excl_btw_cent=total,
                btw_bedrag_cent=0, totaal_incl_btw_cent=total, te_betalen_cent=total,
                iban_begunstigde=None, regels=lines, ubl_sha256=number)


def _payment(booking: dict[str, Any]) -> InboundMessage:
    """The bank's payment of one booking the hub sent (its ledger record)."""
    b = booking["record"]
    key = invoice_key(SCHOOL, b["factuurnummer"])
    return _msg("inburgering.financieel.betaling.v1", "Betaling", f"pay-{b['boekingskenmerk']}",
                key, factuurnummer=b["factuurnummer"], leverancier_id=SCHOOL,
                boekingskenmerk=b["boekingskenmerk"],
                betaaldatum=date(b["begrotingsjaar"], 12, 1), bedrag_cent=b["bedrag_cent"],
                bankreferentie=f"E2E{b['boekingskenmerk']}")


def person(i: int, rng: random.Random) -> list[InboundMessage]:
    """One person's facts; the mix gives every section of the report something to show."""
    ref = f"CR{i:030X}"
    gemeente = rng.choice(GEMEENTEN)
    koppel = date(2022, 1, 3) + timedelta(days=rng.randrange(1150))
    kind = rng.random()
    duo = kind > 0.02
    out: list[InboundMessage] = []
    if kind < 0.01:  # hours for a case nobody registered
        return [_hours(f"v-{i}-1", ref, date(2025, 1, 1), date(2025, 1, 31), 20)]
    koppeling_topic = "inburgering.duo.koppeling-gemeente.v1" if duo else \
        "inburgering.isam.koppeling-gemeente.v1"
    if duo:
        out.append(_msg("inburgering.duo.inburgeringsplicht-vastgesteld.v1",
                        "InburgeringsplichtVastgesteld", f"p-{i}", ref, bsn=BSN, v_nummer=None,
                        plicht_startdatum=koppel - timedelta(days=20),
                        doelgroep="ASIELSTATUSHOUDER" if rng.random() < 0.7 else "GEZINSMIGRANT",
                        regime="WI2021"))
    out.append(_msg(koppeling_topic, "KoppelingGemeente", f"k-{i}", ref, bsn=BSN,
                    gemeentecode=gemeente, koppeldatum=koppel, azc=None))
    if kind < 0.12:  # only DUO knows the case so far
        return out
    pip_day = koppel + timedelta(days=rng.randrange(30, 120))
    out.append(_msg("inburgering.isam.pip-vastgesteld.v1", "PipVastgesteld", f"pip-{i}", ref,
                    bsn=BSN, gemeentecode=gemeente, soort="VASTGESTELD", pip_kenmerk=f"PIP-{i}",
                    dagtekening_eerste_pip=pip_day, dagtekening=pip_day, leerroute="B1",
                    niveau="B1", taalaanbieder=SCHOOL, contract_id="C-1", ontzorgen=False))
    out.append(_msg("inburgering.isam.gesprek.v1", "Gesprek", f"g-{i}", ref,
                    gemeentecode=gemeente, gesprek_kenmerk=f"G-{i}", soort="BREDE_INTAKE",
                    gespreksdatum=koppel + timedelta(days=rng.randrange(20, 90))))
    if rng.random() < 0.1:
        other = rng.choice(GEMEENTEN)
        out.append(_msg("inburgering.isam.verhuizing.v1", "Verhuizing", f"m-{i}", ref, bsn=BSN,
                        verhuisdatum=date(2024, 1, 1) + timedelta(days=rng.randrange(540)),
                        gemeentecode_oud=gemeente, gemeentecode_nieuw=other))
    first = (pip_day + timedelta(days=40)).replace(day=1)
    second = (first + timedelta(days=32)).replace(day=1)
    out += [_hours(f"v-{i}-1", ref, first, (second - timedelta(days=1)), 40)]
    reported_second = rng.random() > 0.03  # else the second line waits for presentie: held
    if reported_second:
        third = (second + timedelta(days=32)).replace(day=1)
        out.append(_hours(f"v-{i}-2", ref, second, third - timedelta(days=1), 40))
    billed = 80 if rng.random() < 0.05 else 40  # too many hours: refused
    lines = [_line(1, ref, first, billed), _line(2, ref, second, 40)]
    out.append(_invoice(i, ref, lines, second + timedelta(days=45)))
    return out


def build(url: str, cases: int, say: Any) -> None:
    """Record every person's facts in 500-message batches, then project every view."""
    rng = random.Random(8)
    store = Store(url, projection=case_view, derive=derived, deferred_views=True,
                  emitter=ledger_only)
    start, pending, facts = time.perf_counter(), [], 0
    for i in range(cases):
        pending += person(i, rng)
        if len(pending) >= BATCH:
            facts += store.record_batch("bench", pending[:BATCH]).applied
            pending = pending[BATCH:]
    if pending:
        facts += store.record_batch("bench", pending).applied
    recorded = time.perf_counter()
    say(f"recorded {facts:,} messages (+ derived) in {recorded - start:.0f} s; "
        f"{store.count('fact'):,} facts")
    projected = 0
    while n := store.project_pending(limit=2000):
        projected += n
    say(f"projected {projected:,} views in {time.perf_counter() - recorded:.0f} s")
    paid = [_payment(e) for i in range(cases) for e in store.effects(f"CR{i:030X}")
            if e["soort"] == "BOEKING" and rng.random() < 0.8]  # the bank pays most bookings
    for n in range(0, len(paid), BATCH):
        store.record_batch("bench", paid[n:n + BATCH])
    while store.project_pending(limit=2000):
        pass
    store.close()


def child(url: str, out: str, trace: bool) -> None:
    """Run the report once in this process and print its figures as JSON."""
    import tracemalloc

    from hub.reconcile.tables import load_tables
    from hub.report.collect import Options
    from hub.report.nightly import run_nightly

    tables = load_tables()
    before = peak_rss_kib()
    if trace:
        tracemalloc.start()
    start = time.perf_counter()
    result = run_nightly(url, Options(DAY), Path(out), tables)
    seconds = time.perf_counter() - start
    heap = tracemalloc.get_traced_memory()[1] if trace else 0
    print(json.dumps({"seconds": seconds, "rss_before_kib": before, "heap_peak": heap,
                      "rss_peak_kib": peak_rss_kib(),
                      "summaries": list(result.summaries),
                      "bytes": {p.name: p.stat().st_size for p in result.paths}}))


def peak_rss_kib() -> int:
    """This process's peak resident set (VmHWM; ``ru_maxrss`` would count the forked parent)."""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def measure(url: str, out: str, trace: bool) -> dict[str, Any]:
    """The report in a fresh child process (its own peak RSS, nothing of the build)."""
    done = subprocess.run([sys.executable, "-m", "benchmarks.report_bench", "--child", url,
                           "--out", out] + (["--trace"] if trace else []),
                          capture_output=True, text=True, check=True)
    return dict(json.loads(done.stdout.strip().splitlines()[-1]))


def main(argv: list[str] | None = None) -> None:
    """Build (or reuse) the store, then time the report and measure its memory."""
    args = _parser().parse_args(argv)
    if args.child:
        child(args.child, args.out, args.trace)
        return
    folder = Path(args.store or tempfile.mkdtemp(prefix="report-bench-"))
    folder.mkdir(parents=True, exist_ok=True)
    url = f"sqlite:///{folder / f'store-{args.cases}.db'}"
    if not (folder / f"store-{args.cases}.db").exists():
        build(url, args.cases, print)
    plain = measure(url, str(folder / "out"), trace=False)
    traced = measure(url, str(folder / "out-traced"), trace=True)
    for line in _figures(args.cases, plain, traced):
        print(line)
    if not args.keep and not args.store:
        for path in _tree(folder):
            path.unlink() if path.is_file() else path.rmdir()


def _figures(cases: int, plain: dict[str, Any], traced: dict[str, Any]) -> Iterator[str]:
    yield f"report over {cases:,} cases: {plain['seconds']:.1f} s"
    yield (f"peak RSS {plain['rss_peak_kib'] / 1024:.0f} MiB (after imports "
           f"{plain['rss_before_kib'] / 1024:.0f} MiB); Python heap peak "
           f"{traced['heap_peak'] / 2**20:.0f} MiB (tracemalloc run: {traced['seconds']:.1f} s)")
    yield "files: " + ", ".join(f"{name} {size / 2**20:.1f} MiB"
                                for name, size in plain["bytes"].items())
    yield from plain["summaries"]


def _tree(folder: Path) -> list[Path]:
    return [*sorted(folder.rglob("*"), key=lambda p: len(p.parts), reverse=True), folder]


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--store", help="folder to keep (and reuse) the built store in")
    parser.add_argument("--keep", action="store_true", help="keep the temporary folder")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--out", help=argparse.SUPPRESS)
    parser.add_argument("--trace", action="store_true", help=argparse.SUPPRESS)
    return parser


if __name__ == "__main__":
    main()
