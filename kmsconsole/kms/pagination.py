"""Keyset pagination with AWS's ``Limit`` / ``Marker`` / ``NextMarker`` / ``Truncated``.

A marker is an opaque token naming the last row returned, so a page costs one indexed
range query however deep it is (no OFFSET), and rows added meanwhile are not skipped.
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from django.core.exceptions import ValidationError
from django.db.models import Field, Model, QuerySet

from kmsconsole.engine.errors import InvalidMarkerException

Row = TypeVar("Row", bound=Model)
_PREFIX = "kc1:"
_INVALID_MARKER = "The marker is not a value returned by a previous request."


@dataclass
class Page(Generic[Row]):
    items: list[Row]
    next_marker: str | None

    @property
    def truncated(self) -> bool:
        return self.next_marker is not None

    def envelope(self) -> dict[str, Any]:
        """The ``Truncated`` / ``NextMarker`` members of a List response."""
        if self.next_marker is None:
            return {"Truncated": False}
        return {"Truncated": True, "NextMarker": self.next_marker}


def paginate(
    rows: QuerySet[Row], *, order_field: str, request: dict[str, Any], default_limit: int, max_limit: int
) -> Page[Row]:
    """One page of ``rows`` ordered by the unique column ``order_field``."""
    limit = min(request.get("Limit") or default_limit, max_limit)
    marker = request.get("Marker")
    if marker is not None:
        rows = rows.filter(**{f"{order_field}__gt": _marker_value(rows, order_field, marker)})
    batch = list(rows.order_by(order_field)[: limit + 1])
    if len(batch) <= limit:
        return Page(batch, None)
    batch = batch[:limit]
    return Page(batch, encode_marker(str(getattr(batch[-1], order_field))))


def _marker_value(rows: QuerySet[Row], order_field: str, marker: str) -> Any:
    """The marker's value as the ordering column's type; a marker from another list
    (or of another type) is an InvalidMarkerException, not a server error."""
    try:
        column = rows.model._meta.get_field(order_field)
        assert isinstance(column, Field)
        return column.to_python(decode_marker(marker))
    except ValidationError:
        raise InvalidMarkerException(_INVALID_MARKER) from None


def encode_marker(value: str) -> str:
    """An opaque marker naming ``value``, the last value of a page's ordering column."""
    return base64.urlsafe_b64encode((_PREFIX + value).encode()).decode()


def decode_marker(marker: str) -> str:
    """The value a marker names, or InvalidMarkerException for anything we did not issue
    (including text no database column can hold, such as NUL)."""
    try:
        text = base64.urlsafe_b64decode(marker.encode()).decode()
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise InvalidMarkerException(_INVALID_MARKER) from None
    if not text.startswith(_PREFIX) or "\x00" in text:
        raise InvalidMarkerException(_INVALID_MARKER)
    return text.removeprefix(_PREFIX)
