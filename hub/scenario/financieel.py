"""The financial system's side: bank statements (camt.053.001.02) and how its bank behaves.

``financieel/inbox/`` holds statements as the bank drops them (``connectors/financieel/
FORMAT.md``): one per scenario year with movements that are not the hub's (they must be listed
as unmatched, never dropped) and one broken file (quarantined). The bank's answers to the
hub's payment batches cannot be written beforehand: the replay's bank reads each pain.001 and
answers with a statement, as ``financieel/bank.json`` says (``reject_every``: leave every n-th
transfer unpaid).
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

from connectors.financieel.simulator import FinancialSystemSimulator
from connectors.kit.folder import DropFolder

INBOX = "financieel/inbox"
BANK = "financieel/bank.json"


def write(out: Path, years: range, *, broken: bool) -> list[str]:
    """Write the statements and the bank's settings; returns the statement names."""
    folder = out / INBOX
    folder.mkdir(parents=True, exist_ok=True)
    bank = FinancialSystemSimulator(DropFolder(out / ".tmp" / "bank"))
    names = []
    for year in years:
        bank.statements += 1
        name = f"camt053_{year}1231_vreemd.xml"
        (folder / name).write_bytes(bank.statement([], date(year, 12, 31)))
        names.append(name)
    if broken:
        (folder / "camt053_kapot.xml").write_bytes(b"<?xml version=\"1.0\"?><Document><BkToCstm")
        names.append("camt053_kapot.xml")
    (out / BANK).write_text(json.dumps({"reject_every": 0}, indent=1) + "\n", encoding="utf-8")
    return names
