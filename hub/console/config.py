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


register_settings(ConsoleSettings, PREFIX)


def console_settings() -> ConsoleSettings:
    """Read the console's settings from the environment."""
    return read_env(ConsoleSettings, PREFIX)
