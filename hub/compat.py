"""The one module that leans on a library's private API, each use checked by a test.

``tests/unit/test_compat.py`` fails loudly when a library upgrade breaks one of these, instead
of the hub silently losing the speed (or the behaviour) it was there for::

    c_json_encoder   CPython's C JSON encoder (json.encoder.c_make_encoder), built once and
                     reused: json.dumps builds a new one per call, which costs the store's
                     hot path about 1 us a value. Falls back to the public encoder.
    describe_groups  kafka-python's ``KafkaAdminClient.describe_groups`` on a broker that
                     answers authorized operations kafka-python's ``ACLOperation`` enum does not
                     know (Tansu 0.6 sends 0..31; 15 and up are unknown): the per-instance hook
                     ``_process_acl_operations`` is replaced by one that keeps the known names
                     and drops the rest, instead of failing the whole description.
    WriteOnlyWorksheet  the class of openpyxl's write-only sheets (openpyxl.worksheet._write_only),
                     for type annotations of the report's workbook writers; loaded on first use
                     so that importing this module never loads openpyxl (nor kafka-python).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING, Any


def __getattr__(name: str) -> Any:
    if name == "WriteOnlyWorksheet":
        from openpyxl.worksheet._write_only import WriteOnlyWorksheet

        return WriteOnlyWorksheet
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


if TYPE_CHECKING:
    from kafka import KafkaAdminClient
    from openpyxl.worksheet._write_only import WriteOnlyWorksheet as WriteOnlyWorksheet

ACL_HOOK = "_process_acl_operations"


def c_json_encoder(default: Callable[[Any], Any]) -> Callable[[Any], str] | None:
    """A reusable C encoder (sorted keys, compact, no NaN, UTF-8 kept), or None if this Python's
    ``json`` has none with the known signature."""
    make = getattr(json.encoder, "c_make_encoder", None)
    if make is None:
        return None
    try:
        encoder = make(None, default, json.encoder.encode_basestring, None, ":", ",",
                       True, False, False)
        if "".join(encoder({"b": [1.5], "a": None}, 0)) != '{"a":null,"b":[1.5]}':
            return None
    except Exception:  # another signature: the public path is used instead
        return None
    return lambda value: "".join(encoder(value, 0))


def known_acl_operations(obj: dict[str, Any]) -> dict[str, Any]:
    """``obj`` with ``authorized_operations`` as the names of the known ACL operations only."""
    from kafka.admin import ACLOperation

    ops = obj.get("authorized_operations")
    if ops is not None:
        known = {op.value: op.name for op in ACLOperation}
        obj["authorized_operations"] = sorted(known[v] for v in ops
                                              if v in known and v not in (0, 1, 2))
    return obj


def describe_groups(admin: KafkaAdminClient, group_ids: list[str]) -> dict[str, dict[str, Any]]:
    """``admin.describe_groups(group_ids)`` that tolerates unknown ACL operation values.

    ``RuntimeError`` when kafka-python no longer has the hook (checked by test_compat.py).
    """
    if not hasattr(admin, ACL_HOOK):
        raise RuntimeError(f"kafka-python's KafkaAdminClient has no {ACL_HOOK}: update hub.compat")
    setattr(admin, ACL_HOOK, known_acl_operations)
    return dict(admin.describe_groups(group_ids))
