"""Fuzzing the camt.053 bank statement reader: movements, or ``FileRefused`` naming the rule.

Statements come from the financial-system simulator (they validate against the official XSD);
random bytes, markup and element-level mutations must never raise anything else, and a refusal
never quotes a BSN-like number (XSD messages quote values; the detail is redacted).
"""

from __future__ import annotations

import copy
import tempfile
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from connectors.financieel import translate as t
from connectors.financieel.camt import parse_statement
from connectors.financieel.demo import bookings
from connectors.financieel.sepa import Debtor, pain001
from connectors.financieel.simulator import FinancialSystemSimulator
from connectors.kit.folder import DropFolder
from hub.errors import FileRefused
from tests.unit.test_fuzz_kit import FUZZ, assert_refusal, hostile_text, valid_bsns
from tests.unit.test_fuzz_xml import BOMBS


def _statement() -> bytes:
    planned = t.plan(bookings())
    pain = pain001("M1", datetime(2024, 2, 10, tzinfo=UTC), date(2024, 2, 11),
                   Debtor("G", "NL02ABNA0123456789", "ABNANL2A"),
                   [p.transfer for p in planned if p.transfer])
    with tempfile.TemporaryDirectory() as tmp:
        sim = FinancialSystemSimulator(DropFolder(Path(tmp) / "fin").create())
        return bytes(sim.statement(sim.execute(pain, source="p.xml"), date(2024, 2, 12)))


STATEMENT = _statement()
MAX = 1024 * 1024


def _parse(data: bytes) -> int | None:
    try:
        movements = parse_statement(data, name="camt.xml", max_bytes=MAX)
    except FileRefused as exc:
        assert_refusal(exc, FileRefused)
        assert exc.rule and exc.name == "camt.xml"
        return None
    assert all(isinstance(m.amount_cent, int) for m in movements)
    return len(movements)


def test_the_simulated_statement_parses() -> None:
    assert _parse(STATEMENT)


@pytest.mark.parametrize("name", sorted(BOMBS))
def test_bombs_and_external_entities_are_refused(name: str) -> None:
    assert _parse(BOMBS[name]) is None


def test_an_oversized_statement_is_refused() -> None:
    with pytest.raises(FileRefused) as caught:
        parse_statement(STATEMENT, name="camt.xml", max_bytes=len(STATEMENT) - 1)
    assert caught.value.rule == "XML-SIZE"


@given(st.binary(max_size=400))
@FUZZ
def test_random_bytes_are_refused(data: bytes) -> None:
    assert _parse(data) is None


def _ok(text: str) -> bool:
    try:
        etree.Element("x").text = text
    except ValueError:
        return False
    return True


@st.composite
def mutated_statements(draw: st.DrawFn) -> bytes:
    root = etree.fromstring(STATEMENT)
    for _ in range(draw(st.integers(1, 3))):
        nodes = [n for n in root.iter() if isinstance(n.tag, str)]
        leaves = [n for n in nodes if len(n) == 0]
        op = draw(st.sampled_from(("text", "text", "bsn", "delete", "duplicate", "attr")))
        node = draw(st.sampled_from(leaves if op in ("text", "bsn") else nodes))
        if op == "text":
            node.text = draw(hostile_text().filter(_ok))
        elif op == "bsn":
            node.text = draw(valid_bsns) + draw(st.sampled_from(["", "x", "-", ".5"]))
        elif op == "delete" and node.getparent() is not None:
            node.getparent().remove(node)
        elif op == "duplicate" and node.getparent() is not None:
            node.addnext(copy.deepcopy(node))
        else:
            for key in list(node.attrib):
                node.set(key, draw(hostile_text().filter(_ok)))
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


@given(mutated_statements())
@FUZZ
def test_mutated_statements_parse_or_are_refused(data: bytes) -> None:
    _parse(data)
