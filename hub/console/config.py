"""Console settings, read from ``HUB_CONSOLE_``-prefixed environment variables."""

from __future__ import annotations

from dataclasses import dataclass

from hub.settings import read_env, register_settings

PREFIX = "HUB_CONSOLE_"


@dataclass(frozen=True)
class ConsoleSettings:
    """How the console listens, how long sessions live, who may scrape metrics."""

    host: str = "127.0.0.1"
    session_minutes: int = 480
    # Bearer token for /metrics scrapers; empty means only logged-in users may read /metrics.
    metrics_token: str = ""
    # Set true behind TLS so the session cookie carries the Secure flag.
    secure_cookies: bool = False
    # An agent with lag whose committed offsets have not moved for this long is stalled.
    stall_after_s: float = 60.0
    # A connector whose last status report is older than this is shown silent (they report
    # every 10 s, HUB_CONNECTOR_REPORT_EVERY_S, see connectors/kit/supervisor.py).
    silent_after_s: float = 60.0
    sample_every_s: float = 5.0
    # Failed logins (hub/console/throttle.py): per account, the first few are free, then the
    # wait doubles from login_delay_s, and login_lock_after failures lock it for
    # login_lock_minutes; per client address the same with the address_* counts.
    login_free_failures: int = 3
    login_delay_s: float = 1.0
    login_lock_after: int = 10
    login_lock_minutes: float = 15.0
    address_free_failures: int = 10
    address_lock_after: int = 30


register_settings(ConsoleSettings, PREFIX)


def console_settings() -> ConsoleSettings:
    """Read the console's settings from the environment."""
    return read_env(ConsoleSettings, PREFIX)
