"""Settings of the DUO connector, read from ``HUB_DUO_*`` environment variables."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hub.settings import read_env, register_settings

PREFIX = "HUB_DUO_"
WSDL = Path(__file__).with_name("duo-inburgering-v1.wsdl")
XSD = Path(__file__).with_name("duo-inburgering-v1.xsd")


@dataclass(frozen=True)
class DuoSettings:
    """Where DUO is, how to prove who we are (2W-be-S), and how patiently to retry."""

    url: str = ""
    wsdl: str = str(WSDL)
    ca_cert: str = ""  # trust anchor for DUO's server certificate (PKIoverheid in production)
    client_cert: str = ""  # two-way TLS client certificate (PEM)
    client_key: str = ""
    signing_cert: str = ""  # WS-Security signing certificate; defaults to the TLS client pair
    signing_key: str = ""
    # Answers: the PEM roots DUO's signing certificate must chain to (PKIoverheid roots in
    # production, the demo CA in the demo), optional intermediates, and DUO's OIN (the signer
    # certificate's subject serialNumber). Both required: an answer is used only when verified.
    trust_store: str = ""
    trust_intermediates: str = ""
    signer_oin: str = ""
    timestamp_window_s: float = 300.0  # WUS WB002 timestampSkew, both ways
    from_address: str = ""  # wsa:From of registrations; default anonymous?OIN=<signing OIN>
    quarantine_max: int = 500  # refused answers kept in quarantine/duo (then only logged)
    timeout_s: float = 10.0
    max_response_bytes: int = 10 * 1024 * 1024  # a larger answer is refused (PayloadTooLarge)
    page_size: int = 100
    poll_interval_s: float = 2.0
    retry_attempts: int = 8
    retry_backoff_s: float = 0.5
    retry_max_backoff_s: float = 30.0
    cursor_name: str = "duo.wijzigingen"

    @property
    def signing_pair(self) -> tuple[str, str]:
        """(certificate, key) used to sign requests."""
        return (self.signing_cert or self.client_cert, self.signing_key or self.client_key)


register_settings(DuoSettings, PREFIX)


def duo_settings() -> DuoSettings:
    """Read ``HUB_DUO_*`` from the environment."""
    return read_env(DuoSettings, PREFIX)
