"""The Kredietbank side of ``hub connectors run --demo``: the simulator with its anomalies.

Households come from the ISAM demo's ontzorgen decisions (relayed by this connector). The first
household's rent fails in its second month; the second one's bijstand stops after two months
(early end, R11); the third household's invoice does not add up (dead-lettered with its rule).
"""

from __future__ import annotations

import contextlib
import secrets
from collections.abc import AsyncIterator
from typing import Any

from connectors.kredietbank.config import KredietbankSettings
from connectors.kredietbank.simulator import KredietbankSimulator, serve
from hub.runtime import Runtime


@contextlib.asynccontextmanager
async def demo_partner(runtime: Runtime) -> AsyncIterator[dict[str, Any]]:
    """Serve the simulator; yield the connector's settings."""
    sim = KredietbankSimulator(token=secrets.token_hex(16), months=3,
                               fail_rent={"HH-00000"}, bijstand_stops={"HH-00004": 2},
                               broken_invoice_for={"HH-00006"})
    async with serve(sim) as url:
        yield {"settings": KredietbankSettings(
            api_url=url, api_token=sim.token, poll_interval_s=1.0, retry_backoff_s=0.5,
            cursor_name=f"kredietbank.demo.{url.split(':')[-1].split('/')[0]}")}
