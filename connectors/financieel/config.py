"""Settings of the financial-system connector, read from ``HUB_FIN_*`` environment variables."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from connectors import accounts
from connectors.financieel.sepa import Debtor
from hub.errors import ConfigurationError, InvalidAccount
from hub.settings import Settings, read_env, register_settings

PREFIX = "HUB_FIN_"


@dataclass(frozen=True)
class FinSettings:
    """Where the financial system's drop folder is, and the gemeente's paying account."""

    root: str = ""  # default: <var_dir>/financieel (inbox/ archive/ quarantine/ outbox/)
    poll_interval_s: float = 1.0  # a file is taken once unchanged across two polls
    unstable_polls: int = 60  # a file still changing after this many polls is reported
    max_file_bytes: int = 50 * 1024 * 1024
    debtor_name: str = "Gemeente Demo"
    debtor_iban: str = "NL02ABNA0123456789"
    debtor_bic: str = "ABNANL2A"
    execution_days: int = 1  # requested execution date = booking batch day + this many days

    def root_dir(self, hub: Settings) -> Path:
        """The financial system's drop folder."""
        return Path(self.root) if self.root else hub.var_dir / "financieel"

    def debtor(self) -> Debtor:
        """The paying account; ``ConfigurationError`` naming the setting when its IBAN (of the
        SEPA zone) or BIC fails the one account check (``connectors.accounts``)."""
        try:
            return Debtor(self.debtor_name,
                          accounts.sepa_iban(self.debtor_iban, field=f"{PREFIX}DEBTOR_IBAN"),
                          accounts.bic(self.debtor_bic, field=f"{PREFIX}DEBTOR_BIC"))
        except InvalidAccount as exc:
            raise ConfigurationError(str(exc)) from exc


register_settings(FinSettings, PREFIX)


def fin_settings() -> FinSettings:
    """Read ``HUB_FIN_*`` from the environment."""
    return read_env(FinSettings, PREFIX)
