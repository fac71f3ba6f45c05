"""AanmeldingLeerroute records -> the aanmelding CSV a school reads (format: FORMAT.md)."""

from __future__ import annotations

import io
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from hub.spreadsheet import csv_writer

HEADER = ("aanmelding_id", "zaakreferentie", "bsn", "gemeentecode", "leerroute", "niveau",
          "startdatum", "ingekochte_uren", "contract_id", "perceel")


def aanmelding_csv(records: Sequence[Mapping[str, Any]],
                   decrypt: Callable[[Any], str]) -> bytes:
    """One CSV for one school; ``decrypt`` opens the BSN where the contract shares it."""
    out = io.StringIO()
    writer = csv_writer(out, delimiter=";", lineterminator="\r\n")  # formula-safe
    writer.writerow(HEADER)
    for rec in records:
        writer.writerow((
            rec["message_id"], rec["case_ref"], decrypt(rec["bsn"]) if rec.get("bsn") else "",
            rec["gemeentecode"], rec["leerroute"], rec["niveau"], rec["startdatum"].isoformat(),
            rec["ingekochte_uren"], rec["contract_id"], rec.get("perceel") or ""))
    return out.getvalue().encode("utf-8")
