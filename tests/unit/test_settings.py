"""Settings from HUB_ variables: defaults, validation naming the variable, production keys."""

from __future__ import annotations

from pathlib import Path

import pytest

from hub.errors import ConfigurationError
from hub.settings import from_env, known_variables


def test_embedded_default_needs_no_variables_and_makes_dev_keys(tmp_path: Path) -> None:
    settings = from_env({"HUB_HOME": str(tmp_path)})
    assert settings.effective_database_url == f"sqlite:///{tmp_path / 'var' / 'hub.db'}"
    assert settings.kafka_bootstrap == "127.0.0.1:9092"
    secrets = tmp_path / "var" / "dev-secrets.json"
    assert secrets.exists() and secrets.stat().st_mode & 0o077 == 0
    assert from_env({"HUB_HOME": str(tmp_path)}).case_ref_key == settings.case_ref_key


def test_bad_value_names_the_variable(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="HUB_BATCH_SIZE"):
        from_env({"HUB_HOME": str(tmp_path), "HUB_BATCH_SIZE": "many"})


def test_production_refuses_to_start_without_keys(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="HUB_CASE_REF_KEY"):
        from_env({"HUB_HOME": str(tmp_path), "HUB_ENV": "production"})
    assert not (tmp_path / "var" / "dev-secrets.json").exists()


def test_active_key_must_exist(tmp_path: Path) -> None:
    with pytest.raises(ConfigurationError, match="HUB_BSN_ACTIVE_KEY"):
        from_env({"HUB_HOME": str(tmp_path), "HUB_CASE_REF_KEY": "k",
                  "HUB_BSN_KEYS": "a:" + "A" * 43 + "=", "HUB_BSN_ACTIVE_KEY": "b"})


def test_known_variables_cover_the_settings() -> None:
    assert {"HUB_KAFKA_BOOTSTRAP", "HUB_DATABASE_URL", "HUB_SCHEMA_REGISTRY_URL"} <= \
        known_variables()
