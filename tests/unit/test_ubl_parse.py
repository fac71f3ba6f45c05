"""connectors.ubl on the real Peppol BIS 3 examples, each EN 16931 core rule, and hostile XML."""

from __future__ import annotations

from decimal import Decimal

import pytest

from connectors.ubl import CREDIT_NOTE, INVOICE, InvoiceRejected, parse_invoice
from hub.errors import PermanentError
from tests.shared_fixtures import PEPPOL


def _load(name: str) -> bytes:
    return (PEPPOL / name).read_bytes()


def _rejected(data: bytes) -> InvoiceRejected:
    with pytest.raises(InvoiceRejected) as info:
        parse_invoice(data, source="t.xml")
    return info.value


def test_base_example_parses_to_its_values() -> None:
    inv = parse_invoice(_load("base-example.xml"), source="base-example.xml")
    assert inv.kind == INVOICE and inv.type_code == "380"
    assert inv.number == "Snippet1"
    assert str(inv.issue_date) == "2017-11-13" and str(inv.due_date) == "2017-12-01"
    assert inv.supplier.name == "SupplierOfficialName Ltd"
    assert inv.supplier.trading_name == "SupplierTradingName Ltd."
    assert inv.supplier.id == "99887766" and inv.supplier.vat_number == "GB1232434"
    assert inv.buyer.name == "Buyer Official Name"
    assert inv.buyer_reference == "0150abc"
    assert inv.currency == "EUR" and inv.payee_iban == "IBAN32423940"
    assert [(x.line_id, x.quantity, x.unit_code, x.price, x.line_amount, x.vat_category,
             x.vat_percent) for x in inv.lines] == [
        ("1", Decimal(7), "DAY", Decimal(400), Decimal(2800), "S", Decimal(25)),
        ("2", Decimal(-3), "DAY", Decimal(500), Decimal(-1500), "S", Decimal(25)),
    ]
    assert inv.lines[0].name == "item name" and inv.lines[0].order_line_ref == "123"
    assert [(v.category, v.taxable_amount, v.tax_amount) for v in inv.vat] == [
        ("S", Decimal(1325), Decimal("331.25"))]
    t = inv.totals
    assert (t.line_extension, t.charge_total, t.tax_exclusive, t.tax_amount, t.tax_inclusive,
            t.payable) == (Decimal(1300), Decimal(25), Decimal(1325), Decimal("331.25"),
                           Decimal("1656.25"), Decimal("1656.25"))
    assert len(inv.sha256) == 64


def test_credit_note_parses_with_credited_quantities_and_billing_reference() -> None:
    inv = parse_invoice(_load("base-creditnote-correction.xml"), source="cn.xml")
    assert inv.kind == CREDIT_NOTE and inv.is_credit_note and inv.type_code == "381"
    assert inv.preceding_invoice == "Snippet1"
    assert inv.supplier.name == "SupplierOfficialName Ltd" and inv.buyer_reference == "0150abc"
    assert [(x.quantity, x.price, x.line_amount) for x in inv.lines] == [
        (Decimal(7), Decimal(400), Decimal(2800)), (Decimal(-3), Decimal(500), Decimal(-1500))]
    assert inv.totals.payable == Decimal("1656.25")


def test_vat_category_e_invoice() -> None:
    inv = parse_invoice(_load("vat-category-E.xml"), source="e.xml")
    assert inv.number == "Vat-Z" and inv.currency == "GBP"
    assert inv.supplier.name == "The Sellercompany Incorporated"
    assert inv.supplier.id == "7300010000001" and inv.supplier.trading_name is None
    assert inv.buyer.name == "The Buyercompany" and inv.buyer_reference == "test reference"
    [line] = inv.lines
    assert (line.quantity, line.unit_code, line.price, line.line_amount, line.vat_category,
            line.vat_percent) == (Decimal(10), "EA", Decimal("120.00"), Decimal("1200.00"),
                                  "E", Decimal(0))
    [vat] = inv.vat
    assert (vat.category, vat.exemption_reason_code, vat.tax_amount) == (
        "E", "VATEX-EU-F", Decimal("0.00"))
    assert inv.totals.payable == Decimal("1200.00") and inv.totals.tax_amount == 0


@pytest.mark.parametrize(("old", "new", "rule"), [
    # a line total that does not match its quantity x price
    (b'<cbc:PriceAmount currencyID="EUR">400', b'<cbc:PriceAmount currencyID="EUR">410',
     "PEPPOL-EN16931-R120"),
    # BT-106 not the sum of the lines
    (b'<cbc:LineExtensionAmount currencyID="EUR">1300', b'<cbc:LineExtensionAmount '
     b'currencyID="EUR">1310', "BR-CO-10"),
    (b'<cbc:TaxExclusiveAmount currencyID="EUR">1325', b'<cbc:TaxExclusiveAmount '
     b'currencyID="EUR">1300', "BR-CO-13"),
    (b'<cbc:TaxAmount currencyID="EUR">331.25</cbc:TaxAmount>\n        <cac:TaxSubtotal>',
     b'<cbc:TaxAmount currencyID="EUR">331.00</cbc:TaxAmount>\n        <cac:TaxSubtotal>',
     "BR-CO-14"),
    (b'<cbc:TaxableAmount currencyID="EUR">1325', b'<cbc:TaxableAmount currencyID="EUR">1300',
     "BR-S-08"),
    (b'<cbc:TaxInclusiveAmount currencyID="EUR">1656.25', b'<cbc:TaxInclusiveAmount '
     b'currencyID="EUR">1656.00', "BR-CO-15"),
    (b'<cbc:PayableAmount currencyID="EUR">1656.25', b'<cbc:PayableAmount '
     b'currencyID="EUR">1600', "BR-CO-16"),
    (b'<cbc:ChargeTotalAmount currencyID="EUR">25', b'<cbc:ChargeTotalAmount '
     b'currencyID="EUR">20', "BR-CO-12"),
    (b"<cbc:ID>Snippet1</cbc:ID>\n    <cbc:IssueDate>", b"<cbc:IssueDate>", "BR-02"),
    (b"<cbc:BuyerReference>0150abc</cbc:BuyerReference>", b"", "PEPPOL-EN16931-R003"),
    (b"<cbc:Name>item name</cbc:Name>", b"", "BR-25"),
    (b"<cbc:IssueDate>2017-11-13", b"<cbc:IssueDate>13-11-2017", "BR-03"),
    (b'<cbc:LineExtensionAmount currencyID="EUR">1300<', b'<cbc:LineExtensionAmount '
     b'currencyID="EUR">1300.001<', "BR-DEC-09"),
])
def test_broken_invoice_names_the_failed_rule(old: bytes, new: bytes, rule: str) -> None:
    data = _load("base-example.xml")
    assert old in data
    exc = _rejected(data.replace(old, new, 1))
    assert exc.rule == rule
    assert isinstance(exc, PermanentError) and str(exc).startswith(f"t.xml: {rule}: ")


def test_category_e_needs_exemption_reason_and_zero_rate() -> None:
    data = _load("vat-category-E.xml")
    assert _rejected(data.replace(b"<cbc:TaxExemptionReasonCode>VATEX-EU-F"
                                  b"</cbc:TaxExemptionReasonCode>", b"")).rule == "BR-E-10"
    line_rate = b"<cbc:ID>E</cbc:ID>\n                <cbc:Percent>0</cbc:Percent>"
    assert line_rate in data
    assert _rejected(data.replace(line_rate, b"<cbc:ID>E</cbc:ID><cbc:Percent>9</cbc:Percent>")
                     ).rule == "BR-E-05"


def test_document_without_lines_is_br16() -> None:
    data = _load("vat-category-E.xml")
    start, end = data.index(b"<cac:InvoiceLine>"), data.index(b"</cac:InvoiceLine>") + 18
    assert _rejected(data[:start] + data[end:]).rule == "BR-16"


@pytest.mark.parametrize(("data", "rule"), [
    (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]>'
     b'<Invoice xmlns="urn:oasis:names:specification:ubl:schema:xsd:Invoice-2">&x;</Invoice>',
     "XML-DTD"),
    (b'<?xml version="1.0"?><!DOCTYPE r [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;">'
     b'<!ENTITY c "&b;&b;&b;&b;&b;&b;">]><Invoice>&c;</Invoice>', "XML-DTD"),
    (b'<?xml version="1.0"?><!DOCTYPE Invoice SYSTEM "http://127.0.0.1:1/x.dtd"><Invoice/>',
     "XML-DTD"),
    (b"<Invoice><unclosed></Invoice>", "XML-SYNTAX"),
    (b"<Order xmlns='urn:x'/>", "UBL-ROOT"),
])
def test_hostile_or_foreign_xml_is_refused(data: bytes, rule: str) -> None:
    exc = _rejected(data)
    assert exc.rule == rule
    assert "root:" not in str(exc)  # nothing of /etc/passwd leaks into the message


def test_oversized_document_is_refused_before_parsing() -> None:
    data = _load("base-example.xml")
    with pytest.raises(InvoiceRejected) as info:
        parse_invoice(data, source="big.xml", max_bytes=len(data) - 1)
    assert info.value.rule == "XML-SIZE"
