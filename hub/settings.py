"""One frozen settings object, read from ``HUB_``-prefixed environment variables.

The embedded default needs no variables at all: it runs the broker on localhost, keeps the store
in ``var/hub.db`` and generates development keys in ``var/dev-secrets.json`` on first use.
Production (``HUB_ENV=production``) refuses to start without real keys.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
from collections.abc import Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import TypeVar

from hub.errors import ConfigurationError

PREFIX = "HUB_"
T = TypeVar("T")


def _project_root() -> Path:
    return Path(os.environ.get("HUB_HOME", Path.cwd()))


@dataclass(frozen=True)
class Settings:
    """Everything the hub reads from its environment (``HUB_<FIELD>``; README "Settings")."""

    env: str = "development"
    home: Path = field(default_factory=_project_root)
    kafka_bootstrap: str = "127.0.0.1:9092"
    broker_port: int = 9092
    database_url: str = ""
    schema_registry_url: str = "file"
    topic_suffix: str = ""
    case_ref_key: str = ""
    bsn_keys: str = ""
    bsn_active_key: str = ""
    worker_web_port: int = 6066
    console_port: int = 8080
    agent_driver: str = "batch"
    batch_size: int = 2000  # the fetch size of the raw loop too; 500 recorded ~25% slower
    batch_within_s: float = 0.2
    projector_interval_s: float = 0.5
    projector_cases: int = 200
    projector_busy_share: float = 0.25
    projector: str = "process"
    projector_processes: int = 1  # with ``process``: the worker's shards split between this many
    projector_nice: int = 5  # their CPU priority below the worker's (recording first)
    projector_trace: str = ""  # a folder: one line per projection (the bench's duplicate count)
    peildatum: str = "12-31"
    rate_tables: str = ""
    signal_sweep_time: str = "07:00"
    report_time: str = "06:00"
    report_timezone: str = "Europe/Amsterdam"
    report_dir: str = ""
    report_silence_days: str = ""
    report_year_from: str = "01-15"
    retry_attempts: int = 5
    retry_backoff_s: float = 0.2
    log_level: str = "INFO"

    @property
    def var_dir(self) -> Path:
        """Folder for the SQLite store, dev secrets and logs."""
        return self.home / "var"

    @property
    def effective_database_url(self) -> str:
        """``HUB_DATABASE_URL`` or the SQLite file under ``var/``."""
        return self.database_url or f"sqlite:///{self.var_dir / 'hub.db'}"

    def bsn_key_map(self) -> dict[str, bytes]:
        """Key id -> 256-bit AES key, parsed from ``HUB_BSN_KEYS`` (``id:base64,id:base64``)."""
        keys: dict[str, bytes] = {}
        for item in filter(None, (part.strip() for part in self.bsn_keys.split(","))):
            key_id, _, encoded = item.partition(":")
            raw = base64.b64decode(encoded)
            if len(raw) != 32:
                raise ConfigurationError(f"HUB_BSN_KEYS: key {key_id!r} must be 32 bytes")
            keys[key_id] = raw
        return keys


_CONVERTERS: dict[str, type] = {"int": int, "float": float, "Path": Path, "str": str,
                                 "bool": bool}
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}

# Every settings class read from the environment, for docs and the docker-compose check.
_SETTINGS_CLASSES: dict[type, str] = {}


def read_env(cls: type[T], prefix: str, environ: Mapping[str, str] | None = None) -> T:
    """Build the frozen dataclass ``cls`` from ``<prefix><FIELD>`` variables; names bad ones."""
    _SETTINGS_CLASSES.setdefault(cls, prefix)
    environ = os.environ if environ is None else environ
    values: dict[str, object] = {}
    for f in fields(cls):  # type: ignore[arg-type]
        name = prefix + f.name.upper()
        if name in environ:
            values[f.name] = _convert(name, str(f.type), environ[name])
    return cls(**values)


def register_settings(cls: type[T], prefix: str) -> type[T]:
    """Declare a settings class so its variables count as known settings."""
    _SETTINGS_CLASSES[cls] = prefix
    return cls


def _convert(name: str, type_name: str, raw: str) -> object:
    kind = _CONVERTERS.get(type_name, str)
    if kind is bool:
        if raw.strip().lower() not in _TRUE | _FALSE:
            raise ConfigurationError(f"{name}: not a valid bool (use true or false)")
        return raw.strip().lower() in _TRUE
    try:
        return kind(raw)
    except ValueError as exc:
        raise ConfigurationError(f"{name}: not a valid {kind.__name__}") from exc


def from_env(environ: Mapping[str, str] | None = None) -> Settings:
    """Read and validate the hub's settings; raises ``ConfigurationError`` naming the variable."""
    settings = read_env(Settings, PREFIX, environ)
    _check_driver(settings)
    return _with_secrets(settings)


def known_variables() -> set[str]:
    """Every environment variable a registered settings class reads."""
    _SETTINGS_CLASSES.setdefault(Settings, PREFIX)
    return {prefix + f.name.upper() for cls, prefix in _SETTINGS_CLASSES.items()
            for f in fields(cls)}


def _with_secrets(settings: Settings) -> Settings:
    if settings.case_ref_key and settings.bsn_keys:
        _check_keys(settings)
        return settings
    if settings.env == "production":
        missing = "HUB_CASE_REF_KEY" if not settings.case_ref_key else "HUB_BSN_KEYS"
        raise ConfigurationError(f"{missing} must be set when HUB_ENV=production")
    dev = _dev_secrets(settings.var_dir / "dev-secrets.json")
    from dataclasses import replace

    settings = replace(
        settings,
        case_ref_key=settings.case_ref_key or dev["case_ref_key"],
        bsn_keys=settings.bsn_keys or dev["bsn_keys"],
        bsn_active_key=settings.bsn_active_key or dev["bsn_active_key"],
    )
    _check_keys(settings)
    return settings


def _check_driver(settings: Settings) -> None:
    if settings.agent_driver not in ("batch", "faust"):
        raise ConfigurationError("HUB_AGENT_DRIVER: use batch or faust")
    if settings.projector not in ("process", "task"):
        raise ConfigurationError("HUB_PROJECTOR: use process or task")
    if not 1 <= settings.projector_processes <= 64:
        raise ConfigurationError("HUB_PROJECTOR_PROCESSES: use 1 to 64")
    if not 0 <= settings.projector_nice <= 19:
        raise ConfigurationError("HUB_PROJECTOR_NICE: use 0 to 19")


def _check_keys(settings: Settings) -> None:
    keys = settings.bsn_key_map()
    active = settings.bsn_active_key or next(iter(keys), "")
    if active not in keys:
        raise ConfigurationError(f"HUB_BSN_ACTIVE_KEY: {active!r} is not among HUB_BSN_KEYS")


def _dev_secrets(path: Path) -> dict[str, str]:
    """Development keys, generated once per checkout; never used when HUB_ENV=production."""
    if path.exists():
        return dict(json.loads(path.read_text()))
    path.parent.mkdir(parents=True, exist_ok=True)
    secrets_ = {
        "case_ref_key": secrets.token_hex(32),
        "bsn_keys": "dev1:" + base64.b64encode(secrets.token_bytes(32)).decode(),
        "bsn_active_key": "dev1",
    }
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(secrets_, indent=2))
    os.chmod(tmp, 0o600)
    os.replace(tmp, path)
    return secrets_
