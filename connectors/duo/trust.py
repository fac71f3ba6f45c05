"""Whom a WS-Security signature may come from: a trust store, its chain policy and an OIN.

The signer's certificate travels in the message (WUS WB010); it is trusted only when
``cryptography.x509.verification`` builds a chain from it, through the configured intermediates,
to one of the trust store's roots (PKIoverheid in production, the demo CA in the demo), valid at
the moment of checking, and, when an OIN is required, its subject serialNumber is that OIN
(PKIoverheid certificates carry the organisation's OIN there). No chain is walked by hand.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from cryptography import x509
from cryptography.x509.oid import NameOID
from cryptography.x509.verification import (
    Criticality,
    ExtensionPolicy,
    Policy,
    PolicyBuilder,
    Store,
    VerificationError,
)

from hub.errors import ConfigurationError, SignatureInvalid


def _signing_key_usage(_policy: Policy, _cert: x509.Certificate, usage: x509.KeyUsage) -> None:
    if not (usage.digital_signature or usage.content_commitment):
        # library protocol: cryptography's extension-policy callbacks refuse by ValueError
        raise ValueError("key usage allows no digital signature")


# The Web PKI end-entity rules (SAN present, EKU clientAuth when an EKU is there), plus a key
# usage that allows signing: a key meant only for encryption must not sign DUO's answers.
_EE_POLICY = ExtensionPolicy.webpki_defaults_ee().require_present(
    x509.KeyUsage, Criticality.AGNOSTIC, _signing_key_usage)


@dataclass(frozen=True)
class Trust:
    """Roots, intermediates and the OIN a signer must have (None: any OIN under the roots)."""

    roots: tuple[x509.Certificate, ...]
    intermediates: tuple[x509.Certificate, ...] = ()
    oin: str | None = None

    def check(self, cert: x509.Certificate, now: datetime) -> None:
        """``SignatureInvalid`` unless ``cert`` chains to a root, is valid ``now``, has the OIN."""
        verifier = (PolicyBuilder().store(Store(list(self.roots))).time(now)
                    .extension_policies(ca_policy=ExtensionPolicy.webpki_defaults_ca(),
                                        ee_policy=_EE_POLICY)
                    .build_client_verifier())
        try:
            verifier.verify(cert, list(self.intermediates))
        except VerificationError as exc:
            raise SignatureInvalid(f"signer certificate not trusted ({_short(exc)})") from exc
        if self.oin is not None and oin_of(cert) != self.oin:
            raise SignatureInvalid("signer certificate belongs to another organisation (OIN)")


def oin_of(cert: x509.Certificate) -> str | None:
    """The subject serialNumber (the OIN in a PKIoverheid certificate), or None."""
    values = cert.subject.get_attributes_for_oid(NameOID.SERIAL_NUMBER)
    return str(values[0].value) if values else None


def read_certificates(path: str | Path, *, what: str) -> tuple[x509.Certificate, ...]:
    """Every certificate in a PEM bundle; ``ConfigurationError`` naming ``what`` if none."""
    try:
        certs = x509.load_pem_x509_certificates(Path(path).read_bytes())
    except (OSError, ValueError) as exc:
        raise ConfigurationError(f"{what} ({path}): no PEM certificates readable") from exc
    return tuple(certs)


def load_trust(roots: str | Path, intermediates: str | Path | None = None,
               oin: str | None = None) -> Trust:
    """A ``Trust`` from PEM files (``intermediates`` optional)."""
    return Trust(read_certificates(roots, what="trust store"),
                 read_certificates(intermediates, what="intermediates") if intermediates else (),
                 oin or None)


def trust_from_pem(roots: bytes, intermediates: Sequence[bytes] = (),
                   oin: str | None = None) -> Trust:
    """A ``Trust`` from PEM bytes (the simulator and the tests)."""
    return Trust(tuple(x509.load_pem_x509_certificates(roots)),
                 tuple(c for pem in intermediates for c in x509.load_pem_x509_certificates(pem)),
                 oin)


def _short(exc: VerificationError) -> str:
    """The verifier's reason without the certificate dump it appends."""
    return str(exc).split(" (encountered", 1)[0].removeprefix("validation failed: ")[:120]
