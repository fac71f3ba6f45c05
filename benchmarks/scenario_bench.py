"""``hub scenario generate`` at scale: wall time, peak memory and output size per size.

Each size runs in its own child process (``python -m benchmarks.scenario_bench --child ...``),
so its peak resident memory is its own; the output goes to a temporary folder that is removed
afterwards. Usage::

    .venv/bin/python -m benchmarks.scenario_bench --cases 10000,100000 --years 3 --gemeenten 20
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any


def child(cases: int, years: int, gemeenten: int, seed: int, out: Path) -> dict[str, Any]:
    """Generate once in this process; time, peak RSS, files and bytes written."""
    from hub.scenario import Params, generate

    started = time.perf_counter()
    summary = generate(Params(seed, gemeenten, cases, years), out)
    seconds = time.perf_counter() - started
    files = [p for p in out.rglob("*") if p.is_file()]
    return {"cases": cases, "seconds": round(seconds, 1),
            "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "files": len(files), "mib": round(sum(p.stat().st_size for p in files) / 2**20),
            "anomalies": summary.anomalies}


def run(sizes: list[int], years: int, gemeenten: int, seed: int) -> list[dict[str, Any]]:
    """Every size in a fresh child process; a table on stdout."""
    rows = []
    print(f"scenario generate: years={years}, gemeenten={gemeenten}, seed={seed}")
    print(f"{'cases':>8} {'seconds':>8} {'cases/s':>8} {'peak RSS':>9} {'files':>7} {'MiB':>6}")
    for cases in sizes:
        folder = Path(tempfile.mkdtemp(prefix="scenario-bench-"))
        try:
            done = subprocess.run(
                [sys.executable, "-m", "benchmarks.scenario_bench", "--child", str(cases),
                 "--years", str(years), "--gemeenten", str(gemeenten), "--seed", str(seed),
                 "--out", str(folder / "s")], check=True, capture_output=True, text=True)
        finally:
            shutil.rmtree(folder, ignore_errors=True)
        row = json.loads(done.stdout.strip().splitlines()[-1])
        rows.append(row)
        print(f"{cases:8d} {row['seconds']:8.1f} {cases / row['seconds']:8.0f} "
              f"{row['peak_rss_mib']:6d} MiB {row['files']:7d} {row['mib']:6d}")
    return rows


def main() -> None:
    """Parse the options; ``--child`` runs one size and prints its figures as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", default="10000,100000")
    parser.add_argument("--years", type=int, default=3)
    parser.add_argument("--gemeenten", type=int, default=20)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--child", type=int)
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.child, args.years, args.gemeenten, args.seed, args.out)))
        return
    run([int(n) for n in args.cases.split(",") if n.strip()], args.years, args.gemeenten,
        args.seed)


if __name__ == "__main__":
    main()
