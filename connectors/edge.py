"""What every connector edge shares: sealing a validated BSN, a routed record, and the code
lists of the shared Avro contract."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any, Protocol

import schemas
from hub.privacy import case_ref
from hub.runtime import Runtime


class BsnSealer(Protocol):
    """Turns a validated BSN into its case reference and its encrypted record."""

    def case_ref(self, bsn: str) -> str:
        """Keyed hash of the BSN."""

    def seal(self, bsn: str) -> dict[str, object]:
        """The EncryptedBsn record."""


@dataclass(frozen=True)
class Routed:
    """A record and the topic it belongs on."""

    topic: str
    record: dict[str, Any]


class RuntimeSealer:
    """``BsnSealer`` on the runtime's case-reference key and BSN cipher."""

    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime

    def case_ref(self, bsn: str) -> str:
        """Keyed hash of the BSN."""
        return case_ref(bsn, self._runtime.settings.case_ref_key)

    def seal(self, bsn: str) -> dict[str, object]:
        """The EncryptedBsn record."""
        return self._runtime.cipher.encrypt(bsn).as_record()


@cache
def enum_symbols(full_name: str) -> tuple[str, ...]:
    """The symbols of an Avro enum of the shared contract (``nl.inburgering.hub.EindeReden``)."""
    return tuple(schemas.expand(full_name)["symbols"])
