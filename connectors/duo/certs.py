"""A throwaway PKI for the demo and the tests: a CA, a server and a client certificate.

Real deployments use PKIoverheid certificates issued to the gemeente's OIN (R20); these are
generated locally so two-way TLS and WS-Security signatures are exercised for real.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

TEST_OIN = "00000099000000000000"  # R20: the 00000099 prefix marks a test OIN


@dataclass(frozen=True)
class DevPki:
    """Paths of the generated PEM files."""

    ca_cert: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(common_name: str, serial: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Inburgering hub test"),
             x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if serial:
        attrs.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, serial))
    return x509.Name(attrs)


def _issue(subject: x509.Name, key: rsa.RSAPrivateKey, issuer: x509.Name,
           issuer_key: rsa.RSAPrivateKey, *, ca: bool, usage: x509.ObjectIdentifier | None = None,
           ) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(now - dt.timedelta(minutes=5))
               .not_valid_after(now + dt.timedelta(days=30))
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
    if usage is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        builder = builder.add_extension(x509.SubjectAlternativeName(
            [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _write(path: Path, cert: x509.Certificate, key: rsa.RSAPrivateKey | None,
           key_path: Path | None) -> None:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    if key is not None and key_path is not None:
        key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                               serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
        key_path.chmod(0o600)


def generate_pki(folder: Path) -> DevPki:
    """Write a CA plus server and client certificates (PEM) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    pki = DevPki(folder / "ca.pem", folder / "server.pem", folder / "server.key",
                  folder / "client.pem", folder / "client.key")
    ca_key, server_key, client_key = _key(), _key(), _key()
    ca_name = _name("Inburgering hub test CA")
    ca = _issue(ca_name, ca_key, ca_name, ca_key, ca=True)
    server = _issue(_name("localhost"), server_key, ca_name, ca_key, ca=False,
                    usage=ExtendedKeyUsageOID.SERVER_AUTH)
    client = _issue(_name("gemeente test", TEST_OIN), client_key, ca_name, ca_key, ca=False,
                    usage=ExtendedKeyUsageOID.CLIENT_AUTH)
    _write(pki.ca_cert, ca, None, None)
    _write(pki.server_cert, server, server_key, pki.server_key)
    _write(pki.client_cert, client, client_key, pki.client_key)
    return pki
