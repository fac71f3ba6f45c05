"""Settings of the connector host, read from ``HUB_CONNECTOR_*`` environment variables."""

from __future__ import annotations

from dataclasses import dataclass

from connectors.kit.retry import RetryPolicy, policy_for
from hub.settings import read_env, register_settings

PREFIX = "HUB_CONNECTOR_"


@dataclass(frozen=True)
class KitSettings:
    """How the supervisor restarts and reports; retries of connectors without their own."""

    restart_backoff_s: float = 1.0  # first wait before restarting a crashed connector
    restart_max_backoff_s: float = 60.0  # the wait doubles per crash up to this
    report_every_s: float = 10.0  # heartbeat file and connector-status topic (also on a crash)
    stop_grace_s: float = 5.0  # on stop, how long a connector may take before it is cancelled
    retry_attempts: int = 5
    retry_backoff_s: float = 0.5
    retry_max_backoff_s: float = 60.0

    @property
    def restart(self) -> RetryPolicy:
        """The supervisor's restart backoff."""
        return RetryPolicy(attempts=1, backoff_s=self.restart_backoff_s,
                           max_backoff_s=self.restart_max_backoff_s)

    @property
    def retry(self) -> RetryPolicy:
        """Retries for connectors without settings of their own."""
        return policy_for(self)


register_settings(KitSettings, PREFIX)


def kit_settings() -> KitSettings:
    """Read ``HUB_CONNECTOR_*`` from the environment."""
    return read_env(KitSettings, PREFIX)
