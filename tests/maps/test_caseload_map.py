"""Caseload maps: what each viewer sees, and that clients never appear for viewers who may
not see them."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from shapely.geometry import box

from maps.base import render_html
from maps.caseload import ClientMark, LocalityArea, MoveFlow, WorkerMark, caseload_map, load_colour

EXTERNAL = re.compile(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//|url\(\s*["']?(?:https?:)?//""", re.I)


def decoded(page: str) -> str:
    """The page with JSON \\uXXXX escapes undone (Folium writes strings as JSON)."""
    return re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), page)


@dataclass
class Picture:
    """A hand-made caseload picture; counts how often clients were asked for."""

    map_title: str = "Proposed caseload moves"
    client_calls: list[int] = field(default_factory=list)

    def map_workers(self) -> list[WorkerMark]:
        return [WorkerMark("W1", "Aino Base", 24.941, 60.171, 3, 4.5, 3.0),
                WorkerMark("W2", "Bo Hub", 24.947, 60.176, 1, 1.0, 3.0),
                WorkerMark("W3", "Cai Home", 24.9433, 60.1744, 0, 0.0, 3.0, at_home=True)]

    def map_localities(self) -> list[LocalityArea]:
        return [LocalityArea("L1", "Kluuvi", box(24.94, 60.17, 24.95, 60.18), 4, 5.5, 6.0, 2)]

    def map_clients(self) -> list[ClientMark]:
        self.client_calls.append(1)
        return [ClientMark("C1", "Ritva Secret", 24.94213, 60.17234, "W1", 2.0),
                ClientMark("C2", "Oskari Hidden", 24.94577, 60.17788, "W2", 1.5, previous_worker="W1",
                           reason="over-capacity")]

    def map_flows(self) -> list[MoveFlow]:
        return [MoveFlow("W1", "W2", 1, 1.5)]


def test_without_client_access_only_aggregates_are_drawn() -> None:
    picture = Picture()
    page = decoded(render_html(caseload_map(picture, show_clients=False)))
    assert picture.client_calls == [], "client records must not even be read"
    for secret in ("Ritva Secret", "Oskari Hidden", "C1", "C2", "60.17234", "24.94213", "60.17788"):
        assert secret not in page
    assert "60.1744" not in page and "24.9433" not in page, "a worker's home is not shown either"
    assert "Kluuvi 5.5/6" in page and "Kluuvi: 4 clients, need 5.5 units, 2 workers can hold 6" in page
    assert "1 client (1.5 units): W1 → W2" in page  # the move as a count between bases
    assert "W1 Aino Base: 4.5 / 3 units, 3 clients" in page  # legend
    assert not EXTERNAL.search(page)


def test_with_client_access_clients_are_coloured_by_worker_and_moves_highlighted() -> None:
    page = decoded(render_html(caseload_map(Picture(), show_clients=True)))
    assert "C1 Ritva Secret (need 2): W1" in page
    assert "C2 Oskari Hidden (need 1.5): W1 → W2, over-capacity" in page
    assert "60.17234" in page and "60.1744" in page
    assert "1 client (1.5 units)" not in page  # clients shown one by one instead of counts
    assert not EXTERNAL.search(page)


def test_locality_colour_by_load() -> None:
    assert load_colour(5.0, 6.0) == "#4daf4a" and load_colour(5.8, 6.0) == "#ff9f1c"
    assert load_colour(6.5, 6.0) == "#d7301f"


def test_demo_balance_map(demo_workspace: Path) -> None:
    from geoservice.caseload import balance_workspace, workspace_caseload
    from geoservice.store import GeoPackageStore

    store = GeoPackageStore(demo_workspace)
    result = balance_workspace(store, allow_other_localities=True)
    clients = store.records("clients")
    workers = {w.name for w in store.records("workers")}
    hidden = decoded(render_html(caseload_map(result, show_clients=False, asset_url="/static/leaflet")))
    assert not any(c.name in hidden for c in clients if c.name not in workers)
    assert not any(f"[{c.lat}, {c.lon}]" in hidden for c in clients)
    some = next(x for x in result.before.localities if x.workers)
    assert some.name in hidden and "W03" in hidden
    shown = decoded(render_html(caseload_map(result, show_clients=True)))
    assert all(f"[{c.lat}, {c.lon}]" in shown for c in clients)
    moved = result.moves[0]
    name = next(c.name for c in clients if c.id == moved.client)
    assert f"{moved.client} {name}" in shown and f"{moved.from_worker} → {moved.to_worker}" in shown
    state = decoded(render_html(caseload_map(workspace_caseload(store), show_clients=False)))
    assert "Caseloads" in state and f"{some.name} {some.need:g}/{some.capacity:g}" in state
