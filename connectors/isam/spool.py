"""The ISAM connector's own durable state: received notifications and signal deliveries.

Why a separate database (``var/isam.db`` by default, any SQLAlchemy URL): the case store belongs
to the agents and its schema to its migrations; this connector needs a write-ahead spool (a
notification is persisted before ISAM gets its 2xx, then processed with retries) and a per-attempt
delivery log an operator can query (``SELECT * FROM isam_afleverpoging``). Append-style rows, no
updates of history: every attempt is its own row.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    DateTime,
    ForeignKey,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

WAITING, DONE, DEAD = "wachtend", "verwerkt", "dead_letter"
DELIVERED, FAILED = "afgeleverd", "mislukt"


class Base(DeclarativeBase):
    """Tables of the ISAM connector (not the case store's)."""


class NotificatieRow(Base):
    """A notification ISAM posted, kept from receipt until translated or dead-lettered."""

    __tablename__ = "isam_notificatie"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    ontvangen_op: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    body: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(16), index=True, default=WAITING)
    pogingen: Mapped[int] = mapped_column(Integer, default=0)
    volgende_poging: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    laatste_fout: Mapped[str | None] = mapped_column(Text, nullable=True)
    message_id: Mapped[str | None] = mapped_column(String(64), nullable=True)


class SignaalRow(Base):
    """A signal taken from the SIGNAAL topic (no BSN in it), served at /api/v1/signalen/{id}."""

    __tablename__ = "isam_signaal"
    message_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    case_ref: Mapped[str] = mapped_column(String(64))
    body: Mapped[str] = mapped_column(Text)
    avro: Mapped[bytes] = mapped_column(LargeBinary)
    ontvangen_op: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AfleveringRow(Base):
    """One signal to one subscriber: delivered at least once, or failed after every retry."""

    __tablename__ = "isam_aflevering"
    __table_args__ = (UniqueConstraint("signaal_id", "callback_url"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    signaal_id: Mapped[str] = mapped_column(ForeignKey("isam_signaal.message_id"))
    callback_url: Mapped[str] = mapped_column(String(500))
    notificatie: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16), index=True, default=WAITING)
    pogingen: Mapped[int] = mapped_column(Integer, default=0)
    volgende_poging: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class AfleverpogingRow(Base):
    """The delivery log: one row per attempt, with the HTTP status or the error."""

    __tablename__ = "isam_afleverpoging"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    aflevering_id: Mapped[int] = mapped_column(ForeignKey("isam_aflevering.id"), index=True)
    poging: Mapped[int] = mapped_column(Integer)
    tijdstip: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    http_status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    fout: Mapped[str | None] = mapped_column(Text, nullable=True)
    duur_ms: Mapped[int] = mapped_column(Integer)


@dataclass(frozen=True)
class Pending:
    """A row due for (another) attempt."""

    id: int
    body: bytes
    pogingen: int
    target: str = ""
    signal_id: str = ""


def engine_for(url: str) -> Engine:
    """Engine with tables created; SQLite in WAL mode with a generous busy timeout."""
    sqlite = url.startswith("sqlite")
    engine = create_engine(url, connect_args={"timeout": 30} if sqlite else {})
    if sqlite:
        event.listen(engine, "connect", _sqlite_pragmas)
    Base.metadata.create_all(engine)
    return engine


def _sqlite_pragmas(connection: Any, _record: Any) -> None:
    cursor = connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.close()


def now() -> datetime:
    """UTC now (one place, so a test could pin it)."""
    return datetime.now(UTC)


class Spool:
    """Notifications in, deliveries out: every state change in its own short transaction."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    # -- inbound notifications ----------------------------------------------------------------
    def receive(self, body: bytes) -> int:
        """Persist a posted notification before it is acknowledged; returns its id."""
        with Session(self.engine) as s, s.begin():
            row = NotificatieRow(ontvangen_op=now(), body=body, status=WAITING, pogingen=0,
                                 volgende_poging=now())
            s.add(row)
            s.flush()
            return row.id

    def due_notifications(self, limit: int = 200) -> list[Pending]:
        """Waiting notifications whose next attempt is due, oldest first."""
        with Session(self.engine) as s:
            rows = s.scalars(select(NotificatieRow).where(
                NotificatieRow.status == WAITING, NotificatieRow.volgende_poging <= now())
                .order_by(NotificatieRow.id).limit(limit))
            return [Pending(r.id, r.body, r.pogingen) for r in rows]

    def processed(self, ids_and_message_ids: Sequence[tuple[int, str]]) -> None:
        """Mark notifications translated and produced."""
        with Session(self.engine) as s, s.begin():
            for row_id, message_id in ids_and_message_ids:
                s.execute(update(NotificatieRow).where(NotificatieRow.id == row_id)
                          .values(status=DONE, message_id=message_id))

    def retry_later(self, row_id: int, attempts: int, delay_s: float, error: str) -> None:
        """Record a failed attempt and when to try again."""
        with Session(self.engine) as s, s.begin():
            s.execute(update(NotificatieRow).where(NotificatieRow.id == row_id).values(
                pogingen=attempts, laatste_fout=error,
                volgende_poging=now() + timedelta(seconds=delay_s)))

    def dead(self, row_id: int, attempts: int, error: str) -> None:
        """Mark a notification dead-lettered (its dead letter is on the topic already)."""
        with Session(self.engine) as s, s.begin():
            s.execute(update(NotificatieRow).where(NotificatieRow.id == row_id).values(
                status=DEAD, pogingen=attempts, laatste_fout=error))

    def count(self, status: str) -> int:
        """How many notifications have ``status``."""
        with Session(self.engine) as s:
            return len(s.scalars(select(NotificatieRow.id).where(
                NotificatieRow.status == status)).all())

    # -- outbound signals ---------------------------------------------------------------------
    def add_signals(self, signals: Sequence[tuple[str, str, dict[str, Any], bytes]],
                    deliveries: Sequence[tuple[str, str, dict[str, Any]]]) -> int:
        """Store signals (id, case_ref, json, avro) and their deliveries (id, url, notification).

        A repeated signal adds nothing, except that a delivery that had failed is retried (a
        re-driven dead letter means: try again). Returns how many deliveries are (re)queued."""
        with Session(self.engine) as s, s.begin():
            known = set(s.scalars(select(SignaalRow.message_id).where(
                SignaalRow.message_id.in_([sig[0] for sig in signals]))))
            for message_id, ref, body, avro in signals:
                if message_id not in known:
                    s.add(SignaalRow(message_id=message_id, case_ref=ref, ontvangen_op=now(),
                                     avro=avro,
                                     body=json.dumps(body, default=str, sort_keys=True)))
                    known.add(message_id)
                    _withdraw(s, body)
            rows = s.scalars(select(AfleveringRow).where(
                AfleveringRow.signaal_id.in_([d[0] for d in deliveries]))).all()
            existing = {(r.signaal_id, r.callback_url): r for r in rows}
            requeued = 0
            for row in existing.values():
                if row.status == FAILED:
                    row.status, row.pogingen, row.volgende_poging = WAITING, 0, now()
                    requeued += 1
            new = [d for d in deliveries if (d[0], d[1]) not in existing]
            for signaal_id, url, body in new:
                s.add(AfleveringRow(signaal_id=signaal_id, callback_url=url, status=WAITING,
                                    notificatie=json.dumps(body, sort_keys=True), pogingen=0,
                                    volgende_poging=now()))
            return len(new) + requeued

    def signal(self, message_id: str) -> dict[str, Any] | None:
        """A stored signal's JSON, or None."""
        with Session(self.engine) as s:
            row = s.get(SignaalRow, message_id)
            return None if row is None else dict(json.loads(row.body))

    def signal_avro(self, message_id: str) -> bytes:
        """The signal's original Avro bytes (kept whole in a dead letter)."""
        with Session(self.engine) as s:
            row = s.get(SignaalRow, message_id)
            return b"" if row is None else row.avro

    def due_deliveries(self, limit: int = 100) -> list[Pending]:
        """Waiting deliveries whose next attempt is due."""
        with Session(self.engine) as s:
            rows = s.scalars(select(AfleveringRow).where(
                AfleveringRow.status == WAITING, AfleveringRow.volgende_poging <= now())
                .order_by(AfleveringRow.id).limit(limit))
            return [Pending(r.id, r.notificatie.encode(), r.pogingen, r.callback_url,
                            r.signaal_id) for r in rows]

    def attempted(self, delivery_id: int, attempt: int, *, status: str, http_status: int | None,
                  error: str | None, duration_ms: int, retry_in_s: float = 0.0) -> None:
        """Log one attempt and move the delivery on (delivered, waiting again, or failed)."""
        with Session(self.engine) as s, s.begin():
            s.add(AfleverpogingRow(aflevering_id=delivery_id, poging=attempt, tijdstip=now(),
                                   http_status=http_status, fout=error, duur_ms=duration_ms))
            s.execute(update(AfleveringRow).where(AfleveringRow.id == delivery_id).values(
                status=status, pogingen=attempt,
                volgende_poging=now() + timedelta(seconds=retry_in_s)))

    def delivery_log(self) -> list[dict[str, Any]]:
        """Every attempt with its delivery's signal and target (for operators and tests)."""
        with Session(self.engine) as s:
            rows = s.execute(select(AfleverpogingRow, AfleveringRow).join(
                AfleveringRow, AfleveringRow.id == AfleverpogingRow.aflevering_id)
                .order_by(AfleverpogingRow.id)).tuples()
            return [{"signaal_id": d.signaal_id, "callback_url": d.callback_url,
                     "poging": p.poging, "http_status": p.http_status, "fout": p.fout,
                     "status": d.status} for p, d in rows]


def _withdraw(s: Session, body: dict[str, Any]) -> None:
    """A withdrawal marks the signal it names ``INGETROKKEN`` (FORMAT.md, "Withdrawal")."""
    target = body.get("ingetrokken_signaal_id")
    row = s.get(SignaalRow, str(target)) if target else None
    if row is not None:
        old = json.loads(row.body)
        row.body = json.dumps({**old, "status": "INGETROKKEN",
                               "ingetrokken_door": body.get("message_id")},
                              default=str, sort_keys=True)
