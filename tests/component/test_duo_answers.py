"""DUO's answers as an attacker would send them: an independent verifier (signxml) accepts what
the simulator and the client sign, and the client refuses every answer it must not use."""

from __future__ import annotations

import asyncio
import base64
import logging
import re
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiokafka import ConsumerRecord
from cryptography import x509
from lxml import etree
from signxml import SignatureConfiguration, XMLVerifier
from signxml.exceptions import InvalidSignature

import topics
from connectors.duo import wsse
from connectors.duo.answer import wsdl_actions
from connectors.duo.certs import DUO_TEST_OIN, DevPki, generate_pki, issue_signer
from connectors.duo.client import DuoClient
from connectors.duo.config import DuoSettings
from connectors.duo.demo import simulator_for
from connectors.duo.run import DuoConnector
from connectors.duo.simulator import DuoSimulator
from connectors.kit.consumer import Item
from connectors.kit.loop import poll
from connectors.kit.supervisor import status_record
from hub.errors import SignatureInvalid, UpstreamRejected
from hub.privacy import case_ref
from hub.publish import TopicWriter
from hub.runtime import Runtime
from hub.settings import from_env
from tests.component.duo_transport import SimulatorTransport

URL = "https://duo.test/duo/inburgering/v1"
BSN, OTHER_BSN = "111222333", "123456782"
LBT = {"Bsn": BSN, "Gemeentecode": "0363", "Aanmelddatum": date(2024, 1, 8)}
Q = {"soap": wsse.SOAP_NS, "wsse": wsse.WSSE_NS, "wsa": wsse.WSA_NS, "ds": wsse.DS_NS,
     "duo": "http://inburgering-hub.nl/duo/inburgering/v1"}


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DevPki:
    return generate_pki(tmp_path_factory.mktemp("pki"))


def _sim(pki: DevPki, changes: int = 3) -> DuoSimulator:
    sim = simulator_for(pki)
    for n in range(changes):
        sim.add_change("Examenresultaat", Bsn=BSN, ExamenId=f"EX{n}", Onderdeel="LEZEN",
                       Niveau="B1", Examendatum=date(2024, 1, 1 + n), Uitslag="GESLAAGD")
    return sim


def _client(pki: DevPki, transport: SimulatorTransport, *, quarantine: Path | None = None,
            clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> DuoClient:
    settings = DuoSettings(url=URL, signing_cert=str(pki.client_cert),
                           signing_key=str(pki.client_key), trust_store=str(pki.ca_cert),
                           signer_oin=DUO_TEST_OIN)
    return DuoClient(settings, transport=transport, clock=clock, quarantine=quarantine)


def _independent(data: bytes) -> set[str]:
    """signxml's verdict: the local names of what the signature covers (raises if invalid)."""
    root = etree.fromstring(data)
    token = root.findtext(".//wsse:BinarySecurityToken", namespaces=Q)
    assert token
    cert = x509.load_der_x509_certificate(base64.b64decode(token))
    references = len(root.findall(".//ds:Reference", namespaces=Q))
    config = SignatureConfiguration(
        location=f"./{{{wsse.SOAP_NS}}}Header/{{{wsse.WSSE_NS}}}Security/",
        expect_references=references)
    results = XMLVerifier().verify(root, x509_cert=cert, id_attribute="Id",  # wsu:Id
                                   expect_config=config)
    signed = results if isinstance(results, list) else [results]
    return {etree.QName(r.signed_xml).localname for r in signed}


def test_signxml_verifies_our_signed_requests_and_the_simulators_signed_answers(
        pki: DevPki) -> None:
    sim = _sim(pki)
    transport = SimulatorTransport(sim)
    client = _client(pki, transport)
    assert len(client.pull(None, 10).changes) == 3
    assert client.register("MeldLbtAanmelding", LBT, str(uuid.uuid4())) == "DUO-00000001"
    pull, melding = transport.sent
    assert _independent(pull) == {"Body", "Timestamp", "To", "Action", "MessageID"}
    assert _independent(melding) == {"Body", "Timestamp", "To", "From", "Action", "MessageID"}
    for request, answer in zip(transport.sent, transport.replies, strict=True):
        assert _independent(answer) == {"Body", "Timestamp", "Action", "MessageID", "RelatesTo",
                                        "SignatureConfirmation"}
        ours = etree.fromstring(request).findtext(".//ds:SignatureValue", namespaces=Q)
        confirmed = etree.fromstring(answer).find(".//{*}SignatureConfirmation")
        assert confirmed is not None and confirmed.get("Value") == (ours or "").strip()
    with pytest.raises(InvalidSignature):  # the independent verifier sees tampering too
        _independent(transport.replies[0].replace(b">3</duo:NieuweCursor>",
                                                  b">999</duo:NieuweCursor>"))


def _resign(pki: DevPki, key: Path | None = None, cert: Path | None = None, *,
            mutate: Callable[[etree._Element], None] = lambda env: None,
            confirm: bool = True) -> Callable[[bytes], bytes]:
    """A reply rewriter that changes the answer, then signs it again as DUO (or ``cert``)."""
    def rewrite(data: bytes) -> bytes:
        env = etree.fromstring(data)
        security = env.find("soap:Header/wsse:Security", namespaces=Q)
        assert security is not None
        value = security.find("{*}SignatureConfirmation")
        confirmed = value.get("Value") if value is not None else None
        security.getparent().remove(security)
        mutate(env)
        wsse.sign_envelope(env, (key or pki.server_key).read_bytes(),
                           (cert or pki.server_cert).read_bytes(), now=datetime.now(UTC),
                           confirm=[confirmed] if confirm else None)
        return bytes(etree.tostring(env))
    return rewrite


def _set(path: str, text: str) -> Callable[[etree._Element], None]:
    def mutate(env: etree._Element) -> None:
        node = env.find(path, namespaces=Q)
        assert node is not None
        node.text = text
    return mutate


def _tamper_body(data: bytes) -> bytes:
    """The attack the issue found: cursor 999 and another person's BSN (or another kenmerk),
    the signature kept."""
    data = re.sub(rb">\d+</duo:NieuweCursor>", b">999</duo:NieuweCursor>", data)
    data = re.sub(rb">DUO-\d+</duo:Kenmerk>", b">DUO-99999999</duo:Kenmerk>", data)
    return data.replace(BSN.encode(), OTHER_BSN.encode())


def _strip_security(data: bytes) -> bytes:
    return re.sub(rb"<wsse:Security.*?</wsse:Security>", b"", data, flags=re.S)


Attack = Callable[[DevPki, DuoSimulator, SimulatorTransport, Path], str]


def _tampered(pki: DevPki, sim: DuoSimulator, t: SimulatorTransport, tmp: Path) -> str:
    t.tamper_reply = _tamper_body
    return "does not verify"


def _unsigned(pki: DevPki, sim: DuoSimulator, t: SimulatorTransport, tmp: Path) -> str:
    sim.signing = None
    return "not signed"


def _stripped(pki: DevPki, sim: DuoSimulator, t: SimulatorTransport, tmp: Path) -> str:
    t.tamper_reply = _strip_security
    return "not signed"


def _expired(pki: DevPki, sim: DuoSimulator, t: SimulatorTransport, tmp: Path) -> str:
    sim.answer_clock = lambda: datetime.now(UTC) - timedelta(hours=1)
    return "expired"


def _future(pki: DevPki, sim: DuoSimulator, t: SimulatorTransport, tmp: Path) -> str:
    sim.answer_clock = lambda: datetime.now(UTC) + timedelta(hours=1)
    return "future"


def _wrong_relates_to(pki: DevPki, sim: DuoSimulator, t: SimulatorTransport, tmp: Path) -> str:
    t.tamper_reply = _resign(pki, mutate=_set("soap:Header/wsa:RelatesTo", str(uuid.uuid4())))
    return "RelatesTo"


def _replayed(pki: DevPki, sim: DuoSimulator, t: SimulatorTransport, tmp: Path) -> str:
    old = SimulatorTransport(sim)
    _client(pki, old).pull(None, 10)  # an earlier, genuine answer to another request
    t.tamper_reply = lambda _data: old.replies[0]
    return "RelatesTo"


def _no_confirmation(pki: DevPki, sim: DuoSimulator, t: SimulatorTransport, tmp: Path) -> str:
    t.tamper_reply = _resign(pki, confirm=False)
    return "SignatureConfirmation"


def _other_action(pki: DevPki, sim: DuoSimulator, t: SimulatorTransport, tmp: Path) -> str:
    t.tamper_reply = _resign(pki, mutate=_set("soap:Header/wsa:Action", Q["duo"] + "/MeldPip"))
    return "Action"


def _foreign_ca(pki: DevPki, sim: DuoSimulator, t: SimulatorTransport, tmp: Path) -> str:
    other = generate_pki(tmp / "foreign")
    sim.signing = (other.server_key.read_bytes(), other.server_cert.read_bytes())
    return "not trusted"


def _other_oin(pki: DevPki, sim: DuoSimulator, t: SimulatorTransport, tmp: Path) -> str:
    sim.signing = (pki.client_key.read_bytes(), pki.client_cert.read_bytes())  # the gemeente
    return "another organisation"


def _expired_cert(pki: DevPki, sim: DuoSimulator, t: SimulatorTransport, tmp: Path) -> str:
    past = datetime.now(UTC) - timedelta(days=40)
    cert, key = issue_signer(pki, tmp, valid=(past, past + timedelta(days=30)))
    sim.signing = (key.read_bytes(), cert.read_bytes())
    return "not trusted"


ATTACKS: dict[str, Attack] = {
    "tampered": _tampered, "unsigned": _unsigned, "signature stripped": _stripped,
    "expired": _expired, "from the future": _future, "wrong RelatesTo": _wrong_relates_to,
    "replayed": _replayed, "no SignatureConfirmation": _no_confirmation,
    "other Action": _other_action, "foreign CA": _foreign_ca, "other OIN": _other_oin,
    "expired certificate": _expired_cert,
}


@pytest.mark.parametrize("attack", list(ATTACKS))
def test_answers_that_must_not_be_used_are_refused(pki: DevPki, tmp_path: Path,
                                                   attack: str) -> None:
    sim = _sim(pki)
    transport = SimulatorTransport(sim)
    reason = ATTACKS[attack](pki, sim, transport, tmp_path)
    client = _client(pki, transport, quarantine=tmp_path / "q")
    with pytest.raises(SignatureInvalid, match=reason):
        client.pull(None, 10)
    with pytest.raises(SignatureInvalid):  # a registration's answer (or Fault) just the same
        client.register("MeldLbtAanmelding", LBT, str(uuid.uuid4()))


def test_an_unsigned_fault_is_not_believed_but_a_signed_one_is_duos_no(pki: DevPki) -> None:
    sim = _sim(pki, changes=0)
    sim.unknown_bsns.add(BSN)
    client = _client(pki, SimulatorTransport(sim))
    with pytest.raises(UpstreamRejected, match="DUO fault"):
        client.register("MeldLbtAanmelding", LBT, str(uuid.uuid4()))
    sim.signing = None
    with pytest.raises(SignatureInvalid, match="not signed"):
        client.register("MeldLbtAanmelding", LBT, str(uuid.uuid4()))


class RecordingWriter(TopicWriter):
    """Encodes (so schema errors surface) and keeps records; no broker."""

    def __init__(self, runtime: Runtime) -> None:
        self._codec, self._suffix = runtime.codec, ""
        self.sent: dict[str, list[Mapping[str, Any]]] = {}

    async def send_many(self, topic: str, records: Sequence[Mapping[str, Any]]) -> None:
        for record in records:
            self.encode(topic, record)
        self.sent.setdefault(topic, []).extend(records)


class Cursors:
    """The connector's cursor port, in memory."""

    def __init__(self) -> None:
        self.values: dict[str, str] = {}

    def get_cursor(self, name: str) -> str | None:
        return self.values.get(name)

    def set_cursor(self, name: str, value: str) -> None:
        self.values[name] = value


async def _one_poll(connector: DuoConnector) -> None:
    """One round of the kit's poll loop (the connector's own health bookkeeping), then stop."""
    stop = asyncio.Event()

    async def once() -> int:
        stop.set()
        return await connector.run_once()

    await poll(stop, once, part=connector.health.part("poll"), interval_s=0,
               policy=connector.retry)


def test_a_tampered_page_moves_no_cursor_produces_nothing_and_signals_the_operator(
        pki: DevPki, tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    runtime = Runtime(from_env({"HUB_HOME": str(tmp_path)}))
    sim, writer, cursors = _sim(pki), RecordingWriter(runtime), Cursors()
    transport = SimulatorTransport(sim, tamper_reply=_tamper_body)
    quarantine = tmp_path / "var" / "quarantine" / "duo"
    settings = DuoSettings(url=URL, trust_store=str(pki.ca_cert), signer_oin=DUO_TEST_OIN)
    connector = DuoConnector(runtime, writer, settings=settings, cursors=cursors,
                             client=_client(pki, transport, quarantine=quarantine))
    connector.health.running()  # as the supervisor marks it when it starts the connector
    with caplog.at_level(logging.ERROR, logger="connectors.duo.client"):
        asyncio.run(_one_poll(connector))

    assert cursors.values == {} and writer.sent == {}  # not used: no cursor, no record
    assert not connector.health.healthy and "SignatureInvalid" in str(connector.health.last_error)
    assert status_record(connector.health)["healthy"] is False  # the connector-status record
    assert any("duo_answer_refused" in r.getMessage() for r in caplog.records)
    kept = sorted(quarantine.iterdir())
    assert [p.suffix for p in kept] == [".xml", ".txt"]
    assert {oct(p.stat().st_mode & 0o777) for p in kept} == {"0o600"}
    assert b">999</duo:NieuweCursor>" in kept[0].read_bytes()
    assert "does not verify" in kept[1].read_text()

    transport.tamper_reply = lambda body: body  # DUO's answers verify again
    asyncio.run(_one_poll(connector))
    assert cursors.values == {"duo.wijzigingen": "3"} and connector.health.healthy
    assert len(writer.sent[topics.EXAMENRESULTAAT]) == 3


def test_a_registration_whose_answer_is_untrusted_is_dead_lettered(
        pki: DevPki, tmp_path: Path) -> None:
    runtime = Runtime(from_env({"HUB_HOME": str(tmp_path)}))
    sim, writer = _sim(pki, changes=0), RecordingWriter(runtime)
    transport = SimulatorTransport(sim, tamper_reply=_resign(pki, confirm=False))
    settings = DuoSettings(url=URL, trust_store=str(pki.ca_cert), signer_oin=DUO_TEST_OIN,
                           retry_attempts=2)
    connector = DuoConnector(runtime, writer, settings=settings, cursors=Cursors(),
                             client=_client(pki, transport))
    ref = case_ref(BSN, runtime.settings.case_ref_key)
    record = {"message_id": str(uuid.uuid4()), "case_ref": ref, "source": "hub",
              "produced_at": datetime.now(UTC), "gemeentecode": "0363",
              "bsn": runtime.cipher.encrypt(BSN).as_record(), "aanmelddatum": date(2024, 1, 8)}
    key, value = writer.encode(topics.LBT_AANMELDING, record)
    message = ConsumerRecord(topics.LBT_AANMELDING, 0, 7, 0, 0, key, value, None, len(key),
                             len(value), [])
    item = Item(topics.LBT_AANMELDING, message, record)
    assert asyncio.run(connector._deliver(item, asyncio.Event()))
    letters = writer.sent[topics.dead_letter_of(topics.LBT_AANMELDING)]
    assert [letter["error_type"] for letter in letters] == ["SignatureInvalid"]
    assert sim.accepted == {"MeldLbtAanmelding": 1}  # DUO has it: a re-drive reuses the id
    assert not connector.health.healthy


def test_the_wsdl_declares_every_action_and_the_client_expects_exactly_those() -> None:
    wsdl = etree.parse(str(Path(DuoSettings().wsdl)))
    ns = {"w": "http://schemas.xmlsoap.org/wsdl/", "s": "http://schemas.xmlsoap.org/wsdl/soap/",
          "m": "http://www.w3.org/2007/05/addressing/metadata"}
    soap_actions = {op.get("name"): op.find("s:operation", ns).get("soapAction")
                    for op in wsdl.iterfind("w:binding/w:operation", ns)}
    declared = {op.get("name"): [op.find(f"w:{part}", ns).get(f"{{{ns['m']}}}Action")
                                 for part in ("input", "output", "fault")]
                for op in wsdl.iterfind("w:portType/w:operation", ns)}
    assert set(declared) == set(soap_actions) and len(declared) == 6
    for name, (given, answer, fault) in declared.items():
        assert given == soap_actions[name]  # WUS WS002: soapAction = wsa:Action
        assert answer == given + "Response" and fault.endswith("/addressing/soap/fault")
    assert wsdl_actions(Path(DuoSettings().wsdl)) == {
        given: answer for given, answer, _ in declared.values()}
