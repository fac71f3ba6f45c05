"""Fuzzing the DUO translators: pulled changes become records or ``InvalidField`` (R20 at the
edge), and a refused change becomes a dead letter that keeps its XML and the reason.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from hypothesis import given
from hypothesis import strategies as st
from lxml import etree

import topics
from connectors.duo.translate import (
    DUO_NS,
    RawChange,
    parse_changes,
    topic_of_kind,
    translate_change,
)
from connectors.kit.deadletter import dead_letter
from hub.codec import AvroCodec
from hub.errors import InvalidField, PermanentError
from hub.privacy import BsnCipher
from hub.registry import FileSchemaRegistry
from tests.letters import opened
from tests.unit.test_fuzz_kit import (
    FUZZ,
    SEALER,
    assert_refusal,
    bsns_in,
    hostile_text,
    invalid_bsns,
    single_edits,
    valid_bsns,
)

FIXTURE = Path(__file__).parents[1] / "fixtures" / "duo" / "haal_wijzigingen_response.xml"
ENVELOPE = FIXTURE.read_bytes()
CHANGES = parse_changes(etree.fromstring(ENVELOPE))
RECEIVED = datetime(2024, 5, 6, 10, 0, tzinfo=UTC)
CODEC = AvroCodec(FileSchemaRegistry())
CIPHER = BsnCipher({"k1": bytes(range(32))}, "k1")  # seals the edge letters' originals
UNKNOWN_KIND_TOPIC = topics.DUO_INBURGERINGSPLICHT_VASTGESTELD


def _route(change: RawChange) -> dict[str, object] | None:
    """What the connector does with one change: the record, or the dead letter it produces."""
    try:
        routed = translate_change(change, sealer=SEALER, received_at=RECEIVED)
    except PermanentError as exc:
        assert_refusal(exc, InvalidField)
        topic = topic_of_kind(change.kind) or UNKNOWN_KIND_TOPIC
        record = dead_letter(consumer="connector-duo", source_topic=topic, original=b"",
                             error=exc, dead_letter_id="dl:x", at=RECEIVED,
                             sealed_original=CIPHER.seal_payload(change.xml, "application/xml"))
        data = CODEC.encode(topics.by_name(topics.dead_letter_of(topic)).value_schema, record)
        kept = CODEC.decode(data)[1]
        assert opened(kept, CIPHER) == change.xml and kept["error_message"]
        assert bsns_in(kept["error_message"]) == []
        return None
    CODEC.encode(topics.by_name(routed.topic).value_schema, routed.record)
    assert routed.record["case_ref"].startswith("CR")
    return routed.record


@st.composite
def mutated_changes(draw: st.DrawFn) -> RawChange:
    change = draw(st.sampled_from(CHANGES))
    fields: dict[str, str | None] = dict(change.fields)
    for _ in range(draw(st.integers(1, 3))):
        names = sorted(fields) or ["Bsn"]
        name = draw(st.sampled_from(names))
        op = draw(st.sampled_from(("value", "value", "bsn", "bad_bsn", "delete", "none",
                                   "extra")))
        if op == "value":
            fields[name] = draw(hostile_text())
        elif op == "bsn":
            fields["Bsn"] = draw(valid_bsns)
        elif op == "bad_bsn":
            fields["Bsn"] = draw(invalid_bsns)
        elif op == "delete":
            fields.pop(name, None)
        elif op == "none":
            fields[name] = None
        else:
            fields[draw(st.text(min_size=1, max_size=8))] = draw(hostile_text())
    kind = draw(st.one_of(st.just(change.kind), st.sampled_from([c.kind for c in CHANGES]),
                          st.text(max_size=12)))
    return RawChange(change.change_id, change.sequence, kind, fields, change.xml, change.at)


@given(mutated_changes())
@FUZZ
def test_mutated_changes_become_records_or_dead_letters(change: RawChange) -> None:
    _route(change)


@given(st.dictionaries(st.text(max_size=12), st.one_of(st.none(), hostile_text()), max_size=8),
       st.sampled_from([c.kind for c in CHANGES]))
@FUZZ
def test_random_fields_become_records_or_dead_letters(fields: Mapping[str, str | None],
                                                       kind: str) -> None:
    _route(RawChange("W1", 1, kind, fields, b"<Wijziging/>", "2024-05-06T09:30:00+00:00"))


@given(valid_bsns, st.sampled_from(CHANGES[:7]))  # 8 and 9 are the fixture's anomalies
@FUZZ
def test_a_valid_bsn_gives_a_case_ref_and_never_appears_in_the_record(
        bsn: str, change: RawChange) -> None:
    record = _route(RawChange(change.change_id, change.sequence, change.kind,
                              {**change.fields, "Bsn": bsn}, change.xml, change.at))
    assert record is not None
    assert record["case_ref"] == SEALER.case_ref(bsn)
    assert bsn not in repr({k: v for k, v in record.items() if k != "bsn"})


@st.composite
def mutated_envelopes(draw: st.DrawFn) -> bytes:
    root = etree.fromstring(ENVELOPE)
    nodes = [n for n in root.iter(f"{{{DUO_NS}}}*")]
    for _ in range(draw(st.integers(1, 4))):
        node = draw(st.sampled_from(nodes))
        op = draw(st.sampled_from(("text", "delete", "duplicate")))
        if op == "text":
            node.text = draw(hostile_text().filter(lambda t: "\x00" not in t and _ok(t)))
        elif node.getparent() is not None and op == "delete":
            node.getparent().remove(node)
            nodes = [n for n in root.iter(f"{{{DUO_NS}}}*")]
        elif node.getparent() is not None:
            node.addnext(etree.fromstring(etree.tostring(node)))
    return bytes(etree.tostring(root))


def _ok(text: str) -> bool:
    try:
        etree.Element("x").text = text
    except ValueError:
        return False
    return True


@given(mutated_envelopes())
@FUZZ
def test_mutated_envelopes_parse_to_changes_or_are_refused(data: bytes) -> None:
    try:
        changes = parse_changes(etree.fromstring(data))
    except PermanentError as exc:
        assert_refusal(exc, InvalidField)
        return
    for change in changes:
        _route(change)


def test_every_field_of_every_change_with_every_hostile_value() -> None:
    routed = refused = 0
    for change in CHANGES[:7]:
        names = sorted(change.fields)
        for row in single_edits([change.fields[n] or "" for n in names]):
            record = _route(RawChange(change.change_id, change.sequence, change.kind,
                                      dict(zip(names, row, strict=True)), change.xml, change.at))
            routed, refused = routed + (record is not None), refused + (record is None)
    assert routed and refused  # both outcomes are exercised
