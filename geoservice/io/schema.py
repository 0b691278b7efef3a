"""The fields of each kind of record, declared once.

Import validation, the workspace layers and ``outreach list`` all read this table:
which columns a file must have, how each cell is parsed, its default, which other
kind it refers to, and whether it is sensitive. The columns are those of DESIGN.md
("Import formats"); a few optional ones are added where users need them (a client's
``address`` and ``notes``, a worker's ``relief``, ``locality`` and ``lunch``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any, Literal

from geoservice.io import fields as f
from geoservice.models import MONDAY_TO_FRIDAY, RECORD_TYPES, TimeWindow

#: How a kind is located: a point (``lat``/``lon`` or geometry, or ``address`` for
#: clients), a polygon, either, optionally a point (workers may use a base hub), or not
#: at all (a visit is where its client is).
Geometry = Literal["point", "polygon", "point_or_polygon", "optional_point", "none"]


@dataclass(frozen=True)
class FieldSpec:
    """One column of an import file and of a workspace layer.

    An empty cell (or a missing optional column) takes ``default``; ``parse`` is only
    called on non-empty text and raises ``ValueError`` with a user-facing message.
    """

    name: str
    parse: Callable[[str], Any]
    required: bool = False
    default: Any = None
    references: str | None = None  #: the kind whose ``id`` this field names
    sensitive: bool = False  #: never shown to roles without client-level access


@dataclass(frozen=True)
class KindSpec:
    """A kind of record: its fields and how it is located."""

    kind: str
    fields: tuple[FieldSpec, ...]
    geometry: Geometry

    @property
    def required(self) -> tuple[str, ...]:
        """Names of the required (non-geometry) columns."""
        return tuple(s.name for s in self.fields if s.required)

    @property
    def record_type(self) -> type[Any]:
        """The record class of this kind (see :mod:`geoservice.models`)."""
        return RECORD_TYPES[self.kind]

    def field(self, name: str) -> FieldSpec:
        """The spec of one field by name."""
        for spec in self.fields:
            if spec.name == name:
                return spec
        raise KeyError(name)


def _id(text: str) -> str:
    value = f.parse_text(text)
    if any(c in value for c in ";\n\r\t"):
        raise ValueError("an id may not contain ';', tabs or line breaks")
    return value


def _resource_type(text: str) -> str:
    return f.parse_text(text).lower()


_NINE_TO_FIVE = TimeWindow(dt.time(9, 0), dt.time(17, 0))
_LUNCHTIME = TimeWindow(dt.time(12, 0), dt.time(14, 0))
_ID = FieldSpec("id", _id, required=True)
_NAME = FieldSpec("name", f.parse_text, required=True)

SCHEMAS: dict[str, KindSpec] = {
    "localities": KindSpec("localities", (_ID, _NAME), geometry="polygon"),
    "hubs": KindSpec("hubs", (_ID, _NAME, FieldSpec("kind", f.parse_text, default="")), geometry="point"),
    "workers": KindSpec(
        "workers",
        (
            _ID,
            _NAME,
            FieldSpec("base", _id, references="hubs"),
            FieldSpec("skills", f.parse_tags, default=frozenset()),
            FieldSpec("shift", f.parse_window, default=_NINE_TO_FIVE),
            FieldSpec("hours_per_week", partial(f.parse_float, minimum=0, maximum=80), default=37.5),
            FieldSpec("mode", f.parse_mode, default="drive"),
            FieldSpec("absent", f.parse_dates, default=frozenset()),
            FieldSpec("relief", f.parse_bool, default=False),
            FieldSpec("locality", _id, references="localities"),
            FieldSpec("lunch", f.parse_window, default=_LUNCHTIME),
            FieldSpec("lunch_minutes", partial(f.parse_int, minimum=0, maximum=120), default=30),
            FieldSpec("days", f.parse_weekdays, default=MONDAY_TO_FRIDAY),
        ),
        geometry="optional_point",
    ),
    "clients": KindSpec(
        "clients",
        (
            _ID,
            FieldSpec("name", f.parse_text, required=True, sensitive=True),
            FieldSpec("address", f.parse_text, default="", sensitive=True),
            FieldSpec("locality", _id, references="localities"),
            FieldSpec("usual_worker", _id, references="workers"),
            FieldSpec("need_weight", partial(f.parse_float, minimum=0.1, maximum=10), default=1.0),
            FieldSpec("visit_minutes", partial(f.parse_int, minimum=5, maximum=480), default=45),
            FieldSpec("windows", f.parse_windows, default=()),
            FieldSpec("skills", f.parse_tags, default=frozenset()),
            FieldSpec("pinned", f.parse_bool, default=False),
            FieldSpec("notes", f.parse_text, default="", sensitive=True),
        ),
        geometry="point",
    ),
    "visits": KindSpec(
        "visits",
        (
            _ID,
            FieldSpec("client_id", _id, required=True, references="clients"),
            FieldSpec("date", f.parse_date, required=True),
            FieldSpec("earliest", f.parse_time),
            FieldSpec("latest", f.parse_time),
            FieldSpec("duration_minutes", partial(f.parse_int, minimum=5, maximum=480)),
            FieldSpec("skills", f.parse_tags, default=frozenset()),
            FieldSpec("priority", partial(f.parse_int, minimum=1, maximum=3), default=1),
            FieldSpec("worker", _id, references="workers"),
        ),
        geometry="none",
    ),
    "resources": KindSpec(
        "resources",
        (
            _ID,
            _NAME,
            FieldSpec("type", _resource_type, required=True),
            FieldSpec("opening_hours", f.parse_opening_hours, default=""),
            FieldSpec("capacity", partial(f.parse_float, minimum=0)),
            FieldSpec("phone", f.parse_text, default=""),
        ),
        geometry="point",
    ),
    "hotspots": KindSpec(
        "hotspots",
        (
            _ID,
            FieldSpec("name", f.parse_text, default=""),
            FieldSpec("people", partial(f.parse_int, minimum=0, maximum=10000), default=1),
            FieldSpec("last_seen", f.parse_date),
        ),
        geometry="point_or_polygon",
    ),
}

#: Columns that locate a record in a CSV file.
LON_COLUMNS = ("lon", "lng", "longitude", "x")
LAT_COLUMNS = ("lat", "latitude", "y")
