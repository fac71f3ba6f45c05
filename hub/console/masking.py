"""Decoded records made fit for a screen: personal data masked, values JSON-friendly.

An ``EncryptedBsn`` (a record with exactly ``key_id``, ``nonce`` and ``ciphertext``) shows as
``"•••••••••"`` with its key id; other bytes show as their length; every string passes
``redact`` so a plaintext BSN that slipped into free text is masked as well (defence in
depth). ``case_ref`` is a keyed hash and is shown as it is. Only ``unmask`` decrypts, and
its callers audit every use.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

from hub.codec import AvroCodec
from hub.errors import PermanentError
from hub.privacy import BsnCipher, redact

MASK = "•••••••••"
_ENCRYPTED_KEYS = frozenset({"key_id", "nonce", "ciphertext"})


def is_encrypted_bsn(value: object) -> bool:
    """Whether ``value`` has the shape of a decoded ``EncryptedBsn`` record."""
    return isinstance(value, dict) and set(value) == _ENCRYPTED_KEYS


def masked(value: Any) -> Any:
    """``value`` as JSON-friendly data with every BSN masked."""
    return _walk(value, lambda enc: {"masked": MASK, "key_id": str(enc["key_id"])})


def unmask(value: Any, cipher: BsnCipher) -> Any:
    """``value`` as JSON-friendly data with every encrypted BSN decrypted (admins only)."""
    def reveal(enc: dict[str, Any]) -> Any:
        try:
            return {"bsn": cipher.decrypt(enc), "key_id": str(enc["key_id"])}
        except PermanentError as exc:
            return {"masked": MASK, "key_id": str(enc["key_id"]), "error": str(exc)}
    return _walk(value, reveal)


def count_bsns(value: Any) -> int:
    """How many encrypted BSNs ``value`` holds (what an unmasking reveals)."""
    if is_encrypted_bsn(value):
        return 1
    if isinstance(value, dict):
        return sum(count_bsns(v) for v in value.values())
    if isinstance(value, list | tuple):
        return sum(count_bsns(v) for v in value)
    return 0


def _walk(value: Any, on_bsn: Callable[[dict[str, Any]], Any]) -> Any:
    if is_encrypted_bsn(value):
        return on_bsn(value)
    if isinstance(value, dict):
        return {str(k): _walk(v, on_bsn) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_walk(v, on_bsn) for v in value]
    if isinstance(value, bytes | bytearray):
        return f"<{len(value)} bytes>"
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, datetime | date | time):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def decode_masked(codec: AvroCodec, data: bytes | None,
                  show: Callable[[Any], Any] = masked) -> dict[str, Any] | None:
    """{"schema", "record"} with the record masked (or passed through ``show``: an audited
    ``unmask``), {"error"} when it does not decode, or None for an absent key or value (a null
    key is not an error)."""
    if data is None:
        return None
    try:
        name, record = codec.decode(data)
    except PermanentError as exc:
        return {"schema": None, "error": f"{type(exc).__name__}: {redact(str(exc))}",
                "raw": _preview(data)}
    return {"schema": name, "record": show(record)}


def _preview(data: bytes | None) -> str | None:
    """Length and the 5-byte framing header of an undecodable value; never its body."""
    return None if data is None else f"{len(data)} bytes, header {data[:5].hex()}"
