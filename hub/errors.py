"""The hub's error tree.

Every error the hub raises on purpose descends from ``HubError``. The split that matters is
whether trying again can help::

    HubError
     ├── PermanentError            retrying cannot help: dead-letter it
     │    ├── BadMessage           bytes or record that do not fit the contract
     │    │    ├── UnknownSchema   framing names a magic byte or schema id we do not know
     │    │    ├── InvalidField    a field the hub relies on is missing or wrong (names the field)
     │    │    │    ├── InvalidAccount   an IBAN or BIC fails the account check
     │    │    │    └── UnreadableExport an export (ISI, report CSV) unreadable from a line
     │    │    ├── PayloadTooLarge an answer, request body or file is over its size limit
     │    │    ├── ForeignOrigin   a partner named a URL outside its configured origin
     │    │    └── RuleBroken      a document breaks a named rule of its format
     │    │         ├── XmlRefused      not acceptable XML: too big, a DTD, not well-formed
     │    │         ├── InvoiceRejected a UBL document breaks a rule of the standard (BR-CO-10)
     │    │         └── FileRefused     a dropped file breaks its format (to the reason file)
     │    ├── UpstreamRejected     a partner said no (SOAP Fault, HTTP 4xx)
     │    ├── SignatureInvalid     a signed message (a partner's answer, a request to a simulator)
     │    │                        is unsigned, tampered, expired, from an untrusted certificate,
     │    │                        or not the answer to what was sent: it is not used
     │    ├── ConfigurationError   settings, rate tables or schemas are missing or inconsistent
     │    │    ├── UnparsableSetting  a setting's text lacks its form (HH:MM, MM-DD, SYSTEM=DAYS)
     │    │    └── ReportInputError   a report argument the store cannot answer for (gemeente)
     │    └── BrokerError          the embedded broker could not be started (says what to do)
     └── TransientError            may succeed later: retry with backoff, then dead-letter
          ├── UpstreamUnavailable  a partner timed out, answered 5xx or refused the connection
          ├── StoreBusy            the database was locked too long, full, read-only or unreachable
          │                       (the recording agents pause on it: never a dead letter)
          │    └── StoreStopping  the worker stops while the store is down: nothing committed
          ├── PagingStalled        a partner said there is more but its cursor did not advance
          ├── FileChanged          a dropped file changed while or after it was read
          ├── FileUnstable         a dropped file kept changing over many polls (reported)
          ├── ConnectorExited      a connector's loop ended without being asked to stop
          └── GroupActive          a consumer group has live members: its offsets stay as they are

Third-party exceptions are translated at the boundary (``raise X(...) from exc``) so callers only
ever see this tree. Messages never contain a BSN: they name fields, not values.
"""

from __future__ import annotations

from pathlib import Path


class HubError(Exception):
    """Root of every error the hub raises on purpose."""


class PermanentError(HubError):
    """Retrying cannot help; the input goes to a dead-letter topic or quarantine."""


class BadMessage(PermanentError):
    """The bytes or record do not fit the contract."""


class UnknownSchema(BadMessage):
    """The framing names a magic byte or schema id that is not known."""


class InvalidField(BadMessage):
    """A field the hub relies on is missing or invalid; the message names the field."""

    def __init__(self, field: str, reason: str) -> None:
        super().__init__(f"{field}: {reason}")
        self.field = field
        self.reason = reason


class UnreadableExport(InvalidField):
    """An exported file (ISI's export, a report CSV the hub wrote earlier) cannot be read on
    from ``line``: the reading stops there; the message names the file and the line."""

    def __init__(self, source: Path, line: int, reason: str) -> None:
        super().__init__(f"{source.name} line {line}", reason)
        self.line = line


class InvalidAccount(InvalidField):
    """An IBAN or BIC fails the one account check (``connectors.accounts``); names the field."""


class PayloadTooLarge(BadMessage):
    """An answer, request body or file is over its size limit; the message names the limit."""


class ForeignOrigin(BadMessage):
    """A partner named a URL outside its configured origin (scheme, host, port); not fetched."""


class RuleBroken(BadMessage):
    """A document breaks a named rule of its format; ``rule`` names it, ``detail`` says how.

    The detail is redacted (parser and validator messages may quote values: never a BSN)."""

    def __init__(self, source: str, rule: str, detail: str) -> None:
        from hub.privacy import redact  # hub.privacy imports this module

        detail = redact(detail)
        super().__init__(f"{source}: {rule}: {detail}")
        self.source = source
        self.rule = rule
        self.detail = detail


class XmlRefused(RuleBroken):
    """The document is not acceptable XML (too big, has a DTD, or is not well-formed)."""


class InvoiceRejected(RuleBroken):
    """The UBL document breaks a rule of the standard; ``rule`` names it (e.g. ``BR-CO-10``)."""


class FileRefused(RuleBroken):
    """A dropped file breaks its format; ``rule`` and ``detail`` go to the reason file."""

    @property
    def name(self) -> str:
        """The refused file's name (its ``source``)."""
        return self.source


class UpstreamRejected(PermanentError):
    """A partner refused the request (SOAP Fault, HTTP 4xx)."""


class SignatureInvalid(PermanentError):
    """A signed message is unsigned, tampered, stale, untrusted or not an answer to ours."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"wsse:Security: {reason}")
        self.reason = reason


class ConfigurationError(PermanentError):
    """Settings, rate tables or schemas are missing or inconsistent."""


class UnparsableSetting(ConfigurationError):
    """A setting's or argument's text does not have its form; the message names the text.

    Parsers raise it; the caller names the variable (``HUB_REPORT_TIME: ...``)."""


class ReportInputError(ConfigurationError):
    """A report argument the store cannot answer for (bad gemeente code, unknown gemeente)."""


class BrokerError(PermanentError):
    """The embedded broker could not be started; the message says what to do."""


class TransientError(HubError):
    """May succeed later: retry with backoff, then dead-letter."""


class UpstreamUnavailable(TransientError):
    """A partner timed out, answered 5xx or refused the connection."""


class StoreBusy(TransientError):
    """The database was locked, full, read-only or could not be reached; names the cause."""

    def __init__(self, message: str, *, cause: str = "unavailable", where: str = "") -> None:
        super().__init__(message)
        self.cause = cause
        self.where = where

    @property
    def summary(self) -> str:
        """The cause and the database, for logs and health: ``store disk full: /var/hub.db``."""
        return f"store {self.cause}: {self.where or 'database'}"


class StoreStopping(StoreBusy):
    """The worker is stopping while the store is down: the batch stays uncommitted."""


class PagingStalled(TransientError):
    """A partner answered "more to come" but its cursor did not advance; retried with backoff."""


class FileChanged(TransientError):
    """A dropped file changed while or after it was read; it is not archived and read again."""


class FileUnstable(TransientError):
    """A dropped file kept changing over many polls; it is reported and taken once stable."""


class ConnectorExited(TransientError):
    """A connector's loop ended without being asked to stop; the supervisor restarts it."""


class GroupActive(TransientError):
    """A consumer group has active members, so its offsets cannot be reset until they stop."""
