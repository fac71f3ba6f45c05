"""R21: the partner's own order decides which version of a record is the latest, never when the
hub received it or the message id; a corrected value replaces the corrected one everywhere."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from hub import versions
from hub.reconcile.view import case_view
from hub.store import Fact
from hub.store.records import fact_order
from tests.unit.reconcile_facts import (
    CASE,
    exam,
    gesprek,
    koppeling,
    pip,
    plicht,
    versioned,
    voldaan,
)

T = datetime(2024, 3, 1, 9, tzinfo=UTC)
LATE, EARLY = T + timedelta(days=30), T - timedelta(days=30)  # receipt times, reversed on purpose


def _duo(f: Fact, sleutel: str, volgnummer: int, *, corrigeert: str | None = None,
         received: datetime = T) -> Fact:
    return versioned(f, sleutel, volgnummer=volgnummer,
                     tijdstip=T + timedelta(minutes=volgnummer), corrigeert=corrigeert,
                     produced_at=received)


def passed_b1(day: date) -> list[Fact]:
    return [_duo(exam(f"e-{o}", o, day), f"duo:examen:{o}", n)
            for n, o in enumerate(("LEZEN", "LUISTEREN", "SCHRIJVEN", "SPREKEN", "KNM"), 1)]


def b1_case() -> list[Fact]:
    return [plicht("p", date(2023, 1, 10)), koppeling("k", "0363", date(2023, 1, 20)),
            pip("pip", date(2023, 3, 1), date(2023, 3, 1)),
            voldaan("PvtVoldaan", "pvt", date(2024, 1, 5)),
            voldaan("MapVoldaan", "map", date(2024, 1, 6)), *passed_b1(date(2024, 2, 1))]


def test_r21_a_corrected_exam_pass_no_longer_counts_whatever_arrived_first() -> None:
    before = case_view(CASE, b1_case())
    assert before["plicht_voldaan"] is True
    # DUO corrects SPREKEN to a fail: later Tijdstip and Volgnummer, naming the first change;
    # the hub received it *before* the pass and its message id sorts first.
    fail = _duo(exam("a-correction", "SPREKEN", date(2024, 2, 1), uitslag="NIET_GESLAAGD"),
                "duo:examen:SPREKEN", 99, corrigeert="e-SPREKEN", received=EARLY)
    view = case_view(CASE, [*b1_case(), fail])
    assert view["examens"]["SPREKEN"]["uitslag"] == "NIET_GESLAAGD"
    assert "SPREKEN" not in view["examens_behaald"]
    assert (view["plicht_voldaan"], view["plicht_voldaan_op"]) == (False, None)
    assert "PLICHT_VOLDAAN" not in {s["type"] for s in view["signalen"]}


def test_r21_corrigeert_joins_a_correction_whose_key_fields_changed() -> None:
    """A correction of the ExamenId itself (another sleutel) still replaces what it names."""
    fail = _duo(exam("x", "SPREKEN", date(2024, 2, 1), uitslag="NIET_GESLAAGD"),
                "duo:examen:OTHER-ID", 99, corrigeert="e-SPREKEN")
    assert case_view(CASE, [*b1_case(), fail])["plicht_voldaan"] is False


def test_r21_a_corrected_doelgroep_replaces_the_old_one() -> None:
    first = _duo(plicht("p1", date(2023, 1, 10)), "duo:plicht", 5, received=LATE)
    right = _duo(plicht("p0", date(2023, 1, 10), doelgroep="GEZINSMIGRANT"), "duo:plicht", 9,
                 received=EARLY)
    assert case_view(CASE, [first, right])["doelgroep"] == "GEZINSMIGRANT"
    assert case_view(CASE, [right, first])["doelgroep"] == "GEZINSMIGRANT"


def test_r21_a_corrected_plicht_start_replaces_the_earlier_one() -> None:
    """R1 and R21: the plicht told later (the corrected version) decides regime and start."""
    wrong = _duo(plicht("p1", date(2021, 12, 1)), "duo:plicht", 1)
    right = _duo(plicht("p2", date(2022, 2, 1)), "duo:plicht", 2)
    view = case_view(CASE, [wrong, right])
    assert (view["plicht_start"], view["regime"]) == ("2022-02-01", "WI2021")


def test_r21_isam_versie_2_of_the_intake_moves_the_intake_date() -> None:
    """The earliest intake no longer wins: the higher versie of the same resource does."""
    v1 = versioned(gesprek("i-v1", "BREDE_INTAKE", date(2024, 2, 1)), "isam:intake:u1",
                   volgnummer=1, produced_at=LATE)
    v2 = versioned(gesprek("i-v2", "BREDE_INTAKE", date(2024, 4, 20)), "isam:intake:u1",
                   volgnummer=2, produced_at=EARLY)
    base = [koppeling("k", "0363", date(2024, 1, 31))]
    view = case_view(CASE, [*base, v1, v2])
    assert view["deadlines"]["intake_op"] == "2024-04-20"


def test_r21_isam_corrected_first_pip_moves_the_termijn_and_r2_keeps_other_pips_out() -> None:
    v1 = versioned(pip("pip-v1", date(2022, 8, 1), date(2022, 8, 1)), "isam:pip:u1",
                   volgnummer=1)
    v2 = versioned(pip("pip-v2", date(2023, 3, 1), date(2023, 3, 1)), "isam:pip:u1",
                   volgnummer=2)
    later = versioned(pip("pip-b", date(2023, 3, 1), date(2024, 1, 1), soort="GEWIJZIGD"),
                      "isam:pip:u2", volgnummer=1)
    view = case_view(CASE, [v1, v2, later])
    assert (view["eerste_pip"], view["termijn_einde"]) == ("2023-03-01", "2026-03-01")
    assert view["route_sinds"] == "2024-01-01"


def test_r21_receipt_time_and_message_id_never_decide() -> None:
    a = _duo(plicht("zzz", date(2023, 1, 10), doelgroep="GEZINSMIGRANT"), "duo:plicht", 2,
             received=EARLY)
    b = _duo(plicht("aaa", date(2023, 1, 10), doelgroep="OVERIGE_MIGRANT"), "duo:plicht", 1,
             received=LATE)
    assert case_view(CASE, [a, b])["doelgroep"] == "GEZINSMIGRANT"  # Volgnummer 2 is newer


@settings(max_examples=40, deadline=None)
@given(st.permutations(list(range(6))))
def test_r21_the_latest_version_wins_in_any_order(order: list[int]) -> None:
    items = [(f"m{n}", {"bron_versie": {"sleutel": "isam:pip:u", "tijdstip": None,
                                        "volgnummer": n + 1, "document": None,
                                        "corrigeert": None}}) for n in range(6)]
    shuffled = [items[i] for i in order]
    assert [mid for mid, _ in versions.current(shuffled)] == ["m5"]
    assert [mid for mid, _ in versions.ordered(shuffled)] == [f"m{n}" for n in range(6)]


def test_r21_versions_of_other_records_stay_apart_and_unversioned_facts_are_their_own() -> None:
    items = [("a", {"bron_versie": {"sleutel": "k1", "volgnummer": 1}}),
             ("b", {"bron_versie": {"sleutel": "k1", "volgnummer": 2}}),
             ("c", {"bron_versie": {"sleutel": "k2", "volgnummer": 1}}),
             ("d", {"bron_versie": {"sleutel": "k3", "volgnummer": 1, "corrigeert": "c"}}),
             ("e", {}), ("f", {"bron_versie": None})]
    assert sorted(mid for mid, _ in versions.current(items)) == ["b", "d", "e", "f"]


def test_r21_tijdstip_orders_before_volgnummer_and_document_breaks_ties() -> None:
    def v(mid: str, at: datetime | None, nr: int | None, doc: str | None) -> tuple[str, dict]:
        return mid, {"bron_versie": {"sleutel": "s", "tijdstip": at, "volgnummer": nr,
                                     "document": doc}}
    items = [v("1", T, 9, None), v("2", T + timedelta(seconds=1), 1, None),
             v("3", None, 99, None), v("4", T + timedelta(seconds=1), 1, "b.csv")]
    assert [mid for mid, _ in versions.ordered(items)] == ["3", "1", "2", "4"]


def test_r21_the_store_orders_a_case_facts_by_partner_order_within_a_kind() -> None:
    early = _duo(plicht("zz", date(2023, 1, 1)), "duo:plicht", 1, received=LATE)
    late = _duo(plicht("aa", date(2023, 1, 1)), "duo:plicht", 2, received=EARLY)
    other = koppeling("mm", "0363", date(2023, 1, 1))
    assert [f.message_id for f in sorted([late, other, early], key=fact_order)] == \
        ["zz", "aa", "mm"]  # by kind, then DUO's order (not the message id, not receipt)
