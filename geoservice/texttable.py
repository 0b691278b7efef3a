"""Plain-text tables for the ``--format table`` output of report objects."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any


def text_table(rows: Sequence[Mapping[str, Any]], columns: Sequence[str], *, indent: str = "",
               width: int = 32) -> str:
    """Rows as an aligned text table with a header rule; cells cut to ``width`` characters.

    Numbers are right-aligned; ``None`` shows as ``-``.
    """
    cells = [[_text(r.get(c))[:width] for c in columns] for r in rows]
    widths = [max([len(c)] + [len(row[i]) for row in cells]) for i, c in enumerate(columns)]
    numeric = [bool(rows) and all(isinstance(r.get(c), int | float) or r.get(c) is None for r in rows)
               for c in columns]
    lines = [indent + "  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True)).rstrip(),
             indent + "  ".join("-" * w for w in widths)]
    for row in cells:
        parts = [v.rjust(w) if num else v.ljust(w) for v, w, num in zip(row, widths, numeric, strict=True)]
        lines.append(indent + "  ".join(parts).rstrip())
    return "\n".join(lines)


def minutes(seconds: float | None) -> str:
    """Seconds as minutes with one decimal (``"12.5"``), ``"-"`` for none or unreachable."""
    if seconds is None or seconds != seconds or seconds == float("inf"):
        return "-"
    return f"{seconds / 60:.1f}"


def _text(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.1f}" if abs(value) >= 10 else f"{value:.2f}"
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)
