"""R26 scoping rules and the message browser's rules, on plain data."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from hub.console import browse
from hub.console.auth import User, check_gemeenten
from hub.console.scope import case_visible, fact_visible, scoped_view, visible_periods
from hub.errors import ConfigurationError
from hub.offsets import Offsets

HAARLEM = User(1, "gina", "viewer", ("0392",))
EVERYONE = User(2, "ada", "admin")
MOVED = {"case_ref": "CR1", "gemeente": "0363",
         "verblijf": [{"gemeentecode": "0392", "vanaf": "2024-01-02", "tot": "2025-03-01"},
                      {"gemeentecode": "0363", "vanaf": "2025-03-01", "tot": None}],
         "signalen": [{"type": "INTAKE_TE_LAAT", "gemeentecode": "0392"},
                      {"type": "PIP_TE_LAAT", "gemeentecode": "0363"}],
         "facts": 4}


def test_gemeentecodes_are_four_digits_sorted_and_unique() -> None:
    assert check_gemeenten(" 0393,0392 ,0393") == ("0392", "0393")
    assert check_gemeenten("") == ()
    with pytest.raises(ConfigurationError, match="392"):
        check_gemeenten("392")
    with pytest.raises(ConfigurationError, match="Haarlem"):
        check_gemeenten("0392,Haarlem")


def test_a_moved_case_is_visible_to_each_gemeente_for_its_own_period() -> None:
    assert case_visible(HAARLEM, MOVED) and case_visible(EVERYONE, MOVED)
    assert not case_visible(HAARLEM, {"verblijf": [{"gemeentecode": "0363", "vanaf": "2024-01-01",
                                                    "tot": None}]})
    assert not case_visible(HAARLEM, None)  # no view, no residence: nobody's but everyone's
    shown = visible_periods(HAARLEM, MOVED)
    assert [p.gemeentecode for p in shown] == ["0392"]
    before = {"produced_at": datetime(2024, 6, 1, tzinfo=UTC)}
    after = {"produced_at": datetime(2025, 3, 1, tzinfo=UTC)}  # the day of the move: Amsterdam's
    assert fact_visible(HAARLEM, before, shown) and not fact_visible(HAARLEM, after, shown)
    assert not fact_visible(HAARLEM, {"produced_at": None}, shown)
    assert fact_visible(EVERYONE, after, visible_periods(EVERYONE, MOVED))


def test_the_view_keeps_only_the_users_gemeente_items() -> None:
    view = scoped_view(HAARLEM, MOVED)
    assert [s["type"] for s in view["signalen"]] == ["INTAKE_TE_LAAT"]
    assert [r["gemeentecode"] for r in view["verblijf"]] == ["0392"]
    assert view["gemeente"] is None  # lives in Amsterdam now: not Haarlem's to know
    assert scoped_view(EVERYONE, MOVED) is MOVED


def _row(key: str, value: dict[str, object], offset: int = 0, ts: int = 0) -> dict[str, object]:
    return {"partition": 0, "offset": offset, "timestamp": ts, "case_ref": key,
            "key": {"schema": "CaseKey", "record": {"case_ref": key}},
            "value": {"schema": "X", "record": value}, "headers": []}


def test_filters_match_key_field_and_text_in_the_decoded_value() -> None:
    row = _row("CRAAA", {"onderdeel": "LEZEN", "uitslag": {"niveau": "B1"},
                         "bsn": {"masked": "•••", "key_id": "k1"}})
    assert browse.matches(row, browse.Query(key="craaa"))
    assert not browse.matches(row, browse.Query(key="CRBBB"))
    assert browse.matches(row, browse.Query(field="onderdeel=lezen"))
    assert browse.matches(row, browse.Query(field="uitslag.niveau=B1"))
    assert not browse.matches(row, browse.Query(field="uitslag.niveau=A2"))
    assert not browse.matches(row, browse.Query(field="nothing.here=1"))
    assert browse.matches(row, browse.Query(grep="lez"))
    assert not browse.matches(row, browse.Query(grep="123456782"))
    with pytest.raises(ConfigurationError, match="path=value"):
        browse.Query(field="onderdeel")
    with pytest.raises(ConfigurationError):
        browse.Query(seek="sideways")


def test_seeks_start_where_asked_and_stay_inside_retention() -> None:
    offsets = {"p0": Offsets(10, 100), "p1": Offsets(0, 3)}
    assert browse.starts(browse.Query(seek="oldest"), offsets) == {"p0": 10, "p1": 0}
    assert browse.starts(browse.Query(seek="newest", limit=5), offsets) == {"p0": 95, "p1": 0}
    assert browse.starts(browse.Query(seek="newest", limit=5, grep="x", scan=50),
                         offsets) == {"p0": 50, "p1": 0}
    assert browse.starts(browse.Query(seek="offset", offset=42), offsets) == {"p0": 42, "p1": 3}
    at = browse.starts(browse.Query(seek="timestamp"), offsets, {"p0": 77, "p1": None})
    assert at == {"p0": 77, "p1": 3}  # no message that late: the end


def test_pages_keep_the_first_or_the_newest_matches_and_cursors_round_trip() -> None:
    rows = [_row("CRA", {"n": i}, offset=i, ts=1000 + i) for i in range(6)]
    assert [r["offset"] for r in browse.page(rows, browse.Query(seek="oldest", limit=2))] == [0, 1]
    assert [r["offset"] for r in browse.page(rows, browse.Query(seek="newest", limit=2))] == [4, 5]
    assert browse.parse_cursor(browse.cursor_of({1: 98, 0: 120})) == {0: 120, 1: 98}
    with pytest.raises(ConfigurationError):
        browse.parse_cursor("0-12")


def test_since_reads_iso_moments_and_relative_ages() -> None:
    now = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    assert browse.parse_since("90m", now) == datetime(2026, 12, 3, 10, 30, tzinfo=UTC)
    assert browse.parse_since("2026-12-03T10:00:00+01:00") == datetime(2026, 12, 3, 9, 0,
                                                                        tzinfo=UTC)
    with pytest.raises(ConfigurationError, match="offset"):
        browse.parse_since("2026-12-03T10:00:00")
