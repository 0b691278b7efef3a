"""Text forms of field values: parse what users write in CSV cells, and write it back.

One parser per kind of value, each raising ``ValueError`` with a message that says
what a right value looks like (the caller adds file, row, field and value). The
workspace stores values in the same text forms, so reading the workspace back uses
the same parsers and an imported file round-trips exactly.

Conventions (DESIGN.md, "Import formats"): lists inside a cell are ``;``-separated,
times are ``HH:MM`` (24 h, local time of the area), dates ISO ``YYYY-MM-DD``.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
from collections.abc import Iterable

from geoservice.models import MODES, TimeWindow, Weekdays

_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")
_DATETIME = re.compile(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}(:\d{2}(\.\d{1,6})?)?(Z|[+-]\d{2}:\d{2})?")
_TIME = re.compile(r"^\s*(\d{1,2})[:.](\d{2})\s*$")
_TRUE = {"1", "true", "yes", "y", "t"}
_FALSE = {"0", "false", "no", "n", "f", ""}


def parse_text(text: str) -> str:
    """A free-text value with surrounding white space removed."""
    return str(text).strip()


def parse_float(text: str, *, minimum: float | None = None, maximum: float | None = None) -> float:
    """A decimal number (``1.5`` or ``1,5``), optionally within ``[minimum, maximum]``."""
    word = str(text).strip()
    if word.count(",") == 1 and "." not in word:
        if re.fullmatch(r"-?\d{1,3},\d{3}", word):
            raise ValueError("ambiguous: a thousands separator or a decimal comma? write 1200 or 1.2")
        word = word.replace(",", ".")  # a decimal comma, as written in much of Europe
    try:
        value = float(word)
    except ValueError:
        raise ValueError("not a number") from None
    if not math.isfinite(value):
        raise ValueError("not a finite number")
    if minimum is not None and value < minimum:
        raise ValueError(f"must be at least {minimum:g}")
    if maximum is not None and value > maximum:
        raise ValueError(f"must be at most {maximum:g}")
    return value


def parse_int(text: str, *, minimum: int | None = None, maximum: int | None = None) -> int:
    """A whole number, optionally within ``[minimum, maximum]``."""
    value = parse_float(text, minimum=minimum, maximum=maximum)
    if value != int(value):
        raise ValueError("must be a whole number")
    return int(value)


def parse_bool(text: str) -> bool:
    """``yes``/``no``, ``true``/``false``, ``1``/``0`` (empty means no)."""
    word = str(text).strip().lower()
    if word in _TRUE:
        return True
    if word in _FALSE:
        return False
    raise ValueError("must be yes or no")


def parse_time(text: str) -> dt.time:
    """A clock time ``HH:MM`` (24-hour)."""
    m = _TIME.match(str(text))
    if not m:
        raise ValueError("not a time; write HH:MM, e.g. 09:30")
    hour, minute = int(m.group(1)), int(m.group(2))
    if hour == 24 and minute == 0:
        return dt.time(23, 59)
    if hour > 23 or minute > 59:
        raise ValueError("not a time of day; hours 0-23, minutes 0-59")
    return dt.time(hour, minute)


def parse_window(text: str) -> TimeWindow:
    """A time window ``HH:MM-HH:MM``; the end must be after the start."""
    parts = str(text).split("-")
    if len(parts) != 2:
        raise ValueError("not a time window; write HH:MM-HH:MM, e.g. 09:00-12:00")
    start, end = parse_time(parts[0]), parse_time(parts[1])
    if end <= start:
        raise ValueError(f"time window ends ({end:%H:%M}) before it starts ({start:%H:%M})")
    return TimeWindow(start, end)


def parse_windows(text: str) -> tuple[TimeWindow, ...]:
    """Several windows ``09:00-12:00;14:00-16:00``, sorted; they must not overlap."""
    windows = sorted(parse_window(p) for p in _items(text))
    for a, b in itertools.pairwise(windows):
        if b.start < a.end:
            raise ValueError(f"time windows {a} and {b} overlap")
    return tuple(windows)


def parse_tags(text: str) -> frozenset[str]:
    """A set of skills (or other tags): ``nurse;fi;female``, compared in lower case."""
    return frozenset(p.lower() for p in _items(text))


def parse_date(text: str) -> dt.date:
    """An ISO date ``YYYY-MM-DD`` (only that form: not ``20261201`` or ``2026-W49-2``)."""
    try:
        if not _DATE.fullmatch(str(text).strip()):
            raise ValueError
        return dt.date.fromisoformat(str(text).strip())
    except ValueError:
        raise ValueError("not a date; write YYYY-MM-DD, e.g. 2026-12-01") from None


def parse_datetime(text: str) -> dt.datetime:
    """An ISO date-time ``YYYY-MM-DDTHH:MM[:SS]``, optionally with a UTC offset (``Z``,
    ``+02:00``); without one it is naive (the caller decides the time zone)."""
    try:
        if not _DATETIME.fullmatch(str(text).strip()):
            raise ValueError
        return dt.datetime.fromisoformat(str(text).strip())
    except ValueError:
        raise ValueError("not a date-time; write YYYY-MM-DDTHH:MM, e.g. 2026-11-23T14:00") from None


def parse_dates(text: str) -> frozenset[dt.date]:
    """Dates ``2026-12-01;2026-12-03`` and ranges ``2026-12-07..2026-12-11`` (inclusive)."""
    days: set[dt.date] = set()
    for item in _items(text):
        if ".." in item:
            first, last = (parse_date(p) for p in item.split("..", 1))
            if last < first:
                raise ValueError(f"date range {item} ends before it starts")
            if (last - first).days > 366:
                raise ValueError(f"date range {item} is longer than a year")
            days.update(first + dt.timedelta(days=k) for k in range((last - first).days + 1))
        else:
            days.add(parse_date(item))
    return frozenset(days)


_DAY_NAMES = {name: i for i, full in enumerate(("monday", "tuesday", "wednesday", "thursday", "friday",
                                                   "saturday", "sunday")) for name in (full[:2], full[:3], full)}


def parse_weekdays(text: str) -> Weekdays:
    """Days of the week: ``Mo-Fr``, ``Mo;We;Fr``, ``Sa-Su``, ``Mon-Sun``, ``Fr-Mo`` (wrapping)."""
    days: set[int] = set()
    for item in _items(str(text).replace(",", ";")):
        ends = [_weekday(part) for part in item.split("-", 1)]
        first, last = ends[0], ends[-1]
        days.update((first + k) % 7 for k in range((last - first) % 7 + 1))
    if not days:
        raise ValueError("no days; write e.g. Mo-Fr or Mo;We;Fr")
    return Weekdays(frozenset(days))


def _weekday(word: str) -> int:
    key = word.strip().lower()
    if key not in _DAY_NAMES:
        raise ValueError(f"not a day of the week: {word.strip()!r}; use Mo Tu We Th Fr Sa Su")
    return _DAY_NAMES[key]


def parse_mode(text: str) -> str:
    """A travel mode: ``drive``, ``walk`` or ``bike``."""
    mode = str(text).strip().lower()
    if mode not in MODES:
        raise ValueError(f"unknown travel mode; use one of {', '.join(MODES)}")
    return mode


def parse_opening_hours(text: str) -> str:
    """An OSM ``opening_hours`` expression (e.g. ``Mo-Fr 09:00-17:00; Sa 10:00-14:00``).

    Checked with the ``opening_hours`` parser (a port of the reference grammar), so a
    value that would not parse later is rejected at import.
    """
    import opening_hours

    value = str(text).strip()
    if value and not opening_hours.validate(value):
        raise ValueError("not valid OSM opening_hours syntax, e.g. 'Mo-Fr 09:00-17:00; Sa 10:00-13:00'")
    return value


def format_value(value: object) -> str:
    """The text form of a parsed value (inverse of the parsers above)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, dt.time):
        return value.strftime("%H:%M")
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, TimeWindow | Weekdays):
        return str(value)
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, frozenset | set):
        return ";".join(sorted(format_value(v) for v in value))
    if isinstance(value, tuple | list):
        return ";".join(format_value(v) for v in value)
    return str(value)


def _items(text: str) -> Iterable[str]:
    return (p.strip() for p in str(text).split(";") if p.strip())
