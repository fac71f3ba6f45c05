"""Schema ids for the Confluent framing: the ``SchemaRegistry`` port and its two adapters.

Subjects follow RecordNameStrategy: the subject is the record's full name, for keys and values.

- ``FileSchemaRegistry`` serves ids pinned in ``schemas/registry.lock.json`` (embedded default);
  it never writes. ``lock()`` is the only writer, run by ``hub schemas lock`` after
  ``check_compatibility()`` found every schema BACKWARD compatible with all its locked versions.
- ``ConfluentRestRegistry`` speaks the Confluent REST subset (Karapace in production).

Errors: unknown id -> ``UnknownSchema``; schema not locked, bad lock file -> ``ConfigurationError``;
registry down or 5xx -> ``UpstreamUnavailable``; other 4xx -> ``UpstreamRejected``.
"""

from __future__ import annotations

import json
import os
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from http.client import HTTPException
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol, cast

import avro.errors
import avro.schema
from avro.compatibility import ReaderWriterCompatibilityChecker, SchemaCompatibilityType
from fastavro.schema import parse_schema

import schemas
from hub.errors import (
    ConfigurationError,
    UnknownSchema,
    UpstreamRejected,
    UpstreamUnavailable,
)

if TYPE_CHECKING:
    from hub.settings import Settings

LockData = dict[str, dict[str, list[dict[str, Any]]]]


class SchemaRegistry(Protocol):
    """Maps schemas to Confluent schema ids and back."""

    def id_for(self, subject: str, schema: dict[str, Any]) -> int:
        """Id of exactly this (expanded, fastavro-parsed) schema under ``subject``."""
        ...

    def schema_for(self, schema_id: int) -> dict[str, Any]:
        """The fastavro-parsed writer schema of ``schema_id``; ``UnknownSchema`` if unknown."""
        ...


class FileSchemaRegistry:
    """Read-only registry on the lock file: ids are pinned, nothing is registered at run time."""

    def __init__(self, lock_path: Path = schemas.LOCK_PATH) -> None:
        self.lock_path = lock_path
        data = read_lock(lock_path)
        self._ids: dict[tuple[str, str], int] = {}
        self._raw: dict[int, dict[str, Any]] = {}
        self._parsed: dict[int, dict[str, Any]] = {}
        for name, versions in data["schemas"].items():
            for version in versions:
                self._ids[(name, version["fingerprint"])] = int(version["id"])
                self._raw[int(version["id"])] = version["schema"]

    def id_for(self, subject: str, schema: dict[str, Any]) -> int:
        """The locked id of this schema; ``ConfigurationError`` when it is not locked."""
        schema_id = self._ids.get((subject, schemas.fingerprint_of(schema)))
        if schema_id is None:
            raise ConfigurationError(f"{subject} changed but is not locked: run `hub schemas lock`")
        return schema_id

    def schema_for(self, schema_id: int) -> dict[str, Any]:
        """The locked schema with this id, parsed; ``UnknownSchema`` when not in the lock file."""
        if schema_id not in self._parsed:
            raw = self._raw.get(schema_id)
            if raw is None:
                raise UnknownSchema(f"schema id {schema_id} is not in {self.lock_path.name}")
            self._parsed[schema_id] = _parsed(raw)
        return self._parsed[schema_id]


class ConfluentRestRegistry:
    """Confluent-compatible registry over REST (stdlib only); caches ids and schemas both ways."""

    _MEDIA = "application/vnd.schemaregistry.v1+json"

    def __init__(self, url: str, timeout: float = 5.0) -> None:
        if urllib.parse.urlsplit(url).scheme not in ("http", "https"):
            raise ConfigurationError("HUB_SCHEMA_REGISTRY_URL: not an http(s) URL")
        self.url = url.rstrip("/")
        self.timeout = timeout
        self._ids: dict[tuple[str, str], int] = {}
        self._schemas: dict[int, dict[str, Any]] = {}

    def id_for(self, subject: str, schema: dict[str, Any]) -> int:
        """Register (idempotent in the registry) and return the id; cached per subject+schema."""
        text = schemas.to_json(schema)
        key = (subject, text)
        if key not in self._ids:
            path = f"/subjects/{urllib.parse.quote(subject, safe='')}/versions"
            schema_id = self._call("POST", path, {"schema": text}).get("id")
            if not isinstance(schema_id, int):
                raise UpstreamUnavailable(f"schema registry POST {path}: reply has no id")
            self._ids[key] = schema_id
            self._schemas.setdefault(schema_id, _parsed(json.loads(text)))
        return self._ids[key]

    def schema_for(self, schema_id: int) -> dict[str, Any]:
        """The writer schema of ``schema_id``, parsed; ``UnknownSchema`` on 404."""
        if schema_id not in self._schemas:
            body = self._call("GET", f"/schemas/ids/{int(schema_id)}")
            try:
                self._schemas[schema_id] = _parsed(json.loads(body["schema"]))
            except Exception as exc:  # KeyError, JSON or one of fastavro's several error types
                raise UnknownSchema(f"schema id {schema_id}: no valid schema in reply") from exc
        return self._schemas[schema_id]

    def versions(self, subject: str) -> list[dict[str, Any]]:
        """Every registered version of ``subject``: version, id, fingerprint (none: ``[]``)."""
        base = f"/subjects/{urllib.parse.quote(subject, safe='')}/versions"
        try:
            numbers = self._call("GET", base, listing=True)
        except (UnknownSchema, UpstreamRejected) as exc:
            if "HTTP 404" in str(exc):  # 40401: the subject was never registered
                return []
            raise
        found = []
        for number in numbers:
            body = self._call("GET", f"{base}/{int(number)}")
            try:
                fingerprint = schemas.fingerprint_of(json.loads(body["schema"]))
            except Exception as exc:  # KeyError, JSON or one of fastavro's error types
                raise UpstreamUnavailable(f"schema registry GET {base}/{number}: no valid "
                                          "schema in reply") from exc
            found.append({"version": int(body.get("version", number)), "id": body.get("id"),
                          "fingerprint": fingerprint})
        return found

    def _call(self, method: str, path: str, payload: dict[str, Any] | None = None,
              *, listing: bool = False) -> Any:
        data = None if payload is None else json.dumps(payload).encode()
        request = urllib.request.Request(
            self.url + path, data=data, method=method,
            headers={"Content-Type": self._MEDIA, "Accept": f"{self._MEDIA}, application/json"},
        )
        try:  # the scheme was checked in __init__: urlopen never sees file:// here
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                body = json.loads(response.read())
        except urllib.error.HTTPError as exc:
            raise _http_error(method, path, exc) from exc
        except (OSError, HTTPException, ValueError) as exc:  # refused, timeout, garbled reply
            raise UpstreamUnavailable(f"schema registry {method} {path}: {exc}") from exc
        if not isinstance(body, list if listing else dict):
            what = "a list" if listing else "an object"
            raise UpstreamUnavailable(f"schema registry {method} {path}: reply is not {what}")
        return body


def _parsed(schema: dict[str, Any]) -> dict[str, Any]:
    return cast(dict[str, Any], parse_schema(schema))


def _http_error(method: str, path: str, exc: urllib.error.HTTPError) -> Exception:
    """Translate an HTTP error reply of the registry into the hub's error tree."""
    try:
        detail = json.loads(exc.read() or b"{}")
    except (OSError, ValueError):
        detail = {}
    finally:
        exc.close()
    detail = detail if isinstance(detail, dict) else {}
    code = detail.get("error_code", exc.code)
    text = f"schema registry {method} {path}: HTTP {exc.code} error_code {code}"
    if exc.code >= 500 or exc.code in (408, 429):
        return UpstreamUnavailable(text)
    if exc.code == 404 and (code == 40403 or path.startswith("/schemas/ids/")):
        return UnknownSchema(text)
    return UpstreamRejected(f"{text}: {detail.get('message', exc.reason)}")


def registry_from_settings(settings: Settings) -> SchemaRegistry:
    """``file`` -> the packaged lock file; an http(s) URL -> the Confluent REST registry."""
    url = settings.schema_registry_url.strip()
    if url == "file":
        return FileSchemaRegistry(schemas.LOCK_PATH)
    if url.startswith(("http://", "https://")):
        return ConfluentRestRegistry(url)
    raise ConfigurationError("HUB_SCHEMA_REGISTRY_URL: must be 'file' or an http(s) URL")


def read_lock(lock_path: Path = schemas.LOCK_PATH) -> LockData:
    """The lock file's content; ``ConfigurationError`` when it is missing or malformed."""
    try:
        data = json.loads(lock_path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise ConfigurationError(f"{lock_path.name} not found: run `hub schemas lock`") from exc
    except ValueError as exc:
        raise ConfigurationError(f"{lock_path.name} is not valid JSON: {exc}") from exc
    if not isinstance(data, dict) or not isinstance(data.get("schemas"), dict):
        raise ConfigurationError(f"{lock_path.name}: expected an object with 'schemas'")
    return cast(LockData, data)


def check_compatibility(
    schema_dir: Path = schemas.SCHEMA_DIR, lock_path: Path = schemas.LOCK_PATH
) -> list[str]:
    """Problems where a current schema cannot read data written with a locked version."""
    locked = read_lock(lock_path)["schemas"] if lock_path.exists() else {}
    current = set(schemas.all_names(schema_dir))
    problems = [f"{name}: locked but {name}.avsc is gone" for name in sorted(set(locked) - current)]
    for name in sorted(current):
        try:
            reader = _apache(name, schemas.expanded_json(name, schema_dir))
        except ConfigurationError as exc:
            problems.append(str(exc))
            continue
        for version in locked.get(name, []):
            problems.extend(_backward_problems(name, reader, version))
    return problems


def _apache(name: str, text: str) -> avro.schema.Schema:
    try:
        return avro.schema.parse(text)
    except avro.errors.AvroException as exc:
        raise ConfigurationError(f"{name}: not a valid Avro schema: {exc}") from exc


def _backward_problems(name: str, reader: avro.schema.Schema, version: dict[str, Any]) -> list[str]:
    """One line per incompatibility of ``reader`` reading data written with a locked version."""
    writer = _apache(name, json.dumps(version["schema"]))
    result = ReaderWriterCompatibilityChecker().get_compatibility(reader, writer)
    if result.compatibility is not SchemaCompatibilityType.incompatible:
        return []
    where = ", ".join(sorted(result.locations))
    why = "; ".join(sorted(result.messages))
    return [
        f"{name}: not backward compatible with locked version {version['version']} "
        f"(id {version['id']}) at {where}: {why}"
    ]


def lock(schema_dir: Path = schemas.SCHEMA_DIR, lock_path: Path = schemas.LOCK_PATH) -> list[str]:
    """Lock every schema whose fingerprint is new as its next version; returns what was added."""
    problems = check_compatibility(schema_dir, lock_path)
    if problems:
        raise ConfigurationError("schemas are not backward compatible:\n" + "\n".join(problems))
    data: LockData = read_lock(lock_path) if lock_path.exists() else {"schemas": {}}
    next_id = 1 + max((v["id"] for vs in data["schemas"].values() for v in vs), default=0)
    added: list[str] = []
    for name in schemas.all_names(schema_dir):
        expanded = schemas.expand(name, schema_dir)
        versions = data["schemas"].setdefault(name, [])
        fp = schemas.fingerprint_of(expanded)
        if any(v["fingerprint"] == fp for v in versions):
            continue
        number = 1 + max((v["version"] for v in versions), default=0)
        versions.append({"version": number, "id": next_id, "fingerprint": fp, "schema": expanded})
        added.append(f"{name} version {number} id {next_id}")
        next_id += 1
    if added:
        _write_atomically(lock_path, json.dumps(data, indent=2, sort_keys=True, ensure_ascii=False))
    return added


def _write_atomically(path: Path, text: str) -> None:
    """Write via a temporary file in the same folder and rename, so readers never see half."""
    fd, tmp = tempfile.mkstemp(prefix=path.name, suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text + "\n")
        os.chmod(tmp, 0o644)  # mkstemp makes it private; the lock file is a shared source file
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
