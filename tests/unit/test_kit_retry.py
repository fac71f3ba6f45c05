"""The kit's one retry policy: growing delays with a cap and jitter, permanent errors never
retried, transient and unforeseen ones until the attempts are used up, stop honoured."""

from __future__ import annotations

import asyncio

import pytest

from connectors.kit.retry import RetryPolicy
from hub.errors import InvalidField, UpstreamUnavailable


def test_delays_double_up_to_the_cap() -> None:
    policy = RetryPolicy(attempts=9, backoff_s=0.5, max_backoff_s=6.0, jitter=0.0)
    assert [policy.delay(n) for n in range(1, 8)] == [0.5, 1.0, 2.0, 4.0, 6.0, 6.0, 6.0]
    assert policy.delay(10_000) == 6.0  # no overflow for absurd attempt numbers


@pytest.mark.parametrize("rand", [0.0, 0.25, 0.5, 0.999])
def test_jitter_stays_within_its_share(rand: float) -> None:
    policy = RetryPolicy(backoff_s=2.0, max_backoff_s=60.0, jitter=0.2)
    delay = policy.delay(2, rand=lambda: rand)
    assert 3.2 <= delay <= 4.8
    assert delay == pytest.approx(4.0 * (1 + 0.2 * (2 * rand - 1)))


def test_attempts_spread_by_jitter_are_not_all_equal() -> None:
    policy = RetryPolicy(backoff_s=1.0, jitter=0.2)
    assert len({round(policy.delay(3), 6) for _ in range(20)}) > 1


def _run(policy: RetryPolicy, errors: list[Exception], stop: asyncio.Event | None = None
         ) -> tuple[object, list[int]]:
    calls: list[int] = []

    async def action() -> str:
        calls.append(len(calls) + 1)
        if errors:
            raise errors.pop(0)
        return "ok"

    async def go() -> object:
        return await policy.call(action, stop=stop or asyncio.Event())

    return asyncio.run(go()), calls


def test_transient_errors_are_retried_until_success() -> None:
    result, calls = _run(RetryPolicy(attempts=5, backoff_s=0.0),
                         [UpstreamUnavailable("a"), UpstreamUnavailable("b")])
    assert calls == [1, 2, 3]
    assert result.value == "ok" and result.attempts == 3 and result.error is None  # type: ignore[attr-defined]


def test_a_permanent_error_is_never_retried() -> None:
    result, calls = _run(RetryPolicy(attempts=5, backoff_s=0.0), [InvalidField("x", "bad")])
    assert calls == [1]
    assert isinstance(result.error, InvalidField) and result.attempts == 1  # type: ignore[attr-defined]


def test_unforeseen_errors_count_as_attempts_and_end() -> None:
    result, calls = _run(RetryPolicy(attempts=3, backoff_s=0.0),
                         [KeyError("a"), KeyError("b"), KeyError("c"), KeyError("d")])
    assert calls == [1, 2, 3]
    assert isinstance(result.error, KeyError) and result.attempts == 3  # type: ignore[attr-defined]


def test_a_stop_during_the_wait_ends_the_retries() -> None:
    stop = asyncio.Event()
    stop.set()
    result, calls = _run(RetryPolicy(attempts=5, backoff_s=30.0), [UpstreamUnavailable("a")],
                         stop)
    assert calls == [1] and result.stopped  # type: ignore[attr-defined]
