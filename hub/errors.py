"""The hub's error tree.

Every error the hub raises on purpose descends from ``HubError``. The split that matters is
whether trying again can help::

    HubError
     ├── PermanentError            retrying cannot help: dead-letter it
     │    ├── BadMessage           bytes or record that do not fit the contract
     │    │    ├── UnknownSchema   framing names a magic byte or schema id we do not know
     │    │    ├── InvalidField    a field the hub relies on is missing or wrong (names the field)
     │    │    │    └── InvalidAccount  an IBAN or BIC fails the account check (connectors.accounts)
     │    │    ├── PayloadTooLarge an answer, request body or file is over its size limit
     │    │    └── ForeignOrigin   a partner named a URL outside its configured origin
     │    ├── UpstreamRejected     a partner said no (SOAP Fault, HTTP 4xx)
     │    ├── SignatureInvalid     a signed message (a partner's answer, a request to a simulator)
     │    │                        is unsigned, tampered, expired, from an untrusted certificate,
     │    │                        or not the answer to what was sent: it is not used
     │    └── ConfigurationError   settings, rate tables or schemas are missing or inconsistent
     └── TransientError            may succeed later: retry with backoff, then dead-letter
          ├── UpstreamUnavailable  a partner timed out, answered 5xx or refused the connection
          ├── StoreBusy            the database was locked or unreachable
          ├── PagingStalled        a partner said there is more but its cursor did not advance
          ├── FileChanged          a dropped file changed while or after it was read
          ├── FileUnstable         a dropped file kept changing over many polls (reported)
          ├── ConnectorExited      a connector's loop ended without being asked to stop
          └── GroupActive          a consumer group has live members: its offsets stay as they are

Third-party exceptions are translated at the boundary (``raise X(...) from exc``) so callers only
ever see this tree. Messages never contain a BSN: they name fields, not values.
"""

from __future__ import annotations


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


class InvalidAccount(InvalidField):
    """An IBAN or BIC fails the one account check (``connectors.accounts``); names the field."""


class PayloadTooLarge(BadMessage):
    """An answer, request body or file is over its size limit; the message names the limit."""


class ForeignOrigin(BadMessage):
    """A partner named a URL outside its configured origin (scheme, host, port); not fetched."""


class UpstreamRejected(PermanentError):
    """A partner refused the request (SOAP Fault, HTTP 4xx)."""


class SignatureInvalid(PermanentError):
    """A signed message is unsigned, tampered, stale, untrusted or not an answer to ours."""

    def __init__(self, reason: str) -> None:
        super().__init__(f"wsse:Security: {reason}")
        self.reason = reason


class ConfigurationError(PermanentError):
    """Settings, rate tables or schemas are missing or inconsistent."""


class TransientError(HubError):
    """May succeed later: retry with backoff, then dead-letter."""


class UpstreamUnavailable(TransientError):
    """A partner timed out, answered 5xx or refused the connection."""


class StoreBusy(TransientError):
    """The database was locked or could not be reached."""


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
