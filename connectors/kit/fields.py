"""Typed reads of partner answers: every value checked for its type, errors naming the field.

Partner JSON is untrusted: a list where an object belongs, a number as text, a date that is not
one. ``Reader`` reads the fields a connector needs and raises ``InvalidField`` naming
``<what>.<field>`` (never the value), so no ``KeyError``/``AttributeError``/``TypeError`` escapes
from a hostile answer. Translators are tolerant readers: unknown fields are ignored.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import Any

from hub.errors import InvalidField

_GEMEENTECODE = re.compile(r"^\d{4}$")
_INT_LIMIT = 2**31

_Date = date


class Reader:
    """Tolerant typed access to a JSON object; errors name ``resource.field``."""

    def __init__(self, resource: str, data: Mapping[str, Any]) -> None:
        self.resource, self.data = resource, data

    @classmethod
    def of(cls, what: str, value: Any) -> Reader:
        """A reader on ``value``; ``InvalidField`` naming ``what`` when it is no JSON object."""
        if not isinstance(value, dict):
            raise InvalidField(what, f"not a JSON object (got {_kind(value)})")
        return cls(what, value)

    def _name(self, field: str) -> str:
        return f"{self.resource}.{field}"

    def optional(self, field: str) -> str | None:
        value = self.data.get(field)
        if value is None or (isinstance(value, str) and not value.strip()):
            return None
        if isinstance(value, dict | list):
            raise InvalidField(self._name(field), "not a scalar")
        return str(value).strip()

    def text(self, field: str) -> str:
        value = self.optional(field)
        if value is None:
            raise InvalidField(self._name(field), "missing")
        return value

    def date(self, field: str) -> _Date:
        value = self.optional_date(field)
        if value is None:
            raise InvalidField(self._name(field), "missing")
        return value

    def optional_date(self, field: str) -> _Date | None:
        raw = self.optional(field)
        if raw is None:
            return None
        try:
            return date.fromisoformat(raw[:10])
        except ValueError:
            raise InvalidField(self._name(field), "not a date (yyyy-mm-dd)") from None

    def integer(self, field: str) -> int:
        value = self.optional_integer(field)
        if value is None:
            raise InvalidField(self._name(field), "missing")
        return value

    def optional_integer(self, field: str) -> int | None:
        value = self.data.get(field)
        if value is None:
            return None
        if isinstance(value, bool) or not isinstance(value, int):
            raise InvalidField(self._name(field), "not a whole number")
        if not -_INT_LIMIT <= value < _INT_LIMIT:  # must fit the Avro int/long it fills
            raise InvalidField(self._name(field), "out of range")
        return value

    def boolean(self, field: str) -> bool:
        value = self.optional_boolean(field)
        if value is None:
            raise InvalidField(self._name(field), "missing")
        return value

    def optional_boolean(self, field: str) -> bool | None:
        value = self.data.get(field)
        if value is None or isinstance(value, bool):
            return value
        raise InvalidField(self._name(field), "not true or false")

    def code(self, field: str, allowed: tuple[str, ...]) -> str:
        value = self.text(field).upper().replace(" ", "_")
        if value not in allowed:
            raise InvalidField(self._name(field), f"not one of {', '.join(allowed)}")
        return value

    def gemeentecode(self, field: str = "gemeentecode") -> str:
        value = self.text(field)
        if not _GEMEENTECODE.match(value):
            raise InvalidField(self._name(field), "not a 4-digit CBS gemeentecode")
        return value

    def items(self, field: str) -> list[Reader]:
        value = self.data.get(field) or []
        if not isinstance(value, list) or not all(isinstance(v, dict) for v in value):
            raise InvalidField(self._name(field), "not a list of objects")
        return [Reader(f"{self.resource}.{field}[{n}]", v) for n, v in enumerate(value)]




def _kind(value: Any) -> str:
    """The JSON kind of ``value`` (never the value itself)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    return {list: "a list", str: "a string", int: "a number", float: "a number"}.get(
        type(value), type(value).__name__)
