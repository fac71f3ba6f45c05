"""Files the hub keeps are readable by the hub's user alone (R25): files 0600, folders 0700.

The store, logs, reports, partner files in archive and quarantine and refused answers may hold
personal data. Every ``hub`` process runs with umask 077 (``restrict_umask``), so whatever it
creates is private; files that arrive from elsewhere (a partner's drop in ``inbox/``) are made
private when the hub moves them (``make_private``), and ``tighten`` fixes a tree written before.
"""

from __future__ import annotations

import os
from pathlib import Path

PRIVATE_FILE = 0o600
PRIVATE_DIR = 0o700
PRIVATE_UMASK = 0o077


def restrict_umask() -> None:
    """From now on this process creates files 0600 and folders 0700 (umask 077)."""
    os.umask(PRIVATE_UMASK)


def private_dir(path: Path) -> Path:
    """``path`` as a folder (parents too), mode 0700."""
    path.mkdir(mode=PRIVATE_DIR, parents=True, exist_ok=True)
    os.chmod(path, PRIVATE_DIR)
    return path


def make_private(path: Path) -> Path:
    """Give an existing file mode 0600 (a folder 0700)."""
    os.chmod(path, PRIVATE_DIR if path.is_dir() else PRIVATE_FILE)
    return path


def write_private(path: Path, data: bytes, *, exclusive: bool = False) -> Path:
    """Write ``data`` to a new file of mode 0600 (``exclusive``: fail if it exists)."""
    flags = os.O_WRONLY | os.O_CREAT | (os.O_EXCL if exclusive else os.O_TRUNC)
    fd = os.open(path, flags, PRIVATE_FILE)
    with os.fdopen(fd, "wb") as handle:
        handle.write(data)
    os.chmod(path, PRIVATE_FILE)  # an existing file keeps its mode on O_TRUNC
    return path


def tighten(root: Path) -> int:
    """Make every folder under ``root`` 0700 and every file 0600; returns how many changed.

    Symbolic links are neither followed nor changed.
    """
    changed = 0
    if not root.is_dir() or root.is_symlink():
        return changed
    for current, dirs, names in os.walk(root):
        folder = Path(current)
        changed += _chmod(folder, PRIVATE_DIR)
        dirs[:] = [d for d in dirs if not (folder / d).is_symlink()]
        for name in names:
            path = folder / name
            if not path.is_symlink() and path.is_file():
                changed += _chmod(path, PRIVATE_FILE)
    return changed


def _chmod(path: Path, mode: int) -> int:
    if path.stat().st_mode & 0o777 == mode:
        return 0
    os.chmod(path, mode)
    return 1
