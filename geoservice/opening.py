"""Opening hours of community resources: open at a moment, and when that changes.

Resources carry OSM ``opening_hours`` expressions (``Mo-Fr 09:00-17:00; PH off``),
evaluated with the ``opening_hours`` package (opening-hours-py) in the workspace's
time zone, with the public holidays of the country at the resource's location.
An empty expression, or one whose state is ``unknown`` at that moment, means nobody
knows: such a resource is treated as open (sending someone to a place that might be
closed beats hiding it) and flagged ``hours_unknown`` so the user can phone first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import numpy as np

from geoservice.errors import UserError
from geoservice.io.fields import parse_datetime

#: Used when a workspace has no ``timezone`` setting.
DEFAULT_TIMEZONE = "UTC"


@dataclass(frozen=True)
class OpeningState:
    """Whether a resource is open at a moment.

    Attributes
    ----------
    open
        True when open, or when the hours are unknown (treated as open).
    hours_unknown
        True when the resource has no opening hours, or they say ``unknown`` then.
    next_change
        When the state next changes (local time, aware): the closing time if open, the
        opening time if closed; None when it never changes or the hours are unknown.
    comment
        The expression's comment at that moment (e.g. ``"by appointment"``), or empty.
    """

    open: bool
    hours_unknown: bool
    next_change: dt.datetime | None = None
    comment: str = ""

    @property
    def opens_at(self) -> dt.datetime | None:
        """When a closed resource opens next (None if open or never)."""
        return None if self.open else self.next_change

    @property
    def closes_at(self) -> dt.datetime | None:
        """When an open resource closes next (None if closed, always open, or unknown)."""
        return self.next_change if self.open and not self.hours_unknown else None


UNKNOWN = OpeningState(open=True, hours_unknown=True)


def workspace_zone(timezone: str | None) -> ZoneInfo:
    """The ``ZoneInfo`` of a workspace's ``timezone`` setting (UTC when unset).

    Raises
    ------
    UserError
        If the name is not an IANA time zone (e.g. ``Europe/Helsinki``).
    """
    name = timezone or DEFAULT_TIMEZONE
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise UserError(f"unknown time zone {name!r} in the workspace settings; "
                        "use an IANA name such as Europe/Helsinki") from None


def local_time(at: dt.datetime | str | None, zone: ZoneInfo) -> dt.datetime:
    """A moment as an aware local time in ``zone``.

    Parameters
    ----------
    at
        An ISO date-time (``2026-11-23T14:00``, with or without offset) or datetime; one
        without an offset is local wall-clock time in ``zone``. None means now.
    zone
        The workspace's time zone.

    Raises
    ------
    UserError
        If ``at`` is text that is not an ISO date-time.
    """
    if at is None:
        return dt.datetime.now(zone).replace(microsecond=0)
    if isinstance(at, str):
        try:
            at = parse_datetime(at)
        except ValueError:
            raise UserError(f"not a date-time: {at!r}; write YYYY-MM-DDTHH:MM, e.g. 2026-11-23T14:00") from None
    if at.tzinfo is None:
        # via UTC, so a clock time skipped by a daylight-saving change (03:30 on the spring
        # change in Helsinki) becomes the real time it stands for (04:30)
        return at.replace(tzinfo=zone).astimezone(dt.UTC).astimezone(zone)
    return at.astimezone(zone)


def opening_state(opening_hours: str, at: dt.datetime, *, zone: ZoneInfo,
                  lonlat: tuple[float, float] | None = None) -> OpeningState:
    """Whether a place with these opening hours is open at ``at``.

    Parameters
    ----------
    opening_hours
        OSM ``opening_hours`` expression; empty means unknown.
    at
        The moment (aware, or naive local time in ``zone``).
    zone
        The time zone the place is in.
    lonlat
        The place's longitude and latitude (EPSG:4326), for its country's public
        holidays (``PH``) and sun times; without it ``PH`` rules never apply.

    Returns
    -------
    OpeningState
        Open or not, whether the hours are unknown, and the next change.
    """
    expression = opening_hours.strip()
    if not expression:
        return UNKNOWN
    from opening_hours import State

    hours = _parsed(expression, zone.key, None if lonlat is None else (round(lonlat[1], 2), round(lonlat[0], 2)))
    if hours is None:
        return UNKNOWN
    moment = local_time(at, zone)
    state, comment = hours.state(moment)
    if state == State.UNKNOWN:
        return OpeningState(open=True, hours_unknown=True, comment=comment)
    change = hours.next_change(moment)
    return OpeningState(open=state == State.OPEN, hours_unknown=False,
                        next_change=None if change is None else change.astimezone(zone), comment=comment)


def open_window(opening_hours: str, at: dt.datetime, *, zone: ZoneInfo,
                lonlat: tuple[float, float] | None = None) -> tuple[float, float]:
    """The period from ``at`` on in which someone arriving finds the place open.

    Parameters
    ----------
    opening_hours, at, zone, lonlat
        As for :func:`opening_state`.

    Returns
    -------
    start_s, end_s
        Seconds after ``at``: arriving ``start_s <= t < end_s`` finds it open. ``(0, inf)``
        when open for good or the hours are unknown; ``(0, c)`` when open now and closing
        in ``c`` s; ``(o, c)`` when closed now, opening in ``o`` s and closing ``c`` s
        after ``at``; ``(inf, inf)`` when it never opens again.
    """
    state = opening_state(opening_hours, at, zone=zone, lonlat=lonlat)
    moment = local_time(at, zone)
    if state.hours_unknown or state.next_change is None:
        return (0.0, np.inf) if state.open else (np.inf, np.inf)
    change_s = (state.next_change - moment).total_seconds()
    if state.open:
        return 0.0, change_s
    after = opening_state(opening_hours, state.next_change, zone=zone, lonlat=lonlat)
    if after.next_change is None:
        return change_s, np.inf
    return change_s, (after.next_change - moment).total_seconds()


@lru_cache(maxsize=4096)
def _parsed(expression: str, zone_key: str, latlon: tuple[float, float] | None):  # type: ignore[no-untyped-def]
    from opening_hours import OpeningHours

    try:
        return OpeningHours(expression, timezone=ZoneInfo(zone_key), coords=latlon, max_interval_days=366)
    except SyntaxError:
        # validated at import; a hand-edited workspace may still hold a bad value
        return None
