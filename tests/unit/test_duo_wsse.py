"""WS-Security (2W-be-S): what counts as signed, on a recorded request and on fresh ones."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from lxml import etree

from connectors.duo import wsse
from connectors.duo.certs import TEST_OIN, DevPki, generate_pki
from connectors.duo.trust import Trust, trust_from_pem

FIXTURES = Path(__file__).parents[1] / "fixtures" / "duo"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DevPki:
    return generate_pki(tmp_path_factory.mktemp("pki"))


def _now() -> datetime:
    """The time of the check (the demo PKI is valid from a few minutes before it was made)."""
    return datetime.now(UTC)


def _request() -> etree._Element:
    return etree.fromstring(
        f'<s:Envelope xmlns:s="{wsse.SOAP_NS}" xmlns:a="{wsse.WSA_NS}"><s:Header>'
        '<a:To>https://duo/x</a:To><a:Action>http://duo/Meld</a:Action>'
        '<a:MessageID>0f8e6c2a-5b7d-4e21-9c3a-7d1e2f3a4b5c</a:MessageID></s:Header>'
        '<s:Body><Meld xmlns="urn:t"><Bsn>111222333</Bsn></Meld></s:Body></s:Envelope>')


def _signed(pki: DevPki) -> bytes:
    envelope = _request()
    wsse.sign_envelope(envelope, pki.client_key.read_bytes(), pki.client_cert.read_bytes(),
                       now=_now())
    return etree.tostring(envelope)


def test_recorded_request_has_timestamp_token_and_signs_body_and_addressing() -> None:
    envelope = etree.parse(str(FIXTURES / "meld_pip_request_signed.xml")).getroot()
    created = envelope.findtext(f".//{{{wsse.WSU_NS}}}Created")
    assert created is not None
    signer = wsse.verify_envelope(envelope, now=datetime.fromisoformat(created), trust=None).signer
    assert "gemeente test" in signer.subject.rfc4514_string()
    refs = envelope.findall(f".//{{{wsse.DS_NS}}}Reference")
    assert len(refs) == 5  # Body, Timestamp, To, Action, MessageID
    assert envelope.findtext(f".//{{{wsse.WSA_NS}}}MessageID") == \
        "0f8e6c2a-5b7d-4e21-9c3a-7d1e2f3a4b5c"


def _trust(pki: DevPki, oin: str | None = None) -> Trust:
    return trust_from_pem(pki.ca_cert.read_bytes(), oin=oin)


def test_fresh_signature_verifies_against_the_trusted_ca(pki: DevPki) -> None:
    verified = wsse.verify_envelope(etree.fromstring(_signed(pki)), now=_now(),
                                    trust=_trust(pki, TEST_OIN))
    assert verified.signer.subject.rfc4514_string().startswith("2.5.4.5=00000099")
    assert verified.confirmations == ()  # a request confirms nothing


@pytest.mark.parametrize(("old", "new"), [
    (b"111222333", b"111222334"),  # body tampered
    (b"0f8e6c2a-5b7d", b"0f8e6c2a-5b7e"),  # MessageID tampered
    (b"http://duo/Meld", b"http://duo/Other"),  # Action tampered
])
def test_tampering_is_detected(pki: DevPki, old: bytes, new: bytes) -> None:
    with pytest.raises(wsse.SignatureInvalid):
        wsse.verify_envelope(etree.fromstring(_signed(pki).replace(old, new)), now=_now(),
                             trust=None)


def test_unsigned_request_stale_timestamp_foreign_ca_and_other_oin_are_refused(
        pki: DevPki, tmp_path: Path) -> None:
    signed = _signed(pki)
    with pytest.raises(wsse.SignatureInvalid, match="not signed"):
        wsse.verify_envelope(_request(), now=_now(), trust=None)
    with pytest.raises(wsse.SignatureInvalid, match="expired"):
        wsse.verify_envelope(etree.fromstring(signed), now=_now() + timedelta(hours=1), trust=None)
    with pytest.raises(wsse.SignatureInvalid, match="future"):
        wsse.verify_envelope(etree.fromstring(signed), now=_now() - timedelta(hours=1), trust=None)
    other = generate_pki(tmp_path / "other")
    with pytest.raises(wsse.SignatureInvalid, match="not trusted"):
        wsse.verify_envelope(etree.fromstring(signed), now=_now(), trust=_trust(other))
    with pytest.raises(wsse.SignatureInvalid, match="another organisation"):
        wsse.verify_envelope(etree.fromstring(signed), now=_now(), trust=_trust(pki, "0" * 20))
    # the chain is checked at the moment of checking: after the certificate expired, refused
    later = datetime.now(UTC) + timedelta(days=60)
    with pytest.raises(wsse.SignatureInvalid, match="not trusted"):
        _trust(pki).check(wsse.verify_envelope(etree.fromstring(signed), now=_now(),
                                               trust=None).signer, later)


def test_unsigned_addressing_header_is_refused(pki: DevPki) -> None:
    envelope = etree.fromstring(_signed(pki))
    header = envelope.find(f"{{{wsse.SOAP_NS}}}Header")
    assert header is not None
    extra = etree.SubElement(header, f"{{{wsse.WSA_NS}}}RelatesTo")
    extra.text = "injected"
    with pytest.raises(wsse.SignatureInvalid, match="RelatesTo is not signed"):
        wsse.verify_envelope(envelope, now=_now(), trust=None)
