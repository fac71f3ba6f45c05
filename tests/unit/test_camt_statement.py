"""camt.053.001.02: the simulator's statements validate; payments match bookings by EndToEndId."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from lxml import etree

from connectors.financieel import translate as t
from connectors.financieel.camt import parse_statement
from connectors.financieel.demo import bookings
from connectors.financieel.sepa import Debtor, pain001, schema
from connectors.financieel.simulator import FinancialSystemSimulator
from connectors.kit.folder import DropFolder
from connectors.ubl import invoice_key
from hub.errors import FileRefused


def _statement(tmp_path: Path, reject_every: int = 0) -> tuple[bytes, list[t.Planned]]:
    planned = t.plan(bookings())
    pain = pain001("M1", datetime(2024, 2, 10, tzinfo=UTC), date(2024, 2, 11),
                   Debtor("G", "NL02ABNA0123456789", "ABNANL2A"),
                   [p.transfer for p in planned if p.transfer])
    sim = FinancialSystemSimulator(DropFolder(tmp_path / "fin").create(),
                                   reject_every=reject_every)
    return sim.statement(sim.execute(pain, source="p.xml"), date(2024, 2, 12)), planned


def test_statement_validates_and_parses_to_movements(tmp_path: Path) -> None:
    data, planned = _statement(tmp_path)
    assert schema("camt.053.001.02").validate(etree.fromstring(data))
    movements = parse_statement(data, name="s.xml", max_bytes=10**6)
    paid = [m for m in movements if t.is_payment(m)]
    assert len(movements) == 8 and len(paid) == 7  # 6 transfers + the rent; 1 credit
    ledger = {p.transfer.end_to_end_id: t.ledger_entry(p, "M1") for p in planned if p.transfer}
    matched = [t.betaling(m, ledger[m.end_to_end_id], received_at=datetime.now(UTC))
               for m in paid if m.end_to_end_id in ledger]
    assert len(matched) == 6
    first = matched[0]
    assert (first["bankreferentie"], first["bedrag_cent"], first["betaaldatum"],
            first["case_ref"]) == ("BK2024000001", 492000, date(2024, 2, 12),
                                   invoice_key("B10001", "2024-0001"))


def test_rejected_transfers_are_missing_from_the_statement(tmp_path: Path) -> None:
    data, _ = _statement(tmp_path, reject_every=3)
    ids = {m.end_to_end_id for m in parse_statement(data, name="s.xml", max_bytes=10**6)}
    assert "BK2024000003" not in ids and "BK2024000001" in ids


@pytest.mark.parametrize(("mutate", "rule"), [
    (lambda d: d.replace(b"<Sts>BOOK</Sts>", b"<Sts>WRONG</Sts>", 1), "CAMT-XSD"),
    (lambda d: d.replace(b"camt.053.001.02", b"camt.053.001.08"), "CAMT-ROOT"),
    (lambda d: b'<!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>' + d[d.index(b"<Doc"):],
     "XML-DTD"),
    (lambda d: d[:200], "XML-SYNTAX"),
])
def test_bad_statements_are_refused_with_the_rule(tmp_path: Path, mutate, rule: str) -> None:  # type: ignore[no-untyped-def]
    data, _ = _statement(tmp_path)
    with pytest.raises(FileRefused) as info:
        parse_statement(mutate(data), name="s.xml", max_bytes=10**6)
    assert info.value.rule == rule
