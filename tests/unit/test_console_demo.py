"""Demo accounts for ``hub up --demo``: one per role, only in a store without accounts."""

from __future__ import annotations

import stat
from pathlib import Path

from hub.console.auth import Accounts
from hub.console.demo import demo_users_file, ensure_demo_users
from hub.settings import from_env


def test_demo_users_are_created_once_with_a_private_password_file(tmp_path: Path) -> None:
    settings = from_env({"HUB_HOME": str(tmp_path)})
    created = ensure_demo_users(settings)
    assert sorted(role for _, role, _ in created) == ["admin", "operator", "viewer"]
    path = demo_users_file(settings)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    lines = [line.split("\t") for line in path.read_text().splitlines()
             if not line.startswith("#")]
    assert sorted(tuple(x) for x in lines) == sorted(created)
    accounts = Accounts(settings.effective_database_url, migrate=False)
    try:
        for name, role, password in created:
            user = accounts.authenticate(name, password)
            assert user is not None and user.role == role
        assert len({password for _, _, password in created}) == 3
        before = path.read_text()
        assert ensure_demo_users(settings) == []  # accounts exist: nothing changes
        assert path.read_text() == before and len(accounts.users()) == 3
    finally:
        accounts.close()


def test_no_demo_users_when_a_real_account_exists(tmp_path: Path) -> None:
    settings = from_env({"HUB_HOME": str(tmp_path)})
    accounts = Accounts(settings.effective_database_url)
    accounts.add_user("ops", "correct horse battery", "admin")
    try:
        assert ensure_demo_users(settings) == []
        assert [u.name for u in accounts.users()] == ["ops"]
        assert not demo_users_file(settings).exists()
    finally:
        accounts.close()
