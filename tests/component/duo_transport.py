"""zeep's transport straight into a ``DuoSimulator`` (no sockets), with hooks for an attacker."""

from __future__ import annotations

from collections.abc import Callable

import requests
from zeep import Transport

from connectors.duo.simulator import DuoSimulator


class SimulatorTransport(Transport):  # type: ignore[misc]
    """Hands each request to the simulator's handler; a stall longer than the timeout times out.

    ``tamper`` rewrites each request on the way in, ``tamper_reply`` each answer on the way out
    (a man in the middle, or a replay of an earlier answer).
    """

    def __init__(self, sim: DuoSimulator, timeout_s: float = 1.0,
                 tamper: Callable[[bytes], bytes] = lambda body: body,
                 tamper_reply: Callable[[bytes], bytes] = lambda body: body) -> None:
        super().__init__()
        self.sim, self.timeout_s = sim, timeout_s
        self.tamper, self.tamper_reply = tamper, tamper_reply
        self.sent: list[bytes] = []
        self.replies: list[bytes] = []

    def post(self, address: str, message: bytes, headers: dict[str, str]) -> requests.Response:
        body = self.tamper(message)
        self.sent.append(body)
        reply = self.sim.handle(body)
        if reply.delay_s > self.timeout_s:
            raise requests.Timeout("simulated stall")
        self.replies.append(reply.body)
        response = requests.Response()
        response.status_code = reply.status
        response._content = self.tamper_reply(reply.body)
        response.headers["Content-Type"] = "text/xml; charset=utf-8"
        response.url = address
        return response
