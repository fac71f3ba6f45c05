"""The DUO SOAP client: the only module that imports zeep.

Requests are signed (``wsse.sign_envelope``: Timestamp, BinarySecurityToken, Body and the
WS-Addressing headers; registrations also carry ``wsa:From``, WUS WA001) and sent over two-way
TLS. Every answer, Faults included, is verified before zeep reads it (``answer.verify_answer``:
signature over Body, Timestamp and addressing, the signer's chain to the trust store and DUO's
OIN, the Timestamp window, RelatesTo and SignatureConfirmation). Errors become the hub's::

    answer not verifiable                     -> SignatureInvalid     (permanent: not used)
    zeep Fault, HTTP 4xx                      -> UpstreamRejected     (permanent: dead-letter)
    timeout, connection/TLS error, HTTP 5xx   -> UpstreamUnavailable  (transient: retry)

A refused answer is the operator signal's first half: an ERROR log line and a copy of the answer
in the quarantine folder (FORMAT.md, "Refused answers"); the connector reports itself unhealthy.
A registration is sent with the MessageID the caller passes, so every retry of one registration
carries the same id and DUO registers it once.
"""

from __future__ import annotations

import logging
import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import requests
from lxml import etree
from zeep import Client, Plugin, Settings, Transport
from zeep.exceptions import Fault, TransportError, XMLParseError

from connectors.duo import wsse
from connectors.duo.answer import Sent, verify_answer, wsdl_actions
from connectors.duo.config import DuoSettings
from connectors.duo.translate import RawChange, parse_changes
from connectors.duo.trust import Trust, load_trust, oin_of, read_certificates
from connectors.kit.blocking import bind
from hub.errors import (
    ConfigurationError,
    SignatureInvalid,
    UpstreamRejected,
    UpstreamUnavailable,
)
from hub.files import private_dir, write_private
from hub.privacy import redact

log = logging.getLogger(__name__)
BINDING = "{http://inburgering-hub.nl/duo/inburgering/v1}DuoInburgeringBinding"
ANONYMOUS = "http://www.w3.org/2005/08/addressing/anonymous"
QUERIES = {"HaalWijzigingen"}  # bevragingen: wsa:From is optional for these (WUS WA001)
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class PullPage:
    """One page of DUO's changes and the cursor after it."""

    changes: list[RawChange]
    cursor: str
    more: bool


class _Exchange(threading.local):
    """The request in flight on this thread: what its answer must refer to."""

    message_id: str | None = None
    sent: Sent | None = None
    reply: Any = None


class _Addressing(Plugin):
    """Adds WS-Addressing before signing; verifies the answer before zeep reads it."""

    def __init__(self, address: str, from_address: str,
                 verify: Callable[[Any, Sent], None]) -> None:
        self.address, self.from_address, self.verify = address, from_address, verify
        self.local = _Exchange()

    def egress(self, envelope: Any, http_headers: Any, operation: Any,
               binding_options: Any) -> tuple[Any, Any]:
        header = envelope.find(f"{{{wsse.SOAP_NS}}}Header")
        if header is None:
            header = etree.Element(f"{{{wsse.SOAP_NS}}}Header")
            envelope.insert(0, header)
        for old in header.findall(f"{{{wsse.WSA_NS}}}*"):  # zeep's own, with urn:uuid ids
            header.remove(old)
        message_id = self.local.message_id or str(uuid.uuid4())
        etree.SubElement(header, f"{{{wsse.WSA_NS}}}To").text = self.address
        if operation.name not in QUERIES:
            sender = etree.SubElement(header, f"{{{wsse.WSA_NS}}}From")
            etree.SubElement(sender, f"{{{wsse.WSA_NS}}}Address").text = self.from_address
        for name, value in (("Action", operation.soapaction), ("MessageID", message_id)):
            etree.SubElement(header, f"{{{wsse.WSA_NS}}}{name}").text = value
        self.local.sent = Sent(message_id, operation.soapaction, None)
        return envelope, http_headers

    def signed(self, signature_value: str) -> None:
        """The request was signed: its answer must confirm ``signature_value``."""
        sent = self.local.sent
        assert sent is not None  # egress runs before signing
        self.local.sent = Sent(sent.message_id, sent.action, signature_value)

    def ingress(self, envelope: Any, http_headers: Any, operation: Any) -> tuple[Any, Any]:
        self.local.reply = envelope
        sent = self.local.sent
        if sent is None:
            raise SignatureInvalid("an answer without a request")
        self.verify(envelope, sent)
        return envelope, http_headers


class _Signer:
    """zeep's wsse hook: signs after addressing (answers are verified by ``_Addressing``)."""

    def __init__(self, cert_path: str, key_path: str, clock: Clock,
                 on_signed: Callable[[str], None]) -> None:
        self.cert = Path(cert_path).read_bytes()
        self.key = Path(key_path).read_bytes()
        self.clock, self.on_signed = clock, on_signed

    def apply(self, envelope: Any, headers: Any) -> tuple[Any, Any]:
        self.on_signed(wsse.sign_envelope(envelope, self.key, self.cert, now=self.clock()))
        return envelope, headers

    def verify(self, envelope: Any) -> Any:
        return envelope


def _session(settings: DuoSettings) -> requests.Session:
    session = requests.Session()
    session.verify = settings.ca_cert or True
    if settings.ca_cert:
        # requests lets REQUESTS_CA_BUNDLE override session.verify; the configured anchor wins.
        session.trust_env = False
    if settings.client_cert:
        session.cert = (settings.client_cert, settings.client_key)
    return bind(session, settings.url, settings.max_response_bytes)  # origin, no redirects, cap


class DuoClient:
    """Pulls DUO's changes and sends the gemeente's registrations."""

    def __init__(self, settings: DuoSettings, *, transport: Transport | None = None,
                 clock: Clock = lambda: datetime.now(UTC),
                 quarantine: Path | None = None) -> None:
        if not settings.url:
            raise ConfigurationError("HUB_DUO_URL must be set to run the DUO connector")
        self._trust = _trust(settings)
        self._actions = wsdl_actions(Path(settings.wsdl))
        self._clock, self._quarantine = clock, quarantine
        self._window = timedelta(seconds=settings.timestamp_window_s)
        self._quarantine_max = settings.quarantine_max
        transport = transport or Transport(session=_session(settings),
                                           operation_timeout=settings.timeout_s)
        cert, key = settings.signing_pair
        self._addressing = _Addressing(settings.url, _from_address(settings, cert),
                                       self._verify)
        signer = _Signer(cert, key, clock, self._addressing.signed) if cert and key else None
        self._client = Client(settings.wsdl, transport=transport, wsse=signer,
                              plugins=[self._addressing],
                              settings=Settings(strict=True, xml_huge_tree=False))
        self._service = self._client.create_service(BINDING, settings.url)

    def pull(self, cursor: str | None, max_count: int) -> PullPage:
        """Changes after ``cursor``; the cursor to store once they are safely produced."""
        with self._call("HaalWijzigingen"):
            result = self._service.HaalWijzigingen(Cursor=cursor, MaxAantal=max_count)
            reply = self._addressing.local.reply
        return PullPage(parse_changes(reply), str(result.NieuweCursor), bool(result.Meer))

    def register(self, operation: str, fields: dict[str, Any], message_id: str) -> str:
        """Send one registration with WS-Addressing ``message_id``; returns DUO's kenmerk."""
        with self._call(operation, message_id):
            result = getattr(self._service, operation)(**fields)
        return str(result.Kenmerk)

    def _verify(self, envelope: Any, sent: Sent) -> None:
        verify_answer(envelope, sent, actions=self._actions, trust=self._trust,
                      now=self._clock(), window=self._window)

    @contextmanager
    def _call(self, operation: str, message_id: str | None = None) -> Iterator[None]:
        local = self._addressing.local
        local.message_id, local.sent, local.reply = message_id, None, None
        try:
            yield
        except SignatureInvalid as exc:
            self._refused(operation, exc, local.reply)
            raise
        except Fault as exc:
            raise UpstreamRejected(f"DUO fault {exc.code}: {redact(str(exc.message))[:200]}"
                                   ) from exc
        except TransportError as exc:
            kind = UpstreamUnavailable if exc.status_code >= 500 else UpstreamRejected
            raise kind(f"DUO answered HTTP {exc.status_code}") from exc
        except requests.Timeout as exc:
            raise UpstreamUnavailable("DUO timed out") from exc
        except requests.ConnectionError as exc:
            raise UpstreamUnavailable(f"DUO unreachable: {type(exc).__name__}") from exc
        except (XMLParseError, etree.XMLSyntaxError) as exc:
            raise UpstreamUnavailable("DUO sent a reply that is not XML") from exc
        finally:
            local.message_id = None

    def _refused(self, operation: str, exc: SignatureInvalid, reply: Any) -> None:
        """The operator signal of a refused answer: an ERROR line and the answer kept."""
        kept = _keep(self._quarantine, self._quarantine_max, operation, exc, reply)
        log.error("duo_answer_refused operation=%s reason=%s kept=%s", operation,
                  redact(exc.reason), kept.name if kept else "no")


def _trust(settings: DuoSettings) -> Trust:
    if not settings.trust_store:
        raise ConfigurationError("HUB_DUO_TRUST_STORE must name the PEM roots DUO's answer "
                                 "signatures chain to (PKIoverheid roots; the demo CA)")
    if not settings.signer_oin:
        raise ConfigurationError("HUB_DUO_SIGNER_OIN must be DUO's OIN (the serialNumber in the "
                                 "subject of the certificate DUO signs its answers with)")
    return load_trust(settings.trust_store, settings.trust_intermediates or None,
                      settings.signer_oin)


def _from_address(settings: DuoSettings, cert_path: str) -> str:
    """``wsa:From``: the setting, else anonymous with our OIN from the signing certificate."""
    if settings.from_address:
        return settings.from_address
    oin = oin_of(read_certificates(cert_path, what="signing certificate")[0]) \
        if cert_path else None
    return f"{ANONYMOUS}?OIN={oin}" if oin else ANONYMOUS


def _keep(folder: Path | None, limit: int, operation: str, exc: SignatureInvalid,
          reply: Any) -> Path | None:
    """Write the refused answer (it may hold BSNs: 0600) and its reason; None when not kept."""
    if folder is None or reply is None:
        return None
    private_dir(folder)
    if sum(1 for _ in folder.glob("*.xml")) >= limit:
        return None
    path = folder / f"{datetime.now(UTC):%Y%m%dT%H%M%S%fZ}-{operation}.xml"
    write_private(path, etree.tostring(reply), exclusive=True)
    write_private(path.with_name(path.name + ".reason.txt"),
                  f"operation: {operation}\nreason: {redact(exc.reason)}\n".encode())
    return path
