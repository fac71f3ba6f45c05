"""The connectors the hub knows, by name; each entry is imported only when it runs."""

from __future__ import annotations

import importlib

from connectors.base import Connector
from hub.errors import ConfigurationError

# name -> "module:Class". Each partner issue adds its connectors here.
CONNECTORS: dict[str, str] = {
    "duo": "connectors.duo.run:DuoConnector",
    "taalaanbieder": "connectors.taalaanbieder.run:TaalaanbiederConnector",
    "financieel": "connectors.financieel.run:FinancieelConnector",
    "isam": "connectors.isam.run:IsamConnector",
    "kredietbank": "connectors.kredietbank.run:KredietbankConnector",
}


def connector_class(name: str) -> type[Connector]:
    """The connector class registered as ``name``."""
    try:
        module_name, _, class_name = CONNECTORS[name].partition(":")
    except KeyError:
        known = ", ".join(sorted(CONNECTORS)) or "none"
        raise ConfigurationError(f"unknown connector {name!r} (known: {known})") from None
    cls: type[Connector] = getattr(importlib.import_module(module_name), class_name)
    return cls
