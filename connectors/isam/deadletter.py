"""DeadLetter records for what the ISAM and Kredietbank connectors cannot deliver (shape of
``hub.agents.handler``): the original bytes are kept whole, the error names fields, no BSN."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from hub.privacy import redact


def dead_letter(*, consumer: str, source_topic: str, original: bytes, error: BaseException | str,
                original_message_id: str | None, dead_letter_id: str, case_ref: str = "",
                attempts: int = 1, partition: int = -1, offset: int = -1,
                original_key: bytes | None = None) -> dict[str, Any]:
    """A DeadLetter record; ``error`` may be an exception or a reason text."""
    now = datetime.now(UTC)
    kind = type(error).__name__ if isinstance(error, BaseException) else "Undeliverable"
    return {"message_id": dead_letter_id, "case_ref": case_ref, "source": "hub",
            "produced_at": now, "consumer": consumer, "source_topic": source_topic,
            "source_partition": partition, "source_offset": offset,
            "original_key": original_key, "original_value": original,
            "original_message_id": original_message_id, "error_type": kind,
            "error_message": redact(str(error))[:500] or kind, "attempts": attempts,
            "failed_at": now}
