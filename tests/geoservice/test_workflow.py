"""The whole day on the demo: every output written, offline, linked from an index."""

from __future__ import annotations

import datetime as dt
import json
import re

import gpxpy
import icalendar

from geoservice.caseload import balance_workspace
from geoservice.store import GeoPackageStore
from geoservice.workflow import apply_balance, first_working_day, run_day


def test_first_working_day() -> None:
    assert first_working_day(dt.date(2026, 11, 28)) == dt.date(2026, 11, 30)  # Saturday -> Monday
    assert first_working_day(dt.date(2026, 11, 24)) == dt.date(2026, 11, 24)


def test_run_day_writes_every_output(workspace: GeoPackageStore, demo_start: dt.date) -> None:
    run = run_day(workspace, demo_start)
    names = set(run.files)
    workers = [w.id for w in workspace.records("workers") if not w.relief and w.is_available(demo_start)]
    assert {f"{w}-route.html" for w in workers} <= names
    assert {"caseloads.html", "coverage.html", "gaps.html", "balance.json", "index.html"} <= names
    for name in names:
        assert (run.folder / name).stat().st_size > 0
    index = (run.folder / "index.html").read_text()
    assert all(n in index for n in names - {"index.html"})
    external = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//|url\(\s*["']?(?:https?:)?//""", re.I)
    for name, path in run.files.items():
        if name.endswith(".html"):
            assert not external.search(path.read_text()), f"{name} loads something from another host"
    assert (run.folder / "assets" / "leaflet.js").exists()
    w = workers[0]
    assert list(icalendar.Calendar.from_ical((run.folder / f"{w}.ics").read_text()).walk("VEVENT"))
    assert gpxpy.parse((run.folder / f"{w}.gpx").read_text()).waypoints
    assert set(json.loads((run.folder / "balance.json").read_text())) >= {"before", "after", "moves"}


def test_apply_balance_writes_new_usual_workers(workspace: GeoPackageStore) -> None:
    result = balance_workspace(workspace, leaving=("W05",))
    moved = {m.client: m.to_worker for m in result.moves if m.to_worker}
    assert moved, "W05 leaving moves their clients"
    assert apply_balance(workspace, result) == len(moved)
    clients = {c.id: c for c in workspace.records("clients")}
    assert all(clients[cid].usual_worker == to for cid, to in moved.items())
