"""Settings of the ISAM connector, read from ``HUB_ISAM_*`` environment variables."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from connectors.kit.http import MiB
from hub.settings import Settings, read_env, register_settings

PREFIX = "HUB_ISAM_"


@dataclass(frozen=True)
class IsamSettings:
    """Where ISAM's API is, how the webhook listens and authenticates, how patiently to retry."""

    api_url: str = ""  # ISAM REST API base, e.g. https://isam.gemeente.nl/api/v1
    api_token: str = ""  # bearer token the hub sends to ISAM's API
    webhook_host: str = "127.0.0.1"
    webhook_port: int = 8091
    webhook_token: str = ""  # bearer token ISAM must send to the hub's webhook (required)
    public_url: str = ""  # how ISAM reaches the hub's webhook server (for signal resourceUrls)
    database_url: str = ""  # spool and delivery log; default sqlite var/isam.db
    subscriptions_file: str = ""  # JSON list of abonnementen; default var/isam/abonnementen.json
    timeout_s: float = 5.0  # one request to ISAM's API or a subscriber, body included
    connect_timeout_s: float = 5.0
    max_response_bytes: int = 10 * MiB  # a larger answer is refused (PayloadTooLarge)
    webhook_max_bytes: int = 64 * 1024  # a larger notification is answered 413
    poll_interval_s: float = 0.5
    retry_attempts: int = 8
    retry_backoff_s: float = 0.5
    retry_max_backoff_s: float = 60.0

    def effective_database_url(self, hub: Settings) -> str:
        """``HUB_ISAM_DATABASE_URL`` or ``var/isam.db`` beside the case store."""
        return self.database_url or f"sqlite:///{hub.var_dir / 'isam.db'}"

    def effective_subscriptions(self, hub: Settings) -> Path:
        """The abonnementen file."""
        return Path(self.subscriptions_file or hub.var_dir / "isam" / "abonnementen.json")

    def effective_public_url(self) -> str:
        """Base URL of the hub's ISAM server as subscribers see it."""
        return (self.public_url or f"http://{self.webhook_host}:{self.webhook_port}").rstrip("/")


register_settings(IsamSettings, PREFIX)


def isam_settings() -> IsamSettings:
    """Read ``HUB_ISAM_*`` from the environment."""
    return read_env(IsamSettings, PREFIX)
