"""Accounts: argon2 hashes, sessions stored as digests, roles ordered, CSRF checked."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import select

from hub.console import models as cm
from hub.console.auth import Accounts, User, csrf_matches, digest
from hub.errors import ConfigurationError
from hub.store.engine import make_engine


@pytest.fixture
def accounts(tmp_path: Path) -> Iterator[Accounts]:
    found = Accounts(f"sqlite:///{tmp_path / 'hub.db'}", session_minutes=5)
    yield found
    found.close()


def test_password_is_stored_as_an_argon2id_hash(accounts: Accounts, tmp_path: Path) -> None:
    accounts.add_user("ops", "correct horse battery", "operator")
    engine = make_engine(f"sqlite:///{tmp_path / 'hub.db'}")
    with engine.connect() as conn:
        stored = str(conn.scalar(select(cm.console_user.c.password_hash)))
    engine.dispose()
    assert stored.startswith("$argon2id$") and "correct horse" not in stored


def test_authenticate(accounts: Accounts) -> None:
    accounts.add_user("ops", "correct horse battery", "operator")
    assert accounts.authenticate("ops", "correct horse battery") == User(1, "ops", "operator")
    assert accounts.authenticate("ops", "wrong password!") is None
    assert accounts.authenticate("nobody", "correct horse battery") is None


def test_sessions_and_csrf(accounts: Accounts, tmp_path: Path) -> None:
    user = accounts.add_user("ops", "correct horse battery", "viewer")
    new = accounts.open_session(user)
    found = accounts.session_user(new.token)
    assert found is not None and found[0] == user
    assert csrf_matches(found[1], new.csrf)
    assert not csrf_matches(found[1], None) and not csrf_matches(found[1], "forged")
    engine = make_engine(f"sqlite:///{tmp_path / 'hub.db'}")
    with engine.connect() as conn:
        assert conn.scalar(select(cm.console_session.c.token_digest)) == digest(new.token)
    engine.dispose()
    accounts.close_session(new.token)
    assert accounts.session_user(new.token) is None


def test_resetting_a_password_ends_the_user_sessions(accounts: Accounts) -> None:
    user = accounts.add_user("ops", "correct horse battery", "viewer")
    token = accounts.open_session(user).token
    accounts.add_user("ops", "another long password", "admin")
    assert accounts.session_user(token) is None
    assert accounts.authenticate("ops", "another long password").role == "admin"  # type: ignore[union-attr]


def test_roles_are_ordered() -> None:
    viewer, operator, admin = (User(1, "v", "viewer"), User(2, "o", "operator"),
                               User(3, "a", "admin"))
    assert not viewer.may("operator") and operator.may("operator") and not operator.may("admin")
    assert admin.may("viewer") and admin.may("admin")


def test_bad_role_and_short_password_are_refused(accounts: Accounts) -> None:
    with pytest.raises(ConfigurationError, match="role"):
        accounts.add_user("x", "correct horse battery", "root")
    with pytest.raises(ConfigurationError, match="at least"):
        accounts.add_user("x", "short", "viewer")
