"""Settings of the taalaanbieder connector, read from ``HUB_TAAL_*`` environment variables."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from hub.settings import Settings, read_env, register_settings

PREFIX = "HUB_TAAL_"


@dataclass(frozen=True)
class TaalSettings:
    """Where the schools' drop folders are and how often to look."""

    root: str = ""  # default: <var_dir>/taalaanbieder; one sub-folder per school (BOW-nummer)
    poll_interval_s: float = 1.0  # a file is taken once unchanged across two polls
    unstable_polls: int = 60  # a file still changing after this many polls is reported
    max_file_bytes: int = 20 * 1024 * 1024

    def root_dir(self, hub: Settings) -> Path:
        """The folder holding one drop folder per school."""
        return Path(self.root) if self.root else hub.var_dir / "taalaanbieder"


register_settings(TaalSettings, PREFIX)


def taal_settings() -> TaalSettings:
    """Read ``HUB_TAAL_*`` from the environment."""
    return read_env(TaalSettings, PREFIX)
