"""Template filters for the classroom pages."""

from __future__ import annotations

from datetime import timedelta

from django import template

register = template.Library()


@register.filter
def duration(value: timedelta | int | float | None) -> str:
    """``1 h 04 min``, ``4 min 12 s`` or ``38 s`` from a timedelta or seconds; "—" for None."""
    if value is None or value == "":
        return "—"
    seconds = int(value.total_seconds() if isinstance(value, timedelta) else value)
    hours, rest = divmod(max(seconds, 0), 3600)
    minutes, seconds = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    if minutes:
        return f"{minutes} min {seconds:02d} s"
    return f"{seconds} s"


@register.filter
def at(sequence: list[object], index: int) -> object:
    """``row.cells|at:forloop.counter0``: an item by position."""
    return sequence[index]
