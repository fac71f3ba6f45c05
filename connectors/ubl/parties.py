"""Seller, buyer (BG-4, BG-7) and payment instructions (BG-16) of a UBL document."""

from __future__ import annotations

from typing import Any

from connectors import accounts
from connectors.ubl.fields import NS, Fields
from connectors.ubl.model import UblParty


def party(r: Fields, root: Any, path: str, rule: str, role: str) -> UblParty:
    """The party at ``path``; its registration name (BT-27/BT-44) is required under ``rule``."""
    node = root.find(path, NS)
    if node is None:
        raise r.fail(rule, f"{role} party ({path}) is missing")
    # BR-06/BR-07: the registration name, never the trading name (BT-28/45) in its place.
    name = r.need(node, "cac:PartyLegalEntity/cbc:RegistrationName", rule,
                  f"{role} name (BT-{27 if role == 'seller' else 44})")
    vat, registration = _tax_ids(r, node)
    endpoint = node.find("cbc:EndpointID", NS)
    return UblParty(
        name=name, trading_name=r.text(node, "cac:PartyName/cbc:Name"),
        identifier=r.text(node, "cac:PartyIdentification/cbc:ID"),
        legal_id=r.text(node, "cac:PartyLegalEntity/cbc:CompanyID"),
        vat_number=vat, tax_registration_id=registration,
        endpoint_id=r.text(node, "cbc:EndpointID"),
        endpoint_scheme=endpoint.get("schemeID") if endpoint is not None else None,
        country=r.text(node, "cac:PostalAddress/cac:Country/cbc:IdentificationCode"),
    )


def _tax_ids(r: Fields, node: Any) -> tuple[str | None, str | None]:
    """(VAT identifier BT-31/48, tax registration id BT-32): by the TaxScheme, not the order."""
    vat = other = None
    for scheme in node.findall("cac:PartyTaxScheme", NS):
        company = r.text(scheme, "cbc:CompanyID")
        if (r.text(scheme, "cac:TaxScheme/cbc:ID") or "").upper() == "VAT":
            vat = vat or company
        else:
            other = other or company
    return vat, other


def payment(r: Fields, root: Any) -> tuple[str | None, str | None, str | None]:
    """(payment means code BT-81, payee account BT-84, remittance id BT-83).

    The first PaymentMeans with an account wins (Peppol UBL-SR-47: all codes are equal). The
    account goes through the one IBAN check: compact when it is an IBAN, else as written (a
    non-IBAN account is allowed by EN 16931; the policy rule HUB-IBAN refuses it for 58).
    """
    means = root.findall("cac:PaymentMeans", NS)
    chosen = next((m for m in means if r.text(m, "cac:PayeeFinancialAccount/cbc:ID")),
                  means[0] if means else None)
    if chosen is None:
        return None, None, None
    account = r.text(chosen, "cac:PayeeFinancialAccount/cbc:ID")
    if account is not None and accounts.is_iban(account):
        account = accounts.iban(account, field="BT-84")
    return (r.text(chosen, "cbc:PaymentMeansCode"), account, r.text(chosen, "cbc:PaymentID"))
