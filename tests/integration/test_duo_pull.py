"""DUO changes over real HTTPS (two-way TLS, signed) through the broker into the store, once."""

from __future__ import annotations

import subprocess
from datetime import date

import pytest

import topics
from connectors.duo.demo import seed
from connectors.duo.translate import change_message_id
from hub.privacy import case_ref
from hub.runtime import Runtime
from hub.store import Store
from tests.integration.conftest import HubEnv, stop_process, wait_until
from tests.integration.duo_support import duo_partner, read_topic, spawn_connector
from tests.letters import opened

pytestmark = pytest.mark.integration
INVALID_BSN = "111222334"


@pytest.mark.slow(20)
def test_pulled_changes_land_once_across_faults_repeats_corrections_and_a_restart(
        hub_env: HubEnv, worker: subprocess.Popen[bytes]) -> None:
    settings = hub_env.settings()
    store = Store(settings.effective_database_url)
    with duo_partner(hub_env.home) as duo:
        sim = duo.sim
        plicht_ids = seed(sim, people=6, seed_value=11)  # with one repeat and one R21 correction
        bad = sim.add_change("InburgeringsplichtVastgesteld", Bsn=INVALID_BSN,
                             PlichtStartdatum=date(2023, 1, 2), Doelgroep="gezinsmigrant",
                             Regime="Wi2021")
        sim.inject("http500", "timeout", "http500")  # the first pulls fail: transient
        distinct_valid = {c.change_id for c in sim.changes} - {bad}
        assert len(sim.changes) == len(distinct_valid) + 2  # one repeat, one invalid

        connector = spawn_connector(hub_env, duo, "connector-1")
        try:
            wait_until(lambda: store.count("fact") >= len(distinct_valid), timeout=60)
            last = str(sim.changes[-1].sequence)
            wait_until(lambda: store.get_cursor("duo.wijzigingen") == last, timeout=30)
        finally:
            stop_process(connector)
        assert store.count("fact") == len(distinct_valid)
        pulls_before_restart = len(sim.pull_cursors)

        later = [sim.add_change("Boete", Bsn=sim.changes[0].fields["Bsn"],
                                BoeteKenmerk=f"B{n}", BedragCent=10_000 * n,
                                Boetedatum=date(2025, 1, n), Vooraankondiging=n == 1)
                 for n in (1, 2, 3)]
        sim.repeat(plicht_ids[2])  # DUO sends an old change again after the restart
        connector = spawn_connector(hub_env, duo, "connector-2")
        try:
            wait_until(lambda: store.count("fact") >= len(distinct_valid) + len(later),
                       timeout=60)
            final = str(sim.changes[-1].sequence)
            wait_until(lambda: store.get_cursor("duo.wijzigingen") == final, timeout=30)
        finally:
            stop_process(connector)

    assert store.count("fact") == len(distinct_valid) + len(later)
    assert sim.pull_cursors[pulls_before_restart] == last  # resumed from the stored cursor

    corrected = next(c for c in sim.changes if c.change_id == plicht_ids[1])  # R21
    facts = store.facts_for(case_ref(str(corrected.fields["Bsn"]), settings.case_ref_key))
    starts = sorted(str(f.record["plicht_startdatum"]) for f in facts
                    if f.kind.endswith("InburgeringsplichtVastgesteld"))
    assert len(starts) == 2 and "2022-03-14" in starts

    dead = read_topic(hub_env, topics.dead_letter_of(topics.DUO_INBURGERINGSPLICHT_VASTGESTELD),
                      expected=1)
    assert len(dead) == 1
    assert dead[0]["original_message_id"] == change_message_id(bad)
    original = opened(dead[0], Runtime(hub_env.settings()).cipher)  # sealed, nothing lost
    assert original.startswith(b"<duo:Wijziging") and bad.encode() in original
    assert INVALID_BSN.encode() in original
    assert dead[0]["error_message"].startswith("InburgeringsplichtVastgesteld.Bsn")
    assert INVALID_BSN not in dead[0]["error_message"]
    store.close()
