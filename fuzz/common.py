"""What every harness shares: run from the repository root, check refusals, seed a corpus."""

from __future__ import annotations

import sys
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from hub.errors import PermanentError  # noqa: E402
from hub.privacy import is_valid_bsn  # noqa: E402


def check_refusal(exc: PermanentError) -> None:
    """A refusal must say why and never quote a 9-digit number passing the eleven-test."""
    text = str(exc)
    if not text:
        raise AssertionError(f"{type(exc).__name__} without a reason")
    for start in range(len(text) - 8):
        run = text[start:start + 9]
        before = text[start - 1] if start else ""
        after = text[start + 9] if start + 9 < len(text) else ""
        if run.isdigit() and not before.isdigit() and not after.isdigit() and is_valid_bsn(run):
            raise AssertionError(f"BSN-like number in a refusal: {type(exc).__name__}")


def corpus(argv: list[str], seeds: Iterable[bytes]) -> None:
    """Write the seeds into the corpus folder named on the command line, if any."""
    folders = [Path(a) for a in argv[1:] if not a.startswith("-") and not Path(a).is_file()]
    for folder in folders:
        folder.mkdir(parents=True, exist_ok=True)
        for n, seed in enumerate(seeds):
            target = folder / f"seed-{n}"
            if not target.exists():
                target.write_bytes(seed)
