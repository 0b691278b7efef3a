"""Text forms of values: what users write in cells, parsed and written back."""

from __future__ import annotations

import datetime as dt

import pytest

from geoservice.io import fields as f
from geoservice.models import TimeWindow


def test_times_and_windows() -> None:
    assert f.parse_time("9:05") == dt.time(9, 5)
    assert f.parse_time("24:00") == dt.time(23, 59)
    assert f.parse_window("09:00-12:30") == TimeWindow(dt.time(9), dt.time(12, 30))
    windows = f.parse_windows("14:00-16:00; 09:00-12:00")
    assert [str(w) for w in windows] == ["09:00-12:00", "14:00-16:00"]
    assert f.format_value(windows) == "09:00-12:00;14:00-16:00"


@pytest.mark.parametrize(("text", "message"), [
    ("12:00-11:00", r"ends \(11:00\) before it starts \(12:00\)"),
    ("25:00-26:00", "not a time of day"),
    ("9-12", "not a time"),
    ("09:00-10:00-11:00", "not a time window"),
])
def test_bad_windows_say_why(text: str, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        f.parse_window(text)


def test_overlapping_windows_rejected() -> None:
    with pytest.raises(ValueError, match="overlap"):
        f.parse_windows("09:00-12:00;11:00-13:00")


def test_numbers_bools_dates() -> None:
    assert f.parse_float("1,5") == 1.5
    assert f.parse_int("3") == 3
    with pytest.raises(ValueError, match="whole number"):
        f.parse_int("2.5")
    with pytest.raises(ValueError, match="at most 10"):
        f.parse_float("11", maximum=10)
    with pytest.raises(ValueError, match="not a finite"):
        f.parse_float("nan")
    assert f.parse_bool("Yes") is True
    assert f.parse_bool("0") is False
    with pytest.raises(ValueError):
        f.parse_bool("maybe")
    days = f.parse_dates("2026-12-01;2026-12-07..2026-12-09")
    assert len(days) == 4 and dt.date(2026, 12, 8) in days
    with pytest.raises(ValueError, match="ends before it starts"):
        f.parse_dates("2026-12-09..2026-12-07")
    for other_iso_form in ("20261201", "2026-W49-2", "2026-335"):
        with pytest.raises(ValueError, match="YYYY-MM-DD"):
            f.parse_date(other_iso_form)
    assert f.parse_datetime("2026-11-23T14:00") == dt.datetime(2026, 11, 23, 14, 0)
    assert f.parse_datetime("2026-11-23 14:00:30Z").tzinfo == dt.UTC
    for bad in ("20261123T1400", "2026-11-23", "2026-11-23T14"):
        with pytest.raises(ValueError, match="YYYY-MM-DDTHH:MM"):
            f.parse_datetime(bad)


def test_skills_modes_opening_hours() -> None:
    assert f.parse_tags(" Nurse; fi ;") == frozenset({"nurse", "fi"})
    assert f.parse_mode("Walk") == "walk"
    with pytest.raises(ValueError, match="drive, walk, bike"):
        f.parse_mode("tram")
    assert f.parse_opening_hours("Mo-Fr 09:00-17:00; Sa 10:00-13:00") == "Mo-Fr 09:00-17:00; Sa 10:00-13:00"
    with pytest.raises(ValueError, match="opening_hours"):
        f.parse_opening_hours("whenever we feel like it")
