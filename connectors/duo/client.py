"""The DUO SOAP client: the only module that imports zeep.

Requests are signed (``wsse.sign_envelope``: Timestamp, BinarySecurityToken, Body and the
WS-Addressing headers) and sent over two-way TLS. Partner errors become the hub's::

    zeep Fault, HTTP 4xx                      -> UpstreamRejected     (permanent: dead-letter)
    timeout, connection/TLS error, HTTP 5xx   -> UpstreamUnavailable  (transient: retry)

A registration is sent with the MessageID the caller passes, so every retry of one registration
carries the same id and DUO registers it once.
"""

from __future__ import annotations

import threading
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import requests
from lxml import etree
from zeep import Client, Plugin, Settings, Transport
from zeep.exceptions import Fault, TransportError, XMLParseError

from connectors.duo import wsse
from connectors.duo.config import DuoSettings
from connectors.duo.translate import RawChange, parse_changes
from connectors.kit.blocking import bind
from hub.errors import ConfigurationError, UpstreamRejected, UpstreamUnavailable
from hub.privacy import redact

BINDING = "{http://inburgering-hub.nl/duo/inburgering/v1}DuoInburgeringBinding"
Clock = Callable[[], datetime]


@dataclass(frozen=True)
class PullPage:
    """One page of DUO's changes and the cursor after it."""

    changes: list[RawChange]
    cursor: str
    more: bool


class _Addressing(Plugin):
    """Adds WS-Addressing To/Action/MessageID before signing; keeps the raw reply envelope."""

    def __init__(self, address: str) -> None:
        self.address = address
        self.local = threading.local()

    def egress(self, envelope: Any, http_headers: Any, operation: Any,
               binding_options: Any) -> tuple[Any, Any]:
        header = envelope.find(f"{{{wsse.SOAP_NS}}}Header")
        if header is None:
            header = etree.Element(f"{{{wsse.SOAP_NS}}}Header")
            envelope.insert(0, header)
        message_id = getattr(self.local, "message_id", None) or str(uuid.uuid4())
        for name, value in (("To", self.address), ("Action", operation.soapaction),
                            ("MessageID", message_id)):
            etree.SubElement(header, f"{{{wsse.WSA_NS}}}{name}").text = value
        return envelope, http_headers

    def ingress(self, envelope: Any, http_headers: Any, operation: Any) -> tuple[Any, Any]:
        self.local.reply = envelope
        return envelope, http_headers


class _Signer:
    """zeep's wsse hook: sign after addressing; replies are checked by RelatesTo only."""

    def __init__(self, cert_path: str, key_path: str, clock: Clock) -> None:
        self.cert = Path(cert_path).read_bytes()
        self.key = Path(key_path).read_bytes()
        self.clock = clock

    def apply(self, envelope: Any, headers: Any) -> tuple[Any, Any]:
        wsse.sign_envelope(envelope, self.key, self.cert, now=self.clock())
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
                 clock: Clock = lambda: datetime.now(UTC)) -> None:
        if not settings.url:
            raise ConfigurationError("HUB_DUO_URL must be set to run the DUO connector")
        transport = transport or Transport(session=_session(settings),
                                           operation_timeout=settings.timeout_s)
        self._addressing = _Addressing(settings.url)
        cert, key = settings.signing_pair
        signer = _Signer(cert, key, clock) if cert and key else None
        self._client = Client(settings.wsdl, transport=transport, wsse=signer,
                              plugins=[self._addressing],
                              settings=Settings(strict=True, xml_huge_tree=False))
        self._service = self._client.create_service(BINDING, settings.url)

    def pull(self, cursor: str | None, max_count: int) -> PullPage:
        """Changes after ``cursor``; the cursor to store once they are safely produced."""
        with self._call():
            result = self._service.HaalWijzigingen(Cursor=cursor, MaxAantal=max_count)
            reply = self._addressing.local.reply
        return PullPage(parse_changes(reply), str(result.NieuweCursor), bool(result.Meer))

    def register(self, operation: str, fields: dict[str, Any], message_id: str) -> str:
        """Send one registration with WS-Addressing ``message_id``; returns DUO's kenmerk."""
        with self._call(message_id):
            result = getattr(self._service, operation)(**fields)
        return str(result.Kenmerk)

    @contextmanager
    def _call(self, message_id: str | None = None) -> Iterator[None]:
        self._addressing.local.message_id = message_id
        try:
            yield
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
            self._addressing.local.message_id = None
