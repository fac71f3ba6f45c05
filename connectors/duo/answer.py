"""Whether a reply is DUO's answer to the request we sent (WUS 2W-be-S, WB013/WB014, WA001).

An answer is used only when it is signed by a certificate the trust store vouches for
(``wsse.verify_envelope``), its Timestamp is fresh, ``wsa:RelatesTo`` is the MessageID we sent,
it has its own ``wsa:MessageID``, its ``wsa:Action`` is the WSDL's output action of our operation
(or the SOAP fault action for a Fault), and, when we signed, its ``SignatureConfirmation``
repeats our SignatureValue. Everything else is ``SignatureInvalid``: the answer is not used.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from lxml import etree

from connectors.duo import wsse
from connectors.duo.trust import Trust
from hub.errors import SignatureInvalid

FAULT_ACTION = "http://www.w3.org/2005/08/addressing/soap/fault"
REPLY = "http://www.w3.org/2005/08/addressing/reply"
_WSDL = "http://schemas.xmlsoap.org/wsdl/"
_WSAM = "{http://www.w3.org/2007/05/addressing/metadata}Action"


@dataclass(frozen=True)
class Sent:
    """What the answer must refer to: our MessageID, Action and SignatureValue (if signed)."""

    message_id: str
    action: str
    signature_value: str | None


@functools.cache
def wsdl_actions(wsdl: Path) -> dict[str, str]:
    """Each operation's input ``wsam:Action`` -> its output ``wsam:Action`` (WUS WS008)."""
    tree = etree.parse(str(wsdl), etree.XMLParser(resolve_entities=False, no_network=True))
    actions = {}
    for op in tree.iterfind(f"{{{_WSDL}}}portType/{{{_WSDL}}}operation"):
        given, answer = op.find(f"{{{_WSDL}}}input"), op.find(f"{{{_WSDL}}}output")
        if given is not None and answer is not None and given.get(_WSAM):
            actions[str(given.get(_WSAM))] = str(answer.get(_WSAM))
    return actions


def verify_answer(envelope: etree._Element, sent: Sent, *, actions: dict[str, str],
                  trust: Trust, now: datetime,
                  window: timedelta = wsse.WINDOW) -> wsse.Verified:
    """The proof that ``envelope`` answers ``sent``; ``SignatureInvalid`` if it does not."""
    verified = wsse.verify_envelope(envelope, now=now, trust=trust, window=window)
    header = envelope.find(f"{{{wsse.SOAP_NS}}}Header")
    assert header is not None  # verify_envelope needs one
    relates = header.findall(f"{{{wsse.WSA_NS}}}RelatesTo")
    if len(relates) != 1 or (relates[0].text or "").strip() != sent.message_id:
        raise SignatureInvalid("wsa:RelatesTo is not the MessageID we sent")
    if relates[0].get("RelationshipType", REPLY) != REPLY:
        raise SignatureInvalid("wsa:RelatesTo is not a reply relationship")
    if not _one_text(header, "MessageID"):
        raise SignatureInvalid("answer has no wsa:MessageID")
    body = envelope.find(f"{{{wsse.SOAP_NS}}}Body")
    fault = body is not None and body.find(f"{{{wsse.SOAP_NS}}}Fault") is not None
    expected = FAULT_ACTION if fault else actions.get(sent.action)
    if _one_text(header, "Action") != expected:
        raise SignatureInvalid("wsa:Action is not the answer to our operation")
    if sent.signature_value is not None and sent.signature_value not in verified.confirmations:
        raise SignatureInvalid("SignatureConfirmation does not repeat our signature")
    return verified


def _one_text(header: etree._Element, name: str) -> str | None:
    found = header.findall(f"{{{wsse.WSA_NS}}}{name}")
    return (found[0].text or "").strip() or None if len(found) == 1 else None
