"""Checking a five-field cron expression ("30 5 * * 1-5") when the config loads.

The config must not import Prefect (its settings are read at import), so this is a small
check of our own; Prefect parses the same expression again when it creates the schedule.
"""

from __future__ import annotations

MONTHS = ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
DAYS = ("sun", "mon", "tue", "wed", "thu", "fri", "sat")

# (name, lowest, highest, names for the values from `lowest` on)
FIELDS: tuple[tuple[str, int, int, tuple[str, ...]], ...] = (
    ("minute", 0, 59, ()),
    ("hour", 0, 23, ()),
    ("day of month", 1, 31, ()),
    ("month", 1, 12, MONTHS),
    ("day of week", 0, 7, DAYS),
)


def _value(text: str, low: int, high: int, names: tuple[str, ...]) -> int:
    if text.lower() in names:
        return low + names.index(text.lower())
    if not text.isdigit() or not low <= int(text) <= high:
        raise ValueError(text)
    return int(text)


def _check_part(part: str, low: int, high: int, names: tuple[str, ...]) -> None:
    span, slash, step = part.partition("/")
    if slash and (not step.isdigit() or int(step) == 0):
        raise ValueError(part)
    if span == "*":
        return
    first, dash, last = span.partition("-")
    start = _value(first, low, high, names)
    if dash and _value(last, low, high, names) < start:
        raise ValueError(part)


def check_cron(expression: str) -> str:
    """`expression` unchanged when it is a valid five-field cron; `ValueError` saying why not."""
    fields = expression.split()
    if len(fields) != len(FIELDS):
        raise ValueError(
            f"{expression!r} is not a cron expression: it needs 5 fields "
            '(minute hour day-of-month month day-of-week), e.g. "30 5 * * *"'
        )
    for text, (name, low, high, names) in zip(fields, FIELDS, strict=True):
        for part in text.split(","):
            try:
                _check_part(part, low, high, names)
            except ValueError:
                raise ValueError(
                    f"{expression!r}: {name} {part!r} is not valid ({low}-{high}, '*', "
                    "ranges a-b, lists a,b and steps */n)"
                ) from None
    return expression
