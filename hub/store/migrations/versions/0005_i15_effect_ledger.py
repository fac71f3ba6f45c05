"""The effect ledger (issue 15, ARCHITECTURE §2.3): what the hub sent, per case and effect.

Creates ``effect`` and seeds it from the stored views with what the hub sent before the ledger
existed, so the first projection after the upgrade sends only the difference: every booking of
an approved line (its id and kenmerk as the old emitter made them, from supplier, number and
line) and every signal of the view (same id). Registrations need no seed: their first version
keeps its old id, so the outbox recognises it. Every seeded case is marked for projection. The
formulas below are frozen copies of the old emitter (``hub/reconcile/emit.py`` before issue 15)
and of ``hub.reconcile.effects.digest``: when the code moves on, a mismatch costs one reversal
and one new booking, never a lost or double one.

Revision ID: 0005_i15_effect_ledger
Revises: 0004_i19_isi_keyed_ids
Create Date: 2026-12-03
"""

from __future__ import annotations

import hashlib
import json
import secrets
import uuid
from datetime import UTC, date, datetime, time
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0005_i15_effect_ledger"
down_revision: str | None = "0004_i19_isi_keyed_ids"
branch_labels: str | None = None
depends_on: str | None = None

HUB_IDS = uuid.UUID("2f0b6d4e-93a1-4c57-8e2d-6a1b7c9d0e3f")
BOOKING_CONTENT = ("case_ref", "factuurnummer", "leverancier_id", "gemeentecode", "kostenplaats",
                   "kostensoort", "bedrag_cent", "begrotingsjaar", "iban_begunstigde",
                   "naam_begunstigde")
SIGNAL_CONTENT = ("case_ref", "signaal_type", "gemeentecode", "regel", "vastgesteld_op",
                  "uiterlijk", "toelichting", "kenmerken")
_view = sa.table("case_view", sa.column("case_ref", sa.String), sa.column("view", sa.JSON))
_dirty = sa.table("dirty_case", sa.column("case_ref", sa.String),
                  sa.column("token", sa.BigInteger), sa.column("marked_at", sa.DateTime))


def upgrade() -> None:
    """Create the ledger, seed it from the stored views, mark the seeded cases."""
    table = op.create_table(
        "effect",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False,
                  autoincrement=True),
        sa.Column("case_ref", sa.String(length=64), nullable=False),
        sa.Column("effect_key", sa.String(length=400), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("effect_id", sa.String(length=200), nullable=False),
        sa.Column("soort", sa.String(length=20), nullable=False),
        sa.Column("topic", sa.String(length=249), nullable=False),
        sa.Column("live", sa.Boolean(), nullable=False),
        sa.Column("bedrag_cent", sa.BigInteger(), nullable=True),
        sa.Column("digest", sa.String(length=64), nullable=False),
        sa.Column("reden", sa.Text(), nullable=False),
        sa.Column("record", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_effect")),
        sa.UniqueConstraint("effect_id", name=op.f("uq_effect_effect_id")),
        sa.UniqueConstraint("case_ref", "effect_key", "seq",
                            name=op.f("uq_effect_case_ref_effect_key_seq")),
    )
    op.create_index(op.f("ix_effect_case_ref_seq"), "effect", ["case_ref", "seq"])
    conn = op.get_bind()
    now = datetime.now(UTC)
    for ref, view in conn.execute(sa.select(_view.c.case_ref, _view.c.view)).all():
        rows = seed(ref, view if isinstance(view, dict) else {})
        if rows:
            conn.execute(sa.insert(table), [{**r, "case_ref": ref, "created_at": now}
                                            for r in rows])
            conn.execute(sa.delete(_dirty).where(_dirty.c.case_ref == ref))
            conn.execute(sa.insert(_dirty).values(case_ref=ref, token=secrets.randbits(62),
                                                  marked_at=now))


def seed(case_ref: str, view: dict[str, Any]) -> list[dict[str, Any]]:
    """The ledger rows of what the old emitter sent for ``view``."""
    rows: list[dict[str, Any]] = []
    taken: set[str] = set()
    for d in view.get("beslissingen") or ():
        if not _bookable(d):
            continue
        key = f"boeking:{d['factuur_message_id']}:{d['regelnummer']}"
        ident, record = _old_booking(case_ref, d)
        if key in taken or ident in taken:
            continue
        taken.update((key, ident))
        rows.append(_row(key, ident, "BOEKING", "inburgering.hub.boeking.v1", record,
                         _digest(record, BOOKING_CONTENT), str(d["reden"]),
                         int(record["bedrag_cent"])))
    for s in view.get("signalen") or ():
        ident = str(uuid.uuid5(HUB_IDS, f"signaal:{s['id']}"))
        record = _old_signal(case_ref, s, ident)
        rows.append(_row(f"signaal:{s['id']}", ident, "SIGNAAL", "inburgering.hub.signaal.v1",
                         record, _digest(record, SIGNAL_CONTENT), str(s["regel"]), None))
    return rows


def _row(key: str, ident: str, soort: str, topic: str, record: dict[str, Any], digest: str,
         reden: str, amount: int | None) -> dict[str, Any]:
    return {"effect_key": key, "seq": 1, "effect_id": ident, "soort": soort, "topic": topic,
            "live": True, "bedrag_cent": amount, "digest": digest, "reden": reden,
            "record": record}


def _bookable(d: dict[str, Any]) -> bool:
    return (d.get("beslissing") == "GOEDGEKEURD" and bool(d.get("goedgekeurd_cent"))
            and bool(d.get("gemeentecode")) and "regelnummer" in d and "factuur_key" in d
            and "factuur_message_id" in d)


def _old_booking(case_ref: str, d: dict[str, Any]) -> tuple[str, dict[str, Any]]:
    kenmerk = "BK" + uuid.uuid5(HUB_IDS, f"boeking:{d['factuur_key']}:"
                                f"{d['regelnummer']}").hex[:16].upper()
    ident = str(uuid.uuid5(HUB_IDS, f"boeking:{kenmerk}"))
    day = _day(d["dienstdatum"])
    return ident, {
        "message_id": ident, "case_ref": case_ref, "source": "hub",
        "produced_at": datetime.combine(day, time(), tzinfo=UTC), "boekingskenmerk": kenmerk,
        "factuurnummer": d["factuurnummer"], "leverancier_id": d["leverancier_id"],
        "gemeentecode": d["gemeentecode"], "kostenplaats": d.get("kostenplaats") or "",
        "kostensoort": d.get("kostensoort") or "", "bedrag_cent": int(d["goedgekeurd_cent"]),
        "begrotingsjaar": int(d["begrotingsjaar"]), "boekingsdatum": day,
        "verplichting_kenmerk": None,
        "omschrijving": f"factuur {d['factuurnummer']} regel {d['regelnummer']}",
        "iban_begunstigde": d.get("iban_begunstigde"),
        "naam_begunstigde": d.get("leverancier_naam"), "tegenboeking_van": None,
        "vervangt": None}


def _old_signal(case_ref: str, s: dict[str, Any], ident: str) -> dict[str, Any]:
    day = _day(s["vastgesteld_op"])
    return {"message_id": ident, "case_ref": case_ref, "source": "hub",
            "produced_at": datetime.combine(day, time(), tzinfo=UTC),
            "signaal_type": s["type"], "gemeentecode": s["gemeentecode"], "regel": s["regel"],
            "vastgesteld_op": day, "uiterlijk": _day(s["uiterlijk"]) if s.get("uiterlijk")
            else None, "toelichting": s["toelichting"], "kenmerken": s["kenmerken"],
            "ingetrokken_signaal_id": None}


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


def _digest(record: dict[str, Any], fields: tuple[str, ...]) -> str:
    text = json.dumps({k: record.get(k) for k in fields}, sort_keys=True, default=str,
                      separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:24]


def downgrade() -> None:
    """Drop the ledger (the outbox keeps every message it sent)."""
    op.drop_index(op.f("ix_effect_case_ref_seq"), table_name="effect")
    op.drop_table("effect")
