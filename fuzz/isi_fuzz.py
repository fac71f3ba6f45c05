"""atheris: an ISI export line (any bytes) translates or raises InvalidField."""

from __future__ import annotations

import csv
import io
import re
import sys
from datetime import UTC, datetime

import atheris
import common

with atheris.instrument_imports():
    from connectors.isi.translate import translate_row
    from hub.errors import InvalidField
    from hub.privacy import BsnCipher, case_ref

RECEIVED = datetime(2024, 1, 1, tzinfo=UTC)
FORMAT = common.ROOT / "connectors" / "isi" / "FORMAT.md"


class Sealer:
    """The runtime's sealing on a fixed key."""

    cipher = BsnCipher({"k": bytes(32)}, "k")

    def case_ref(self, bsn: str) -> str:
        return case_ref(bsn, "fuzz")

    def seal(self, bsn: str) -> dict[str, object]:
        return self.cipher.encrypt(bsn).as_record()


SEALER = Sealer()


def test_one_input(data: bytes) -> None:
    """One input: every CSV row translates or is refused with InvalidField and no BSN."""
    text = data.decode("utf-8", errors="replace")
    try:
        rows = list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))
    except csv.Error:
        return  # the importer stops on unreadable CSV (UnreadableExport); not this harness
    for values in rows:
        try:
            translate_row(values, sealer=SEALER, received_at=RECEIVED)
        except InvalidField as exc:
            common.check_refusal(exc)


def _seeds() -> list[bytes]:
    block = re.search(r"## Example\n\n```\n(.*?)```", FORMAT.read_text(), re.S)
    return [line.encode() for line in (block[1] if block else "").splitlines()]


if __name__ == "__main__":
    common.corpus(sys.argv, _seeds())
    atheris.Setup(sys.argv, test_one_input)
    atheris.Fuzz()
