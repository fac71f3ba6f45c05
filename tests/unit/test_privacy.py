"""R20 BSN validation, case references, AES-GCM with key ids, redaction."""

from __future__ import annotations

import base64
import os

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hub.errors import ConfigurationError, InvalidField
from hub.privacy import BsnCipher, case_ref, is_valid_bsn, normalise_bsn, redact


def _eleven_test(digits: str) -> bool:
    weights = (9, 8, 7, 6, 5, 4, 3, 2, -1)
    return sum(w * int(d) for w, d in zip(weights, digits.zfill(9), strict=True)) % 11 == 0


@pytest.mark.parametrize(("value", "valid"), [
    ("111222333", True), ("123456782", True), ("12345672", True),  # 8 digits: leading zero
    ("123456789", False), ("000000000", False), ("12345678a", False), ("1234567", False),
    ("1112223333", False), ("١١١٢٢٢٣٣٣", False),
])
def test_bsn_eleven_test(value: str, valid: bool) -> None:
    assert is_valid_bsn(value) is valid


@given(st.text(alphabet="0123456789", min_size=9, max_size=9))
def test_bsn_validation_agrees_with_the_r20_definition(value: str) -> None:
    assert is_valid_bsn(value) == (_eleven_test(value) and value != "000000000")


def test_invalid_bsn_error_names_the_field_not_the_value() -> None:
    with pytest.raises(InvalidField) as info:
        normalise_bsn("123456789", field="persoon.bsn")
    assert "persoon.bsn" in str(info.value)
    assert "123456789" not in str(info.value)


def test_case_ref_is_stable_keyed_and_never_contains_the_bsn() -> None:
    ref = case_ref("111222333", "key-a")
    assert ref == case_ref("111222333", "key-a")
    assert ref != case_ref("111222333", "key-b")
    assert ref.startswith("CR") and len(ref) == 32 and "111222333" not in ref
    assert case_ref("12345672", "k") == case_ref("012345672", "k")


def _keys(*ids: str) -> dict[str, bytes]:
    return {key_id: os.urandom(32) for key_id in ids}


def test_encrypt_decrypt_and_key_rotation() -> None:
    keys = _keys("k1", "k2")
    old = BsnCipher(keys, "k1").encrypt("111222333")
    rotated = BsnCipher(keys, "k2")
    assert rotated.decrypt(old) == "111222333"  # old values stay readable after rotation
    new = rotated.encrypt("111222333")
    assert new.key_id == "k2" and new.ciphertext != old.ciphertext
    assert rotated.decrypt(new.as_record()) == "111222333"
    assert b"111222333" not in new.ciphertext


def test_tampered_or_unknown_key_is_refused() -> None:
    cipher = BsnCipher(_keys("k1"), "k1")
    value = cipher.encrypt("111222333").as_record()
    body: bytes = value["ciphertext"]  # type: ignore[assignment]
    tampered = {**value, "ciphertext": bytes([body[0] ^ 1]) + body[1:]}
    with pytest.raises(InvalidField, match="does not decrypt"):
        cipher.decrypt(tampered)
    with pytest.raises(InvalidField, match="unknown key id"):
        cipher.decrypt({**value, "key_id": "k9"})
    with pytest.raises(ConfigurationError):
        BsnCipher(_keys("k1"), "k2")


def test_redact_masks_only_numbers_that_pass_the_bsn_test() -> None:
    text = "case 111222333 and invoice 123456789 and 12345672"
    assert redact(text) == "case <bsn> and invoice 123456789 and <bsn>"


def test_redact_keeps_a_case_reference_whole_even_when_its_digits_pass_the_bsn_test() -> None:
    ref = "CR81402763F13E0C132207229DB0FCFE"
    assert is_valid_bsn("132207229")
    assert redact(f"case {ref} failed; bsn 132207229") == f"case {ref} failed; bsn <bsn>"


def test_settings_keys_parse() -> None:
    from hub.settings import Settings

    key = base64.b64encode(os.urandom(32)).decode()
    settings = Settings(bsn_keys=f"a:{key}", bsn_active_key="a", case_ref_key="x")
    assert BsnCipher.from_settings(settings).active == "a"
    with pytest.raises(ConfigurationError, match="32 bytes"):
        Settings(bsn_keys="a:" + base64.b64encode(b"short").decode()).bsn_key_map()
