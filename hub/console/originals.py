"""A dead letter's original, decoded for a screen: masked for everyone, unsealed for admins.

An in-hub letter's original is an Avro message: decoded and masked like any record
(``masking.decode_masked``). An edge letter's original is the partner's payload, sealed: it is
opened here only to be shown, JSON as its structure, XML, CSV and text as text (at most
``MAX_SHOWN`` bytes), with every value passing the BSN test masked (numbers too: a partner may
send a BSN as a JSON number). ``unsealed`` shows it as it came, for an admin who gave a reason
(the caller audits that).
"""

from __future__ import annotations

import json
from typing import Any

from hub.codec import AvroCodec
from hub.console.masking import decode_masked, masked
from hub.errors import PermanentError
from hub.privacy import BsnCipher, is_valid_bsn, redact
from hub.store.dead_letters import DeadLetter

MAX_SHOWN = 256 * 1024
BSN_MASK = "<bsn>"


def masked_original(letter: DeadLetter, codec: AvroCodec, cipher: BsnCipher) -> dict[str, Any]:
    """The original as operators see it: decoded, personal data masked."""
    if not letter.sealed:
        return {"kind": letter.kind, "key": decode_masked(codec, letter.original_key),
                "value": decode_masked(codec, letter.original_value)}
    sealed = letter.sealed_original or {}
    media = str(sealed.get("media_type") or "")
    base: dict[str, Any] = {"kind": letter.kind, "media_type": media,
                            "key_id": str(sealed.get("key_id")), "sealed": True}
    try:
        data = cipher.open_payload(sealed)
    except PermanentError as exc:
        return {**base, "error": f"{type(exc).__name__}: {exc}"}
    return {**base, "bytes": len(data), **_shown(data, media, mask=True)}


def unsealed(letter: DeadLetter, cipher: BsnCipher) -> dict[str, Any]:
    """The partner's payload as it came (admins, with a reason; the caller audits)."""
    sealed = letter.sealed_original or {}
    media = str(sealed.get("media_type") or "")
    data = cipher.open_payload(sealed)
    return {"kind": letter.kind, "media_type": media, "bytes": len(data),
            **_shown(data, media, mask=False)}


def _shown(data: bytes, media: str, *, mask: bool) -> dict[str, Any]:
    cut = len(data) > MAX_SHOWN
    text = data[:MAX_SHOWN].decode("utf-8", errors="replace")
    if media.endswith("json") and not cut:
        try:
            value = json.loads(text)
        except ValueError:
            pass
        else:
            return {"content": _masked_json(value) if mask else value, "format": "json"}
    return {"content": redact(text) if mask else text, "format": "text", "truncated": cut}


def _masked_json(value: Any) -> Any:
    if isinstance(value, bool):
        return value
    if isinstance(value, int) and is_valid_bsn(str(value)):
        return BSN_MASK
    if isinstance(value, dict):
        return {str(k): _masked_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_masked_json(v) for v in value]
    return masked(value)
