"""The steering repository's fixtures in ``../shared/fixtures`` (real Peppol documents, the
official validators). CI clones main with ``shared/`` beside it; when it is missing, every test
that needs it fails loudly at import naming the path: it never runs on a smaller input."""

from __future__ import annotations

from pathlib import Path

FIXTURES = Path(__file__).resolve().parents[1].parent / "shared" / "fixtures"
PEPPOL_DOCUMENTS = ("base-creditnote-correction.xml", "base-example.xml", "vat-category-E.xml")


class SharedFixturesMissing(AssertionError):
    """``../shared/fixtures`` (or a file the tests need in it) is not there."""


def shared_fixture(*parts: str) -> Path:
    """A path under ``../shared/fixtures`` that must exist."""
    path = FIXTURES.joinpath(*parts)
    if not path.exists():
        raise SharedFixturesMissing(f"{path} is missing: clone the project with the steering "
                                    "repository's shared/ folder beside it (as CI does)")
    return path


PEPPOL = shared_fixture("peppol-bis3")


def peppol_documents() -> list[Path]:
    """The real Peppol BIS 3 examples, every one of them present."""
    return [shared_fixture("peppol-bis3", name) for name in PEPPOL_DOCUMENTS]
