"""WS-Security for the Digikoppeling WUS 2W-be-S profile, with xmlsec and lxml only (no zeep).

The signature (RSA-SHA256, exclusive C14N, SHA-256 digests; WUS WB004, WB007) covers the SOAP
Body, a ``wsu:Timestamp``, the WS-Addressing headers (To, From, ReplyTo, Action, MessageID,
RelatesTo) and, in an answer, the WS-Security 1.1 ``SignatureConfirmation`` that repeats the
request's SignatureValue (WB014); the signer's certificate travels as an X.509
``BinarySecurityToken`` (WB010) and is trusted only through ``trust.Trust`` (chain, validity,
OIN). The client signs requests and verifies answers with it, the simulator the other way round,
so both sides share one definition of "signed". Any failure is ``SignatureInvalid``.
"""

from __future__ import annotations

import base64
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import xmlsec
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding
from lxml import etree

from connectors.duo.trust import Trust
from hub.errors import SignatureInvalid

SOAP_NS = "http://schemas.xmlsoap.org/soap/envelope/"
WSA_NS = "http://www.w3.org/2005/08/addressing"
WSSE_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd"
WSSE11_NS = "http://docs.oasis-open.org/wss/oasis-wss-wssecurity-secext-1.1.xsd"
WSU_NS = "http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-utility-1.0.xsd"
DS_NS = "http://www.w3.org/2000/09/xmldsig#"
X509_TOKEN = ("http://docs.oasis-open.org/wss/2004/01/"
              "oasis-200401-wss-x509-token-profile-1.0#X509v3")
BASE64 = ("http://docs.oasis-open.org/wss/2004/01/"
          "oasis-200401-wss-soap-message-security-1.0#Base64Binary")
SIGNED_HEADERS = ("To", "From", "ReplyTo", "Action", "MessageID", "RelatesTo")
WINDOW = timedelta(minutes=5)  # WB002: the tolerated clock difference ("timestampSkew")
_ID = f"{{{WSU_NS}}}Id"
_NSMAP = {"wsse": WSSE_NS, "wsu": WSU_NS, "wsse11": WSSE11_NS}
__all__ = ["SignatureInvalid", "Verified", "sign_envelope", "verify_envelope"]


@dataclass(frozen=True)
class Verified:
    """What a verified message proved: who signed, its SignatureValue, what it confirms."""

    signer: x509.Certificate
    signature_value: str
    confirmations: tuple[str | None, ...]  # SignatureConfirmation Values (None: no Value)


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
        security = etree.SubElement(header, _q(WSSE_NS, "Security"), nsmap=_NSMAP)
        security.set(_q(SOAP_NS, "mustUnderstand"), "1")
    return security


def _only(envelope: etree._Element, name: str) -> etree._Element:
    found = envelope.findall(_q(SOAP_NS, name))
    if len(found) != 1:
        raise SignatureInvalid(f"envelope must have exactly one {name}")
    return found[0]


def _signed_parts(envelope: etree._Element) -> list[etree._Element]:
    """Body, Timestamp, confirmations and the addressing headers: what must be signed."""
    header, body = _only(envelope, "Header"), _only(envelope, "Body")
    parts = [body]
    security = header.find(_q(WSSE_NS, "Security"))
    if security is not None:
        parts += security.findall(_q(WSU_NS, "Timestamp"))
        parts += security.findall(_q(WSSE11_NS, "SignatureConfirmation"))
    parts += [h for name in SIGNED_HEADERS for h in header.findall(_q(WSA_NS, name))]
    return parts


def sign_envelope(envelope: etree._Element, key_pem: bytes, cert_pem: bytes, *,
                  now: datetime, ttl: timedelta = timedelta(minutes=5),
                  confirm: Sequence[str | None] | None = None) -> str:
    """Sign ``envelope`` in place; return the new SignatureValue.

    ``confirm`` (answers only) lists the request SignatureValues to confirm; ``[None]`` confirms
    an unsigned request (a SignatureConfirmation without Value).
    """
    security = _security_header(envelope)
    stamp = etree.SubElement(security, _q(WSU_NS, "Timestamp"))
    etree.SubElement(stamp, _q(WSU_NS, "Created")).text = _stamp(now)
    etree.SubElement(stamp, _q(WSU_NS, "Expires")).text = _stamp(now + ttl)
    _ensure_id(stamp, "TS")
    for value in confirm or ():
        node = etree.SubElement(security, _q(WSSE11_NS, "SignatureConfirmation"))
        if value is not None:
            node.set("Value", value)
        _ensure_id(node, "SC")
    cert = x509.load_pem_x509_certificate(cert_pem)
    # Created inside the tree, so lxml declares no prefix of its own that could clash.
    token = etree.SubElement(security, _q(WSSE_NS, "BinarySecurityToken"),
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
    return str(signature.findtext(_q(DS_NS, "SignatureValue")) or "").strip()


def verify_envelope(envelope: etree._Element, *, now: datetime, trust: Trust | None,
                    window: timedelta = WINDOW) -> Verified:
    """Every required part signed, the signature valid, the Timestamp within ``window`` of
    ``now`` and (with ``trust``) the signer trusted; else ``SignatureInvalid``."""
    security = _security_header_or_fail(envelope)
    signatures = security.findall(_q(DS_NS, "Signature"))
    tokens = security.findall(_q(WSSE_NS, "BinarySecurityToken"))
    if len(signatures) != 1 or len(tokens) != 1 or not tokens[0].text:
        raise SignatureInvalid("not exactly one Signature and one BinarySecurityToken")
    signature, token = signatures[0], tokens[0]
    if token.get("ValueType") != X509_TOKEN:
        raise SignatureInvalid("BinarySecurityToken is not an X.509 v3 certificate")
    parts = _signed_parts(envelope)
    if sum(p.tag == _q(WSU_NS, "Timestamp") for p in parts) != 1:
        raise SignatureInvalid("not exactly one wsu:Timestamp")
    _check_references(envelope, signature, parts)
    cert_der = _der(token.text)
    ctx = _verify_context()
    for part in parts:
        ctx.register_id(part, "Id", WSU_NS)
    try:
        ctx.key = xmlsec.Key.from_memory(cert_der, xmlsec.constants.KeyDataFormatCertDer)
        ctx.verify(signature)
    except xmlsec.Error as exc:
        raise SignatureInvalid("signature does not verify") from exc
    _check_fresh(security, now, window)
    cert = x509.load_der_x509_certificate(cert_der)
    if trust is not None:
        trust.check(cert, now)
    confirmations = tuple(node.get("Value") for node in
                          security.findall(_q(WSSE11_NS, "SignatureConfirmation")))
    value = str(signature.findtext(_q(DS_NS, "SignatureValue")) or "").strip()
    return Verified(cert, value, confirmations)


def _verify_context() -> xmlsec.SignatureContext:
    """A context that accepts only the profile's algorithms (no XPath/XSLT transforms)."""
    ctx = xmlsec.SignatureContext()
    for transform in (xmlsec.constants.TransformExclC14N, xmlsec.constants.TransformSha256):
        ctx.enable_reference_transform(transform)
    for transform in (xmlsec.constants.TransformExclC14N, xmlsec.constants.TransformRsaSha256):
        ctx.enable_signature_transform(transform)
    return ctx


def _der(text: str) -> bytes:
    try:
        der = base64.b64decode(text, validate=True)
        x509.load_der_x509_certificate(der)
    except ValueError as exc:
        raise SignatureInvalid("BinarySecurityToken is not a certificate") from exc
    return der


def _security_header_or_fail(envelope: etree._Element) -> etree._Element:
    header = _only(envelope, "Header") if envelope.find(_q(SOAP_NS, "Header")) is not None \
        else None
    securities = header.findall(_q(WSSE_NS, "Security")) if header is not None else []
    if not securities:
        raise SignatureInvalid("message is not signed")
    if len(securities) > 1:
        raise SignatureInvalid("more than one wsse:Security header")
    return securities[0]


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


def _instant(stamp: etree._Element, name: str, *, required: bool) -> datetime | None:
    text = stamp.findtext(_q(WSU_NS, name))
    if text is None and not required:
        return None
    try:
        value = datetime.fromisoformat(str(text))
    except ValueError as exc:
        raise SignatureInvalid(f"wsu:{name} is not a valid dateTime") from exc
    if value.utcoffset() != timedelta(0):
        raise SignatureInvalid(f"wsu:{name} is not in UTC")  # WB002
    return value


def _check_fresh(security: etree._Element, now: datetime, window: timedelta) -> None:
    stamp = security.find(_q(WSU_NS, "Timestamp"))
    assert stamp is not None  # checked by the caller: exactly one
    created = _instant(stamp, "Created", required=True)
    expires = _instant(stamp, "Expires", required=False)
    assert created is not None
    if created > now + window:
        raise SignatureInvalid("wsu:Timestamp is from the future")
    if created < now - window or (expires is not None and expires < now - window):
        raise SignatureInvalid("wsu:Timestamp expired")
