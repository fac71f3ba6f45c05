"""ISAM notifications and resources -> hub records (pure translators)."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime
from typing import Any

import pytest

import topics
from connectors.isam.notification import parse
from connectors.isam.signals import Abonnement, deliveries
from connectors.isam.translate import message_id, translate
from hub.errors import InvalidField

BSN = "123456782"
NOW = datetime(2025, 1, 2, tzinfo=UTC)


class Sealer:
    def case_ref(self, bsn: str) -> str:
        return "CR" + bsn.rjust(30, "0")

    def seal(self, bsn: str) -> dict[str, object]:
        return {"key_id": "k", "nonce": b"n", "ciphertext": b"c"}


def _pip(**extra: Any) -> dict[str, Any]:
    return {"uuid": "u1", "versie": 2, "bsn": BSN, "gemeentecode": "0363", "soort": "GEWIJZIGD",
            "pipKenmerk": "P2", "dagtekeningEerstePip": "2024-03-01", "dagtekening": "2024-09-01",
            "leerroute": "B1", "niveau": "A2", "ontzorgen": False, **extra}


def test_pip_version_becomes_a_record_with_a_stable_id() -> None:
    routed = translate("pip", _pip(), sealer=Sealer(), received_at=NOW)
    assert routed.topic == topics.ISAM_PIP_VASTGESTELD
    assert routed.record["message_id"] == message_id("pip", "u1", 2)
    assert routed.record["message_id"] != message_id("pip", "u1", 1)
    assert routed.record["dagtekening_eerste_pip"] == date(2024, 3, 1)
    assert routed.record["bsn"] == Sealer().seal(BSN)


def test_intake_is_a_brede_intake_gesprek_without_bsn_field() -> None:
    routed = translate("intake", {"uuid": "i", "versie": 1, "bsn": BSN, "gemeentecode": "0344",
                                  "gespreksdatum": "2024-02-01"}, sealer=Sealer(),
                       received_at=NOW)
    assert (routed.topic, routed.record["soort"]) == (topics.GESPREK, "BREDE_INTAKE")
    assert "bsn" not in routed.record


@pytest.mark.parametrize(("change", "field"), [
    ({"bsn": "111222334"}, "pip.bsn"), ({"dagtekening": "1-9-2024"}, "pip.dagtekening"),
    ({"leerroute": "C"}, "pip.leerroute"), ({"gemeentecode": "363"}, "pip.gemeentecode"),
    ({"versie": "2"}, "pip.versie")])
def test_bad_fields_are_named_never_the_value(change: dict[str, Any], field: str) -> None:
    with pytest.raises(InvalidField) as info:
        translate("pip", _pip(**change), sealer=Sealer(), received_at=NOW)
    assert info.value.field == field and "111222334" not in str(info.value)


def test_ontzorgen_grant_needs_a_machtiging_and_valid_ibans() -> None:
    besluit: dict[str, Any] = {"uuid": "b", "versie": 1, "bsn": BSN, "gemeentecode": "0363",
               "besluit": "TOEGEKEND", "besluitdatum": "2024-02-01", "huishoudenId": "HH1",
               "huishoudenAantalPersonen": 2, "bijstandStartdatum": "2024-02-01",
               "ontzorgenStartdatum": "2024-02-01", "ontzorgenEinddatum": "2024-08-01",
               "machtigingDatum": "2024-01-30", "crediteuren": [
                   {"soort": "HUUR", "naam": "X", "iban": "NL91 ABNA 0417 1643 00",
                    "bedragCent": 70000}]}
    with pytest.raises(InvalidField, match="machtigingKenmerk"):
        translate("ontzorgenbesluit", besluit, sealer=Sealer(), received_at=NOW)
    besluit["machtigingKenmerk"] = "M1"
    record = translate("ontzorgenbesluit", besluit, sealer=Sealer(), received_at=NOW).record
    assert record["crediteuren"][0]["iban"] == "NL91ABNA0417164300"
    besluit["crediteuren"][0]["iban"] = "12345"
    with pytest.raises(InvalidField, match="iban"):
        translate("ontzorgenbesluit", besluit, sealer=Sealer(), received_at=NOW)


def test_notification_shape_is_checked() -> None:
    good = {"kanaal": "inburgering", "hoofdObject": "https://isam/api/v1/inburgeraars/1",
            "resource": "pip", "resourceUrl": "https://isam/api/v1/pip/u1", "actie": "update",
            "aanmaakdatum": "2025-01-02T10:00:00Z", "kenmerken": {"gemeentecode": "0363"}}
    assert parse(json.dumps(good).encode()).kenmerken == {"gemeentecode": "0363"}
    with pytest.raises(InvalidField, match="actie"):
        parse(json.dumps({**good, "actie": "explode"}).encode())
    with pytest.raises(InvalidField, match="resourceUrl"):
        parse(json.dumps({**good, "resourceUrl": "file:///etc/passwd"}).encode())


def test_signal_goes_only_to_matching_subscriptions() -> None:
    signal = {"message_id": "s1", "case_ref": "CR" + "A" * 30, "signaal_type": "PLICHT_VOLDAAN",
              "gemeentecode": "0363", "regel": "R4", "uiterlijk": None, "produced_at": NOW}
    subs = [Abonnement("https://a", "", ({"gemeentecode": "0363"},)),
            Abonnement("https://b", "", ({"gemeentecode": "0599"},)),
            Abonnement("https://c", "", ({"signaal_type": "*"},)), Abonnement("https://d", "", ())]
    routed = deliveries(signal, subs, "https://hub")
    assert [url for _, url, _ in routed] == ["https://a", "https://c"]
    assert routed[0][2]["resourceUrl"] == "https://hub/api/v1/signalen/s1"
