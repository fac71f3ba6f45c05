"""Field access on one UBL document; every refusal an ``InvoiceRejected`` naming the rule."""

from __future__ import annotations

from datetime import date
from decimal import Decimal, InvalidOperation
from typing import Any

from hub.errors import InvoiceRejected

CBC = "urn:oasis:names:specification:ubl:schema:xsd:CommonBasicComponents-2"
CAC = "urn:oasis:names:specification:ubl:schema:xsd:CommonAggregateComponents-2"
NS = {"cbc": CBC, "cac": CAC}
ZERO = Decimal(0)


class Fields:
    """Reads text, amounts and dates from the nodes of one document (``source``)."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, rule: str, detail: str) -> InvoiceRejected:
        """The refusal of this document under ``rule``."""
        return InvoiceRejected(self.source, rule, detail)

    def text(self, node: Any, path: str) -> str | None:
        """Stripped text at ``path``; None when absent or blank."""
        found = node.find(path, NS)
        if found is None or found.text is None or not found.text.strip():
            return None
        return str(found.text).strip()

    def need(self, node: Any, path: str, rule: str, what: str) -> str:
        """Text at ``path``, refused under ``rule`` when absent."""
        value = self.text(node, path)
        if value is None:
            raise self.fail(rule, f"{what} ({path}) is missing")
        return value

    def amount(self, node: Any, path: str, rule: str, what: str, *,
               required: bool = True) -> Decimal:
        """A decimal at ``path`` (0 when optional and absent)."""
        raw = self.need(node, path, rule, what) if required else self.text(node, path)
        return ZERO if raw is None else self.decimal(raw, what)

    def decimal(self, raw: str, what: str) -> Decimal:
        """``raw`` as a finite Decimal, exactly as written (UBL-DECIMAL otherwise)."""
        try:
            value = Decimal(raw)
        except InvalidOperation:
            raise self.fail("UBL-DECIMAL", f"{what} is not a number") from None
        if not value.is_finite():
            raise self.fail("UBL-DECIMAL", f"{what} is not a finite number")
        return value

    def date(self, node: Any, path: str, rule: str, what: str, *,
             required: bool = False) -> date | None:
        """An ISO date at ``path`` (refused under ``rule`` when malformed or required)."""
        raw = self.need(node, path, rule, what) if required else self.text(node, path)
        if raw is None:
            return None
        try:
            return date.fromisoformat(raw)
        except ValueError:
            raise self.fail(rule, f"{what} is not a date (YYYY-MM-DD)") from None

    def indicator(self, node: Any, what: str) -> bool:
        """A ChargeIndicator: true (charge) or false (allowance), UBL-AC otherwise."""
        value = self.need(node, "cbc:ChargeIndicator", "UBL-AC", f"charge indicator of {what}")
        if value not in ("true", "false"):
            raise self.fail("UBL-AC", f"charge indicator of {what} is not true or false")
        return value == "true"
