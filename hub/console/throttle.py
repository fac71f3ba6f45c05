"""Failed console logins slow down, then lock: per account and per client address.

Each key (an account name as typed, a client address) counts its failed logins. The first
``free`` failures cost nothing; after that every failure makes the key wait before its next
attempt, ``delay_s`` doubling each time (1, 2, 4, ... s); at ``lock_after`` failures the key is
locked for ``lock_s``. An attempt while a key waits is refused with HTTP 429 and
``Retry-After`` *before* the password is checked, so a locked account cannot be guessed even
with the right password. A success clears its account's count (not the address's: an attacker
with one account of their own must not reset the address by logging in). Failures older than
``lock_s`` are forgotten. The state is per console process, in memory, bounded in size; keys
are kept as keyed digests, so a password typed into the name field is never held as text.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import secrets
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

MAX_KEYS = 50_000


@dataclass(frozen=True)
class Schedule:
    """How many failures are free, how the wait grows, when a key locks and for how long."""

    free: int
    delay_s: float
    lock_after: int
    lock_s: float

    def wait_after(self, failures: int) -> float:
        """Seconds a key waits after its ``failures``-th failure."""
        if failures >= self.lock_after:
            return self.lock_s
        if failures <= self.free:
            return 0.0
        return min(self.delay_s * 2 ** (failures - self.free - 1), self.lock_s)


@dataclass
class _State:
    failures: int
    last: float
    until: float


@dataclass(frozen=True)
class Verdict:
    """Whether an attempt may go ahead; if not, how long to wait and which key holds it."""

    allowed: bool
    retry_after_s: int = 0
    held_by: str = ""  # "account" or "address"
    locked: bool = False


class LoginThrottle:
    """Growing delays, then a temporary lock, for failed logins per account and per address."""

    def __init__(self, account: Schedule, address: Schedule,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self.schedules = {"account": account, "address": address}
        self.clock = clock
        self._salt = secrets.token_bytes(16)
        self._state: OrderedDict[tuple[str, str], _State] = OrderedDict()

    def check(self, name: str, address: str) -> Verdict:
        """May a login for ``name`` from ``address`` be tried now?"""
        now = self.clock()
        worst = Verdict(True)
        for kind, key in self._keys(name, address):
            state = self._fresh(kind, key, now)
            if state is not None and state.until > now:
                wait = math.ceil(state.until - now)
                if wait > worst.retry_after_s:
                    locked = state.failures >= self.schedules[kind].lock_after
                    worst = Verdict(False, wait, kind, locked)
        return worst

    def failed(self, name: str, address: str) -> bool:
        """Count a failed login; True when this failure locked the account or the address."""
        now, locked = self.clock(), False
        for kind, key in self._keys(name, address):
            schedule = self.schedules[kind]
            state = self._fresh(kind, key, now) or _State(0, now, now)
            state.failures += 1
            state.last, state.until = now, now + schedule.wait_after(state.failures)
            locked |= state.failures == schedule.lock_after
            self._put((kind, key), state)
        return locked

    def succeeded(self, name: str) -> None:
        """A right password: the account starts afresh."""
        self._state.pop(("account", self._digest(_account(name))), None)

    def _keys(self, name: str, address: str) -> list[tuple[str, str]]:
        return [("account", self._digest(_account(name))), ("address", self._digest(address))]

    def _digest(self, text: str) -> str:
        return hmac.new(self._salt, text.encode("utf-8", "replace"), hashlib.sha256).hexdigest()

    def _fresh(self, kind: str, key: str, now: float) -> _State | None:
        state = self._state.get((kind, key))
        if state is not None and now - state.last > self.schedules[kind].lock_s \
                and state.until <= now:
            del self._state[(kind, key)]  # quiet for a lock period: forgotten
            return None
        return state

    def _put(self, key: tuple[str, str], state: _State) -> None:
        self._state[key] = state
        self._state.move_to_end(key)
        while len(self._state) > MAX_KEYS:
            self._state.popitem(last=False)


def _account(name: str) -> str:
    return name.strip().casefold()
