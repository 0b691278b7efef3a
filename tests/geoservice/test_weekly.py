"""Weekly management figures: known answers on hand-built days, sums that must agree on
the demo's first week, the kept days (used again, planned again when the inputs change
or a longer search is asked for), and the outputs (CSV, JSON, table, HTML with SVG charts)."""

from __future__ import annotations

import csv
import dataclasses
import datetime as dt
import io
import json
import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from shapely.geometry import box

from geoservice.caseload import build_team, caseload_state
from geoservice.models import Client, Locality, TimeWindow, Visit, Worker
from geoservice.roster import roster_workspace
from geoservice.roster_days import (
    PlannedDay,
    VisitOutcome,
    WorkedDay,
    keep_roster,
    planned_day,
    roster_fingerprint,
    rosters_dir,
)
from geoservice.store import GeoPackageStore
from geoservice.weekly import CSV_COLUMNS, WeekInputs, WeeklyFigures, week_days, week_figures, weekly_figures

MON, TUE = dt.date(2026, 11, 23), dt.date(2026, 11, 24)
NINE_TO_FIVE = TimeWindow(dt.time(9), dt.time(17))


# -- known answers on hand-built days (no solver) -------------------------------------------


@pytest.fixture(scope="module")
def small() -> WeeklyFigures:
    """Workers A (drives, L1), B (walks, L2, off on Tuesday) and R (relief bank); clients c1
    (L1, A's), c2 (L2, B's), c3 (L1, B's). Monday: A visits c1 and covers c3, B visits c2, a
    second visit to c1 is not planned. Tuesday: R covers B's c2."""
    a = Worker("A", "Ann", mode="drive", locality="L1", shift=NINE_TO_FIVE)
    b = Worker("B", "Bo", mode="walk", locality="L2", hours_per_week=30, absent=frozenset({TUE}), shift=NINE_TO_FIVE)
    r = Worker("R", "Rae", mode="walk", relief=True, hours_per_week=30, shift=NINE_TO_FIVE)
    clients = [Client("c1", "Client One", 0, 0, locality="L1", usual_worker="A", need_weight=2),
               Client("c2", "Client Two", 0, 0, locality="L2", usual_worker="B"),
               Client("c3", "Client Three", 0, 0, locality="L1", usual_worker="B", need_weight=1.5)]
    team = build_team(clients, [a, b, r], np.zeros((3, 3)), [(0.0, 0.0)] * 3,
                      localities=[Locality("L1", "North", box(0, 0, 1, 1)), Locality("L2", "South", box(1, 0, 2, 1))])
    monday = PlannedDay(MON, (VisitOutcome("v1", "c1", "A", "A", 2700, 600, 5000, "drive"),
                              VisitOutcome("v2", "c3", "B", "A", 1800, 300, 2000, "drive"),
                              VisitOutcome("v3", "c2", "B", "B", 3600, 900, 1000, "walk"),
                              VisitOutcome("v4", "c1", "A", None, reason="no room in the day")),
                        {"A": WorkedDay("A", "drive", 2, 20000, 900, 7000),
                         "B": WorkedDay("B", "walk", 1, 10000, 900, 1000)}, (), 1.0)
    tuesday = PlannedDay(TUE, (VisitOutcome("v5", "c2", "B", "R", 1800, 1200, 1500, "walk"),),
                         {"R": WorkedDay("R", "walk", 1, 5000, 1200, 1500)}, ("B",), 1.0, from_cache=True)
    inputs = WeekInputs(MON, (monday, tuesday), caseload_state(team), (a, b, r), rate_per_km=0.5, currency="EUR")
    return week_figures(inputs)


def _row(rows: Any, key: str) -> Any:
    return next(r for r in rows if r.id == key)


def test_worker_rows_known_answers(small: WeeklyFigures) -> None:
    a, b, r = (_row(small.workers, k) for k in "ABR")
    assert (a.clients, a.need, a.capacity) == (1, 2.0, 30.0)
    assert (a.visits, a.covered, a.visit_time_s, a.travel_time_s) == (2, 1, 4500, 900)
    assert (a.drive_distance_m, a.claim) == (7000, 3.5)  # 7 km x 0.50 EUR
    assert (a.kept, a.with_usual, a.continuity, a.unassigned) == (1, 1, 1.0, 1)  # the unplanned c1 visit is not "kept"
    assert (a.working_time_s, a.contracted_s) == (20000, 2 * 27000)  # 7.5 h a day on two days
    assert (b.clients, b.need, b.capacity) == (2, 2.5, 24.0)
    assert (b.visits, b.covered, b.drive_distance_m, b.claim) == (1, 0, 0, 0.0)  # walking: no claim
    assert (b.kept, b.with_usual) == (1, 3) and b.continuity == pytest.approx(1 / 3)
    assert b.contracted_s == 21600  # 6 h, Monday only: off on Tuesday
    assert (r.relief, r.clients, r.capacity, r.visits, r.covered, r.continuity) == (True, 0, 0.0, 1, 1, None)
    assert small.locality_name(r) == "relief bank"


def test_locality_rows_count_the_clients_living_there(small: WeeklyFigures) -> None:
    north, south = _row(small.localities, "L1"), _row(small.localities, "L2")
    assert (north.name, north.clients, north.need, north.capacity) == ("North", 2, 3.5, 30.0)
    assert (north.visits, north.travel_time_s, north.drive_distance_m, north.claim) == (2, 900, 7000, 3.5)
    assert (north.kept, north.with_usual, north.unassigned) == (1, 2, 1)
    assert (south.visits, south.travel_time_s, south.drive_distance_m, south.kept, south.with_usual) == \
        (2, 2100, 0, 1, 2)
    assert north.covered is None and north.working_time_s is None


def test_team_row_adds_the_rows(small: WeeklyFigures) -> None:
    t = small.team
    assert (t.clients, t.need, t.capacity, t.visits, t.covered, t.unassigned) == (3, 4.5, 54.0, 4, 2, 1)
    assert (t.travel_time_s, t.drive_distance_m, t.claim, t.continuity) == (3000, 7000, 3.5, 0.5)
    assert (t.working_time_s, t.contracted_s) == (35000, 54000 + 21600 + 43200)
    mon, tue = small.day_rows
    assert (mon.visits, mon.unassigned, mon.travel_time_s, mon.drive_distance_m, mon.kept, mon.with_usual) == \
        (3, 1, 1800, 7000, 2, 3)
    assert (tue.visits, tue.absent, tue.plan_note) == (1, ("B",), "1 s solver, kept")
    assert [(d.isoformat(), v.visit, v.reason) for d, v in small.unassigned] == \
        [("2026-11-23", "v4", "no room in the day")]


def test_scoped_view_keeps_its_localities_and_workers(small: WeeklyFigures) -> None:
    view = small.scoped({"L1"}, {"A", "R"})
    assert [r.id for r in view.localities] == ["L1"] and [r.id for r in view.workers] == ["A", "R"]
    assert view.scope == "Your localities (North)"
    assert (view.team.visits, view.team.unassigned, view.team.travel_time_s, view.team.clients) == (2, 1, 900, 2)
    assert [(d.visits, d.unassigned, d.absent) for d in view.day_rows] == [(2, 1, ()), (0, 0, ())]  # B is not theirs
    assert _row(view.workers, "R").visits == 1  # a visible worker's row is their whole week


def test_csv_has_one_row_per_worker_locality_and_team(small: WeeklyFigures) -> None:
    rows = list(csv.DictReader(io.StringIO(small.csv())))
    assert tuple(rows[0]) == CSV_COLUMNS
    assert [r["level"] for r in rows] == ["worker"] * 3 + ["locality"] * 2 + ["team"]
    a = rows[0]
    assert (a["id"], a["visits"], a["km_driven"], a["mileage_claim"], a["currency"], a["continuity"]) == \
        ("A", "2", "7.0", "3.50", "EUR", "1.0")
    assert (a["planned_hours"], a["contracted_hours"], a["travel_hours"]) == ("5.56", "15.00", "0.25")
    assert rows[-1]["continuity"] == "0.5" and rows[3]["covered_for_others"] == ""


def test_json_is_strict_and_names_no_client(small: WeeklyFigures) -> None:
    data = json.loads(small.to_json_text(), parse_constant=lambda c: pytest.fail(f"non-JSON number {c}"))
    assert data["team"]["visits"] == 4 and data["team"]["continuity"] == 0.5
    assert data["unassigned"] == [{"date": "2026-11-23", "visit": "v4", "client_id": "c1", "usual_worker": "A",
                                   "reason": "no room in the day"}]
    assert "Client One" not in small.to_json_text()


# -- the demo's first week (the solver at 1 s a day) ------------------------------------------


@pytest.fixture(scope="module")
def demo_week(demo_workspace: Path, demo_start: dt.date,
              tmp_path_factory: pytest.TempPathFactory) -> tuple[GeoPackageStore, WeeklyFigures]:
    """The demo's first week on a private copy of the demo workspace (its days kept there)."""
    root = tmp_path_factory.mktemp("weekly") / "ws"
    shutil.copytree(demo_workspace, root)
    store = GeoPackageStore(root)
    return store, weekly_figures(store, demo_start + dt.timedelta(days=2), time_limit=1)


def test_demo_week_sums_agree(demo_week: tuple[GeoPackageStore, WeeklyFigures], demo_start: dt.date) -> None:
    store, f = demo_week
    assert f.week_start == demo_start and [d.date.weekday() for d in f.day_rows] == [0, 1, 2, 3, 4]
    due = [v for v in store.records("visits") if demo_start <= v.date <= f.week_end]
    t = f.team
    assert t.visits + t.unassigned == len(due) > 200
    assert t.visits == sum(r.visits for r in f.workers) == sum(r.visits for r in f.localities) \
        == sum(d.visits for d in f.day_rows)
    assert t.travel_time_s == sum(r.travel_time_s for r in f.workers) == sum(r.travel_time_s for r in f.localities)
    assert f.inputs is not None
    assert t.travel_time_s == sum(w.travel_time_s for d in f.inputs.days for w in d.worked.values())
    assert t.drive_distance_m == sum(r.drive_distance_m for r in f.workers) > 0
    assert t.clients == sum(r.clients for r in f.localities) == sum(r.clients for r in f.workers) == 150
    assert t.kept == sum(r.kept for r in f.workers) and t.with_usual == sum(r.with_usual for r in f.workers)
    assert t.covered == t.visits - t.kept  # every demo client has a usual worker


def test_demo_week_mileage_only_for_drivers(demo_week: tuple[GeoPackageStore, WeeklyFigures]) -> None:
    _, f = demo_week
    assert f.rate_per_km == 0.59 and f.currency == "EUR"
    for r in f.workers:
        if r.mode == "walk":
            assert (r.drive_distance_m, r.drive_time_s, r.claim) == (0, 0, 0.0), r.id
        elif r.visits:
            assert r.drive_distance_m > 0 and r.claim == round(r.drive_distance_m / 1000 * 0.59, 2), r.id
    assert {r.id for r in f.workers if r.claim > 0} == {"W01", "W04", "W07"}


def test_demo_week_continuity_hours_and_capacity(demo_week: tuple[GeoPackageStore, WeeklyFigures]) -> None:
    _, f = demo_week
    for r in (*f.workers, *f.localities, f.team):
        assert r.continuity is None or 0 <= r.continuity <= 1, r.id
        assert r.working_time_s is None or r.working_time_s >= r.visit_time_s + r.travel_time_s, r.id
    w01, w04, w08 = (_row(f.workers, k) for k in ("W01", "W04", "W08"))
    assert (w01.contracted_s, w04.contracted_s) == (5 * 27000, 5 * 21600)  # 37.5 h and 30 h weeks
    assert (w01.capacity, w04.capacity, w08.capacity, w08.clients) == (30.0, 24.0, 0.0, 0)
    assert all(d.time_limit == 1 and not d.from_cache for d in f.day_rows)


def test_demo_week_is_kept_and_used_again(demo_week: tuple[GeoPackageStore, WeeklyFigures],
                                          monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]) -> None:
    store, first = demo_week
    assert sorted(p.name for p in rosters_dir(store).glob("*.json")) == \
        [f"{d.date.isoformat()}.json" for d in first.day_rows]
    kept_text = (rosters_dir(store) / f"{first.week_start}.json").read_text()
    assert not any(c.name in kept_text for c in store.records("clients"))
    monkeypatch.setattr("geoservice.roster_days.roster_workspace", _no_planning)
    again = weekly_figures(store, first.week_end, time_limit=0.5, progress=True)  # a shorter budget: kept days do
    assert all(d.from_cache for d in again.day_rows)
    assert again.csv() == first.csv() and again.team == first.team
    assert "planning the week" in capsys.readouterr().err
    with pytest.raises(_Planned):  # a longer search than the kept one is planned again
        planned_day(store, first.week_start, time_limit=2)


def test_kept_day_is_planned_again_when_a_client_changes(demo_week: tuple[GeoPackageStore, WeeklyFigures],
                                                          tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source, f = demo_week
    root = tmp_path / "ws"
    shutil.copytree(source.root, root)
    store = GeoPackageStore(root)
    monkeypatch.setattr("geoservice.roster_days.roster_workspace", _no_planning)
    assert planned_day(store, f.week_start, time_limit=1).from_cache  # a copy with the same records: still valid
    client = store.records("clients")[0]
    store.write({"clients": [dataclasses.replace(client, need_weight=client.need_weight + 1)]})
    with pytest.raises(_Planned):
        planned_day(store, f.week_start, time_limit=1)


def test_a_roster_planned_elsewhere_is_kept_unless_a_what_if(workspace: GeoPackageStore, demo_start: dt.date,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    tuesday = demo_start + dt.timedelta(days=1)
    team = roster_workspace(workspace, tuesday, time_limit=1)
    kept = keep_roster(workspace, team)
    assert kept is not None and sum(w.visits for w in kept.worked.values()) == \
        sum(len(p.visits) for p in team.roster.days.values())
    assert sum(v.travel_time_s for v in kept.visits) == team.roster.travel_time_s
    assert {v.visit for v in kept.visits} == set(team.due)
    monkeypatch.setattr("geoservice.roster_days.roster_workspace", _no_planning)
    assert planned_day(workspace, tuesday, time_limit=1) == dataclasses.replace(kept, from_cache=True)
    what_if = dataclasses.replace(team, absent=["W04"])  # as `outreach roster --absent W04` plans it
    assert keep_roster(workspace, what_if) is None


def test_fingerprint_reads_only_that_days_visits(workspace: GeoPackageStore, demo_start: dt.date) -> None:
    before = roster_fingerprint(workspace, demo_start)
    client = workspace.records("clients")[0].id
    workspace.write({"visits": [Visit("EXTRA-1", client, demo_start + dt.timedelta(days=30))]})
    assert roster_fingerprint(workspace, demo_start) == before
    workspace.set_settings(mileage_rate_per_km="0.40")
    assert roster_fingerprint(workspace, demo_start) == before  # the claim rate does not change a roster
    assert roster_fingerprint(workspace, demo_start, seed=1) != before
    workspace.write({"visits": [Visit("EXTRA-2", client, demo_start)]})
    assert roster_fingerprint(workspace, demo_start) != before


def test_weekend_day_planned_only_with_visits_due(workspace: GeoPackageStore, demo_start: dt.date) -> None:
    assert week_days(workspace, demo_start) == [demo_start + dt.timedelta(days=k) for k in range(5)]
    saturday = demo_start + dt.timedelta(days=5)
    workspace.write({"visits": [Visit("SAT-1", workspace.records("clients")[0].id, saturday)]})
    assert week_days(workspace, demo_start + dt.timedelta(days=6))[-1] == saturday


def test_outputs_name_no_client_and_load_nothing(demo_week: tuple[GeoPackageStore, WeeklyFigures]) -> None:
    store, f = demo_week
    page = f.html()
    assert page.startswith("<!DOCTYPE html>") and page.count("<svg ") == 5
    for title in ("Caseload against capacity", "Planned hours against contracted hours", "Travel per locality",
                  "Continuity of care"):
        assert f"<figcaption>{title}" in page
    assert not re.search(r"https?:|<script|<link|<img|\bsrc=|url\(", page, re.I)
    staff = {w.name for w in store.records("workers")}  # the demo's made-up names: some clients share a worker's
    clients = store.records("clients")
    for text in (page, f.csv(), f.table()):
        assert not [c.name for c in clients if c.name in text and c.name not in staff]
        assert not [c.address for c in clients if c.address and c.address in text]
    w01 = _row(f.workers, "W01")
    assert f"{w01.need:g} of {w01.capacity:g}</text>" in page  # W01's caseload bar note
    table = f.table()
    assert table.startswith("Weekly figures, week 48: Mon 23 Nov - Sun 29 Nov 2026")
    assert all(f"\n{w.id} " in table for w in f.workers)


class _Planned(Exception):
    """Raised instead of planning a day (the tests check when a day is planned again)."""


def _no_planning(*args: object, **kwargs: object) -> None:
    raise _Planned
