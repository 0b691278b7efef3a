"""Declared inputs of the API endpoints and map pages, checked before anything runs.

Each endpoint lists its :class:`Param` s once; the same list validates the request
(every problem named by field, all at once), documents the endpoint in the OpenAPI
description, and types the values the feature function gets.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal

from geoservice.errors import UserError
from geoservice.io.fields import parse_date, parse_datetime

#: What a parameter holds: a worker id, an ISO date, an ISO date-time, a whole number, a
#: number, text from a fixed list (``choice``), free text, a list of worker ids, or yes/no.
Kind = Literal["worker", "date", "datetime", "integer", "number", "choice", "text", "workers", "boolean"]

#: The first and last day a date or date-time parameter may name. Outside them a date is
#: a typing slip, not a plan, and arithmetic on it (the next week's link) could overflow.
EARLIEST_DATE = dt.date(1970, 1, 1)
LATEST_DATE = dt.date(2100, 12, 31)


class InvalidInput(UserError):
    """The request's input is wrong; ``details`` names each problem (``field``, ``message``)
    and ``status`` is 400 (not readable at all) or 422 (readable, but wrong)."""

    def __init__(self, message: str, details: Sequence[Mapping[str, str]] = (), *, status: int = 422) -> None:
        super().__init__(message)
        self.details = [dict(d) for d in details]
        self.status = status


@dataclass(frozen=True)
class Param:
    """One input of an endpoint or page.

    ``minimum``/``maximum`` bound numbers; ``choices`` lists the allowed texts of a
    ``choice``; ``default`` is used when the parameter is left out (``None``: absent).
    """

    name: str
    kind: Kind
    description: str
    required: bool = False
    default: Any = None
    minimum: float | None = None
    maximum: float | None = None
    choices: tuple[str, ...] = ()

    def schema(self) -> dict[str, Any]:
        """The parameter as a JSON Schema (OpenAPI 3.0 dialect)."""
        base: dict[str, Any] = {"description": self.description}
        if self.kind == "date":
            base.update(type="string", format="date")
        elif self.kind == "datetime":
            base.update(type="string", format="date-time")
        elif self.kind in ("worker", "text"):
            base.update(type="string")
        elif self.kind == "choice":
            base.update(type="string", enum=list(self.choices))
        elif self.kind == "workers":
            base.update(type="array", items={"type": "string"})
        elif self.kind == "boolean":
            base.update(type="boolean")
        else:
            base.update(type=self.kind)
            if self.minimum is not None:
                base["minimum"] = self.minimum
            if self.maximum is not None:
                base["maximum"] = self.maximum
        if self.default is not None:
            base["default"] = self.default
        return base


def parse_params(params: Sequence[Param], values: Mapping[str, Any], *, text: bool = False) -> dict[str, Any]:
    """Check ``values`` (a JSON object, or query-string texts with ``text=True``) against
    ``params`` and return them typed, with defaults filled in.

    Raises
    ------
    InvalidInput
        Status 422 naming every missing, unknown or malformed field.
    """
    known = {p.name for p in params}
    details = [{"field": name, "message": "unknown field"} for name in values if name not in known]
    out: dict[str, Any] = {}
    for p in params:
        raw = values.get(p.name)
        if raw is None or (text and raw == ""):
            if p.required:
                details.append({"field": p.name, "message": f"required: {p.description}"})
            out[p.name] = p.default
            continue
        try:
            out[p.name] = _parse(p, raw, text=text)
        except ValueError as e:
            details.append({"field": p.name, "message": str(e)})
    if details:
        fields = ", ".join(d["field"] for d in details)
        raise InvalidInput(f"invalid input: {fields}", details)
    return out


def _parse(p: Param, raw: Any, *, text: bool) -> Any:
    if p.kind in ("worker", "text"):
        if not isinstance(raw, str) or not raw.strip():
            raise ValueError("must be non-empty text")
        return raw.strip()
    if p.kind == "date":
        if not isinstance(raw, str):
            raise ValueError("must be a date written YYYY-MM-DD")
        try:
            day = parse_date(raw)
        except ValueError:
            raise ValueError(f"not a date: {raw!r} (write YYYY-MM-DD)") from None
        return _in_range(day, day)
    if p.kind == "datetime":
        if not isinstance(raw, str):
            raise ValueError("must be a date-time written YYYY-MM-DDTHH:MM")
        try:
            moment = parse_datetime(raw)
        except ValueError:
            raise ValueError(f"not a date-time: {raw!r} (write YYYY-MM-DDTHH:MM, e.g. 2026-11-23T14:00)") from None
        return _in_range(moment.date(), moment)
    if p.kind == "choice":
        if not isinstance(raw, str) or raw.strip().lower() not in p.choices:
            raise ValueError(f"must be one of: {', '.join(p.choices)}")
        return raw.strip().lower()
    if p.kind == "workers":
        items = raw.split(",") if text and isinstance(raw, str) else raw
        if not isinstance(items, list) or not all(isinstance(i, str) and i.strip() for i in items):
            raise ValueError("must be a list of worker ids")
        return [i.strip() for i in items]
    if p.kind == "boolean":
        if isinstance(raw, bool):
            return raw
        if text and isinstance(raw, str) and raw.lower() in ("1", "true", "yes", "0", "false", "no"):
            return raw.lower() in ("1", "true", "yes")
        raise ValueError("must be true or false")
    return _number(p, raw, text=text)


def _in_range(day: dt.date, value: Any) -> Any:
    """``value`` if ``day`` lies between :data:`EARLIEST_DATE` and :data:`LATEST_DATE`."""
    if not EARLIEST_DATE <= day <= LATEST_DATE:
        raise ValueError(f"must be between {EARLIEST_DATE.isoformat()} and {LATEST_DATE.isoformat()}")
    return value


def _number(p: Param, raw: Any, *, text: bool) -> float | int:
    value: float | int
    if text and isinstance(raw, str):
        try:
            value = int(raw) if p.kind == "integer" else float(raw)
        except ValueError:
            raise ValueError(f"not a number: {raw!r}") from None
    elif isinstance(raw, bool) or not isinstance(raw, int | float):
        raise ValueError("must be a number")
    elif p.kind == "integer" and not float(raw).is_integer():
        raise ValueError("must be a whole number")
    else:
        value = int(raw) if p.kind == "integer" else float(raw)
    if value != value or value in (float("inf"), float("-inf")):
        raise ValueError("must be a finite number")
    if p.minimum is not None and value < p.minimum:
        raise ValueError(f"must be at least {p.minimum:g}")
    if p.maximum is not None and value > p.maximum:
        raise ValueError(f"must be at most {p.maximum:g}")
    return value
