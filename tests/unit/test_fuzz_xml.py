"""Fuzzing the hardened XML parser and the UBL invoice reader.

``connectors.safexml.parse`` refuses XML bombs, external entities, external DTDs and oversized
documents with ``XmlRefused``; ``connectors.ubl.parse_invoice`` raises only ``InvoiceRejected``,
for random bytes and for structured mutations of real Peppol BIS 3 documents.
"""

from __future__ import annotations

import copy
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

from connectors import safexml
from connectors.taalaanbieder import ublgen
from connectors.ubl import InvoiceRejected, parse_invoice
from tests.shared_fixtures import peppol_documents
from tests.unit.test_fuzz_kit import FUZZ, assert_refusal, hostile_text

SCHOOL = ublgen.render(ublgen.Document(
    number="F-2024-001", issue_date=date(2024, 3, 1), supplier_id="B10001",
    supplier_name="Taalschool", supplier_kvk="12345678", buyer_reference="C-2024-01",
    buyer_oin="00000001001234567000", buyer_name="Gemeente Demo", iban="NL91ABNA0417164300",
    lines=[ublgen.Line("Taalles B1", Decimal(12), Decimal("62.50"), date(2024, 2, 1),
                       date(2024, 2, 29), "CR" + "0" * 30, "a-1")]))
VALID = [SCHOOL, *(p.read_bytes() for p in peppol_documents())]
SECRET = Path("/etc/passwd")

BOMBS: dict[str, bytes] = {
    "billion laughs": (
        b'<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol">'
        + b"".join(b'<!ENTITY lol%d "%s">' % (n, (b"&lol%d;" % (n - 1) if n > 1 else b"&lol;")
                                               * 10) for n in range(1, 10))
        + b"]><lolz>&lol9;</lolz>"),
    "quadratic blowup": (b'<?xml version="1.0"?><!DOCTYPE k [<!ENTITY a "' + b"x" * 50_000
                         + b'">]><k>' + b"&a;" * 50_000 + b"</k>"),
    "external entity file": (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM '
                             b'"file:///etc/passwd">]><r>&xxe;</r>'),
    "external entity url": (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY xxe SYSTEM '
                            b'"http://127.0.0.1:9/x">]><r>&xxe;</r>'),
    "external dtd": (b'<?xml version="1.0"?><!DOCTYPE r SYSTEM "file:///etc/passwd">'
                     b"<r>x</r>"),
    "external parameter entity": (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % p SYSTEM '
                                  b'"file:///etc/passwd"> %p;]><r/>'),
    "entity in attribute": (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY e "v">]>'
                            b'<r a="&e;"/>'),
    "doctype only": b'<!DOCTYPE Invoice><Invoice/>',
    "deep nesting": b"<a>" * 100_000 + b"</a>" * 100_000,
    "undeclared entity": b"<r>&nbsp;</r>",
    "utf-16 bomb": ('<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE r [<!ENTITY a "b">]>'
                    "<r>&a;</r>").encode("utf-16"),
}


def _secret_lines() -> list[str]:
    return [x for x in SECRET.read_text().splitlines() if len(x) > 8][:3]


@pytest.mark.parametrize("name", sorted(BOMBS))
def test_bombs_entities_and_dtds_are_refused(name: str) -> None:
    with pytest.raises(safexml.XmlRefused) as caught:
        safexml.parse(BOMBS[name], source=f"{name}.xml")
    assert_refusal(caught.value, safexml.XmlRefused)
    assert caught.value.rule in ("XML-DTD", "XML-SYNTAX")
    assert caught.value.source == f"{name}.xml"
    assert not any(line in str(caught.value) for line in _secret_lines())
    with pytest.raises(InvoiceRejected) as rejected:
        parse_invoice(BOMBS[name], source="bomb.xml")
    assert rejected.value.rule == caught.value.rule


def test_oversized_documents_are_refused_before_parsing() -> None:
    big = b"<r>" + b"x" * 2048 + b"</r>"
    with pytest.raises(safexml.XmlRefused) as caught:
        safexml.parse(big, source="big.xml", max_bytes=1024)
    assert caught.value.rule == "XML-SIZE"
    with pytest.raises(InvoiceRejected) as rejected:
        parse_invoice(SCHOOL, source="big.xml", max_bytes=len(SCHOOL) - 1)
    assert rejected.value.rule == "XML-SIZE"
    assert parse_invoice(SCHOOL, source="ok.xml", max_bytes=len(SCHOOL)).number == "F-2024-001"


def test_xinclude_is_not_processed() -> None:
    doc = (b'<r xmlns:xi="http://www.w3.org/2001/XInclude">'
           b'<xi:include href="file:///etc/passwd" parse="text"/></r>')
    root = safexml.parse(doc, source="xi.xml")
    assert not any(line in etree.tostring(root).decode() for line in _secret_lines())


@given(st.binary(max_size=400))
@FUZZ
def test_random_bytes_parse_or_are_refused(data: bytes) -> None:
    try:
        safexml.parse(data, source="random.xml")
    except safexml.XmlRefused as exc:
        assert_refusal(exc, safexml.XmlRefused)
    with pytest.raises(InvoiceRejected) as caught:  # no random bytes make an invoice
        parse_invoice(data, source="random.xml")
    assert_refusal(caught.value, InvoiceRejected)


@given(st.text(alphabet=st.sampled_from(list("<>/=\"'&;!?[] abcxyz:-#%\n")), max_size=200))
@FUZZ
def test_markup_soup_parses_or_is_refused(text: str) -> None:
    try:
        root = safexml.parse(text.encode(), source="soup.xml")
    except safexml.XmlRefused as exc:
        assert_refusal(exc, safexml.XmlRefused)
        return
    assert root.getroottree().docinfo.doctype == ""


@st.composite
def mutated_invoices(draw: st.DrawFn) -> bytes:
    """A valid document with one to four edits to its elements, attributes and text."""
    root = etree.fromstring(draw(st.sampled_from(VALID)))
    for _ in range(draw(st.integers(1, 4))):
        nodes = [n for n in root.iter() if isinstance(n.tag, str)]
        numbers = [n for n in nodes if _is_number(n.text)]
        op = draw(st.sampled_from(("text", "text", "delete", "duplicate", "attr", "number",
                                   "number", "number", "empty")))
        node = draw(st.sampled_from(numbers if op == "number" and numbers else nodes))
        if op == "text":
            node.text = draw(hostile_text().filter(_xml_safe))
        elif op == "number":
            node.text = draw(st.one_of(
                st.sampled_from(["1E+999999", "-1E-999999", "1E+400", "0E-400", "9" * 60,
                                 "0.001", "-0", "1e6", "1_000", "0", "-1"]),
                st.decimals(allow_nan=False, allow_infinity=False).map(str)))
        elif op == "delete" and node.getparent() is not None:
            node.getparent().remove(node)
        elif op == "duplicate" and node.getparent() is not None:
            node.addnext(copy.deepcopy(node))
        elif op == "attr":
            for key in list(node.attrib):
                node.set(key, draw(hostile_text().filter(_xml_safe)))
        else:
            node.text = None
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8"))


def _is_number(text: str | None) -> bool:
    try:
        Decimal((text or "").strip())
    except ArithmeticError:
        return False
    return True


def _xml_safe(text: str) -> bool:
    try:
        etree.Element("x").text = text
    except ValueError:
        return False
    return True


@given(mutated_invoices())
@FUZZ
def test_mutated_invoices_parse_or_are_rejected_naming_a_rule(data: bytes) -> None:
    try:
        invoice = parse_invoice(data, source="mutated.xml")
    except InvoiceRejected as exc:
        assert_refusal(exc, InvoiceRejected)
        assert exc.rule and exc.source == "mutated.xml"
        return
    assert invoice.lines and invoice.totals.payable.is_finite()


@pytest.mark.parametrize("value", ["1E+999999", "1E+400", "-1E-999999", "1E+100000"])
@pytest.mark.parametrize("tag", ["InvoicedQuantity", "PriceAmount", "BaseQuantity",
                                 "LineExtensionAmount", "TaxableAmount"])
def test_absurd_magnitudes_are_rejected_not_crashed(tag: str, value: str) -> None:
    root = etree.fromstring(SCHOOL)
    cbc = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
    price = root.find(".//{urn:oasis:names:specification:ubl:schema:xsd:"
                      "CommonAggregateComponents-2}Price")
    if tag == "BaseQuantity":
        etree.SubElement(price, f"{{{cbc}}}BaseQuantity").text = value
    for node in root.iter(f"{{{cbc}}}{tag}"):
        node.text = value
    with pytest.raises(InvoiceRejected) as caught:
        parse_invoice(etree.tostring(root), source="huge.xml")
    assert_refusal(caught.value, InvoiceRejected)
