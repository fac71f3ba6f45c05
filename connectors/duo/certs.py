"""A throwaway PKI for the demo and the tests: a CA, a server and a client certificate.

Real deployments use PKIoverheid certificates issued to the organisations' OINs (R20); these
are generated locally, with the extensions a PKIoverheid services certificate has (key usage,
extended key usage server and client, SAN, key identifiers), so two-way TLS, WS-Security
signatures and the chain checks of ``trust.Trust`` are exercised for real. The server
certificate is also the simulated DUO's signing certificate (``DUO_TEST_OIN``).
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

from hub.files import write_private

TEST_OIN = "00000099000000000000"  # R20: the 00000099 prefix marks a test OIN
DUO_TEST_OIN = "00000099000000000001"  # the simulated DUO signs its answers with this OIN


@dataclass(frozen=True)
class DevPki:
    """Paths of the generated PEM files."""

    ca_cert: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    ca_key: Path


def _key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(common_name: str, serial: str | None = None) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Inburgering hub test"),
             x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if serial:
        attrs.append(x509.NameAttribute(NameOID.SERIAL_NUMBER, serial))
    return x509.Name(attrs)


def _usage(*, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(digital_signature=not ca, content_commitment=False,
                         key_encipherment=not ca, data_encipherment=False, key_agreement=False,
                         key_cert_sign=ca, crl_sign=ca, encipher_only=False, decipher_only=False)


def _issue(subject: x509.Name, key: rsa.RSAPrivateKey, issuer: x509.Name,
           issuer_key: rsa.RSAPrivateKey, *, ca: bool,
           usage: list[x509.ObjectIdentifier] | None = None,
           valid: tuple[dt.datetime, dt.datetime] | None = None) -> x509.Certificate:
    now = dt.datetime.now(dt.UTC)
    start, end = valid or (now - dt.timedelta(minutes=5), now + dt.timedelta(days=30))
    builder = (x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
               .public_key(key.public_key()).serial_number(x509.random_serial_number())
               .not_valid_before(start).not_valid_after(end)
               .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
               .add_extension(_usage(ca=ca), critical=True)
               .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()),
                              critical=False))
    if not ca:
        builder = builder.add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer_key.public_key()),
            critical=False)
    if usage is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage(usage), critical=False)
        builder = builder.add_extension(x509.SubjectAlternativeName(
            [x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
            critical=False)
    return builder.sign(issuer_key, hashes.SHA256())


def _write(path: Path, cert: x509.Certificate, key: rsa.RSAPrivateKey | None,
           key_path: Path | None) -> None:
    path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    if key is not None and key_path is not None:
        write_private(key_path, key.private_bytes(serialization.Encoding.PEM,
                                                  serialization.PrivateFormat.PKCS8,
                                                  serialization.NoEncryption()))


def generate_pki(folder: Path) -> DevPki:
    """Write a CA plus server and client certificates (PEM) into ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    pki = DevPki(folder / "ca.pem", folder / "server.pem", folder / "server.key",
                 folder / "client.pem", folder / "client.key", folder / "ca.key")
    ca_key, server_key, client_key = _key(), _key(), _key()
    ca_name = _name("Inburgering hub test CA")
    ca = _issue(ca_name, ca_key, ca_name, ca_key, ca=True)
    both = [ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH]
    server = _issue(_name("localhost", DUO_TEST_OIN), server_key, ca_name, ca_key, ca=False,
                    usage=both)
    client = _issue(_name("gemeente test", TEST_OIN), client_key, ca_name, ca_key, ca=False,
                    usage=[ExtendedKeyUsageOID.CLIENT_AUTH])
    _write(pki.ca_cert, ca, ca_key, pki.ca_key)
    _write(pki.server_cert, server, server_key, pki.server_key)
    _write(pki.client_cert, client, client_key, pki.client_key)
    return pki


def issue_signer(pki: DevPki, folder: Path, *, oin: str = DUO_TEST_OIN,
                 valid: tuple[dt.datetime, dt.datetime] | None = None) -> tuple[Path, Path]:
    """Another signing certificate from the PKI's CA (e.g. an expired one): (cert, key) paths."""
    ca = x509.load_pem_x509_certificate(pki.ca_cert.read_bytes())
    ca_key = serialization.load_pem_private_key(pki.ca_key.read_bytes(), password=None)
    assert isinstance(ca_key, rsa.RSAPrivateKey)
    key = _key()
    cert = _issue(_name("localhost", oin), key, ca.subject, ca_key, ca=False,
                  usage=[ExtendedKeyUsageOID.SERVER_AUTH, ExtendedKeyUsageOID.CLIENT_AUTH],
                  valid=valid)
    folder.mkdir(parents=True, exist_ok=True)
    paths = (folder / f"signer-{oin}.pem", folder / f"signer-{oin}.key")
    _write(paths[0], cert, key, paths[1])
    return paths
