"""The Faust application: one app per worker process, agents registered from the catalogue."""

from __future__ import annotations

import faust

from hub.agents import register_agents
from hub.runtime import Runtime

APP_ID = "inburgering-hub"


def create_app(runtime: Runtime) -> faust.App:
    """A Faust app configured for the embedded broker's known limits, with every agent."""
    settings = runtime.settings
    app = faust.App(
        APP_ID + settings.topic_suffix,
        broker=f"kafka://{settings.kafka_bootstrap}",
        # Tansu rejects idempotent producers and transactions: at_least_once plus the inbox
        # gives effectively-once into the store (ARCHITECTURE §2.2).
        processing_guarantee="at_least_once",
        # Group joins wait about half the session timeout on Tansu.
        broker_session_timeout=10,
        broker_heartbeat_interval=3,
        consumer_auto_offset_reset="earliest",
        key_serializer="raw",
        value_serializer="raw",
        store="memory://",
        topic_disable_leader=True,
        topic_allow_declare=False,
        topic_replication_factor=1,
        # Faust binds its web port even when unused: one explicit port per worker.
        web_enabled=True,
        web_bind="127.0.0.1",
        web_port=settings.worker_web_port,
        web_host="127.0.0.1",
        autodiscover=False,
        datadir=str(settings.var_dir / "faust"),
    )
    register_agents(app, runtime)
    return app
