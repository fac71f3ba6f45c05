"""WS-Security for the Digikoppeling WUS 2W-be-S profile, with xmlsec and lxml only (no zeep).

The signature (RSA-SHA256, exclusive C14N, SHA-256 digests) covers the SOAP Body, a
``wsu:Timestamp`` and the WS-Addressing headers (To, Action, MessageID, RelatesTo); the signer's
certificate travels as an X.509 ``BinarySecurityToken``. ``client.py`` signs with it and the
simulator verifies with it, so both sides share one definition of "signed".
"""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime, timedelta

import xmlsec
from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric import padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from hub.errors import InvalidField

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
WSA_NS = "http://www.w3.org/2005/08/addressing"
WSSE_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSU_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
DS_NS = "http://www.w3.org/2000/09/xmldsig#"
X509_TOKEN = ("http://docs.oasis-open.org/wss/2004/01/"
              "oasis-200401-wss-x509-token-profile-1.0#X509v3")
BASE64 = ("http://docs.oasis-open.org/wss/2004/01/"
          "oasis-200401-wss-soap-message-security-1.0#Base64Binary")
SIGNED_HEADERS = ("To", "Action", "MessageID", "RelatesTo")
_ID = f"{{{WSU_NS}}}Id"
_SKEW = timedelta(minutes=5)


class SignatureInvalid(InvalidField):
    """The WS-Security header is missing, incomplete or does not verify."""

    def __init__(self, reason: str) -> None:
        super().__init__("wsse:Security", reason)


def _q(ns: str, name: str) -> str:
    return f"{{{ns}}}{name}"


def _stamp(value: datetime) -> str:
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%f")[:-3] + "Z"


def _ensure_id(node: etree._Element, prefix: str) -> str:
    if node.get(_ID) is None:
        node.set(_ID, f"{prefix}-{uuid.uuid4().hex}")
    return str(node.get(_ID))


def _security_header(envelope: etree._Element) -> etree._Element:
    header = envelope.find(_q(SOAP_NS, "Header"))
    if header is None:
        header = etree.Element(_q(SOAP_NS, "Header"))
        envelope.insert(0, header)
    security = header.find(_q(WSSE_NS, "Security"))
    if security is None:
        security = etree.SubElement(header, _q(WSSE_NS, "Security"))
        security.set(_q(SOAP_NS, "mustUnderstand"), "1")
    return security


def _signed_parts(envelope: etree._Element) -> list[etree._Element]:
    """Body, Timestamp and the addressing headers, at the positions the profile expects."""
    header = envelope.find(_q(SOAP_NS, "Header"))
    body = envelope.find(_q(SOAP_NS, "Body"))
    if header is None or body is None:
        raise SignatureInvalid("envelope has no Header or Body")
    parts = [body]
    security = header.find(_q(WSSE_NS, "Security"))
    stamp = security.find(_q(WSU_NS, "Timestamp")) if security is not None else None
    if stamp is not None:
        parts.append(stamp)
    parts += [h for name in SIGNED_HEADERS for h in header.findall(_q(WSA_NS, name))]
    return parts


def sign_envelope(envelope: etree._Element, key_pem: bytes, cert_pem: bytes, *,
                  now: datetime, ttl: timedelta = timedelta(minutes=5)) -> None:
    """Add Timestamp, BinarySecurityToken and a Signature over Body, Timestamp and wsa headers."""
    security = _security_header(envelope)
    stamp = etree.SubElement(security, _q(WSU_NS, "Timestamp"))
    etree.SubElement(stamp, _q(WSU_NS, "Created")).text = _stamp(now)
    etree.SubElement(stamp, _q(WSU_NS, "Expires")).text = _stamp(now + ttl)
    _ensure_id(stamp, "TS")
    cert = x509.load_pem_x509_certificate(cert_pem)
    token = etree.Element(_q(WSSE_NS, "BinarySecurityToken"),
                          {"ValueType": X509_TOKEN, "EncodingType": BASE64})
    token.text = base64.b64encode(cert.public_bytes(Encoding.DER)).decode()
    token_id = _ensure_id(token, "X509")
    security.insert(0, token)
    signature = xmlsec.template.create(envelope, xmlsec.constants.TransformExclC14N,
                                       xmlsec.constants.TransformRsaSha256, ns="ds")
    security.insert(1, signature)
    ctx = xmlsec.SignatureContext()
    for part in _signed_parts(envelope):
        ref = xmlsec.template.add_reference(signature, xmlsec.constants.TransformSha256,
                                            uri="#" + _ensure_id(part, "id"))
        xmlsec.template.add_transform(ref, xmlsec.constants.TransformExclC14N)
        ctx.register_id(part, "Id", WSU_NS)
    key_info = xmlsec.template.ensure_key_info(signature)
    token_ref = etree.SubElement(key_info, _q(WSSE_NS, "SecurityTokenReference"))
    etree.SubElement(token_ref, _q(WSSE_NS, "Reference"),
                     {"URI": "#" + token_id, "ValueType": X509_TOKEN})
    ctx.key = xmlsec.Key.from_memory(key_pem, xmlsec.constants.KeyDataFormatPem)
    ctx.sign(signature)


def verify_envelope(envelope: etree._Element, *, now: datetime,
                    trusted_ca_pem: bytes | None = None) -> x509.Certificate:
    """Check the signature covers every required part, verifies, and is fresh; return signer."""
    security = _security_header_or_fail(envelope)
    signature = security.find(_q(DS_NS, "Signature"))
    token = security.find(_q(WSSE_NS, "BinarySecurityToken"))
    if signature is None or token is None or not token.text:
        raise SignatureInvalid("no Signature or BinarySecurityToken")
    parts = _signed_parts(envelope)
    if not any(p.tag == _q(WSU_NS, "Timestamp") for p in parts):
        raise SignatureInvalid("no wsu:Timestamp")
    _check_references(envelope, signature, parts)
    cert_der = base64.b64decode(token.text)
    ctx = xmlsec.SignatureContext()
    for part in parts:
        ctx.register_id(part, "Id", WSU_NS)
    ctx.key = xmlsec.Key.from_memory(cert_der, xmlsec.constants.KeyDataFormatCertDer)
    try:
        ctx.verify(signature)
    except xmlsec.Error as exc:
        raise SignatureInvalid("signature does not verify") from exc
    _check_fresh(security, now)
    cert = x509.load_der_x509_certificate(cert_der)
    if trusted_ca_pem is not None:
        _check_issuer(cert, x509.load_pem_x509_certificate(trusted_ca_pem))
    return cert


def _security_header_or_fail(envelope: etree._Element) -> etree._Element:
    header = envelope.find(_q(SOAP_NS, "Header"))
    security = header.find(_q(WSSE_NS, "Security")) if header is not None else None
    if security is None:
        raise SignatureInvalid("request is not signed")
    return security


def _check_references(envelope: etree._Element, signature: etree._Element,
                      parts: list[etree._Element]) -> None:
    """Every required part is referenced, and every id is unique (no signature wrapping)."""
    uris = {str(ref.get("URI", "")).lstrip("#")
            for ref in signature.iterfind(f"{_q(DS_NS, 'SignedInfo')}/{_q(DS_NS, 'Reference')}")}
    for part in parts:
        part_id = part.get(_ID)
        if part_id not in uris:
            raise SignatureInvalid(f"{etree.QName(part).localname} is not signed")
        if len(envelope.xpath("//*[@wsu:Id=$i]", namespaces={"wsu": WSU_NS}, i=part_id)) != 1:
            raise SignatureInvalid("duplicate wsu:Id")


def _check_fresh(security: etree._Element, now: datetime) -> None:
    stamp = security.find(_q(WSU_NS, "Timestamp"))
    assert stamp is not None
    try:
        created = datetime.fromisoformat(str(stamp.findtext(_q(WSU_NS, "Created"))))
        expires = datetime.fromisoformat(str(stamp.findtext(_q(WSU_NS, "Expires"))))
    except ValueError as exc:
        raise SignatureInvalid("wsu:Timestamp is not a valid dateTime") from exc
    if created > now + _SKEW or expires < now:
        raise SignatureInvalid("wsu:Timestamp expired or from the future")


def _check_issuer(cert: x509.Certificate, ca: x509.Certificate) -> None:
    public = ca.public_key()
    if cert.issuer != ca.subject or not isinstance(public, rsa.RSAPublicKey):
        raise SignatureInvalid("signer certificate not issued by the trusted CA")
    hash_algorithm = cert.signature_hash_algorithm
    assert hash_algorithm is not None
    try:
        public.verify(cert.signature, cert.tbs_certificate_bytes, padding.PKCS1v15(),
                      hash_algorithm)
    except InvalidSignature as exc:
        raise SignatureInvalid("signer certificate not issued by the trusted CA") from exc
