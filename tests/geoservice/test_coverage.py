"""Locality coverage on the demo workspace: shares checked against NetworkX, k-anonymity,
and client lists only when allowed."""

from __future__ import annotations

import dataclasses
import json
from collections import Counter

import networkx as nx
import numpy as np
import pytest

from geoservice.coverage import covered_by_hubs, locality_coverage, locality_of, shares
from geoservice.errors import UserError
from geoservice.networks import workspace_graph
from geoservice.store import GeoPackageStore
from geoservice.travel_times import place_on_network


def test_covered_by_hubs_takes_the_nearest_hub() -> None:
    times = np.array([[100.0, 900.0, np.inf, np.inf], [300.0, 400.0, 2000.0, np.inf]])
    covered, nearest, best = covered_by_hubs(times, 600)
    assert covered.tolist() == [True, True, False, False]
    assert nearest.tolist() == [0, 1, 1, -1] and best[:3].tolist() == [100, 400, 2000]


def test_shares_add_weights_per_group() -> None:
    out = shares(["L1", "L2", "L1", "L1"], [1, 2, 3, 4], [True, True, False, True])
    assert out == {"L1": (8.0, 5.0), "L2": (2.0, 2.0)}


def reference_covered(store: GeoPackageStore, mode: str, minutes: float, points: list[tuple[float, float]]
                      ) -> np.ndarray:
    """Covered flags computed another way: one NetworkX Dijkstra from a super-source joined to
    every hub's node by the hub's walk to the network."""
    G = workspace_graph(store, mode)
    hubs = place_on_network(G, [(h.lon, h.lat) for h in store.records("hubs")])
    placed = place_on_network(G, points)
    G = G.copy()
    for node, access in zip(hubs.nodes, hubs.access_s, strict=True):
        G.add_edge("hubs", node, travel_time=float(access))
    reach = nx.single_source_dijkstra_path_length(G, "hubs", weight="travel_time")
    return np.array([reach.get(n, np.inf) + a <= minutes * 60 for n, a in zip(placed.nodes, placed.access_s,
                                                                               strict=True)])


@pytest.mark.parametrize("mode,minutes", [("walk", 5), ("walk", 10), ("drive", 3)])
def test_shares_on_the_demo_match_networkx(demo_workspace, mode: str, minutes: float) -> None:  # type: ignore[no-untyped-def]
    store = GeoPackageStore(demo_workspace)
    result = locality_coverage(store, minutes=minutes, modes=[mode], suppress=False)
    clients = store.records("clients")
    covered = reference_covered(store, mode, minutes, [(c.lon, c.lat) for c in clients])
    for row in result.localities:
        mine = [flag for c, flag in zip(clients, covered, strict=True) if c.locality == row.id]
        assert row.clients == len(mine)
        assert row.modes[mode].clients_covered == sum(mine)
        assert row.modes[mode].client_share == pytest.approx(sum(mine) / len(mine))
    assert result.total.clients == 150 and result.total.modes[mode].clients_covered == int(covered.sum())
    spots = store.records("hotspots")
    spot_covered = reference_covered(store, mode, minutes, [(h.lon, h.lat) for h in spots])
    assert result.total.hotspot_people == sum(h.people for h in spots)
    assert result.total.modes[mode].hotspot_people_covered == sum(
        h.people for h, flag in zip(spots, spot_covered, strict=True) if flag)
    assert 0 < result.total.modes[mode].clients_covered < 150, "a test that covers all or none shows little"


def test_hotspots_are_placed_in_localities_by_polygon(demo_workspace) -> None:  # type: ignore[no-untyped-def]
    store = GeoPackageStore(demo_workspace)
    localities = store.records("localities")
    result = locality_coverage(store, minutes=10, modes=["walk"])
    by_id = {row.id: row.hotspot_people for row in result.localities}
    for lc in localities:
        expected = sum(h.people for h in store.records("hotspots")
                       if locality_of(localities, h.lon, h.lat) == lc.id)
        assert by_id[lc.id] == expected
    assert locality_of(localities, 0.0, 0.0) == ""


def test_clients_listed_only_when_allowed(demo_workspace) -> None:  # type: ignore[no-untyped-def]
    store = GeoPackageStore(demo_workspace)
    names = [c.name for c in store.records("clients")]
    hidden = json.dumps(locality_coverage(store, minutes=5, modes=["walk"]).as_json(), ensure_ascii=False)
    assert "clients_outside" not in hidden and not any(n in hidden for n in names)
    shown = locality_coverage(store, minutes=5, modes=["walk"], include_clients=True)
    data = shown.as_json()
    outside = {c["id"] for c in data["clients_outside"]}
    assert len(outside) == 150 - shown.total.modes["walk"].clients_covered
    assert all(set(c) == {"id", "name", "locality", "outside", "nearest_hub", "travel_time_s"}
               for c in data["clients_outside"]), "no address or coordinates"
    assert all(c["travel_time_s"]["walk"] > 300 for c in data["clients_outside"])


def test_small_client_counts_are_suppressed_without_client_access(demo_workspace) -> None:  # type: ignore[no-untyped-def]
    store = GeoPackageStore(demo_workspace)
    names = {lc.id: lc.name for lc in store.records("localities")}
    true = Counter(names[c.locality] for c in store.records("clients") if c.locality)
    k = sorted(true.values())[len(true) // 2]  # about half the localities fall below k
    result = locality_coverage(store, minutes=10, modes=["walk"], k=k)
    counts = {row.name: row.clients for row in result.localities}
    small = [name for name, n in true.items() if n < k]
    assert small and all(counts[name] is None for name in small)
    assert all(n == true[name] for name, n in counts.items() if n is not None), "shown counts are exact"
    assert any(n is not None for n in counts.values())
    row = next(r for r in result.localities if r.name == small[0])
    assert row.modes["walk"].client_share is None and row.modes["walk"].clients_covered is None
    assert row.modes["walk"].hotspot_people_share is not None, "hotspot people are not client data"
    allowed = locality_coverage(store, minutes=10, modes=["walk"], k=k, include_clients=True)
    assert all(row.clients is not None for row in allowed.localities)


def test_clients_covered_are_k_anonymous_with_those_not_covered(demo_workspace) -> None:  # type: ignore[no-untyped-def]
    store = GeoPackageStore(demo_workspace)
    true = locality_coverage(store, minutes=10, modes=["walk"], suppress=False)
    covered = {r.id: (r.clients, r.modes["walk"].clients_covered) for r in true.localities}
    # the demo within 10 min on foot: L1 leaves 1 client out, L4 3; each alone, or both (4), is below k
    assert covered == {"L1": (21, 20), "L2": (22, 22), "L3": (37, 29), "L4": (44, 41), "L5": (26, 26)}
    shown = locality_coverage(store, minutes=10, modes=["walk"], k=5)
    assert shown.suppressed and shown.as_json()["k_anonymity"] == 5
    figures = {r.id: (r.clients, r.modes["walk"].clients_covered, r.modes["walk"].client_share)
               for r in shown.localities}
    # L3 (8 not covered) goes with them: L1 and L4 together hide only 4
    assert figures == {"L1": (21, None, None), "L2": (22, 22, 1.0), "L3": (37, None, None), "L4": (44, None, None),
                       "L5": (26, 26, 1.0)}
    total = shown.total.modes["walk"]
    assert shown.total.clients == 150 and total.clients_covered is None and total.client_share is None, \
        "150 - 22 - 26 covered would give the hidden localities' sum"
    assert total.hotspot_people_covered == true.total.modes["walk"].hotspot_people_covered, "not client data"
    one_minute = locality_coverage(store, minutes=1, modes=["walk"])
    assert [r.modes["walk"].clients_covered for r in one_minute.localities] == [0, 0, None, 0, 0], \
        "3 clients of L3 within a minute of a hub are not shown"
    assert one_minute.total.modes["walk"].clients_covered is None
    assert locality_coverage(store, minutes=5, modes=["walk"]).total.modes["walk"].clients_covered == 55, \
        "nothing hidden: the total is shown"


def test_scoped_report_totals_its_own_localities(demo_workspace) -> None:  # type: ignore[no-untyped-def]
    store = GeoPackageStore(demo_workspace)
    result = locality_coverage(store, minutes=5, modes=["walk", "drive"], suppress=False).scoped({"L1", "L3"})
    assert [r.id for r in result.localities] == ["L1", "L3"]
    total = result.total
    assert (total.id, total.name, total.clients) == (None, "your localities", 21 + 37)
    assert total.modes["walk"].clients_covered == 9 + 9 and total.modes["walk"].client_share == pytest.approx(18 / 58)
    assert total.modes["drive"].clients_covered == 58
    assert total.hotspot_people == sum(r.hotspot_people for r in result.localities)


def test_bad_options(workspace: GeoPackageStore) -> None:
    with pytest.raises(UserError, match="travel mode"):
        locality_coverage(workspace, modes=["teleport"])
    with pytest.raises(UserError, match="minutes"):
        locality_coverage(workspace, minutes=0)
    workers = [dataclasses.replace(w, base=None) for w in workspace.records("workers")]
    workspace.write({"workers": workers, "hubs": []}, replace=True)
    with pytest.raises(UserError, match="no hubs"):
        locality_coverage(workspace)


def test_hub_reach_areas_hold_the_clients_reached_well_within_the_time(demo_workspace) -> None:  # type: ignore[no-untyped-def]
    from shapely.geometry import Point
    from shapely.ops import unary_union

    store = GeoPackageStore(demo_workspace)
    result = locality_coverage(store, minutes=10, modes=["walk"], include_areas=True, include_clients=True)
    assert result.reach is not None and [r.hub for r in result.reach] == ["H1", "H2", "H3"]
    assert all(0.1 < r.area_km2 < 3 and r.mode == "walk" for r in result.reach)
    features = result.as_json()["reach"]["features"]
    assert features[0]["type"] == "Feature" and features[0]["geometry"]["type"] in {"Polygon", "MultiPolygon"}
    area = unary_union([r.geometry for r in result.reach])
    G = workspace_graph(store, "walk")
    clients = store.records("clients")
    placed = place_on_network(G, [(c.lon, c.lat) for c in clients])
    hubs = place_on_network(G, [(h.lon, h.lat) for h in store.records("hubs")])
    from geoservice.travel_times import travel_times

    best = travel_times(G, hubs, placed).min(axis=0)
    well_inside = [c for c, t, snap in zip(clients, best, placed.snap_m, strict=True) if t <= 8 * 60 and snap <= 40]
    assert len(well_inside) > 50
    assert all(area.covers(Point(c.lon, c.lat)) for c in well_inside)
