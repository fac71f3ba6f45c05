"""Serve a ``DuoSimulator`` over real HTTP or HTTPS (optionally demanding a client certificate)."""

from __future__ import annotations

import ssl
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

from connectors.duo.simulator import DuoSimulator

PATH = "/duo/inburgering/v1"


@dataclass(frozen=True)
class ServerTls:
    """Server certificate and key; ``client_ca`` set means two-way TLS is required."""

    cert: Path
    key: Path
    client_ca: Path | None = None


def _handler(sim: DuoSimulator) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            reply = sim.handle(self.rfile.read(length))
            if reply.delay_s:
                time.sleep(reply.delay_s)
            content_type = "text/xml; charset=utf-8" if reply.body.startswith(b"<") else \
                "text/plain"
            try:
                self.send_response(reply.status)
                self.send_header("Content-Type", content_type)
                self.send_header("Content-Length", str(len(reply.body)))
                self.end_headers()
                self.wfile.write(reply.body)
            except (BrokenPipeError, ConnectionResetError, ssl.SSLError):
                pass  # the client gave up (a timeout we injected): nothing to answer

        def log_message(self, format: str, *args: object) -> None:
            return  # request lines would carry nothing useful and must never carry payloads

    return Handler


def _context(tls: ServerTls) -> ssl.SSLContext:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.minimum_version = ssl.TLSVersion.TLSv1_2  # Digikoppeling: TLS 1.2 or newer
    context.load_cert_chain(str(tls.cert), str(tls.key))
    if tls.client_ca is not None:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(str(tls.client_ca))
    return context


@contextmanager
def serve(sim: DuoSimulator, port: int = 0, tls: ServerTls | None = None) -> Iterator[str]:
    """Run the simulator on 127.0.0.1 in a thread; yields its URL; stops it on exit."""
    server = ThreadingHTTPServer(("127.0.0.1", port), _handler(sim))
    server.daemon_threads = True
    scheme = "http"
    if tls is not None:
        server.socket = _context(tls).wrap_socket(server.socket, server_side=True)
        scheme = "https"
    thread = threading.Thread(target=server.serve_forever, name="duo-simulator", daemon=True)
    thread.start()
    try:
        yield f"{scheme}://127.0.0.1:{server.server_address[1]}{PATH}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
