"""Demo accounts for ``hub up --demo``: one per role, only while the console has no users.

The generated passwords are written once to ``var/console-demo-users.txt`` (mode 0600) so the
person running the demo can log in; a store that already has accounts is never touched, so a
real deployment that ran ``hub users add`` gets no demo accounts.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from hub.console.auth import Accounts
from hub.console.models import ROLES
from hub.settings import Settings

DEMO_FILE = "console-demo-users.txt"
_NAMES = {"admin": "demo-admin", "operator": "demo-operator", "viewer": "demo-viewer"}


def demo_users_file(settings: Settings) -> Path:
    """Where the demo accounts and their passwords are written."""
    return settings.var_dir / DEMO_FILE


def ensure_demo_users(settings: Settings) -> list[tuple[str, str, str]]:
    """Create (name, role, password) for each role when no account exists; else return []."""
    settings.var_dir.mkdir(parents=True, exist_ok=True)
    accounts = Accounts(settings.effective_database_url)
    try:
        if accounts.users():
            return []
        created = [(_NAMES[role], role, secrets.token_urlsafe(12)) for role in reversed(ROLES)]
        _write(demo_users_file(settings), created)
        for name, role, password in created:
            accounts.add_user(name, password, role)
    finally:
        accounts.close()
    return created


def _write(path: Path, users: list[tuple[str, str, str]]) -> None:
    """Write the file readable by its owner only (created 0600, never world-readable)."""
    lines = ["# Console demo accounts (hub up --demo). Delete them with `hub users remove`.",
             *(f"{name}\t{role}\t{password}" for name, role, password in users)]
    path.unlink(missing_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write("\n".join(lines) + "\n")
    os.chmod(path, 0o600)  # in case the umask was stricter than needed or the fs ignores it
