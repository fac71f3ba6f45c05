"""Mutation spot check (issue 23): disable each of five guards in turn, run the tests that should
notice, print what failed, and restore the file. Exit 0 only if every mutation made a test fail.

Run from the repository root: ``.venv/bin/python scripts/mutation-spot-check.py``.
"""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

MUTATIONS = [
    ("DUO RelatesTo check", "connectors/duo/answer.py",
     'if len(relates) != 1 or (relates[0].text or "").strip() != sent.message_id:',
     "if False:",
     "tests/component/test_duo_answers.py tests/component/test_duo_client.py"),
    ("kit origin check", "connectors/kit/http.py",
     "if origin_of(url) != self.origin:", "if False:",
     "tests/component/test_kit_http.py tests/component/test_hostile_partners.py"),
    ("BSN eleven-test", "hub/privacy.py",
     "return total % 11 == 0 and total != 0", "return True",
     "tests/unit/test_privacy.py"),
    ("CSV formula neutralisation", "hub/spreadsheet.py",
     "if value.startswith(QUOTE) or (value.startswith(TRIGGERS) and not "
     "_NUMBER.fullmatch(value)):",
     "if False:",
     "tests/component/test_formula_safety.py"),
    ("console CSRF", "hub/console/web.py",
     "if request.method not in _SAFE and not _csrf_ok(request):", "if False:",
     "tests/component/test_console_guarding.py tests/component/test_console_api.py"),
]


def run(name: str, file: str, old: str, new: str, tests: str) -> bool:
    path = Path(file)
    original = path.read_text()
    if old not in original:
        print(f"{name}: {file}: guard text not found (update this script)")
        return False
    path.write_text(original.replace(old, new, 1))
    try:
        result = subprocess.run(
            [".venv/bin/pytest", "-q", "-p", "no:cacheprovider", "-x", "-rf", *tests.split()],
            capture_output=True, text=True, check=False)
    finally:
        path.write_text(original)
    failed = [line for line in result.stdout.splitlines() if line.startswith("FAILED")]
    print(f"{name}: {file}: " + ("; ".join(failed) if failed else "NO TEST FAILED"), flush=True)
    return bool(failed)


def main() -> int:
    caught = [run(*mutation) for mutation in MUTATIONS]
    return 0 if all(caught) else 1


if __name__ == "__main__":
    sys.exit(main())
