"""One IBAN/BIC check (``connectors.accounts``, schwifty) at every edge that takes an account:
ISAM crediteuren, the Kredietbank (aanmelding out, betaling in), UBL PaymentMeans and the
financial connector (payees and the debtor), all judging an account alike, with one error."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest

from connectors import accounts
from connectors.financieel import translate as fin
from connectors.financieel.config import FinSettings
from connectors.financieel.demo import bookings
from connectors.isam.translate import translate as isam
from connectors.kredietbank.translate import aanmelding_body, mutatie
from connectors.ubl import InvoiceRejected, parse_invoice
from connectors.ubl import writer as w
from hub.errors import ConfigurationError, InvalidAccount, InvalidField

NOW = datetime(2025, 1, 2, tzinfo=UTC)
BSN = "123456782"
GOOD = ["NL91ABNA0417164300", "nl91 abna 0417 1643 00", "DE89370400440532013000",
        "TR330006100519786457841326"]
BAD = ["NL00ABNA0417164300", "NL91ABNA041716430", "NL91ABNA0417164301", "US12345678",
       "IBAN32423940", ""]


class Sealer:
    def case_ref(self, bsn: str) -> str:
        return "CR" + bsn.rjust(30, "0")

    def seal(self, bsn: str) -> dict[str, object]:
        return {"key_id": "k", "nonce": b"n", "ciphertext": b"c"}


def _isam(iban: str) -> str:
    besluit = {"uuid": "b", "versie": 1, "bsn": BSN, "gemeentecode": "0363",
               "besluit": "TOEGEKEND", "besluitdatum": "2024-02-01", "huishoudenId": "HH1",
               "huishoudenAantalPersonen": 2, "bijstandStartdatum": "2024-02-01",
               "ontzorgenStartdatum": "2024-02-01", "ontzorgenEinddatum": "2024-08-01",
               "machtigingDatum": "2024-01-30", "machtigingKenmerk": "M1",
               "crediteuren": [{"soort": "HUUR", "naam": "X", "iban": iban, "bedragCent": 1}]}
    record = isam("ontzorgenbesluit", besluit, sealer=Sealer(), received_at=NOW).record
    return str(record["crediteuren"][0]["iban"])


def _kredietbank_in(iban: str) -> str:
    body = {"soort": "BETALING", "betalingId": "B1", "huishoudenId": "HH1", "bsn": BSN,
            "periode": "2024-03", "crediteurSoort": "HUUR", "crediteurIban": iban,
            "bedragCent": 1, "status": "BETAALD", "betaaldatum": "2024-03-28"}
    return str(mutatie(body, sealer=Sealer(), received_at=NOW).record["crediteur_iban"])


def _kredietbank_out(iban: str) -> str:
    record: dict[str, Any] = {
        "message_id": "m", "huishouden_id": "HH1", "gemeentecode": "0363",
        "huishouden_aantal_personen": 1, "bijstand_startdatum": date(2024, 1, 1),
        "ontzorgen_startdatum": date(2024, 1, 1), "ontzorgen_einddatum": date(2024, 6, 30),
        "vrijwillig": False, "machtiging_kenmerk": "M", "machtiging_datum": date(2024, 1, 1),
        "crediteuren": [{"soort": "HUUR", "naam": "X", "iban": iban, "bedrag_cent": 1}]}
    return str(aanmelding_body(record, BSN)["crediteuren"][0]["iban"])


def _ubl(iban: str) -> str:
    party = w.Party("S", "30000001", w.KVK, w.Address("Straat 1", "Utrecht", "3511 AA"))
    data = w.render(w.Document("F", date(2024, 3, 1), party, party, [w.Line(
        "Les", Decimal(1), Decimal(1))], "C-1", iban, due_date=date(2024, 3, 31),
        exemption_reason="Vrijgesteld"))
    try:
        inv = parse_invoice(data, source="f.xml")
    except InvoiceRejected as exc:  # the reader's one refusal type, caused by the account check
        assert exc.rule == "HUB-IBAN" and isinstance(exc.__cause__, InvalidAccount)
        raise exc.__cause__ from None
    return str(inv.payee_iban)


EDGES = {"isam": _isam, "kredietbank-in": _kredietbank_in, "kredietbank-out": _kredietbank_out,
         "ubl": _ubl}


@pytest.mark.parametrize("edge", EDGES)
@pytest.mark.parametrize("iban", GOOD)
def test_every_edge_takes_a_valid_iban_in_its_compact_form(edge: str, iban: str) -> None:
    assert EDGES[edge](iban) == accounts.iban(iban, field="x") == iban.replace(" ", "").upper()


@pytest.mark.parametrize("edge", EDGES)
@pytest.mark.parametrize("iban", [b for b in BAD if b])
def test_every_edge_refuses_a_bad_iban_with_the_one_error(edge: str, iban: str) -> None:
    with pytest.raises(InvalidAccount) as info:
        EDGES[edge](iban)
    assert isinstance(info.value, InvalidField) and iban not in str(info.value)


def test_the_financial_connector_books_bad_and_non_sepa_accounts_without_paying() -> None:
    base = bookings()[0]
    planned = fin.plan([{**base, "iban_begunstigde": iban} for iban in GOOD + BAD])
    assert [p.status for p in planned] == [fin.IN_BATCH] * 3 + [fin.NOT_SEPA] + \
        [fin.BAD_IBAN] * 5 + [fin.NO_IBAN]
    assert [p.transfer.creditor_iban for p in planned if p.transfer] == [
        "NL91ABNA0417164300", "NL91ABNA0417164300", "DE89370400440532013000"]


@pytest.mark.parametrize(("iban", "bic", "setting"), [
    ("NL00ABNA0417164300", "ABNANL2A", "HUB_FIN_DEBTOR_IBAN"),
    ("TR330006100519786457841326", "ABNANL2A", "HUB_FIN_DEBTOR_IBAN"),
    ("NL02ABNA0123456789", "ABNANL2", "HUB_FIN_DEBTOR_BIC"),
    ("NL02ABNA0123456789", "ABNAXX2A", "HUB_FIN_DEBTOR_BIC")])
def test_the_debtor_account_is_checked_at_start(iban: str, bic: str, setting: str) -> None:
    with pytest.raises(ConfigurationError, match=setting):
        FinSettings(debtor_iban=iban, debtor_bic=bic).debtor()
    ok = FinSettings(debtor_iban="nl02 abna 0123 4567 89", debtor_bic="abnanl2a").debtor()
    assert (ok.iban, ok.bic) == ("NL02ABNA0123456789", "ABNANL2A")


def test_the_sepa_zone_is_the_epc_list() -> None:
    inside = ["NL91ABNA0417164300", "DE89370400440532013000", "CH9300762011623852957",
              "GB33BUKB20201555555555"]
    assert all(accounts.in_sepa_zone(i) for i in inside)
    assert not accounts.in_sepa_zone("TR330006100519786457841326")
    with pytest.raises(InvalidAccount, match="outside the SEPA zone"):
        accounts.sepa_iban("TR330006100519786457841326", field="iban")
