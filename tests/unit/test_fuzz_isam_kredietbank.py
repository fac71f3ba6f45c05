"""Fuzzing the ISAM resource and Kredietbank mutatie translators (JSON in, records out).

Each resource either becomes a record that encodes under its topic's schema, or is refused with
``InvalidField`` naming the field (never a BSN): the connectors dead-letter exactly those. A
record that translates but does not encode would fail the whole page at produce time instead.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

import topics
from connectors.edge import Routed
from connectors.isam.translate import ROUTES, translate
from connectors.kredietbank.translate import mutatie
from hub.codec import AvroCodec
from hub.errors import InvalidField, PermanentError
from hub.registry import FileSchemaRegistry
from tests.unit.test_fuzz_kit import (
    FUZZ,
    HOSTILE_VALUES,
    SEALER,
    assert_refusal,
    hostile_text,
    invalid_bsns,
    valid_bsns,
)

NOW = datetime(2025, 1, 2, tzinfo=UTC)
CODEC = AvroCodec(FileSchemaRegistry())
BSN = "123456782"
_BASE = {"uuid": "u1", "versie": 2, "bsn": BSN, "gemeentecode": "0363"}
RESOURCES: dict[str, dict[str, Any]] = {
    "pip": {**_BASE, "soort": "GEWIJZIGD", "pipKenmerk": "P2",
            "dagtekeningEerstePip": "2024-03-01", "dagtekening": "2024-09-01", "leerroute": "B1",
            "niveau": "A2", "ontzorgen": False},
    "intake": {**_BASE, "gespreksdatum": "2024-02-01"},
    "gesprek": {**_BASE, "soort": "DRIEGESPREK", "gespreksdatum": "2024-02-01"},
    "koppeling": {**_BASE, "koppeldatum": "2024-01-01", "azc": "Ter Apel"},
    "pvt": {**_BASE, "afrondingsdatum": "2024-06-01", "resultaat": "NIET_VOLDAAN",
            "redenNietVoldaan": "x", "verwijtbaar": True},
    "verhuizing": {**_BASE, "verhuisdatum": "2024-05-01", "gemeentecodeOud": "0363",
                   "gemeentecodeNieuw": "0344"},
    "ontzorgenbesluit": {
        **_BASE, "besluit": "TOEGEKEND", "besluitdatum": "2024-02-01", "huishoudenId": "HH1",
        "huishoudenAantalPersonen": 2, "bijstandStartdatum": "2024-02-01",
        "ontzorgenStartdatum": "2024-02-01", "ontzorgenEinddatum": "2024-08-01",
        "machtigingKenmerk": "M1", "machtigingDatum": "2024-01-30",
        "crediteuren": [{"soort": "HUUR", "naam": "X", "iban": "NL91 ABNA 0417 1643 00",
                         "bedragCent": 70000}]},
    "pibtrajectplan": {**_BASE, "pibTrajectId": "P1", "status": "GOEDGEKEURD",
                       "indieningsdatum": "2024-01-01", "beoordelingsdatum": "2024-01-15",
                       "begrotingCent": 500000},
    "pibvoucher": {**_BASE, "pibTrajectId": "P1", "voucherId": "V1", "ontvanger": "INBURGERAAR",
                   "vorm": "VOUCHER", "waardeCent": 25000, "status": "GEKOCHT",
                   "statusdatum": "2024-02-01"},
}
MUTATIES: list[dict[str, Any]] = [
    {"soort": "BETALING", "betalingId": "HH1-202403-HUUR", "huishoudenId": "HH1", "bsn": BSN,
     "periode": "2024-03", "crediteurSoort": "HUUR", "crediteurIban": "NL91ABNA0417164300",
     "bedragCent": 70000, "status": "BETAALD", "betaaldatum": "2024-03-28"},
    {"soort": "EINDE", "huishoudenId": "HH1", "bsn": BSN, "einddatum": "2024-05-31",
     "reden": "BIJSTAND_BEEINDIGD"},
]
JSON_VALUES = st.one_of(
    hostile_text(), valid_bsns, invalid_bsns, st.none(), st.booleans(),
    st.integers(), st.sampled_from([2**31, 2**63, -(2**63) - 1, 10**30, 0, -1]),
    st.floats(allow_nan=True), st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=4), st.text(max_size=4), max_size=2))


def _check(routed: Routed) -> None:
    CODEC.encode(topics.by_name(routed.topic).value_schema, routed.record)
    CODEC.encode(topics.KEY_SCHEMA, {"case_ref": routed.record["case_ref"]})


def _isam(resource: str, data: dict[str, Any]) -> bool:
    try:
        routed = translate(resource, data, sealer=SEALER, received_at=NOW)
    except PermanentError as exc:
        assert_refusal(exc, InvalidField)
        return False
    _check(routed)
    return True


def _kredietbank(data: dict[str, Any]) -> bool:
    try:
        routed = mutatie(data, sealer=SEALER, received_at=NOW)
    except PermanentError as exc:
        assert_refusal(exc, InvalidField)
        return False
    _check(routed)
    return True


@st.composite
def _mutated(draw: st.DrawFn, base: dict[str, Any]) -> dict[str, Any]:
    data = dict(base)
    for _ in range(draw(st.integers(1, 3))):
        key = draw(st.sampled_from(sorted(data) or ["bsn"]))
        op = draw(st.sampled_from(("value", "value", "delete", "extra")))
        if op == "value":
            data[key] = draw(JSON_VALUES)
        elif op == "delete":
            data.pop(key, None)
        else:
            data[draw(st.text(max_size=6))] = draw(JSON_VALUES)
    return data


def test_the_valid_examples_translate() -> None:
    assert all(_isam(name, data) for name, data in RESOURCES.items())
    assert all(_kredietbank(m) for m in MUTATIES)


@given(st.sampled_from(sorted(RESOURCES)).flatmap(
    lambda name: st.tuples(st.just(name), _mutated(RESOURCES[name]))))
@FUZZ
def test_mutated_isam_resources_translate_or_are_refused(case: tuple[str, dict[str, Any]]
                                                         ) -> None:
    _isam(*case)


@given(st.one_of(st.sampled_from(sorted(ROUTES)), st.text(max_size=10), valid_bsns),
       st.dictionaries(st.text(max_size=10), JSON_VALUES, max_size=8))
@FUZZ
def test_random_isam_resources_are_refused(resource: str, data: dict[str, Any]) -> None:
    assert not _isam(resource, data), "a resource of random fields was accepted"


@given(st.sampled_from(MUTATIES).flatmap(_mutated))
@FUZZ
def test_mutated_kredietbank_mutaties_translate_or_are_refused(data: dict[str, Any]) -> None:
    _kredietbank(data)


def test_every_field_with_every_hostile_value() -> None:
    extremes: tuple[object, ...] = (*HOSTILE_VALUES, None, True, 2**31, 2**63, 10**30, -1, [],
                                    {"a": 1}, 1.5)
    outcomes = [_isam(name, {**data, key: value}) for name, data in RESOURCES.items()
                for key in data for value in extremes]
    outcomes += [_kredietbank({**data, key: value}) for data in MUTATIES for key in data
                 for value in extremes]
    assert any(outcomes) and not all(outcomes)


@given(valid_bsns)
@FUZZ
def test_a_bsn_in_a_name_like_position_is_never_echoed(bsn: str) -> None:
    assert not _isam(bsn, {})
    assert not _kredietbank({**MUTATIES[0], "soort": bsn, "bsn": "x"})
    assert not _kredietbank({**MUTATIES[0], "soort": bsn})
