"""Opening hours in the workspace's time zone: open or not, next change, unknown hours, holidays."""

from __future__ import annotations

import datetime as dt
import math

import pytest

from geoservice.errors import UserError
from geoservice.opening import local_time, open_window, opening_state, workspace_zone

HELSINKI = workspace_zone("Europe/Helsinki")
MONDAY_8 = dt.datetime(2026, 11, 23, 8, 0)  # local wall-clock time
CENTRE = (24.94, 60.17)  # lon, lat in Helsinki


def test_closed_before_opening_and_says_when_it_opens() -> None:
    state = opening_state("Mo-Fr 09:00-17:00", MONDAY_8, zone=HELSINKI)
    assert not state.open and not state.hours_unknown
    assert state.opens_at == dt.datetime(2026, 11, 23, 9, 0, tzinfo=HELSINKI) and state.closes_at is None


def test_aware_times_are_converted_to_local_time() -> None:
    eight_utc = dt.datetime(2026, 11, 23, 8, 0, tzinfo=dt.UTC)  # 10:00 in Helsinki (UTC+2)
    state = opening_state("Mo-Fr 09:00-17:00", eight_utc, zone=HELSINKI)
    assert state.open and state.closes_at == dt.datetime(2026, 11, 23, 17, 0, tzinfo=HELSINKI)
    assert local_time("2026-11-23T08:00Z", HELSINKI).hour == 10
    assert local_time("2026-11-23T08:00", HELSINKI) == dt.datetime(2026, 11, 23, 8, 0, tzinfo=HELSINKI)


def test_a_clock_time_skipped_by_the_spring_change_is_the_time_it_stands_for() -> None:
    skipped = local_time("2026-03-29T03:30", HELSINKI)  # clocks go from 03:00 to 04:00
    assert (skipped.hour, skipped.minute, skipped.utcoffset()) == (4, 30, dt.timedelta(hours=3))
    assert opening_state("Su 04:00-05:00", skipped, zone=HELSINKI).open


def test_unknown_hours_count_as_open_and_are_flagged() -> None:
    for expression in ("", "   ", "Mo-Fr 09:00-17:00 unknown"):
        state = opening_state(expression, dt.datetime(2026, 11, 23, 10, 0), zone=HELSINKI)
        assert state.open and state.hours_unknown, expression


def test_public_holidays_of_the_country_at_the_place() -> None:
    christmas = dt.datetime(2026, 12, 25, 10, 0)  # a Friday
    assert not opening_state("Mo-Fr 09:00-17:00; PH off", christmas, zone=HELSINKI, lonlat=CENTRE).open
    assert opening_state("Mo-Fr 09:00-17:00; PH off", christmas + dt.timedelta(days=3), zone=HELSINKI,
                         lonlat=CENTRE).open


def test_open_window_in_seconds_after_departure() -> None:
    assert open_window("Mo-Fr 09:00-17:00", MONDAY_8, zone=HELSINKI) == (3600, 9 * 3600)
    assert open_window("Mo-Fr 09:00-17:00", MONDAY_8.replace(hour=16), zone=HELSINKI) == (0, 3600)
    assert open_window("24/7", MONDAY_8, zone=HELSINKI) == (0, math.inf)
    assert open_window("", MONDAY_8, zone=HELSINKI) == (0, math.inf)
    assert open_window("off", MONDAY_8, zone=HELSINKI) == (math.inf, math.inf)


def test_bad_time_zone_and_time_are_user_errors() -> None:
    with pytest.raises(UserError, match="Mars/Olympus"):
        workspace_zone("Mars/Olympus")
    with pytest.raises(UserError, match="not a date-time"):
        local_time("tomorrow at nine", HELSINKI)
    assert workspace_zone(None).key == "UTC"
