"""connectors.ubl reads by the standard: one test per rule, each on a document of our own making
(``connectors.ubl.writer``), with the official validators (tests/ubl_oracle.py) as referee: what
they accept the reader accepts, what they refuse it refuses under the same rule id, and the
hub's own refusals (HUB-*) are of documents EN 16931 accepts."""

from __future__ import annotations

import ast
import re
from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from connectors.ubl import InvoiceRejected, factuur, parse_invoice, rules
from connectors.ubl import writer as w
from tests.ubl_oracle import CAC, CBC, CEN_SCH, UblOracle

ROOT = Path(__file__).resolve().parents[2]
SELLER = w.Party("Taalschool Utrecht B.V.", "30000001", w.KVK,
                 w.Address("Oudegracht 120", "Utrecht", "3511 AX"), identifier="B10001",
                 vat_number="NL300000010B01")
BUYER = w.Party("Gemeente Utrecht", "00000099000000344000", w.OIN,
                w.Address("Stadsplateau 1", "Utrecht", "3521 AZ"))
LINE = w.Line("Lesuren B1", Decimal(12), Decimal("41.00"), date(2024, 2, 1), date(2024, 2, 29),
              object_id="CR" + "0" * 30)
T0 = datetime(2024, 3, 2)
Edit = Callable[[Any], None]


def _doc(lines: list[w.Line] | None = None, *, edit: Edit | None = None, **kw: Any) -> bytes:
    data = w.render(w.Document(**{
        "number": "T-1", "issue_date": date(2024, 3, 1), "seller": SELLER, "buyer": BUYER,
        "lines": lines or [LINE], "buyer_reference": "C-1", "iban": "NL91ABNA0417164300",
        "due_date": date(2024, 3, 31),
        "exemption_reason": "Vrijgesteld onderwijs", **kw}))
    if edit is None:
        return data
    root = etree.fromstring(data)
    edit(root)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8")


def _q(path: str) -> str:
    """``cac:A/cbc:B`` -> Clark notation for lxml."""
    return "/".join(f"{{{CAC if p.startswith('cac:') else CBC}}}{p[4:]}" for p in path.split("/"))


def _set(root: Any, path: str, text: str) -> None:
    for node in root.iterfind(_q(path)):
        node.text = text


def _drop(root: Any, path: str) -> None:
    for node in list(root.iterfind(_q(path))):
        node.getparent().remove(node)


def _refused(data: bytes) -> str:
    with pytest.raises(InvoiceRejected) as info:
        parse_invoice(data, source="t.xml")
    return info.value.rule


def test_our_own_document_is_valid_and_read_whole(ubl_oracle: UblOracle) -> None:
    data = _doc()
    assert ubl_oracle.check(data).valid
    inv = parse_invoice(data, source="t.xml")
    assert (inv.supplier.name, inv.supplier.vat_number, inv.payment_means_code,
            inv.payee_iban) == ("Taalschool Utrecht B.V.", "NL300000010B01", "58",
                                "NL91ABNA0417164300")


def test_seller_vat_number_comes_from_the_vat_scheme_not_the_first_one(
        ubl_oracle: UblOracle) -> None:
    def other_scheme_first(root: Any) -> None:
        party = root.find(_q("cac:AccountingSupplierParty/cac:Party"))
        vat = party.find(_q("cac:PartyTaxScheme"))
        other = etree.fromstring(etree.tostring(vat))
        other.find(_q("cbc:CompanyID")).text = "TAX-REG-7"
        other.find(_q("cac:TaxScheme/cbc:ID")).text = "LOC"
        vat.addprevious(other)

    data = _doc(edit=other_scheme_first)
    assert ubl_oracle.check(data).valid
    seller = parse_invoice(data, source="t.xml").supplier
    assert (seller.vat_number, seller.tax_registration_id) == ("NL300000010B01", "TAX-REG-7")


@pytest.mark.parametrize(("party", "rule"), [("AccountingSupplierParty", "BR-06"),
                                             ("AccountingCustomerParty", "BR-07")])
def test_a_missing_registration_name_is_refused_not_filled_from_the_trading_name(
        ubl_oracle: UblOracle, party: str, rule: str) -> None:
    def trading_name_only(root: Any) -> None:
        node = root.find(_q(f"cac:{party}/cac:Party"))
        name = etree.SubElement(node, f"{{{CAC}}}PartyName")
        etree.SubElement(name, f"{{{CBC}}}Name").text = "Handelsnaam"
        node.find(_q("cac:PostalAddress")).addprevious(name)
        _drop(node, "cac:PartyLegalEntity/cbc:RegistrationName")

    data = _doc(edit=trading_name_only)
    assert rule in ubl_oracle.check(data).fatal
    assert _refused(data) == rule


def test_a_credit_notes_due_date_is_read_from_payment_means(ubl_oracle: UblOracle) -> None:
    data = _doc(credit_note_for="T-0", due_date=date(2024, 3, 31))
    assert b"<cbc:PaymentDueDate>2024-03-31<" in data and ubl_oracle.check(data).valid
    inv = parse_invoice(data, source="t.xml")
    assert inv.is_credit_note and inv.due_date == date(2024, 3, 31)
    assert factuur(inv, source="t", received_at=T0)["vervaldatum"] == date(2024, 3, 31)


def test_only_a_document_reference_of_type_130_is_the_line_object(ubl_oracle: UblOracle) -> None:
    data = _doc(edit=lambda root: _set(root, "cac:InvoiceLine/cac:DocumentReference/"
                                       "cbc:DocumentTypeCode", "916"))
    assert "PEPPOL-EN16931-R101" in ubl_oracle.check(data).fatal
    assert ubl_oracle.check(data, as_cius="si-ubl").valid  # allowed outside Peppol
    [line] = parse_invoice(data, source="t.xml").lines
    assert line.object_id is None
    [line] = parse_invoice(_doc(), source="t.xml").lines
    assert line.object_id == "CR" + "0" * 30


def _shift_line_amount(delta: str) -> Edit:
    """Move line 1's net amount and every total that sums it by ``delta``."""
    def edit(root: Any) -> None:
        for path in ("cac:InvoiceLine/cbc:LineExtensionAmount",
                     "cac:TaxTotal/cac:TaxSubtotal/cbc:TaxableAmount",
                     *(f"cac:LegalMonetaryTotal/cbc:{t}" for t in (
                         "LineExtensionAmount", "TaxExclusiveAmount", "TaxInclusiveAmount",
                         "PayableAmount"))):
            node = root.find(_q(path))
            node.text = f"{Decimal(node.text) + Decimal(delta):.2f}"
    return edit


@pytest.mark.parametrize(("delta", "accepted"), [("0.02", True), ("-0.02", True),
                                                 ("0.03", False), ("-0.03", False)])
def test_line_amounts_get_peppols_rounding_tolerance(ubl_oracle: UblOracle, delta: str,
                                                     accepted: bool) -> None:
    data = _doc(edit=_shift_line_amount(delta))
    report = ubl_oracle.check(data)
    assert report.valid is accepted, report.fatal
    if accepted:
        assert parse_invoice(data, source="t.xml").lines[0].line_amount == \
            Decimal("492.00") + Decimal(delta)
    else:
        assert report.fatal == {"PEPPOL-EN16931-R120"}
        assert _refused(data) == "PEPPOL-EN16931-R120"


@pytest.mark.parametrize(("start", "end", "period"), [
    (None, date(2024, 2, 29), (date(2024, 2, 29), date(2024, 2, 29))),
    (date(2024, 2, 1), None, (date(2024, 2, 1), date(2024, 2, 1))),
    (None, None, (date(2024, 3, 1), date(2024, 3, 1))),  # the issue date
])
def test_a_line_with_one_period_date_keeps_its_own_date(
        ubl_oracle: UblOracle, start: date | None, end: date | None,
        period: tuple[date, date]) -> None:
    data = _doc([w.Line("Lesuren", Decimal(1), Decimal("41.00"), start, end)])
    assert ubl_oracle.check(data).valid
    inv = parse_invoice(data, source="t.xml")
    assert inv.line_period(inv.lines[0]) == period
    [regel] = factuur(inv, source="t", received_at=T0)["regels"]
    assert (regel["periode_begindatum"], regel["periode_einddatum"]) == period


def test_a_missing_line_date_is_taken_from_the_invoice_period_when_it_fits() -> None:
    def invoice_period(root: Any) -> None:
        period = etree.Element(f"{{{CAC}}}InvoicePeriod")
        etree.SubElement(period, f"{{{CBC}}}StartDate").text = "2024-02-01"
        etree.SubElement(period, f"{{{CBC}}}EndDate").text = "2024-02-29"
        root.find(_q("cbc:BuyerReference")).addnext(period)

    inv = parse_invoice(_doc([w.Line("Lesuren", Decimal(1), Decimal("41.00"), None,
                                     date(2024, 2, 10))], edit=invoice_period), source="t.xml")
    assert inv.line_period(inv.lines[0]) == (date(2024, 2, 1), date(2024, 2, 10))


@pytest.mark.parametrize(("path", "rule"), [("cac:InvoiceLine/cac:InvoicePeriod", "BR-30")])
def test_a_period_that_ends_before_it_starts_is_refused(ubl_oracle: UblOracle, path: str,
                                                        rule: str) -> None:
    data = _doc(edit=lambda root: _set(root, f"{path}/cbc:EndDate", "2024-01-31"))
    assert rule in ubl_oracle.check(data).fatal
    assert _refused(data) == rule


def test_the_vat_category_list_is_the_one_en16931_uses(ubl_oracle: UblOracle) -> None:
    official = re.search(r'id="BR-CL-18".*?contains\(\s*\' ([A-Z ]+) \'',
                         CEN_SCH.read_text(encoding="utf-8"), re.S)
    assert official is not None
    assert sorted(rules.VAT_CATEGORIES) == sorted(official.group(1).split())
    data = _doc(edit=lambda root: _set(root, "cac:InvoiceLine/cac:Item/"
                                       "cac:ClassifiedTaxCategory/cbc:ID", "X"))
    assert "BR-CL-18" in ubl_oracle.check(data).fatal
    assert _refused(data) == "BR-CL-18"


def test_a_standard_rated_invoice_is_accepted_and_its_vat_amount_checked(
        ubl_oracle: UblOracle) -> None:
    lines = [LINE, w.Line("Lesmateriaal", Decimal(3), Decimal("19.99"), category="S",
                          percent=Decimal(21))]
    data = _doc(lines)
    assert ubl_oracle.check(data).valid
    assert parse_invoice(data, source="t.xml").totals.tax_amount == Decimal("12.59")

    def one_unit_off(root: Any) -> None:  # CEN: within one unit, so exactly one is refused
        for node in root.iterfind(_q("cac:TaxTotal/cac:TaxSubtotal/cbc:TaxAmount")):
            if node.text == "12.59":
                node.text = "13.59"
        _set(root, "cac:TaxTotal/cbc:TaxAmount", "13.59")
        for tag in ("TaxInclusiveAmount", "PayableAmount"):
            _set(root, f"cac:LegalMonetaryTotal/cbc:{tag}", "564.56")

    off = _doc(lines, edit=one_unit_off)
    assert "BR-CO-17" in ubl_oracle.check(off).fatal
    assert _refused(off) == "BR-CO-17"


def test_a_zero_base_quantity_is_refused_by_its_peppol_rule(ubl_oracle: UblOracle) -> None:
    def zero_base(root: Any) -> None:
        price = root.find(_q("cac:InvoiceLine/cac:Price"))
        etree.SubElement(price, f"{{{CBC}}}BaseQuantity", unitCode="HUR").text = "0"

    data = _doc(edit=zero_base)
    assert "PEPPOL-EN16931-R121" in ubl_oracle.check(data).fatal
    assert _refused(data) == "PEPPOL-EN16931-R121"


@pytest.mark.parametrize(("line", "edit", "rule"), [
    (w.Line("Les", Decimal(8), Decimal("0.125")), None, "HUB-PRICE"),
    (w.Line("Les", Decimal("1.2345"), Decimal("10.00")), None, "HUB-QUANTITY"),
    (w.Line("Boek", Decimal(1), Decimal("10.00"), category="S", percent=Decimal("21.125")),
     None, "HUB-RATE"),
    (LINE, lambda root: _set(root, "cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID",
                             "NL00ABNA0417164300"), "HUB-IBAN"),
])
def test_policy_refusals_are_of_documents_the_standard_accepts(
        ubl_oracle: UblOracle, line: w.Line, edit: Edit | None, rule: str) -> None:
    data = _doc([line], edit=edit)
    assert ubl_oracle.check(data).valid and ubl_oracle.check(data, as_cius="si-ubl").valid
    assert _refused(data) == rule


def test_a_credit_transfer_to_a_non_iban_account_is_read_as_written() -> None:
    def code_30(root: Any) -> None:
        _set(root, "cac:PaymentMeans/cbc:PaymentMeansCode", "30")
        _set(root, "cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID", "12345678")

    inv = parse_invoice(_doc(edit=code_30), source="t.xml")
    assert (inv.payment_means_code, inv.payee_iban) == ("30", "12345678")
    spaced = _doc(edit=lambda root: _set(
        root, "cac:PaymentMeans/cac:PayeeFinancialAccount/cbc:ID", "nl91 abna 0417 1643 00"))
    assert parse_invoice(spaced, source="t.xml").payee_iban == "NL91ABNA0417164300"


# -- the README's rule table is the list of rules the reader raises ---------------------------

RULE_ID = re.compile(r"^(?:BR|PEPPOL|UBL|XML|HUB)-[A-Z0-9]+(?:-[A-Z0-9]+)*$")


def _raised() -> set[str]:
    """Every rule-id string literal in the reader's code (docstrings excluded)."""
    found: set[str] = set()
    for path in [*sorted((ROOT / "connectors" / "ubl").glob("*.py")),
                 ROOT / "connectors" / "safexml.py"]:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        docs = {id(n.body[0].value) for n in ast.walk(tree)
                if isinstance(n, ast.Module | ast.FunctionDef | ast.ClassDef) and n.body
                and isinstance(n.body[0], ast.Expr)}
        found |= {n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)
                  and isinstance(n.value, str) and RULE_ID.match(n.value) and id(n) not in docs}
    return found


def _documented() -> set[str]:
    text = (ROOT / "connectors" / "ubl" / "README.md").read_text(encoding="utf-8")
    table = text.split("## Rules checked", 1)[1].split("\n## ", 1)[0]
    return {m for row in table.splitlines() if row.startswith("| `")
            for m in re.findall(r"`([^`]+)`", row.split("|")[1])}


def test_the_readme_rule_table_lists_every_rule_the_reader_raises() -> None:
    raised, documented = _raised(), _documented()
    assert {"BR-06", "BR-CL-18", "PEPPOL-EN16931-R120", "HUB-IBAN", "XML-DTD"} <= raised
    assert raised == documented, (sorted(raised - documented), sorted(documented - raised))
