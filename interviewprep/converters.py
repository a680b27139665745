"""The `<id:...>` path converter: a positive database id that fits the 64-bit primary keys.

Django's `int` converter takes any run of digits, and an id past 2**63-1 then overflows in the database driver
(a 500). This converter does not match such paths at all, so they are a plain 404 like any unknown id. Query
parameters that carry ids go through `parse_id`, which refuses the same values with a message.
"""

from __future__ import annotations

from django.urls import register_converter

MAX_ID = 2**63 - 1
# The OpenAPI schema of such an id (path converters: settings.SPECTACULAR_SETTINGS; query parameters: views).
ID_SCHEMA = {"type": "integer", "format": "int64", "minimum": 1, "maximum": MAX_ID}


class IdConverter:
    regex = "[0-9]{1,19}"

    def to_python(self, value: str) -> int:
        number = int(value)
        if not 0 < number <= MAX_ID:
            raise ValueError("id out of range")  # Django treats a ValueError here as "no match"
        return number

    def to_url(self, value: int | str) -> str:
        return str(int(value))


def parse_id(value: object) -> int | None:
    """A positive 64-bit id from a query parameter or JSON field, or None when it is not one."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        number = value
    elif isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 19:
        number = int(value)
    else:
        return None
    return number if 0 < number <= MAX_ID else None


register_converter(IdConverter, "id")
