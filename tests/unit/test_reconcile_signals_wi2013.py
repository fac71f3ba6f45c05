"""R2 and R18 deadline signals (types, dates, never in the future) and the Wi2013 school
bevestiging that stands in for the aanmelding where no PIP exists (taalaanbieder FORMAT §6),
with R13 then applied."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from hub.agents.deadlines import sweep_schedule
from hub.errors import ConfigurationError
from hub.reconcile.outbound import signaal
from hub.reconcile.signals import due
from hub.reconcile.view import case_view
from hub.settings import Settings
from hub.store import Fact
from tests.unit.reconcile_facts import (
    CASE,
    fact,
    gesprek,
    koppeling,
    pip,
    plicht,
    voortgang,
)


def _termijn_view() -> dict:
    return case_view(CASE, [pip("pip", date(2023, 3, 1), date(2023, 3, 1)),
                            gesprek("g", "VOORTGANGSGESPREK", date(2026, 6, 1))])


def test_r2_termijn_in_gevaar_only_before_the_end_then_termijn_verstreken() -> None:
    view = _termijn_view()  # termijn ends 2026-03-01
    assert {s["type"] for s in due(view, date(2026, 3, 1))} == {"TERMIJN_IN_GEVAAR"}
    [after] = [s for s in due(view, date(2026, 3, 2)) if s["type"].startswith("TERMIJN")]
    assert (after["type"], after["uiterlijk"], after["regel"]) == ("TERMIJN_VERSTREKEN",
                                                                   "2026-03-01", "R2")
    years_later = {s["type"] for s in due(view, date(2029, 1, 1))}
    assert "TERMIJN_IN_GEVAAR" not in years_later and "TERMIJN_VERSTREKEN" in years_later


def test_r18_no_deadline_signal_is_dated_after_the_moment_it_is_produced() -> None:
    """A signal is dated the day the sweep establishes it (its id stays the deadline's), so its
    ``vastgesteld_op`` and ``produced_at`` are never in the future, even for a termijn ending
    next year."""
    view = case_view(CASE, [koppeling("k", "0363", date(2025, 1, 31)),
                            pip("pip", date(2023, 3, 1), date(2023, 3, 1)),
                            gesprek("g", "VOORTGANGSGESPREK", date(2026, 6, 1))])
    today = date(2025, 10, 1)
    signals = due(view, today)
    assert {s["type"] for s in signals} >= {"TERMIJN_IN_GEVAAR", "INTAKE_TE_LAAT"}
    now = datetime(2025, 10, 1, 7, tzinfo=UTC)
    for s in signals:
        _, record = signaal(CASE, s)
        assert record["vastgesteld_op"] <= today and record["produced_at"] <= now, s["type"]
    assert due(view, today)[0]["id"] == due(view, date(2025, 11, 1))[0]["id"]  # sent once


def test_r18_lbt_window_signal_has_its_own_type() -> None:
    view = case_view(CASE, [koppeling("k", "0363", date(2024, 1, 31))])
    lbt = [s for s in due(view, date(2025, 2, 1)) if s["regel"] == "R18"
           and s["uiterlijk"] == "2025-01-31"]
    assert [s["type"] for s in lbt] == ["LBT_TE_LAAT"]


def test_r18_r2_the_sweep_time_is_a_setting_named_in_its_error() -> None:
    at, zone = sweep_schedule(Settings(signal_sweep_time="07:30"))
    assert (at.hour, at.minute, str(zone)) == (7, 30, "Europe/Amsterdam")
    with pytest.raises(ConfigurationError, match="HUB_SIGNAL_SWEEP_TIME"):
        sweep_schedule(Settings(signal_sweep_time="25:99"))


SCHOOL = "B20002"


def _bevestiging(status: str = "GEACCEPTEERD") -> Fact:
    return fact("AanmeldingBevestiging", "bev", aanmelding_message_id="W13-1",
                taalaanbieder=SCHOOL, status=status, startdatum=date(2024, 1, 1),
                reden=None if status == "GEACCEPTEERD" else "vol",
                bevestigd_op=date(2023, 12, 20))


def _line(mid: str, start: date, end: date, hours: int, issued: date) -> Fact:
    line = {"regelnummer": "1", "omschrijving": "Lesuren", "case_ref": CASE,
            "koper_referentie": "W13-1", "periode_begindatum": start, "periode_einddatum": end,
            "hoeveelheid_milli": hours * 1000, "eenheid": "HUR", "eenheidsprijs_cent": 4100,
            "regelbedrag_cent": hours * 4100, "btw_categorie": "E", "btw_tarief_basispunten": 0}
    return fact("FactuurVoorCase", f"{mid}@{CASE}", factuur_message_id=mid,
                factuur_key="FA" + mid.rjust(30, "0"), documentsoort="INVOICE",
                factuurnummer=mid, factuurdatum=issued, leverancier_id=SCHOOL,
                leverancier_naam="School", gecrediteerde_factuurnummer=None,
                iban_begunstigde=None, regels=[line])


def wi2013_case(*extra: Fact) -> list[Fact]:
    return [plicht("p", date(2021, 6, 1), doelgroep="GEZINSMIGRANT", regime="WI2013"),
            koppeling("k", "0363", date(2021, 8, 1)),
            voortgang("v", SCHOOL, date(2024, 1, 1), date(2024, 1, 31), taal_h=14,
                      cumulatief=True), *extra]


def test_r13_wi2013_an_accepted_bevestiging_is_the_aanmelding_where_no_pip_exists() -> None:
    view = case_view(CASE, wi2013_case(_bevestiging(), _line("J", date(2024, 1, 1),
                                                             date(2024, 1, 31), 14,
                                                             date(2024, 2, 10))))
    [d] = view["beslissingen"]
    assert (d["beslissing"], d["reden"]) == ("GOEDGEKEURD", "R9.akkoord")
    assert d["bewijs"]["leerroute"] == "B1" and d["bewijs"]["kwartaalplafond_cent"] == 200_000
    held = case_view(CASE, wi2013_case(_line("J", date(2024, 1, 1), date(2024, 1, 31), 14,
                                             date(2024, 2, 10))))
    assert held["beslissingen"][0]["reden"] == "R9.geen-aanmelding"
    refused = case_view(CASE, wi2013_case(_bevestiging("AFGEWEZEN"),
                                          _line("J", date(2024, 1, 1), date(2024, 1, 31), 14,
                                                date(2024, 2, 10))))
    assert refused["beslissingen"][0]["reden"] == "R9.geen-aanmelding"


def test_r13_wi2013_bevestiging_route_is_held_to_the_lening_quarter_cap() -> None:
    many = voortgang("v2", SCHOOL, date(2024, 1, 1), date(2024, 2, 29), taal_h=80,
                     cumulatief=True)
    view = case_view(CASE, wi2013_case(_bevestiging(), many, _line(
        "F", date(2024, 2, 1), date(2024, 2, 29), 66, date(2024, 3, 10))))
    assert view["beslissingen"][0]["reden"] == "R13.lening-kwartaalplafond"  # 66 h > 2,000 EUR
