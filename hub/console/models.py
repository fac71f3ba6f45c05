"""The console's tables in the case store: users and their sessions.

They have their own metadata (same naming convention as the store); migration
``0002_console_users`` creates them, ``0007_i22_console_user_gemeenten`` adds the gemeenten.
Session tokens and CSRF tokens are stored as SHA-256 digests of the secret the browser holds,
so a copy of the database logs nobody in.
"""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import DateTime, ForeignKey, Integer, MetaData, String, Table
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from hub.store.models import NAMING

ROLES = ("viewer", "operator", "admin")


class ConsoleBase(DeclarativeBase):
    """Declarative base of the console tables."""

    metadata = MetaData(naming_convention=NAMING)


class UserRow(ConsoleBase):
    """An operator account; ``role`` is one of ``ROLES``."""

    __tablename__ = "console_user"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    name: Mapped[str] = mapped_column(String(100), unique=True)
    password_hash: Mapped[str] = mapped_column(String(300))
    role: Mapped[str] = mapped_column(String(20))
    # CBS gemeentecodes the user may see, comma-separated (R26); NULL: every gemeente.
    gemeenten: Mapped[str | None] = mapped_column(String(2000))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class SessionRow(ConsoleBase):
    """A logged-in browser: digest of its cookie, digest of its CSRF token, expiry."""

    __tablename__ = "console_session"

    token_digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("console_user.id", ondelete="CASCADE"),
                                         index=True)
    csrf_digest: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    expires_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


metadata = ConsoleBase.metadata
console_user = cast(Table, UserRow.__table__)
console_session = cast(Table, SessionRow.__table__)
