"""Console accounts: argon2id password hashes, server-side sessions, roles, CSRF tokens.

A session is a random cookie token; the database keeps only its SHA-256 digest, and the
digest of the session's CSRF token. Roles are ordered: viewer < operator < admin. Viewers
read; operators also re-drive dead letters and reset consumer groups; admins also unmask BSNs
and read the audit trail. A user may be limited to gemeenten (R26, ``User.gemeenten``; empty
means every gemeente): what that limits is in ``hub/console/scope.py``.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, select, update

from hub.console import models as cm
from hub.errors import ConfigurationError
from hub.privacy import redact
from hub.store.engine import make_engine, transaction
from hub.store.migrate import upgrade

_RANK = {role: rank for rank, role in enumerate(cm.ROLES)}
_HASHER = PasswordHasher()
# Verified against when the user does not exist, so both paths cost one argon2 verification.
_DUMMY_HASH = _HASHER.hash(secrets.token_urlsafe(16))
MIN_PASSWORD = 10


@dataclass(frozen=True)
class User:
    """A logged-in (or looked-up) account."""

    id: int
    name: str
    role: str
    gemeenten: tuple[str, ...] = ()  # CBS codes this user may see; () means every gemeente

    @property
    def scoped(self) -> bool:
        """Whether this user sees only some gemeenten."""
        return bool(self.gemeenten)

    def may(self, role: str) -> bool:
        """Whether this user's role is at least ``role``."""
        return _RANK[self.role] >= _RANK[role]


@dataclass(frozen=True)
class NewSession:
    """The two secrets handed to the browser once: cookie token and CSRF token."""

    token: str
    csrf: str
    expires_at: datetime


def digest(secret: str) -> str:
    """SHA-256 hex digest of a session or CSRF secret."""
    return hashlib.sha256(secret.encode()).hexdigest()


def login_label(name: str, *, known: bool, key: str) -> str:
    """What the audit table and logs may say about a typed login name.

    An existing account's name (BSN-like digits masked); anything else, which may be a BSN or a
    password typed into the wrong field, only as a keyed digest, so repeated attempts with the
    same text can still be told apart and counted.
    """
    if known:
        return redact(name.strip())[:100]
    tag = hmac.new(key.encode(), f"console-login:{name}".encode("utf-8", "replace"),
                   hashlib.sha256).hexdigest()[:16]
    return f"unknown-name:{tag}"


def check_role(role: str) -> str:
    """``role`` if it is one of the console roles, else ``ConfigurationError``."""
    if role not in _RANK:
        raise ConfigurationError(f"unknown role {role!r}: use {', '.join(cm.ROLES)}")
    return role


_GEMEENTECODE = re.compile(r"\d{4}")


def check_gemeenten(text: str | None) -> tuple[str, ...]:
    """``"0392, 0393"`` -> ``("0392", "0393")`` (sorted, unique); ``()`` for none (every
    gemeente); ``ConfigurationError`` for anything that is not a 4-digit CBS gemeentecode."""
    codes = sorted({part.strip() for part in (text or "").split(",") if part.strip()})
    bad = [code for code in codes if not _GEMEENTECODE.fullmatch(code)]
    if bad:
        raise ConfigurationError(f"not a 4-digit CBS gemeentecode: {', '.join(bad)}")
    return tuple(codes)


def _codes(stored: str | None) -> tuple[str, ...]:
    return tuple(code for code in (stored or "").split(",") if code)


def _aware(value: datetime) -> datetime:
    return value if value.tzinfo else value.replace(tzinfo=UTC)


class Accounts:
    """Users and sessions in the case store database."""

    def __init__(self, url: str, *, session_minutes: int = 480, migrate: bool = True) -> None:
        self._engine = make_engine(url)
        self._lifetime = timedelta(minutes=session_minutes)
        if migrate:
            upgrade(self._engine)

    def add_user(self, name: str, password: str, role: str,
                 gemeenten: tuple[str, ...] = ()) -> User:
        """Create an account (or reset its password, role and gemeenten when it exists)."""
        check_role(role)
        codes = check_gemeenten(",".join(gemeenten))
        stored = ",".join(codes) or None
        name = name.strip()
        if not name or len(name) > 100:
            raise ConfigurationError("user name must be 1 to 100 characters")
        if len(password) < MIN_PASSWORD:
            raise ConfigurationError(f"password must be at least {MIN_PASSWORD} characters")
        hashed = _HASHER.hash(password)
        now = datetime.now(UTC)
        with transaction(self._engine, write=True) as conn:
            found = conn.scalar(select(cm.console_user.c.id)
                                .where(cm.console_user.c.name == name))
            if found is None:
                inserted = conn.execute(cm.console_user.insert().values(
                    name=name, password_hash=hashed, role=role, gemeenten=stored,
                    created_at=now))
                found = int(inserted.inserted_primary_key[0])  # type: ignore[index]
            else:
                conn.execute(update(cm.console_user).where(cm.console_user.c.id == found)
                             .values(password_hash=hashed, role=role, gemeenten=stored))
                conn.execute(delete(cm.console_session)
                             .where(cm.console_session.c.user_id == found))
        return User(int(found), name, role, codes)

    def users(self) -> list[User]:
        """Every account, by name."""
        with transaction(self._engine, write=False) as conn:
            rows = conn.execute(select(cm.console_user.c.id, cm.console_user.c.name,
                                       cm.console_user.c.role, cm.console_user.c.gemeenten)
                                .order_by(cm.console_user.c.name)).all()
        return [User(int(r.id), r.name, r.role, _codes(r.gemeenten)) for r in rows]

    def remove_user(self, name: str) -> bool:
        """Delete an account and its sessions; False when there was none."""
        with transaction(self._engine, write=True) as conn:
            result = conn.execute(delete(cm.console_user).where(cm.console_user.c.name == name))
            return bool(result.rowcount)

    def authenticate(self, name: str, password: str) -> User | None:
        """The user when the password matches, else None (same cost either way)."""
        with transaction(self._engine, write=False) as conn:
            row = conn.execute(select(cm.console_user).where(cm.console_user.c.name == name)
                               ).first()
        try:
            _HASHER.verify(row.password_hash if row else _DUMMY_HASH, password)
        except (VerificationError, InvalidHashError):
            return None
        return User(int(row.id), row.name, row.role, _codes(row.gemeenten)) if row else None

    def known(self, name: str) -> bool:
        """Whether an account called ``name`` exists."""
        with transaction(self._engine, write=False) as conn:
            return conn.scalar(select(cm.console_user.c.id)
                               .where(cm.console_user.c.name == name)) is not None

    def open_session(self, user: User) -> NewSession:
        """Start a session for ``user``; the secrets are returned once and stored digested."""
        token, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
        now = datetime.now(UTC)
        with transaction(self._engine, write=True) as conn:
            conn.execute(delete(cm.console_session)
                         .where(cm.console_session.c.expires_at < now))
            conn.execute(cm.console_session.insert().values(
                token_digest=digest(token), user_id=user.id, csrf_digest=digest(csrf),
                created_at=now, expires_at=now + self._lifetime))
        return NewSession(token, csrf, now + self._lifetime)

    def session_user(self, token: str) -> tuple[User, str] | None:
        """(user, CSRF digest) of a live session token, else None."""
        s, u = cm.console_session.c, cm.console_user.c
        with transaction(self._engine, write=False) as conn:
            row = conn.execute(
                select(u.id, u.name, u.role, u.gemeenten, s.csrf_digest, s.expires_at)
                .join_from(cm.console_session, cm.console_user, s.user_id == u.id)
                .where(s.token_digest == digest(token))).first()
        if row is None or _aware(row.expires_at) <= datetime.now(UTC):
            return None
        return User(int(row.id), row.name, row.role, _codes(row.gemeenten)), row.csrf_digest

    def close_session(self, token: str) -> None:
        """Log a session out."""
        with transaction(self._engine, write=True) as conn:
            conn.execute(delete(cm.console_session)
                         .where(cm.console_session.c.token_digest == digest(token)))

    def close(self) -> None:
        """Release pooled connections."""
        self._engine.dispose()


def csrf_matches(csrf_digest: str, presented: str | None) -> bool:
    """Constant-time check of a presented CSRF token against the session's digest."""
    return bool(presented) and hmac.compare_digest(csrf_digest, digest(presented or ""))
