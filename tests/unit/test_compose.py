"""Acceptance 11: docker-compose.yml checked statically (no Docker engine here)."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path
from typing import Any

import typer
import yaml

import connectors
import hub
from hub.cli import app
from hub.settings import known_variables

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "docker-compose.yml").read_text())
SERVICES: dict[str, Any] = COMPOSE["services"]
HUB_SERVICES = {name: s for name, s in SERVICES.items() if s.get("image", "").startswith(
    "inburgering-hub")}


def _import_everything() -> None:
    """Import every module so every settings class registers its variables."""
    for package in (hub, connectors):
        for info in pkgutil.walk_packages(package.__path__, package.__name__ + "."):
            if ".migrations" not in info.name:
                importlib.import_module(info.name)


def _resolves(words: list[str]) -> bool:
    """True when ``hub <words>`` names a runnable command (options may follow)."""
    command: Any = typer.main.get_command(app)  # typer vendors click: walk by shape
    for word in words:
        if word.startswith("-"):
            break
        sub = getattr(command, "commands", {}).get(word)
        if sub is None:
            return False
        command = sub
    return not getattr(command, "commands", None)


def test_the_production_parts_are_there() -> None:
    assert {"kafka", "karapace", "postgres", "worker", "connectors", "console"} <= set(SERVICES)
    assert "KRaft" in (ROOT / "docker-compose.yml").read_text() or \
        "controller" in SERVICES["kafka"]["environment"]["KAFKA_PROCESS_ROLES"]
    assert "ports" not in SERVICES["worker"], "workers scale: no fixed host port"
    assert "container_name" not in SERVICES["worker"]


def test_every_hub_service_runs_an_existing_hub_subcommand() -> None:
    assert HUB_SERVICES
    for name, service in HUB_SERVICES.items():
        command = service["command"]
        assert command[0] == "hub", name
        assert _resolves(command[1:]), f"{name}: `{' '.join(command)}` is not a hub command"


def test_every_variable_a_hub_service_sets_is_a_known_setting() -> None:
    _import_everything()
    known = known_variables()
    for name, service in HUB_SERVICES.items():
        unknown = set(service.get("environment", {})) - known
        assert not unknown, f"{name} sets unknown variables {sorted(unknown)}"


def test_every_service_has_a_healthcheck_or_is_a_one_shot_job() -> None:
    for name, service in SERVICES.items():
        one_shot = service.get("command", [None])[-1] in ("upgrade", "apply")
        assert one_shot or "healthcheck" in service, name


def test_dependencies_exist() -> None:
    for name, service in SERVICES.items():
        assert set(service.get("depends_on", {})) <= set(SERVICES), name
