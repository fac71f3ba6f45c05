"""Settings of the Kredietbank connector, read from ``HUB_KREDIETBANK_*`` variables."""

from __future__ import annotations

from dataclasses import dataclass

from connectors.kit.http import MiB
from hub.settings import read_env, register_settings

PREFIX = "HUB_KREDIETBANK_"


@dataclass(frozen=True)
class KredietbankSettings:
    """Where the Kredietbank's API is and how patiently to retry."""

    api_url: str = ""  # e.g. https://api.kredietbank.example/api/v1
    api_token: str = ""  # bearer token
    timeout_s: float = 10.0  # one request, body included
    connect_timeout_s: float = 5.0
    max_response_bytes: int = 10 * MiB  # a larger answer is refused (PayloadTooLarge)
    poll_interval_s: float = 2.0
    page_size: int = 200
    retry_attempts: int = 8
    retry_backoff_s: float = 0.5
    retry_max_backoff_s: float = 60.0
    cursor_name: str = "kredietbank"  # cursors <name>.mutaties and <name>.facturen
    relay_besluiten: bool = False  # the hub (hub/reconcile/outbound.py) sends them; True: relay


register_settings(KredietbankSettings, PREFIX)


def kredietbank_settings() -> KredietbankSettings:
    """Read ``HUB_KREDIETBANK_*`` from the environment."""
    return read_env(KredietbankSettings, PREFIX)
