"""Shared kit of the fuzz tests (issue 10, point 3), and the tests that the kit itself is right.

Every fuzz test asks the same of a parser or translator: it either succeeds, or it raises the
hub's own permanent error whose message holds no BSN. The kit gives the BSN detector, the check
of a refusal, a real BSN sealer (keyed case reference and AES-GCM, as the runtime builds them)
and Hypothesis strategies for hostile text and for mutations of valid rows.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.errors import InvalidField, PermanentError
from hub.privacy import BsnCipher, case_ref, is_valid_bsn

FUZZ = settings(max_examples=200, deadline=None, derandomize=True,
                suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                       HealthCheck.function_scoped_fixture])
QUICK = settings(FUZZ, max_examples=60)

_CASE_REF = re.compile(r"\b(?:CR|FA)[0-9A-F]{30}\b")
_NINE_DIGITS = re.compile(r"(?<!\d)\d{9}(?!\d)")
CASE_REF_KEY = "fuzz-case-ref-key"


def bsns_in(text: str) -> list[str]:
    """Every 9-digit number in ``text`` passing the eleven-test (case references excluded)."""
    return [n for n in _NINE_DIGITS.findall(_CASE_REF.sub(" ", text)) if is_valid_bsn(n)]


def assert_refusal(exc: BaseException, kind: type[PermanentError] = PermanentError) -> None:
    """``exc`` is the hub's documented refusal and names no BSN."""
    assert isinstance(exc, kind), f"{type(exc).__name__} is not a {kind.__name__}: {exc!r}"
    assert str(exc), "a refusal must say why"
    assert bsns_in(str(exc)) == [], f"BSN in the refusal message: {exc}"


def bsn_from(digits: int) -> str | None:
    """The valid BSN whose first eight digits are ``digits`` (None when no check digit fits)."""
    head = f"{digits:08d}"
    total = sum(w * int(d) for w, d in zip((9, 8, 7, 6, 5, 4, 3, 2), head, strict=True))
    last = total % 11
    candidate = head + str(last)
    return candidate if last < 10 and is_valid_bsn(candidate) else None


valid_bsns = st.integers(1_000_000, 99_999_999).map(bsn_from).filter(lambda b: b is not None)
invalid_bsns = st.one_of(
    st.integers(100_000_000, 999_999_999).map(str).filter(lambda b: not is_valid_bsn(b)),
    st.sampled_from(["", "000000000", "12345678901", "11122233", "abcdefghi", " 111222334 "]))


class Sealer:
    """The runtime's sealing on a fixed key: validates the BSN (R20), hashes, encrypts."""

    def __init__(self) -> None:
        self.cipher = BsnCipher({"fuzz": bytes(range(32))}, "fuzz")

    def case_ref(self, bsn: str) -> str:
        """Keyed hash of the BSN; ``InvalidField`` when it fails the eleven-test."""
        return case_ref(bsn, CASE_REF_KEY)

    def seal(self, bsn: str) -> dict[str, object]:
        """The EncryptedBsn record."""
        return self.cipher.encrypt(bsn).as_record()


SEALER = Sealer()

HOSTILE_VALUES: tuple[str, ...] = (
    "", " ", "\t", "0", "-1", "-0,01", "1e999", "NaN", "Infinity", "99999999999999999999999",
    "9" * 400, "0,001", "12,345", "1.000,00", "2024-02-30", "31-02-2009", "2024-13-01",
    "0000-00-00", "9999-12-31", "10000-01-01", "2024-1-1", "yesterday", "\x00", "\ufeff",
    "ü" * 250, "\u202e", "😀", "a;b", '"', "\r\n", "111222334", "123456782", "CR0", "null",
    "true", "WI2021", "A0", "B3", "<x/>", "&amp;", "]]>", "2147483648", "-2147483649",
    "9223372036854775808", "\u00b2", "\u0661\u0662\u0663", "0363\n", "1\u00a0000",
)


def single_edits(row: Sequence[str], *, skip: int = 0) -> list[list[str]]:
    """Every row with exactly one field replaced by one of ``HOSTILE_VALUES`` (a full grid)."""
    return [[*row[:at], value, *row[at + 1:]] for at in range(skip, len(row))
            for value in HOSTILE_VALUES]


def hostile_text() -> st.SearchStrategy[str]:
    """Values a partner should never send, and plain random text."""
    return st.one_of(st.sampled_from(HOSTILE_VALUES), st.sampled_from(HOSTILE_VALUES),
                     valid_bsns.map(str),
                     st.text(max_size=40), st.integers().map(str),
                     st.decimals(allow_nan=True, allow_infinity=True).map(str),
                     st.dates().map(lambda d: d.strftime("%d-%m-%Y")))


@st.composite
def mutated(draw: st.DrawFn, row: Sequence[str], *, keep_first: bool = False) -> list[str]:
    """``row`` with one to three edits: replace, delete, duplicate or swap fields."""
    values = list(row)
    start = 1 if keep_first else 0
    for _ in range(draw(st.integers(1, 3))):
        if len(values) <= start:
            values.append(draw(hostile_text()))
            continue
        at = draw(st.integers(start, len(values) - 1))
        op = draw(st.sampled_from(("replace", "replace", "replace", "delete", "duplicate",
                                   "swap", "upper", "pad")))
        if op == "replace":
            values[at] = draw(hostile_text())
        elif op == "delete":
            del values[at]
        elif op == "duplicate":
            values.insert(at, values[at])
        elif op == "swap":
            other = draw(st.integers(start, len(values) - 1))
            values[at], values[other] = values[other], values[at]
        elif op == "upper":
            values[at] = values[at].upper() if at % 2 else values[at].lower()
        else:
            values[at] = f"  {values[at]}  "
    return values


# -- the kit's own tests ----------------------------------------------------------------------

def test_bsns_in_finds_valid_bsns_and_ignores_case_refs_and_invalid_numbers() -> None:
    assert bsns_in("line 4: 111222333 and 111222334") == ["111222333"]
    assert bsns_in("x1112223330") == []  # ten digits is no BSN
    assert bsns_in("CR" + "111222333" + "0" * 21) == []
    assert bsns_in("reason: <bsn>") == []


def test_assert_refusal_rejects_foreign_errors_and_bsns() -> None:
    assert_refusal(InvalidField("PERSOON.bsn", "not a valid BSN"))
    with pytest.raises(AssertionError):
        assert_refusal(ValueError("bad"))
    with pytest.raises(AssertionError):
        assert_refusal(InvalidField("bsn", "111222333 is wrong"))


@given(valid_bsns)
@QUICK
def test_generated_bsns_pass_the_eleven_test_and_seal(bsn: str) -> None:
    assert is_valid_bsn(bsn)
    assert SEALER.cipher.decrypt(SEALER.seal(bsn)) == bsn
    assert bsns_in(f"x {bsn} y") == [bsn]


@given(invalid_bsns)
@QUICK
def test_generated_invalid_bsns_are_refused_by_the_sealer(bsn: str) -> None:
    with pytest.raises(InvalidField) as caught:
        SEALER.case_ref(bsn)
    assert_refusal(caught.value)


@given(mutated(["A", "B", "C"], keep_first=True))
@QUICK
def test_mutations_keep_the_row_type_and_stay_within_three_edits(row: list[str]) -> None:
    assert row[0] == "A"
    assert 1 <= len(row) <= 6


def test_single_edits_cover_every_field_with_every_hostile_value() -> None:
    grid = single_edits(["T", "a", "b"], skip=1)
    assert len(grid) == 2 * len(HOSTILE_VALUES)
    assert all(row[0] == "T" for row in grid)
    assert {row[2] for row in grid[len(HOSTILE_VALUES):]} == set(HOSTILE_VALUES)
