"""Kredietbank API bodies, mutaties, relayed decisions and UBL invoices (pure translators)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

import topics
from connectors.kredietbank.invoice import factuur
from connectors.kredietbank.translate import mutatie, relay
from connectors.kredietbank.ublgen import Fee, render
from connectors.ubl import InvoiceRejected, parse_invoice
from hub.errors import InvalidField

BSN = "123456782"
NOW = datetime(2025, 1, 2, tzinfo=UTC)


class Sealer:
    def case_ref(self, bsn: str) -> str:
        return "CR" + bsn.rjust(30, "0")

    def seal(self, bsn: str) -> dict[str, object]:
        return {"key_id": "k", "nonce": b"n", "ciphertext": b"c"}


def _betaling(**extra: object) -> dict[str, object]:
    return {"soort": "BETALING", "betalingId": "HH1-202403-HUUR", "huishoudenId": "HH1",
            "bsn": BSN, "periode": "2024-03", "crediteurSoort": "HUUR",
            "crediteurIban": "NL91ABNA0417164300", "bedragCent": 70000, "status": "MISLUKT",
            "redenMislukt": "onvoldoende saldo", **extra}


def test_failed_payment_has_no_date_and_a_reason() -> None:
    routed = mutatie(_betaling(), sealer=Sealer(), received_at=NOW)
    assert routed.topic == topics.ONTZORGEN_BETALING
    assert routed.record["periode_begindatum"] == date(2024, 3, 1)
    assert (routed.record["betaaldatum"], routed.record["reden_mislukt"]) == (
        None, "onvoldoende saldo")
    paid = mutatie(_betaling(status="BETAALD", betaaldatum="2024-03-28"), sealer=Sealer(),
                   received_at=NOW)
    assert paid.record["message_id"] != routed.record["message_id"]  # a retry that succeeded


def test_einde_and_bad_mutaties() -> None:
    einde = mutatie({"soort": "EINDE", "huishoudenId": "HH1", "bsn": BSN,
                     "einddatum": "2024-05-31", "reden": "BIJSTAND_BEEINDIGD"},
                    sealer=Sealer(), received_at=NOW)
    assert (einde.topic, einde.record["reden"]) == (topics.ONTZORGEN_EINDE, "BIJSTAND_BEEINDIGD")
    with pytest.raises(InvalidField, match="periode"):
        mutatie(_betaling(periode="maart"), sealer=Sealer(), received_at=NOW)
    with pytest.raises(InvalidField, match="soort"):
        mutatie({"soort": "RENTE", "bsn": BSN, "huishoudenId": "HH1"}, sealer=Sealer(),
                received_at=NOW)


def test_relay_turns_decisions_into_aanmelding_or_afmelding() -> None:
    besluit = {"message_id": "m1", "case_ref": "CR1", "besluit": "BEEINDIGD",
               "huishouden_id": "HH1", "ontzorgen_einddatum": date(2024, 5, 31),
               "einde_reden": "BIJSTAND_BEEINDIGD", "besluit_kenmerk": "B1"}
    routed = relay(besluit, produced_at=NOW)
    assert routed is not None and routed.topic == topics.HUB_ONTZORGEN_EINDE
    assert routed.record["reden"] == "BIJSTAND_BEEINDIGD"
    again = relay(besluit, produced_at=NOW)
    assert again is not None and again.record["message_id"] == routed.record["message_id"]
    assert relay({**besluit, "besluit": "AFGEWEZEN"}, produced_at=NOW) is None


def test_fee_invoice_parses_to_cents_and_a_broken_one_is_refused() -> None:
    fees = [Fee("Intake", Decimal("147.00"), date(2024, 3, 1), date(2024, 3, 1), "HH1", None),
            Fee("Budgetbeheer 2024-03", Decimal("25.00"), date(2024, 3, 1), date(2024, 3, 31),
                "HH1", None)]
    record = factuur(parse_invoice(render("KB1", date(2024, 4, 1), "ONTZORGEN-0363",
                                          "00000001001234567000", fees), source="t"),
                     received_at=NOW)
    assert record["te_betalen_cent"] == 17_200
    assert [(r["eenheidsprijs_cent"], r["koper_referentie"]) for r in record["regels"]] == [
        (14_700, "HH1"), (2_500, "HH1")]
    with pytest.raises(InvoiceRejected) as info:
        parse_invoice(render("KB2", date(2024, 4, 1), "X", "0", fees,
                             payable_override=Decimal("1.00")), source="t")
    assert info.value.rule == "BR-CO-16"
