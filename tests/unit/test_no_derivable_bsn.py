"""No message of a generated scenario carries an id, key or hash from which a BSN can be derived
without the case-reference key (ARCHITECTURE.md principle 5, issue 19 point 2).

Two checks over every record the connectors' translators make of every partner file, and every
view and outbound record the reconciliation derives from them:

* **Differential (any construction).** The scenario is translated three times: (A) as
  generated, (B) with another case-reference key, (C) with every BSN in every partner file
  swapped for another valid one. A field that differs between A and C depends on a BSN; if it
  is nevertheless the same in A and B, it was computed without the key: derivable.
* **Enumerated.** No value anywhere equals a common unkeyed digest (MD5, SHA-1, SHA-2, SHA-3,
  BLAKE2; hex, upper case, usual prefix lengths) or uuid3/uuid5 (standard namespaces and every
  namespace in the hub's code) of any BSN, or of any partner row or file that holds one.

The differential check is shown to name the ISI ids the hub made before issue 19; the
enumerated one to know the plain constructions (uuid5 of a BSN, SHA-256 of a row).
"""

from __future__ import annotations

import hashlib
import random
import re
import shutil
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

import topics
from connectors.edge import Routed
from connectors.isi.importer import read_rows
from connectors.isi.translate import translate_row
from hub.codec import AvroCodec
from hub.errors import InvalidField
from hub.privacy import is_valid_bsn
from hub.reconcile.tables import load_tables
from hub.registry import FileSchemaRegistry
from hub.scenario import Params, generate
from hub.scenario.offline import Sealer, replay, routed
from hub.scenario.replay import scenario_key
from schemas import LOCK_PATH
from tests.component.test_isi_ids import legacy_id

ROOT = Path(__file__).parents[2]
BSN_TOKEN = re.compile(r"(?<![0-9A-Za-z])\d{8,9}(?![0-9A-Za-z])")
NINE = re.compile(r"(?<![0-9A-Za-z])\d{9}(?![0-9A-Za-z])")
# An 8-digit BSN (R20: a leading zero to add) only where a BSN is written: an 8-digit KvK or
# endpoint number passes the eleven-test with a zero in front just as often.
EIGHT = re.compile(r'(?:Bsn>|"bsn": ?"|^[A-Z]+;)(\d{8})(?![0-9A-Za-z])', re.M)
ALGORITHMS = ("md5", "sha1", "sha224", "sha256", "sha384", "sha512", "sha3_256", "blake2b",
              "blake2s")
PREFIXES = (8, 12, 16, 20, 24, 30, 32, 40)
Records = list[tuple[str, dict[str, Any]]]
RECEIVED = datetime(2030, 1, 1, tzinfo=UTC)


def _bsns(text: str) -> set[str]:
    """Every BSN in ``text``, as 9 digits."""
    found = [*NINE.findall(text), *(t.zfill(9) for t in EIGHT.findall(text))]
    return {t for t in found if is_valid_bsn(t)}


def _partner_files(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file()
                  and p.name not in ("ground_truth.json", "scenario.json"))


def _other_bsn(rng: random.Random, leading_zero: bool, taken: set[str]) -> str:
    while True:
        body = ("0" if leading_zero else str(rng.randrange(1, 10))) + \
            "".join(str(rng.randrange(10)) for _ in range(8))
        if is_valid_bsn(body) and body not in taken:
            taken.add(body)
            return body


def _swap_bsns(source: Path, target: Path) -> int:
    """Copy ``source`` with every BSN replaced by another valid one (8-digit forms too)."""
    shutil.copytree(source, target)
    files = _partner_files(target)
    found = set().union(*(_bsns(p.read_text(encoding="utf-8", errors="replace"))
                          for p in files))
    rng, taken = random.Random(7), set(found)
    swap = {b: _other_bsn(rng, b.startswith("0"), taken) for b in sorted(found)}
    swap.update({b[1:]: s[1:] for b, s in list(swap.items()) if b.startswith("0")})
    for path in files:
        text = path.read_text(encoding="utf-8", errors="surrogateescape")
        new = BSN_TOKEN.sub(lambda m: swap.get(m.group(0), m.group(0)), text)
        if new != text:
            path.write_text(new, encoding="utf-8", errors="surrogateescape")
    return len(found)


def _records(folder: Path, key: str) -> Records:
    codec = AvroCodec(FileSchemaRegistry(LOCK_PATH))
    out = []
    for item in routed(folder, Sealer(key)):
        if isinstance(item, Routed):
            spec = topics.by_name(item.topic)
            out.append((item.topic, dict(codec.decode(codec.encode(spec.value_schema,
                                                                   item.record))[1])))
    return out


def _flat(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    if isinstance(value, dict):
        for key in sorted(value):
            yield from _flat(value[key], f"{path}.{key}")
    elif isinstance(value, list):
        for n, item in enumerate(value):
            yield from _flat(item, f"{path}[{n}]")
    elif isinstance(value, str | int) and not isinstance(value, bool):
        yield path, value


def differential(a: Records, b: Records, c: Records) -> list[str]:
    """Fields that depend on a BSN (A != C) yet not on the key (A == B)."""
    assert [t for t, _ in a] == [t for t, _ in b] == [t for t, _ in c]
    found = []
    for (topic, ra), (_, rb), (_, rc) in zip(a, b, c, strict=True):
        fb, fc = dict(_flat(rb)), dict(_flat(rc))
        for path, value in _flat(ra):
            if path not in (".produced_at",) and fb.get(path) == value and fc.get(path) != value:
                found.append(f"{topic}{path}")
    return sorted(set(found))


def _namespaces() -> set[uuid.UUID]:
    found = {uuid.NAMESPACE_URL, uuid.NAMESPACE_DNS, uuid.NAMESPACE_OID, uuid.NAMESPACE_X500}
    for path in [*ROOT.glob("hub/**/*.py"), *ROOT.glob("connectors/**/*.py")]:
        found |= {uuid.UUID(u) for u in re.findall(r'UUID\("([0-9a-fA-F-]{36})"\)',
                                                   path.read_text())}
    return found


def _texts(folder: Path) -> set[str]:
    """Every BSN and every partner row and file that holds one, in the usual spellings."""
    texts: set[str] = set()
    for path in _partner_files(folder):
        content = path.read_text(encoding="utf-8", errors="replace")
        bsns = _bsns(content)
        if not bsns:
            continue
        texts |= bsns | {b.lstrip("0") for b in bsns} | {content}
        for line in re.split(r"\r?\n|(?=<duo:Wijziging>)", content):
            if _bsns(line):
                fields = [f.strip() for f in re.split(r"[;,]", line)]
                texts |= {line, line.strip(), ";".join(fields), ";".join(fields[1:])}
    return texts


def enumerated(folder: Path) -> set[str]:
    """Unkeyed digests and name-based uuids of every BSN, row and file holding one."""
    candidates: set[str] = set()
    names = set()
    for text in _texts(folder):
        data = text.encode("utf-8", "surrogateescape")
        names.add(text)
        for algorithm in ALGORITHMS:
            digest = hashlib.new(algorithm, data).hexdigest()
            names.add(digest)
            for form in (digest, digest.upper()):
                candidates |= {form} | {form[:n] for n in PREFIXES}
    for namespace in _namespaces():
        for name in names:
            candidates.add(str(uuid.uuid5(namespace, name)))
            candidates.add(str(uuid.uuid3(namespace, name)))
    return candidates


def _isi_rows(folder: Path) -> list[list[str]]:
    """The ISI rows the translator accepts, in the order ``routed`` makes their records."""
    sealer, out = Sealer("any"), []
    for path in sorted((folder / "isi").glob("*.csv")):
        for _, values in read_rows(path):
            try:
                translate_row(values, sealer=sealer, received_at=RECEIVED)
            except InvalidField:
                continue
            out.append(values)
    return out


def _with_legacy_isi_ids(records: Records, folder: Path) -> Records:
    """``records`` with the ISI ids the importer made before issue 19."""
    rows = iter(_isi_rows(folder))
    out = [(t, {**r, "message_id": legacy_id(next(rows))} if t.startswith("inburgering.isi.")
            else r) for t, r in records]
    assert next(rows, None) is None
    return out


@pytest.fixture(scope="module")
def scenario(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path, str]:
    base = tmp_path_factory.mktemp("derivable")
    generate(Params(seed=31, gemeenten=2, cases=50, years=2), base / "a")
    assert _swap_bsns(base / "a", base / "c") >= 40  # one per person
    return base / "a", base / "c", scenario_key(base / "a") or ""


def test_no_field_of_any_record_depends_on_a_bsn_without_the_key(
        scenario: tuple[Path, Path, str]) -> None:
    original, swapped, key = scenario
    a, b, c = _records(original, key), _records(original, "another-key"), _records(swapped, key)
    assert {t for t, _ in a} >= {topics.ISI_TRAJECT, topics.VOORTGANG, topics.KOPPELING_GEMEENTE,
                                 topics.ISAM_PIP_VASTGESTELD, topics.ONTZORGEN_BETALING}
    assert differential(a, b, c) == []

    # The check can fail: with the old ISI ids it names exactly those.
    old = [_with_legacy_isi_ids(r, f) for r, f in ((a, original), (b, original), (c, swapped))]
    found = differential(*old)
    assert found and all(f.startswith("inburgering.isi.") and f.endswith(".message_id")
                         for f in found)


def test_no_value_anywhere_is_an_unkeyed_digest_or_uuid_of_a_bsn_or_its_row(
        scenario: tuple[Path, Path, str]) -> None:
    original, _, key = scenario
    candidates = enumerated(original)
    values = {v for _, r in _records(original, key) for _, v in _flat(r) if isinstance(v, str)}
    views = replay(original, key, load_tables()).views  # views and the outbound records in them
    values |= {v for view in views.values() for _, v in _flat(view) if isinstance(v, str)}
    hits = values & candidates
    assert len(values) > 1000 and not hits, sorted(hits)[:5]

    # The check can fail: the unkeyed constructions it knows are among the candidates.
    row = ";".join(_isi_rows(original)[0])
    bsn = _isi_rows(original)[0][1]
    assert {str(uuid.uuid5(uuid.NAMESPACE_URL, bsn)), hashlib.sha256(bsn.encode()).hexdigest(),
            hashlib.sha256(row.encode()).hexdigest()[:32]} <= candidates
