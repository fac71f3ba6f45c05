"""ConfluentRestRegistry against a small in-process fake of the Confluent REST API."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

import schemas
from hub.errors import UnknownSchema, UpstreamRejected, UpstreamUnavailable
from hub.registry import ConfluentRestRegistry

EXAM = "nl.inburgering.hub.Examenresultaat"
KEY = "nl.inburgering.hub.CaseKey"


class FakeConfluentRegistry(ThreadingHTTPServer):
    """POST /subjects/{subject}/versions and GET /schemas/ids/{id}, ids shared across subjects."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.ids: dict[str, int] = {}
        self.subjects: dict[str, list[int]] = {}
        self.requests: list[str] = []
        self.fail_with: int | None = None

    @property
    def url(self) -> str:
        """Base URL of the fake."""
        return f"http://127.0.0.1:{self.server_address[1]}"

    def register(self, subject: str, text: str) -> int:
        """Id of ``text`` (the same for an identical schema), added under ``subject``."""
        schema_id = self.ids.setdefault(text, len(self.ids) + 1)
        versions = self.subjects.setdefault(subject, [])
        if schema_id not in versions:
            versions.append(schema_id)
        return schema_id


class _Handler(BaseHTTPRequestHandler):
    server: FakeConfluentRegistry

    def do_POST(self) -> None:
        self.server.requests.append(f"POST {self.path}")
        match = re.fullmatch(r"/subjects/([^/]+)/versions", self.path)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        if self._failing() or not match:
            return
        json.loads(body["schema"])  # a real registry refuses non-JSON schemas
        self._reply(200, {"id": self.server.register(match.group(1), body["schema"])})

    def do_GET(self) -> None:
        self.server.requests.append(f"GET {self.path}")
        listed = re.fullmatch(r"/subjects/([^/]+)/versions(?:/(\d+))?", self.path)
        if listed and not self._failing():
            self._version(listed.group(1), listed.group(2))
            return
        match = re.fullmatch(r"/schemas/ids/(\d+)", self.path)
        if self._failing() or not match:
            return
        texts = {i: text for text, i in self.server.ids.items()}
        text = texts.get(int(match.group(1)))
        if text is None:
            self._reply(404, {"error_code": 40403, "message": "Schema not found"})
        else:
            self._reply(200, {"schema": text})

    def _version(self, subject: str, number: str | None) -> None:
        """GET /subjects/{subject}/versions (the numbers) or .../versions/{n} (one)."""
        ids = self.server.subjects.get(subject)
        if ids is None:
            self._reply(404, {"error_code": 40401, "message": "Subject not found"})
        elif number is None:
            self._reply(200, list(range(1, len(ids) + 1)))
        else:
            texts = {i: text for text, i in self.server.ids.items()}
            schema_id = ids[int(number) - 1]
            self._reply(200, {"subject": subject, "version": int(number), "id": schema_id,
                              "schema": texts[schema_id]})

    def _failing(self) -> bool:
        if self.server.fail_with is not None:
            code = self.server.fail_with
            self._reply(code, {"error_code": code * 100 + 1, "message": "failing on purpose"})
            return True
        return False

    def _reply(self, status: int, body: dict[str, Any] | list[int]) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/vnd.schemaregistry.v1+json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: Any) -> None:
        """Keep test output quiet."""


@pytest.fixture
def fake() -> Iterator[FakeConfluentRegistry]:
    server = FakeConfluentRegistry()
    thread = threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


def test_registers_and_fetches(fake: FakeConfluentRegistry) -> None:
    exam_id = ConfluentRestRegistry(fake.url).id_for(EXAM, schemas.load(EXAM))
    key_id = ConfluentRestRegistry(fake.url).id_for(KEY, schemas.load(KEY))
    assert fake.subjects == {EXAM: [exam_id], KEY: [key_id]}
    fetched = ConfluentRestRegistry(fake.url).schema_for(exam_id)  # fresh: no cache
    assert fetched["name"] == EXAM
    assert schemas.fingerprint_of(fetched) == schemas.fingerprint(EXAM)
    assert schemas.to_json(fetched) == schemas.expanded_json(EXAM)


def test_caches_both_ways(fake: FakeConfluentRegistry) -> None:
    registry = ConfluentRestRegistry(fake.url)
    schema_id = registry.id_for(EXAM, schemas.load(EXAM))
    assert registry.id_for(EXAM, schemas.load(EXAM)) == schema_id
    registry.schema_for(schema_id)
    assert fake.requests == [f"POST /subjects/{EXAM}/versions"]


def test_versions_of_a_subject_and_the_console_reads_them(fake: FakeConfluentRegistry) -> None:
    from hub.console.schema_views import describe

    registry = ConfluentRestRegistry(fake.url)
    assert registry.versions(EXAM) == []  # 40401: never registered
    schema_id = registry.id_for(EXAM, schemas.load(EXAM))
    assert registry.versions(EXAM) == [{"version": 1, "id": schema_id,
                                        "fingerprint": schemas.fingerprint(EXAM)}]
    shown = describe(EXAM, registry)
    assert shown["source"] == f"registry {fake.url}" and shown["locked"]
    assert [v["current"] for v in shown["versions"]] == [True]
    fake.fail_with = 503
    fallback = describe(EXAM, ConfluentRestRegistry(fake.url))
    assert "not answering: UpstreamUnavailable" in fallback["source"]
    assert len(fallback["versions"]) >= 1  # the lock file's


def test_unknown_id_raises_unknown_schema(fake: FakeConfluentRegistry) -> None:
    with pytest.raises(UnknownSchema, match="40403"):
        ConfluentRestRegistry(fake.url).schema_for(4242)


def test_server_error_is_transient(fake: FakeConfluentRegistry) -> None:
    fake.fail_with = 503
    with pytest.raises(UpstreamUnavailable, match="HTTP 503"):
        ConfluentRestRegistry(fake.url).id_for(EXAM, schemas.load(EXAM))


def test_client_error_is_a_rejection(fake: FakeConfluentRegistry) -> None:
    fake.fail_with = 422
    with pytest.raises(UpstreamRejected, match="HTTP 422 error_code 42201: failing on purpose"):
        ConfluentRestRegistry(fake.url).id_for(EXAM, schemas.load(EXAM))


def test_stopped_server_is_unavailable(fake: FakeConfluentRegistry) -> None:
    registry = ConfluentRestRegistry(fake.url, timeout=2)
    fake.shutdown()
    fake.server_close()
    with pytest.raises(UpstreamUnavailable):
        registry.id_for(EXAM, schemas.load(EXAM))
    with pytest.raises(UpstreamUnavailable):
        registry.schema_for(1)
