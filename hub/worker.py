"""``hub worker``: the Faust worker process (and, by default, its projector children)."""

from __future__ import annotations

from faust import Worker

from hub.agents.ownership import ShardOwnership
from hub.agents.projector_process import start_projector, stop_projector
from hub.app import create_app
from hub.runtime import Runtime, configure_logging
from hub.settings import Settings


def run_worker(settings: Settings) -> None:
    """Run a Faust worker with every agent until SIGTERM or Ctrl-C."""
    configure_logging(settings.log_level)
    # the batch driver publishes its assignment; with the Faust driver one projector takes all
    sharded = settings.projector == "process" and settings.agent_driver == "batch"
    owner = ShardOwnership() if sharded else None
    runtime = Runtime(settings, shard_owner=owner)
    runtime.store  # noqa: B018 - migrate and fail fast before joining the group
    app = create_app(runtime)
    parts = settings.projector_processes if settings.projector == "process" else 0
    projectors = [start_projector(settings, owner, part) for part in range(parts)]
    try:
        Worker(app, loglevel=settings.log_level, quiet=True, redirect_stdouts=False,
               override_logging=False).execute_from_commandline()
    finally:
        for projector in projectors:
            stop_projector(projector)
