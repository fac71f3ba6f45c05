"""The ZGW Notificaties API message (pure): read and check what ISAM posts to the webhook.

A notification is information-poor by design: it names the channel, the main object, the
resource and its URL, the action and when it happened, plus a few ``kenmerken``. The details are
fetched from ``resourceUrl``. Field names follow the VNG Notificaties API (NRC) exactly.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import urlparse

from connectors.kit.jsonread import read_json
from hub.errors import InvalidField

KANAAL = "inburgering"
ACTIES = ("create", "update", "partial_update", "destroy")
REQUIRED = ("kanaal", "hoofdObject", "resource", "resourceUrl", "actie", "aanmaakdatum")


@dataclass(frozen=True)
class Notificatie:
    """One notification as ISAM sent it."""

    kanaal: str
    hoofd_object: str
    resource: str
    resource_url: str
    actie: str
    aanmaakdatum: datetime
    kenmerken: dict[str, str]


def parse(body: bytes) -> Notificatie:
    """The notification in ``body``; ``InvalidField`` naming the first field that is wrong."""
    data = read_json(body, what="notificatie")  # typed refusals: not JSON, too deep
    if not isinstance(data, dict):
        raise InvalidField("notificatie", "not a JSON object")
    for name in REQUIRED:
        if not isinstance(data.get(name), str) or not data[name].strip():
            raise InvalidField(name, "missing or not a string")
    for name in ("hoofdObject", "resourceUrl"):
        if urlparse(data[name]).scheme not in ("http", "https"):
            raise InvalidField(name, "not an http(s) URL")
    if data["actie"] not in ACTIES:
        raise InvalidField("actie", f"not one of {', '.join(ACTIES)}")
    return Notificatie(
        kanaal=data["kanaal"], hoofd_object=data["hoofdObject"], resource=data["resource"],
        resource_url=data["resourceUrl"], actie=data["actie"],
        aanmaakdatum=_timestamp(data["aanmaakdatum"]), kenmerken=_kenmerken(data))


def _timestamp(raw: str) -> datetime:
    try:
        return datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidField("aanmaakdatum", "not an ISO 8601 timestamp") from None


def _kenmerken(data: dict[str, Any]) -> dict[str, str]:
    raw = data.get("kenmerken") or {}
    if not isinstance(raw, dict):
        raise InvalidField("kenmerken", "not an object")
    return {str(k): str(v) for k, v in raw.items()}


def body(n: Notificatie) -> dict[str, Any]:
    """The JSON body of a notification (what ISAM posts and what the hub posts to ISAM)."""
    return {"kanaal": n.kanaal, "hoofdObject": n.hoofd_object, "resource": n.resource,
            "resourceUrl": n.resource_url, "actie": n.actie,
            "aanmaakdatum": n.aanmaakdatum.isoformat().replace("+00:00", "Z"),
            "kenmerken": n.kenmerken}
