"""Reading an edge dead letter in tests: its original is only ever sealed."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from hub.privacy import BsnCipher


def opened(letter: Mapping[str, Any], cipher: BsnCipher) -> bytes:
    """The partner payload of an edge letter, after checking it is nowhere in plaintext."""
    assert letter["kind"] == "edge" and letter["original_value"] == b""
    assert set(letter["sealed_original"]) == {"key_id", "nonce", "ciphertext", "media_type"}
    return cipher.open_payload(letter["sealed_original"])
