"""Rate tables (R8, R9, R12-R14): the packaged files load, lookups honour validity dates, and a
gap, overlap or bad value stops the load naming file, line and key."""

from __future__ import annotations

import shutil
from datetime import date
from pathlib import Path

import pytest

from hub.errors import ConfigurationError
from hub.reconcile.tables import FOLDER, ContractPrijs, load_tables


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A copy of the packaged tables to break one file at a time."""
    target = tmp_path / "tables"
    shutil.copytree(FOLDER, target)
    return target


def write(folder: Path, name: str, *lines: str) -> None:
    (folder / name).write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_packaged_tables_load_with_the_demo_suppliers() -> None:
    tables = load_tables()
    day = date(2024, 1, 8)
    assert tables.contract_price("B10001", "B1", day) == ContractPrijs(4100, "aangeboden")
    assert tables.contract_price("B20002", "Z", day) == ContractPrijs(4100, "aangeboden")
    assert tables.keurmerk("B10001", day) and tables.keurmerk("B20002", day)
    assert tables.is_kredietbank("30276519") and not tables.is_kredietbank("B10001")
    assert tables.kredietbank_fee("30276519", "intake", day) == 14_700
    assert tables.kredietbank_fee("30276519", "budgetbeheer", day) == 2_500
    assert tables.lening_cap(day) == 200_000
    assert len(tables.tables_version) == 12
    int(tables.tables_version, 16)


@pytest.mark.parametrize(("doelgroep", "post", "cent"), [
    ("ASIELSTATUSHOUDER", "leerroute", 1_000_000), ("ASIELSTATUSHOUDER", "begeleiding", 194_400),
    ("ASIELSTATUSHOUDER", "tolken", 41_700), ("ASIELSTATUSHOUDER", "pvt", 21_600),
    ("ASIELSTATUSHOUDER", "map", 13_600), ("GEZINSMIGRANT", "tolken", 17_900),
    ("GEZINSMIGRANT", "pvt", 21_600), ("GEZINSMIGRANT", "map", 19_500)])
def test_spuk_amounts_per_r14_for_every_year(doelgroep: str, post: str, cent: int) -> None:
    tables = load_tables()
    for year in range(2022, 2028):
        assert tables.spuk(doelgroep, post, date(year, 6, 30)) == cent


def test_onderwijsroute_supplement_only_from_2026() -> None:
    tables = load_tables()
    assert tables.spuk("ASIELSTATUSHOUDER", "onderwijsroute_aanvulling", date(2025, 12, 31)) \
        is None
    assert tables.spuk("ASIELSTATUSHOUDER", "onderwijsroute_aanvulling", date(2026, 1, 1)) \
        == 1_700_000


def test_lookup_outside_any_row_is_none() -> None:
    tables = load_tables()
    assert tables.contract_price("B10001", "B1", date(2021, 12, 31)) is None
    assert tables.contract_price("ONBEKEND", "B1", date(2024, 1, 1)) is None
    assert tables.spuk("ASIELSTATUSHOUDER", "leerroute", date(2021, 12, 31)) is None
    assert tables.kredietbank_fee("30276519", "intake", date(2019, 12, 31)) is None
    assert not tables.keurmerk("B20002", date(2021, 6, 30))
    assert tables.lening_cap(date(2012, 12, 31)) is None


def test_kostenplaats_per_gemeente_else_default() -> None:
    tables = load_tables()
    assert tables.kostenplaats("0344", "taal") == ("KP6110", "KS4380")
    assert tables.kostenplaats("0363", "kredietbank") == ("KP6220", "KS4390")
    assert tables.kostenplaats("9999", "pib") == ("KP6030", "KS4385")


def test_tables_are_immutable_and_hashable() -> None:
    tables = load_tables()
    assert hash(tables) == hash(load_tables())
    assert tables == load_tables()
    with pytest.raises(AttributeError):
        tables.tables_version = "x"  # type: ignore[misc]


def test_contract_prices_change_on_their_validity_date(folder: Path) -> None:
    write(folder, "contractprijzen.csv",
          "aanbieder;leerroute;geldig_van;geldig_tot;prijs_per_uur_cent;grondslag",
          "B10001;B1;2024-01-01;2024-06-30;4100;aangeboden",
          "B10001;B1;2024-07-01;;4300;gevolgd")
    tables = load_tables(folder)
    assert tables.contract_price("B10001", "B1", date(2024, 6, 30)) == ContractPrijs(4100,
                                                                                    "aangeboden")
    assert tables.contract_price("B10001", "B1", date(2024, 7, 1)) == ContractPrijs(4300,
                                                                                   "gevolgd")
    assert tables.tables_version != load_tables().tables_version


def test_gap_names_file_line_and_key(folder: Path) -> None:
    write(folder, "contractprijzen.csv",
          "aanbieder;leerroute;geldig_van;geldig_tot;prijs_per_uur_cent;grondslag",
          "B10001;B1;2024-01-01;2024-06-30;4100;aangeboden",
          "B10001;Z;2024-01-01;;4100;aangeboden",
          "B10001;B1;2024-07-02;;4300;aangeboden")
    with pytest.raises(ConfigurationError, match=r"contractprijzen\.csv line 4: gap after line 2 "
                                                 r"from 2024-07-01 to 2024-07-01 .*B10001/B1"):
        load_tables(folder)


def test_overlap_names_file_line_and_key(folder: Path) -> None:
    write(folder, "spuk.csv", "doelgroep;post;geldig_van;geldig_tot;bedrag_cent",
          "GEZINSMIGRANT;pvt;2024-01-01;2024-12-31;21600",
          "GEZINSMIGRANT;pvt;2024-12-31;2025-12-31;21600")
    with pytest.raises(ConfigurationError,
                       match=r"spuk\.csv line 3: overlaps line 2 .*GEZINSMIGRANT/pvt"):
        load_tables(folder)


def test_a_row_after_an_open_ended_row_overlaps(folder: Path) -> None:
    write(folder, "lening.csv", "geldig_van;geldig_tot;plafond_kwartaal_cent",
          "2013-01-01;;200000", "2025-01-01;;250000")
    with pytest.raises(ConfigurationError, match=r"lening\.csv line 3: overlaps line 2"):
        load_tables(folder)


def test_keurmerk_may_lapse_but_not_overlap(folder: Path) -> None:
    write(folder, "keurmerk.csv", "aanbieder;geldig_van;geldig_tot",
          "B10001;2020-01-01;2023-12-31", "B10001;2024-03-01;", "B20002;2021-07-01;")
    tables = load_tables(folder)
    assert tables.keurmerk("B10001", date(2023, 12, 31))
    assert not tables.keurmerk("B10001", date(2024, 1, 8))
    assert tables.keurmerk("B10001", date(2024, 3, 1))
    write(folder, "keurmerk.csv", "aanbieder;geldig_van;geldig_tot",
          "B10001;2020-01-01;2024-03-01", "B10001;2024-03-01;")
    with pytest.raises(ConfigurationError, match=r"keurmerk\.csv line 3: overlaps"):
        load_tables(folder)


@pytest.mark.parametrize(("name", "lines", "message"), [
    ("lening.csv", ["geldig_van;plafond_kwartaal_cent", "2013-01-01;200000"],
     r"lening\.csv line 1: missing column\(s\) geldig_tot"),
    ("lening.csv", ["geldig_van;geldig_tot;plafond_kwartaal_cent", "2013-01-01;;2000,00"],
     r"lening\.csv line 2: plafond_kwartaal_cent '2000,00' is not a whole number"),
    ("lening.csv", ["geldig_van;geldig_tot;plafond_kwartaal_cent", "13-01-2013;;200000"],
     r"lening\.csv line 2 geldig_van: '13-01-2013' is not an ISO date"),
    ("lening.csv", ["geldig_van;geldig_tot;plafond_kwartaal_cent", "2013-01-01;2012-01-01;1"],
     r"lening\.csv line 2: geldig_tot before geldig_van"),
    ("contractprijzen.csv",
     ["aanbieder;leerroute;geldig_van;geldig_tot;prijs_per_uur_cent;grondslag",
      "B10001;B1;2024-01-01;;4100;gepland"],
     r"contractprijzen\.csv line 2: grondslag 'gepland' is not one of aangeboden, gevolgd"),
    ("kredietbank.csv", ["aanbieder;soort;geldig_van;geldig_tot;bedrag_cent",
                         ";intake;2020-01-01;;14700"],
     r"kredietbank\.csv line 2: aanbieder is empty"),
    ("kostenplaatsen.csv", ["gemeentecode;soort;kostenplaats;kostensoort",
                            "*;taal;KP1;KS1", "*;kredietbank;KP2;KS2"],
     r"kostenplaatsen\.csv: no default row '\*;pib'"),
    ("kostenplaatsen.csv", ["gemeentecode;soort;kostenplaats;kostensoort",
                            "*;taal;KP1;KS1", "*;taal;KP3;KS3"],
     r"kostenplaatsen\.csv line 3: duplicate of line 2"),
])
def test_bad_files_are_refused_with_file_and_line(folder: Path, name: str, lines: list[str],
                                                  message: str) -> None:
    write(folder, name, *lines)
    with pytest.raises(ConfigurationError, match=message):
        load_tables(folder)


def test_missing_file_is_a_configuration_error(folder: Path) -> None:
    (folder / "keurmerk.csv").unlink()
    with pytest.raises(ConfigurationError, match=r"keurmerk\.csv: cannot read"):
        load_tables(folder)

