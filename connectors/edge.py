"""What every connector edge shares: sealing a validated BSN, and a routed record."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from connectors.ubl import UblInvoice
from hub.privacy import case_ref
from hub.runtime import Runtime
from hub.versions import bron_versie


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


def document_version(source: str, invoice: UblInvoice) -> dict[str, Any]:
    """R21: an e-invoice's own order: each document is a record of its own (its bytes), dated
    by its IssueDate; duplicates and credit notes are reconciled, not versioned."""
    return bron_versie(f"{source}:document:{invoice.sha256}", tijdstip=invoice.issue_date,
                       document=invoice.number)
