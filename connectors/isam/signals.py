"""Hub signals -> ZGW-style notifications for ISAM's subscribed endpoints (pure parts).

Subscriptions (abonnementen) are a JSON file in the Notificaties API shape::

    [{"callbackUrl": "https://isam.example/api/notificaties", "auth": "Bearer s3cret",
      "kanalen": [{"naam": "signalen", "filters": {"gemeentecode": "0363"}}]}]

A subscription receives a signal when one of its ``kanalen`` is ``signalen`` and every filter
equals the notification's kenmerk of that name (``*`` matches anything).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

from hub.errors import ConfigurationError

KANAAL = "signalen"
RESOURCE = "signaal"


@dataclass(frozen=True)
class Abonnement:
    """One subscriber endpoint and what it wants."""

    callback_url: str
    auth: str
    filters: tuple[dict[str, str], ...]  # one per subscribed 'signalen' kanaal

    def wants(self, kenmerken: dict[str, str]) -> bool:
        """True when any of its filters matches ``kenmerken``."""
        return any(all(v == "*" or kenmerken.get(k) == v for k, v in f.items())
                   for f in self.filters)


def load_subscriptions(path: Path) -> list[Abonnement]:
    """The abonnementen in ``path`` (none when it does not exist); names the bad entry."""
    if not path.exists():
        return []
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise ConfigurationError(f"{path}: not JSON") from exc
    if not isinstance(raw, list):
        raise ConfigurationError(f"{path}: expected a list of abonnementen")
    found = []
    for n, item in enumerate(raw):
        try:
            kanalen = [k for k in item.get("kanalen", []) if k.get("naam") == KANAAL]
            found.append(Abonnement(str(item["callbackUrl"]), str(item.get("auth", "")),
                                    tuple({str(a): str(b) for a, b in
                                           (k.get("filters") or {}).items()} for k in kanalen)))
        except (KeyError, AttributeError, TypeError) as exc:
            raise ConfigurationError(f"{path}: abonnement {n} is incomplete ({exc})") from None
    return found


def signal_json(record: dict[str, Any]) -> dict[str, Any]:
    """The Signaal record as JSON-safe data (it holds no BSN)."""
    return {k: _plain(v) for k, v in record.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


WITHDRAWN = "INGETROKKEN"  # the status a withdrawn signal's resource carries (answered 410)


def withdraws(record: dict[str, Any]) -> str | None:
    """The message id of the signal this record withdraws (None: a new signal)."""
    target = record.get("ingetrokken_signaal_id")
    return str(target) if target else None


def notification(record: dict[str, Any], public_url: str) -> dict[str, Any]:
    """The notification body announcing one signal, or (``ingetrokken_signaal_id``) withdrawing
    one: ``actie`` ``destroy`` on the withdrawn signal's resource; the signal is its own main
    object."""
    target = withdraws(record) or str(record["message_id"])
    url = f"{public_url}/api/v1/signalen/{quote(target, safe='')}"
    kenmerken = {"bericht_id": str(record["message_id"]), "case_ref": str(record["case_ref"]),
                 "signaal_type": str(record["signaal_type"]),
                 "gemeentecode": str(record["gemeentecode"]), "regel": str(record["regel"])}
    if record.get("uiterlijk"):
        kenmerken["uiterlijk"] = _plain(record["uiterlijk"])
    produced = record["produced_at"]
    aanmaak = produced.isoformat() if isinstance(produced, datetime) else str(produced)
    return {"kanaal": KANAAL, "hoofdObject": url, "resource": RESOURCE, "resourceUrl": url,
            "actie": "destroy" if withdraws(record) else "create",
            "aanmaakdatum": aanmaak.replace("+00:00", "Z"), "kenmerken": kenmerken}


def deliveries(record: dict[str, Any], subscriptions: list[Abonnement], public_url: str
               ) -> list[tuple[str, str, dict[str, Any]]]:
    """(signal id, callback URL, notification) for each subscriber that wants the signal."""
    body = notification(record, public_url)
    return [(str(record["message_id"]), a.callback_url, body) for a in subscriptions
            if a.wants(body["kenmerken"])]
