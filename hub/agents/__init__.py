"""Faust agents: thin, one concern each; the shared handler does the work."""

from __future__ import annotations

import faust

from hub.agents.dead_letters import register_dead_letter_watch
from hub.agents.deadlines import register_deadline_sweep
from hub.agents.facts import register_fact_agents
from hub.agents.outbox import register_outbox_publisher
from hub.agents.projector import register_projector
from hub.agents.report import register_nightly_report
from hub.agents.retention import register_retention
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
