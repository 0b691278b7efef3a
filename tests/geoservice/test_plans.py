"""A worker's day from the workspace, and what the worker takes away from it."""

from __future__ import annotations

import csv
import datetime as dt
import io
from pathlib import Path

import gpxpy
import icalendar
import pytest

from geoservice.daysheet import day_sheet_html
from geoservice.errors import NotFoundError
from geoservice.plans import WorkerDay, plan_worker_day, visit_request
from geoservice.reports import checkins, itinerary_csv, itinerary_gpx, itinerary_ics, mileage, plan_json
from geoservice.store import GeoPackageStore


@pytest.fixture(scope="module")
def day(demo_workspace: Path, demo_start: dt.date) -> WorkerDay:
    """W03's Tuesday: a walking worker with a full day."""
    return plan_worker_day(GeoPackageStore(demo_workspace), "W03", demo_start + dt.timedelta(days=1))


def test_plan_covers_the_workers_visits(day: WorkerDay, demo_workspace: Path) -> None:
    store = GeoPackageStore(demo_workspace)
    clients = {c.id: c for c in store.records("clients")}
    due = {v.id for v in store.records("visits")
           if v.date == day.date and (v.worker or clients[v.client_id].usual_worker) == "W03"}
    planned = {v.id for v in day.plan.visits}
    assert planned | set(day.plan.unassigned) == due and not planned & set(day.plan.unassigned)
    assert len(planned) >= 5
    shift_start = dt.datetime.combine(day.date, day.worker.shift.start, tzinfo=day.plan.visits[0].arrival.tzinfo)
    assert day.plan.start_time is not None and day.plan.start_time >= shift_start
    for v in day.plan.visits:  # every visit inside its client's windows
        c = day.clients[v.id]
        if c.windows:
            assert any(w.start <= v.start.time() and v.departure.time() <= w.end for w in c.windows), v.id
    assert day.plan.breaks and day.worker.lunch.start <= day.plan.breaks[0].start.time()


def test_json_contract(day: WorkerDay) -> None:
    j = plan_json(day)
    assert [v["id"] for v in j["visits"]] == [v.id for v in day.plan.visits]
    arrivals = [dt.datetime.fromisoformat(v["arrival"]) for v in j["visits"]]
    departures = [dt.datetime.fromisoformat(v["departure"]) for v in j["visits"]]
    assert all(a <= d for a, d in zip(arrivals, departures, strict=True))
    assert all(d <= a for d, a in zip(departures, arrivals[1:], strict=False))
    assert j["travel_time_s"] == day.plan.travel_time_s > 0 and j["distance_m"] > 0
    assert arrivals[0].utcoffset() == dt.timedelta(hours=2)  # Helsinki in winter
    assert isinstance(j["unassigned"], list)


def test_ics_parses_back(day: WorkerDay) -> None:
    cal = icalendar.Calendar.from_ical(itinerary_ics(day))
    events = list(cal.walk("VEVENT"))
    visits = [e for e in events if str(e["summary"]).startswith("Visit:")]
    assert len(visits) == len(day.plan.visits)
    first = visits[0]
    assert first.decoded("dtstart") == day.plan.visits[0].start
    assert any(str(e["summary"]).startswith("Travel to") for e in events)
    assert any(str(e["summary"]) == "Lunch break" for e in events)
    assert list(cal.walk("VTIMEZONE")), "times carry their zone"


def test_gpx_parses_back(day: WorkerDay) -> None:
    gpx = gpxpy.parse(itinerary_gpx(day))
    assert len(gpx.waypoints) == len(day.plan.visits) + 1  # and the start
    assert gpx.waypoints[1].name.startswith("01 ")
    assert abs(gpx.waypoints[1].latitude - day.plan.visits[0].lat) < 1e-9
    (route,) = gpx.routes
    assert len(route.points) > len(day.plan.visits)
    length = sum(leg.geometry.length for leg in day.plan.legs)
    assert length > 0 and gpx.tracks[0].segments[0].points


def test_csv_and_day_sheet(day: WorkerDay) -> None:
    rows = list(csv.DictReader(io.StringIO(itinerary_csv(day))))
    assert sum(1 for r in rows if r["#"]) == len(day.plan.visits)
    assert any(r["what"] == "Lunch break" for r in rows)
    page = day_sheet_html(day, rate_per_km=0.5, currency="EUR")
    assert day.worker.name in page and "Lone working" in page and "Mileage claim" in page
    assert "http://" not in page and "https://" not in page


def test_mileage_and_checkins(day: WorkerDay) -> None:
    assert mileage(day, rate_per_km=0.59).km == 0.0, "a walking day claims no mileage"
    calls = checkins(day, grace_minutes=10)
    assert len(calls) == len(day.plan.visits) + 1
    assert all(c.alarm_after - c.expected_leave == dt.timedelta(minutes=10) for c in calls)


def test_drive_day_claims_road_distance(demo_workspace: Path, demo_start: dt.date) -> None:
    drive = plan_worker_day(GeoPackageStore(demo_workspace), "W01", demo_start + dt.timedelta(days=2))
    claim = mileage(drive, rate_per_km=0.59, currency="EUR")
    assert claim.km == pytest.approx(drive.plan.distance_m / 1000, abs=0.05) and claim.km > 0
    assert claim.amount == pytest.approx(round(claim.km * 0.59, 2))


def test_absent_worker_gets_an_explained_empty_day(demo_workspace: Path) -> None:
    store = GeoPackageStore(demo_workspace)
    w02 = next(w for w in store.records("workers") if w.id == "W02")
    off = min(w02.absent)
    absent = plan_worker_day(store, "W02", off)
    assert not absent.plan.visits and absent.plan.unassigned
    assert all(r.startswith("absent:") for r in absent.plan.unassigned.values())


def test_unknown_worker(demo_workspace: Path) -> None:
    with pytest.raises(NotFoundError, match="no worker 'W99'"):
        plan_worker_day(GeoPackageStore(demo_workspace), "W99", dt.date(2026, 11, 24))


def test_client_window_bounds_the_whole_visit(demo_workspace: Path) -> None:
    from zoneinfo import ZoneInfo

    store = GeoPackageStore(demo_workspace)
    client = next(c for c in store.records("clients") if len(c.windows) == 1)
    v = next(v for v in store.records("visits") if v.client_id == client.id and not v.earliest)
    request = visit_request(v, client, ZoneInfo("Europe/Helsinki"))
    (lo, hi), = request.windows
    assert lo.time() == client.windows[0].start
    assert (hi + dt.timedelta(seconds=request.duration_s)).time() == client.windows[0].end


def test_visit_longer_than_every_client_window_is_explained(workspace: GeoPackageStore, demo_start: dt.date) -> None:
    import dataclasses

    from geoservice.models import TimeWindow

    clients = {c.id: c for c in workspace.records("clients")}
    visit = next(v for v in workspace.records("visits") if v.date == demo_start and not v.earliest
                 and clients[v.client_id].usual_worker == "W03")
    short = dataclasses.replace(clients[visit.client_id], visit_minutes=45,
                                windows=(TimeWindow(dt.time(9), dt.time(9, 30)),))
    workspace.write({"clients": [short]})
    day = plan_worker_day(workspace, "W03", demo_start)
    assert visit.id not in {v.id for v in day.plan.visits}
    assert "45-minute visit does not fit in the client's windows (09:00-09:30)" in day.plan.unassigned[visit.id]


def test_a_home_far_from_the_roads_is_a_clear_error(workspace: GeoPackageStore, demo_start: dt.date) -> None:
    import dataclasses

    from geoservice.errors import UserError

    w01 = next(w for w in workspace.records("workers") if w.id == "W01")
    workspace.write({"workers": [dataclasses.replace(w01, lon=24.965, lat=60.158)]})  # in the harbour
    with pytest.raises(UserError, match=r"worker W01 \(home\): the day's start point is .* m from the nearest road"):
        plan_worker_day(workspace, "W01", demo_start)


def test_calendars_name_clients_by_initials_unless_asked(day: WorkerDay) -> None:
    first = day.plan.visits[0]
    name = day.clients[first.id].name
    default = itinerary_ics(day)
    assert name not in default and f"({first.id})" in default
    assert name in itinerary_ics(day, full_names=True)
    assert name not in itinerary_gpx(day) and name in itinerary_gpx(day, full_names=True)


def test_csv_exports_never_start_a_formula(workspace: GeoPackageStore, demo_start: dt.date) -> None:
    import dataclasses

    from geoservice.reports import spreadsheet_csv

    assert spreadsheet_csv(["a", "b"], [["=HYPERLINK(1)", "-5"], ["@SUM(1)", -2]]) == \
        "a,b\r\n'=HYPERLINK(1),-5\r\n'@SUM(1),-2\r\n"
    c = next(c for c in workspace.records("clients") if c.usual_worker == "W03")
    workspace.write({"clients": [dataclasses.replace(c, name='=HYPERLINK("http://evil.example","x")')]})
    rows = list(csv.reader(io.StringIO(itinerary_csv(plan_worker_day(workspace, "W03", demo_start)))))
    assert not any(cell.startswith("=") for row in rows for cell in row)
