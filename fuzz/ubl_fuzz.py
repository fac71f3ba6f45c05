"""atheris: parse_invoice on any bytes returns an invoice or raises InvoiceRejected."""

from __future__ import annotations

import sys
from pathlib import Path

import atheris
import common

with atheris.instrument_imports():
    from connectors.ubl import InvoiceRejected, parse_invoice

PEPPOL = common.ROOT.parent / "shared" / "fixtures" / "peppol-bis3"


def test_one_input(data: bytes) -> None:
    """One input: an invoice, or InvoiceRejected naming a rule and no BSN."""
    try:
        parse_invoice(data, source="fuzz.xml", max_bytes=256 * 1024)
    except InvoiceRejected as exc:
        if not exc.rule:
            raise AssertionError("InvoiceRejected without a rule") from exc
        common.check_refusal(exc)


if __name__ == "__main__":
    common.corpus(sys.argv, [p.read_bytes() for p in sorted(Path(PEPPOL).glob("*.xml"))])
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
