"""Faust agents: thin, one concern each; the shared handler does the work."""

from __future__ import annotations

from typing import Any

import faust

from hub.agents.dead_letters import register_dead_letter_watch
from hub.agents.deadlines import register_deadline_sweep
from hub.agents.facts import register_fact_agents
from hub.agents.outbox import register_outbox_publisher
from hub.agents.projector import register_projector
from hub.agents.report import register_nightly_report
from hub.agents.retention import register_retention
from hub.agents.worker_status import register_worker_status
from hub.runtime import Runtime


def register_agents(app: faust.App, runtime: Runtime) -> None:
    """Register every agent and timer of the worker on ``app``."""
    register_fact_agents(app, runtime)
    register_dead_letter_watch(app, runtime)
    register_projector(app, runtime)
    register_outbox_publisher(app, runtime)
    register_deadline_sweep(app, runtime)
    register_nightly_report(app, runtime)
    register_retention(app, runtime)
    register_worker_status(app, runtime)

    async def stopping(sender: Any, /, *_: Any, signal: Any, **__: Any) -> None:
        runtime.stopping.set()  # store work paused by an outage gives up, uncommitted

    app.on_before_shutdown.connect(stopping)
