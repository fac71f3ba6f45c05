"""zeep against the real WSDL, over an in-process transport into the simulator (no sockets)."""

from __future__ import annotations

from datetime import date

import pytest
from zeep import Transport

from connectors.duo.certs import DUO_TEST_OIN, DevPki, generate_pki
from connectors.duo.client import DuoClient
from connectors.duo.config import DuoSettings
from connectors.duo.demo import simulator_for
from connectors.duo.simulator import DuoSimulator
from hub.errors import UpstreamRejected, UpstreamUnavailable
from tests.component.duo_transport import SimulatorTransport

URL = "https://duo.test/duo/inburgering/v1"
BSN = "111222333"
LBT = {"Bsn": BSN, "Gemeentecode": "0363", "Aanmelddatum": date(2024, 1, 8)}
MESSAGE_ID = "7d0c2f7e-4c61-4a3f-9d7e-0b8f1a2c3d4e"


@pytest.fixture(scope="module")
def pki(tmp_path_factory: pytest.TempPathFactory) -> DevPki:
    return generate_pki(tmp_path_factory.mktemp("pki"))


@pytest.fixture
def sim(pki: DevPki) -> DuoSimulator:
    return simulator_for(pki)


def _client(pki: DevPki, transport: Transport, *, signed: bool = True) -> DuoClient:
    settings = DuoSettings(url=URL, signing_cert=str(pki.client_cert) if signed else "",
                           signing_key=str(pki.client_key) if signed else "",
                           trust_store=str(pki.ca_cert), signer_oin=DUO_TEST_OIN)
    return DuoClient(settings, transport=transport)


def test_pull_pages_through_changes_with_the_cursor(pki: DevPki, sim: DuoSimulator) -> None:
    for n in range(5):
        sim.add_change("Examenresultaat", Bsn=BSN, ExamenId=f"EX{n}", Onderdeel="LEZEN",
                       Niveau="B1", Examendatum=date(2024, 1, 1 + n), Uitslag="GESLAAGD")
    client = _client(pki, SimulatorTransport(sim))
    first = client.pull(None, 3)
    second = client.pull(first.cursor, 3)
    assert [c.sequence for c in first.changes] == [1, 2, 3] and first.more
    assert [c.sequence for c in second.changes] == [4, 5] and not second.more
    assert client.pull(second.cursor, 3).changes == []
    assert sim.pull_cursors == [None, "3", "5"]


def test_registration_is_signed_addressed_and_accepted_once(
        pki: DevPki, sim: DuoSimulator) -> None:
    transport = SimulatorTransport(sim)
    kenmerk = _client(pki, transport).register("MeldLbtAanmelding", LBT, MESSAGE_ID)
    assert kenmerk == "DUO-00000001"
    assert sim.accepted == {"MeldLbtAanmelding": 1}
    sent = transport.sent[0]
    assert b"BinarySecurityToken" in sent and b"Timestamp" in sent
    assert f">{MESSAGE_ID}<".encode() in sent and b"urn:uuid" not in sent


def test_timeout_is_transient_and_the_retry_with_the_same_id_is_deduplicated(
        pki: DevPki, sim: DuoSimulator) -> None:
    client = _client(pki, SimulatorTransport(sim))
    sim.inject("timeout", "http500")
    with pytest.raises(UpstreamUnavailable):
        client.register("MeldLbtAanmelding", LBT, MESSAGE_ID)  # DUO registered it, reply lost
    with pytest.raises(UpstreamUnavailable):
        client.register("MeldLbtAanmelding", LBT, MESSAGE_ID)  # HTTP 500
    assert client.register("MeldLbtAanmelding", LBT, MESSAGE_ID) == "DUO-00000001"
    assert sim.accepted == {"MeldLbtAanmelding": 1}
    assert sim.registrations[MESSAGE_ID].repeats == 1


def test_soap_faults_are_permanent(pki: DevPki, sim: DuoSimulator) -> None:
    client = _client(pki, SimulatorTransport(sim))
    sim.inject("fault")
    with pytest.raises(UpstreamRejected, match="DUO fault"):
        client.register("MeldLbtAanmelding", LBT, MESSAGE_ID)
    with pytest.raises(UpstreamRejected) as caught:
        client.register("MeldLbtAanmelding", {**LBT, "Bsn": "111222334"}, "other-id")
    assert "111222334" not in str(caught.value)
    assert sim.accepted == {}


def test_unsigned_and_tampered_requests_get_a_fault(pki: DevPki, sim: DuoSimulator) -> None:
    with pytest.raises(UpstreamRejected, match="Verzoek geweigerd"):
        _client(pki, SimulatorTransport(sim), signed=False).register(
            "MeldLbtAanmelding", LBT, MESSAGE_ID)
    tampered = SimulatorTransport(sim, tamper=lambda b: b.replace(b"0363", b"0344"))
    with pytest.raises(UpstreamRejected):
        _client(pki, tampered).register("MeldLbtAanmelding", LBT, MESSAGE_ID)
    assert sim.accepted == {}


def test_every_registration_operation_validates_against_the_xsd(
        pki: DevPki, sim: DuoSimulator) -> None:
    client = _client(pki, SimulatorTransport(sim))
    voldaan = {"Bsn": BSN, "Gemeentecode": "0363", "Afrondingsdatum": date(2024, 2, 1),
               "Resultaat": "VOLDAAN", "RedenNietVoldaan": None, "Verwijtbaar": None}
    calls: list[tuple[str, dict[str, object]]] = [
        ("MeldLbtAanmelding", LBT),
        ("MeldPip", {"Bsn": BSN, "Gemeentecode": "0363", "Soort": "VASTGESTELD",
                     "PipKenmerk": "P1", "DagtekeningEerstePip": date(2023, 6, 1),
                     "Dagtekening": date(2023, 6, 1), "Leerroute": "Z", "Niveau": "A2",
                     "Taalaanbieder": None, "ContractId": None, "Ontzorgen": True}),
        ("MeldPvt", voldaan), ("MeldMap", voldaan),
        ("VraagVerlengingAan", {"Bsn": BSN, "Gemeentecode": "0363",
                                "Aanvraagdatum": date(2024, 3, 1), "VerlengingWeken": 26,
                                "Grond": "ziekte", "Toelichting": None}),
    ]
    for n, (operation, fields) in enumerate(calls):
        client.register(operation, fields, f"00000000-0000-4000-8000-00000000000{n}")
    assert sim.accepted == {op: 1 for op, _ in calls}

