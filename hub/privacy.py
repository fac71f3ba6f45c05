"""BSN handling (R20, R23, ARCHITECTURE principle 5).

A BSN is validated at the connector edge, turned into a case reference (a keyed hash) for keys
and logs, and from then on travels only encrypted with AES-GCM under a key id so keys can
rotate. Partner payloads that must be kept (an edge dead letter's original) are sealed with the
same keys (``seal_payload``). Nothing here ever puts a BSN in an exception message.
"""

from __future__ import annotations

import hashlib
import hmac
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from hub.errors import ConfigurationError, InvalidField

_WEIGHTS = (9, 8, 7, 6, 5, 4, 3, 2, -1)
_AAD = b"nl.inburgering.hub/bsn/v1"
# Sealed partner payloads (an edge dead letter's original): same keys, their own AAD, which
# also binds the media type, so a payload cannot pass for a BSN or for another type.
_PAYLOAD_AAD = b"nl.inburgering.hub/payload/v1:"


def is_valid_bsn(value: str) -> bool:
    """R20: 9 digits (8 padded with a leading zero), weights 9..2 and -1, sum divisible by 11."""
    if not value.isascii() or not value.isdigit() or len(value) not in (8, 9):
        return False
    digits = [int(c) for c in value.zfill(9)]
    total = sum(w * d for w, d in zip(_WEIGHTS, digits, strict=True))
    return total % 11 == 0 and total != 0


def normalise_bsn(value: str, *, field: str = "bsn") -> str:
    """Return the 9-digit BSN or raise ``InvalidField`` naming ``field`` (never the value)."""
    value = value.strip()
    if not is_valid_bsn(value):
        raise InvalidField(field, "not a valid BSN (R20 eleven-test)")
    return value.zfill(9)


def case_ref(bsn: str, key: str) -> str:
    """The case reference: a keyed hash of the BSN, stable per key, safe for keys and logs."""
    digest = hmac.new(key.encode(), normalise_bsn(bsn).encode(), hashlib.sha256).hexdigest()
    return "CR" + digest[:30].upper()


@dataclass(frozen=True)
class EncryptedBsn:
    """The Avro ``nl.inburgering.hub.EncryptedBsn`` record as a value object."""

    key_id: str
    nonce: bytes
    ciphertext: bytes

    def as_record(self) -> dict[str, object]:
        """Plain dict in the Avro record's shape."""
        return {"key_id": self.key_id, "nonce": self.nonce, "ciphertext": self.ciphertext}


class BsnCipher:
    """AES-GCM encryption of BSNs under named keys; encrypts with the active key."""

    def __init__(self, keys: dict[str, bytes], active: str) -> None:
        if active not in keys:
            raise ConfigurationError(f"active BSN key {active!r} is not configured")
        self._keys = {key_id: AESGCM(raw) for key_id, raw in keys.items()}
        self.active = active

    def encrypt(self, bsn: str) -> EncryptedBsn:
        """Encrypt a validated BSN with the active key and a fresh 96-bit nonce."""
        nonce = os.urandom(12)
        ciphertext = self._keys[self.active].encrypt(nonce, normalise_bsn(bsn).encode(), _AAD)
        return EncryptedBsn(self.active, nonce, ciphertext)

    def decrypt(self, value: EncryptedBsn | dict[str, object]) -> str:
        """Decrypt with the key named in the value; raises ``InvalidField`` when impossible."""
        if isinstance(value, dict):
            value = EncryptedBsn(str(value["key_id"]), _as_bytes(value["nonce"]),
                                 _as_bytes(value["ciphertext"]))
        aes = self._keys.get(value.key_id)
        if aes is None:
            raise InvalidField("bsn.key_id", f"unknown key id {value.key_id!r}")
        try:
            return aes.decrypt(value.nonce, value.ciphertext, _AAD).decode()
        except InvalidTag as exc:
            raise InvalidField("bsn.ciphertext", "does not decrypt under its key id") from exc

    def seal_payload(self, data: bytes, media_type: str) -> dict[str, object]:
        """A partner payload as a ``SealedPayload`` record, under the active key."""
        nonce = os.urandom(12)
        aad = _PAYLOAD_AAD + media_type.encode()
        return {"key_id": self.active, "nonce": nonce, "media_type": media_type,
                "ciphertext": self._keys[self.active].encrypt(nonce, bytes(data), aad)}

    def open_payload(self, sealed: Mapping[str, object]) -> bytes:
        """The payload of a ``SealedPayload`` record; ``InvalidField`` when it does not open."""
        key_id, media_type = str(sealed.get("key_id")), str(sealed.get("media_type"))
        aes = self._keys.get(key_id)
        if aes is None:
            raise InvalidField("sealed.key_id", f"unknown key id {key_id!r}")
        try:
            return aes.decrypt(_as_bytes(sealed.get("nonce")), _as_bytes(
                sealed.get("ciphertext")), _PAYLOAD_AAD + media_type.encode())
        except InvalidTag as exc:
            raise InvalidField("sealed.ciphertext", "does not decrypt under its key id") from exc

    @classmethod
    def from_settings(cls, settings: object) -> BsnCipher:
        """Build from a ``Settings`` object (keys and active key id)."""
        keys = settings.bsn_key_map()  # type: ignore[attr-defined]
        active = settings.bsn_active_key or next(iter(keys))  # type: ignore[attr-defined]
        return cls(keys, active)


def _as_bytes(value: object) -> bytes:
    if not isinstance(value, bytes | bytearray):
        raise InvalidField("bsn", "nonce and ciphertext must be bytes")
    return bytes(value)


# A case reference is matched first and kept whole: its hex digits may hold a run of 8 or 9
# decimal digits that happens to pass the eleven-test, and a case reference is no BSN.
_CASE_REF_OR_DIGITS = re.compile(r"\bCR[0-9A-F]{30}\b|(?<!\d)\d{8,9}(?!\d)")


def _mask(match: re.Match[str]) -> str:
    text = match.group()
    return "<bsn>" if is_valid_bsn(text) else text


def redact(text: str) -> str:
    """Mask every 8- or 9-digit number passing the BSN test, for error texts and logs."""
    return _CASE_REF_OR_DIGITS.sub(_mask, text)
