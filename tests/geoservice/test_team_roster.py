"""The team roster on the demo workspace: JSON contract, absences covered, explanations."""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
from pathlib import Path

import pytest

from geoservice.errors import NotFoundError
from geoservice.roster import TeamRoster, roster_workspace
from geoservice.store import GeoPackageStore


@pytest.fixture(scope="module")
def team(demo_workspace: Path, demo_start: dt.date) -> TeamRoster:
    """Tuesday of the first week with W04 called in sick."""
    return roster_workspace(GeoPackageStore(demo_workspace), demo_start + dt.timedelta(days=1), absent=["W04"],
                            time_limit=4)


def test_json_contract(team: TeamRoster) -> None:
    j = json.loads(team.to_json_text())
    assert {"routes", "unassigned", "travel_time_s", "continuity"} <= set(j)
    assert 0 <= j["continuity"] <= 1
    for route in j["routes"]:
        arrivals = [dt.datetime.fromisoformat(v["arrival"]) for v in route["visits"]]
        assert arrivals == sorted(arrivals) and route["worker"]
    served = [v["id"] for r in j["routes"] for v in r["visits"]]
    assert len(served) == len(set(served))
    assert set(served) | {u["id"] for u in j["unassigned"]} == set(team.due)


def test_absent_worker_is_covered_and_explained(team: TeamRoster) -> None:
    assert "W04" in team.absent and "W04" not in team.roster.days
    w04_visits = [vid for vid, (v, c) in team.due.items() if c.usual_worker == "W04"]
    assert w04_visits
    changes = {c.visit_id: c for c in team.roster.changes}
    for vid in w04_visits:
        assert vid in team.roster.unassigned or changes[vid].reason == "absent"


def test_skills_and_hours_respected(team: TeamRoster) -> None:
    for wid, plan in team.roster.days.items():
        worker = team.workers[wid]
        for v in plan.visits:
            visit, client = team.due[v.id]
            assert (client.skills | visit.skills) <= worker.skills
        assert plan.working_time_s <= (worker.shift.end.hour - worker.shift.start.hour) * 3600 + 3600


def test_csv_and_worker_day(team: TeamRoster) -> None:
    rows = list(csv.DictReader(io.StringIO(team.csv())))
    assert len(rows) == len(team.due)
    wid = next(iter(team.roster.days))
    day = team.worker_day(wid)
    assert [v.id for v in day.plan.visits] == [v.id for v in team.roster.days[wid].visits]
    with pytest.raises(NotFoundError):
        team.worker_day("W04")


def test_unknown_absent_worker(demo_workspace: Path, demo_start: dt.date) -> None:
    with pytest.raises(NotFoundError, match="W99"):
        roster_workspace(GeoPackageStore(demo_workspace), demo_start, absent=["W99"], time_limit=1)
