"""The worker's own status on the connector-status topic: unhealthy while the store is out.

Every few seconds (and at once when the store health changes) the worker publishes a
``ConnectorStatus`` record named ``hub-worker``: healthy, or not with the cause
(``store disk full: /var/hub/hub.db``) and since when. The console lists it with the
connectors and the metrics say ``hub_connector_up{connector="hub-worker"} 0``; the store
cannot carry this, being the thing that is out.
"""

from __future__ import annotations

import logging
import uuid
from datetime import UTC, datetime

import faust

import topics
from hub.agents.store_outage import STORE_HEALTH, HealthState
from hub.runtime import Runtime

log = logging.getLogger(__name__)
WORKER = "hub-worker"
KEY_SCHEMA = "nl.inburgering.hub.CaseKey"


def status_record(state: HealthState, now: datetime | None = None) -> dict[str, object]:
    """The ConnectorStatus record of the worker for a store health state."""
    return {"message_id": str(uuid.uuid4()), "case_ref": WORKER, "source": "hub",
            "produced_at": now or datetime.now(UTC), "connector": WORKER,
            "healthy": state.healthy, "last_success": state.last_success,
            "last_failure": state.since, "last_error": state.detail, "processed": 0}


def register_worker_status(app: faust.App, runtime: Runtime, interval_s: float = 5.0) -> None:
    """Register the timer that publishes the worker's status."""
    spec = topics.by_name(topics.CONNECTOR_STATUS)

    async def publish_worker_status() -> None:
        record = status_record(STORE_HEALTH.state)
        try:
            await app.producer.send_and_wait(
                runtime.physical(spec.name), runtime.codec.encode(KEY_SCHEMA, {"case_ref": WORKER}),
                runtime.codec.encode(spec.value_schema, record), None, None, None)
        except Exception as exc:  # a timer that raises stops the worker; the next tick retries
            log.warning("worker_status_unpublished error=%s", type(exc).__name__)

    app.timer(interval_s, name="worker-status")(publish_worker_status)
