"""Caseload balancing: known optima on hand-built cases, exactness against brute force,
pinned clients, the cap on moves, reasons for moves, shortfalls with numbers, the demo."""

from __future__ import annotations

import itertools
import json
from pathlib import Path

import numpy as np
import pytest
from shapely.geometry import box

from geoservice.balance import (
    CaseloadProblem,
    assignment_cost,
    avoidable_moves,
    greedy_rebalance,
    loads,
    solve_balance,
    total_overload,
)
from geoservice.caseload import (
    balance_workspace,
    build_team,
    caseload_state,
    rebalance,
    worker_capacity,
    workspace_caseload,
)
from geoservice.errors import NotFoundError, UserError
from geoservice.models import Client, Locality, Worker
from geoservice.store import GeoPackageStore

INF = np.inf


def _small(pinned: tuple[bool, ...] = (False,) * 4) -> CaseloadProblem:
    """Worker 0 holds 4 units with room for 3; worker 1 holds 1 of 3.

    Moving c1 (1 unit) to worker 1 adds 100 s of travel, c2 adds 750 s, c0 (2 units)
    adds 400 s: with a move costing 900 s the optimum moves c1 only (cost 650 + 900).
    """
    return CaseloadProblem(
        need=np.array([2.0, 1.0, 1.0, 1.0]), capacity=np.array([3.0, 3.0]),
        travel_s=np.array([[100, 500], [200, 300], [150, 900], [800, 100]], dtype=float),
        allowed=np.ones((4, 2), dtype=bool), current=np.array([0, 0, 0, 1]), pinned=np.array(pinned))


def test_small_case_has_the_hand_computed_optimum() -> None:
    sol = solve_balance(_small(), move_cost_s=900)
    assert sol.assignment.tolist() == [0, 1, 0, 1]
    assert sol.moves == 1 and sol.overload == 0.0
    assert sol.cost == 100 + 300 + 150 + 100 + 900 == sol.cost_bound
    assert sol.status == "optimal" and sol.gap == 0.0


def test_pinned_client_stays_and_the_next_best_moves() -> None:
    sol = solve_balance(_small(pinned=(False, True, False, False)), move_cost_s=900)
    # c1 may not move: moving c0 (2 units, +400 s) beats c2 (+750 s)
    assert sol.assignment.tolist() == [1, 0, 0, 1]
    assert sol.cost == 500 + 200 + 150 + 100 + 900


def test_no_moves_allowed_leaves_the_overload() -> None:
    sol = solve_balance(_small(), max_moves=0)
    assert sol.assignment.tolist() == [0, 0, 0, 1]
    assert sol.overload == pytest.approx(1.0) and sol.overload_bound == pytest.approx(1.0)


def test_a_much_closer_worker_is_worth_a_move_but_not_a_slightly_closer_one() -> None:
    p = CaseloadProblem(need=np.ones(2), capacity=np.array([5.0, 5.0]),
                        travel_s=np.array([[2000, 100], [1000, 500]], dtype=float),
                        allowed=np.ones((2, 2), dtype=bool), current=np.array([0, 0]), pinned=np.zeros(2, bool))
    assert solve_balance(p, move_cost_s=900).assignment.tolist() == [1, 0]  # saves 1900 s > 900, not 500 s


def _brute_force(p: CaseloadProblem, max_moves: int | None, move_cost_s: float) -> tuple[float, float]:
    """Least (overload, cost) over every assignment to candidate workers."""
    cand = p.candidates()
    options = [np.flatnonzero(cand[i]).tolist() or [-1] for i in range(p.n_clients)]
    best = (INF, INF)
    for combo in itertools.product(*options):
        a = np.array(combo)
        if max_moves is not None and avoidable_moves(p, a) > max_moves:
            continue
        key = (round(total_overload(p, a), 6), assignment_cost(p, a, move_cost_s=move_cost_s))
        best = min(best, key)
    return best


@pytest.mark.parametrize("seed", range(6))
def test_solver_matches_brute_force(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n, m = 7, 3
    p = CaseloadProblem(need=rng.choice([1.0, 1.5, 2.0, 3.0], n), capacity=rng.choice([3.0, 4.0, 5.0], m),
                        travel_s=rng.integers(60, 3000, (n, m)).astype(float), allowed=rng.random((n, m)) < 0.8,
                        current=rng.integers(-1, m, n), pinned=rng.random(n) < 0.15)
    for max_moves in (None, 1):
        sol = solve_balance(p, max_moves=max_moves, move_cost_s=600)
        over, cost = _brute_force(p, max_moves, 600)
        assert sol.status == "optimal"
        assert sol.overload == pytest.approx(over) and sol.cost == pytest.approx(cost)
        assert max_moves is None or sol.moves <= max_moves
        pins = np.flatnonzero(p.pinned & (p.current >= 0))
        assert (sol.assignment[pins] == p.current[pins]).all()


def _random_problem(seed: int = 3, n: int = 240, m: int = 8) -> CaseloadProblem:
    rng = np.random.default_rng(seed)
    need = rng.choice([1.0, 1.5, 2.0, 3.0], n, p=[0.5, 0.2, 0.2, 0.1])
    current = rng.integers(0, m, n)
    current[: n // 5] = 0  # worker 0 took on far too many
    capacity = np.full(m, need.sum() * 1.1 / m)
    return CaseloadProblem(need=need, capacity=capacity, travel_s=rng.uniform(60, 2400, (n, m)),
                           allowed=rng.random((n, m)) < 0.7, current=current, pinned=rng.random(n) < 0.05)


def test_max_moves_is_respected_and_the_optimum_beats_greedy() -> None:
    p = _random_problem()
    assert total_overload(p, np.where(p.current >= 0, p.current, -1)) > 20
    free = solve_balance(p, time_limit=30)
    assert free.status == "optimal" and free.overload == 0.0
    assert (loads(p, free.assignment) <= p.capacity + 1e-6).all()
    for cap in (0, 10, 25):
        sol = solve_balance(p, max_moves=cap, time_limit=30)
        assert sol.moves <= cap
        g = greedy_rebalance(p, max_moves=cap)
        assert avoidable_moves(p, g) <= cap
        assert (sol.overload, sol.cost) <= (total_overload(p, g), assignment_cost(p, g))
        assert sol.status == "optimal"
    stay = p.may_stay()
    assert (solve_balance(p, max_moves=0).assignment[stay] == p.current[stay]).all() and (~stay).sum() > 10


# -- records: reasons, forced moves, shortfalls -----------------------------------------------------

KLUUVI = Locality("L2", "Kluuvi", box(24.94, 60.17, 24.95, 60.18))
KESKUSTA = Locality("L3", "Keskusta", box(24.93, 60.16, 24.94, 60.17))


def _client(cid: str, worker: str | None, need: float = 1.0, *, locality: str = "L2", **kw: object) -> Client:
    return Client(id=cid, name=f"Person {cid}", lon=24.945, lat=60.175, locality=locality, usual_worker=worker,
                  need_weight=need, **kw)  # type: ignore[arg-type]


def _team(clients: list[Client], workers: list[Worker], travel: list[list[float]] | None = None,
          **kw: object):  # type: ignore[no-untyped-def]
    t = np.full((len(clients), len(workers)), 300.0) if travel is None else np.array(travel, dtype=float)
    return build_team(clients, workers, t, [(24.945, 60.175)] * len(workers),
                      localities=[KLUUVI, KESKUSTA], **kw)  # type: ignore[arg-type]


def test_capacity_follows_contracted_hours_and_relief_holds_none() -> None:
    assert worker_capacity(Worker("A", "A", hours_per_week=37.5)) == 30.0
    assert worker_capacity(Worker("B", "B", hours_per_week=30.0)) == 24.0
    assert worker_capacity(Worker("C", "C", hours_per_week=18.75), caseload_per_full_time=40) == 20.0
    assert worker_capacity(Worker("R", "R", relief=True)) == 0.0


def test_impossible_capacity_is_reported_with_numbers() -> None:
    workers = [Worker("W2", "Two", hours_per_week=30.0, locality="L2")]
    clients = [_client(f"C{k}", "W2", need) for k, need in enumerate([3.0] * 8 + [2.0, 2.5, 3.0])]
    result = rebalance(_team(clients, workers))
    assert sum(c.need_weight for c in clients) == 31.5
    assert [s.message for s in result.shortfalls] == [
        "locality Kluuvi: clients need 31.5 units, its workers can hold 24.0: 7.5 short"]
    assert not result.within_capacity and result.after.over_capacity == 7.5
    assert result.as_json()["shortfalls"][0]["short"] == 7.5


def test_a_new_referral_placed_over_capacity_says_so() -> None:
    workers = [Worker("W2", "Two", hours_per_week=30.0, locality="L2")]
    clients = [_client(f"C{k}", "W2", 3.0) for k in range(8)] + [_client("NEW", None, 1.0)]
    (placed,) = rebalance(_team(clients, workers)).assigned
    assert placed.to_worker == "W2" and "room" not in placed.detail.split(";")[0]
    assert "W2 ends over capacity (25.0 units, capacity 24.0): no worker who may hold them has room" in placed.detail


def test_forced_moves_reasons_and_new_referrals() -> None:
    workers = [Worker("W1", "One", locality="L2", skills=frozenset({"fi"})),
               Worker("W2", "Two", locality="L2", skills=frozenset({"fi", "nurse"})),
               Worker("W3", "Three", locality="L3", skills=frozenset({"fi", "nurse"})),
               Worker("W9", "Relief", relief=True)]
    clients = [_client("C1", "W1", skills=frozenset({"nurse"})),     # W1 lacks nurse -> W2
               _client("C2", "W3"),                                   # lives in L2, W3 works in L3 -> W1/W2
               _client("C3", "W9"),                                   # held by a relief worker -> placed
               _client("C4", None),                                   # new referral
               _client("C5", "W2", pinned=True),                      # pinned: stays
               _client("C6", "W4", locality="L3")]                    # W4 has left -> W3
    travel = [[300, 200, 900, 0], [100, 250, 900, 0], [400, 100, 900, 0], [50, 500, 900, 0],
              [900, 900, 100, 0], [900, 900, 100, 0]]
    result = rebalance(_team(clients, workers, travel), max_moves=0)
    moves = {m.client: (m.from_worker, m.to_worker, m.reason) for m in result.moves}
    assert moves == {"C1": ("W1", "W2", "skills"), "C2": ("W3", "W1", "locality"),
                     "C3": ("W9", "W2", "worker left"), "C6": ("W4", "W3", "worker left")}
    assert [(m.client, m.from_worker, m.to_worker) for m in result.assigned] == [("C4", None, "W1")]
    assert result.optional_moves == 0  # max_moves=0 still lets forced moves happen
    detail = {m.client: m.detail for m in result.moves}
    assert detail["C1"] == "needs nurse; W1 lacks it"
    assert detail["C3"] == "W9 is a relief-bank worker (no caseload)"
    assert detail["C6"] == "W4 is no longer on the team"
    assert [x.worker for x in result.after.loads] == ["W1", "W2", "W3"]


def test_over_capacity_and_leaving_workers() -> None:
    workers = [Worker("W1", "One", locality="L2", hours_per_week=3.75),  # capacity 3.0
               Worker("W2", "Two", locality="L2", hours_per_week=3.75)]
    clients = [_client(f"C{k}", "W1") for k in range(4)]
    travel = [[100, 200], [100, 900], [100, 950], [100, 990]]
    result = rebalance(_team(clients, workers, travel), move_cost_minutes=1)
    assert [(m.client, m.reason, m.detail) for m in result.moves] == [
        ("C0", "over-capacity", "W1 held 4.0 units, capacity 3.0")]
    assert [x.need for x in result.after.loads] == [3.0, 1.0]
    assert result.before.max_min_ratio is None and result.after.max_min_ratio == 3.0
    gone = rebalance(_team(clients, workers, travel, leaving=["W1"]), max_moves=0)
    assert {m.reason for m in gone.moves} == {"worker left"} and len(gone.moves) == 4
    assert gone.shortfalls[0].message == "locality Kluuvi: clients need 4.0 units, its workers can hold 3.0: 1.0 short"
    with pytest.raises(NotFoundError, match="no worker W7"):
        _team(clients, workers, travel, leaving=["W7"])
    with pytest.raises(UserError, match="max-moves"):
        rebalance(_team(clients, workers, travel), max_moves=-1)


# -- the demo workspace ---------------------------------------------------------------------


def test_demo_caseloads_before(demo_workspace: Path) -> None:
    state = workspace_caseload(GeoPackageStore(demo_workspace))
    by_worker = {x.worker: x for x in state.loads}
    assert "W08" not in by_worker  # the relief worker holds no caseload
    clients = GeoPackageStore(demo_workspace).records("clients")
    for wid, load in by_worker.items():
        held = [c for c in clients if c.usual_worker == wid]
        assert load.clients == len(held) and load.need == pytest.approx(sum(c.need_weight for c in held))
        assert load.over_capacity == pytest.approx(max(0.0, load.need - load.capacity))
    assert by_worker["W04"].capacity == 24.0  # 30 h of 37.5
    assert sum(x.clients for x in state.loads) == 150
    travel = state.client_travel_s()
    assert len(travel) == 150 and all(t is not None and t >= 0 for t in travel.values())
    expected = sum(x.over_capacity for x in state.loads)
    assert caseload_state(state.team).over_capacity == pytest.approx(state.over_capacity) == pytest.approx(expected)


def test_demo_balances_and_json_has_the_contract_keys(demo_workspace: Path) -> None:
    store = GeoPackageStore(demo_workspace)
    result = balance_workspace(store, time_limit=20)
    doc = json.loads(json.dumps(result.as_json()))
    for side in ("before", "after"):
        assert {"loads", "max_min_ratio"} <= set(doc[side])
        assert all({"worker", "need", "capacity", "clients"} <= set(x) for x in doc[side]["loads"])
    assert all({"client", "from", "to", "reason"} <= set(m) for m in doc["moves"])
    # within localities, a locality whose clients need more than its workers hold stays short, by that much
    for short in doc["shortfalls"]:
        assert short["short"] == pytest.approx(short["need"] - short["capacity"]) and short["short"] > 0
    by_locality = {x["locality"]: x for x in doc["before"]["localities"]}
    assert {s["where"] for s in doc["shortfalls"]} == {f"locality {x['name']}" for x in by_locality.values()
                                                      if x["need"] > x["capacity"] + 1e-9}
    assert doc["solver"]["status"] == "optimal"
    # (the demo draws client and worker names from one pool: a worker's name is not a client's)
    names = {c.name for c in store.records("clients")} - {w.name for w in store.records("workers")}
    text = json.dumps(doc, ensure_ascii=False)
    assert not any(name in text for name in names)
    assert "Caseloads" in result.table() and "W01" in result.table()


def test_demo_balances_within_capacity_across_localities(demo_workspace: Path) -> None:
    result = balance_workspace(GeoPackageStore(demo_workspace), allow_other_localities=True, time_limit=20)
    assert result.within_capacity and result.status == "optimal"
    assert all(x.need <= x.capacity + 1e-9 for x in result.after.loads)
    assert result.after.max_min_ratio is not None and result.before.max_min_ratio is not None
    assert result.after.max_min_ratio < result.before.max_min_ratio
    pinned = {c.id for c in result.before.team.clients if c.pinned}
    assert not pinned & {m.client for m in result.moves}
    limited = balance_workspace(GeoPackageStore(demo_workspace), allow_other_localities=True, max_moves=3)
    assert limited.optional_moves <= 3 and len(limited.moves) <= 3
    assert limited.within_capacity or limited.shortfalls, "a capped rebalancing says where it falls short"


def test_travel_from_hub_or_home_on_the_workers_own_mode() -> None:
    import networkx as nx

    from geoservice.caseload import base_travel_times
    from geoservice.models import Hub

    def line(seconds: float) -> nx.MultiDiGraph:
        G = nx.MultiDiGraph(crs="epsg:4326")
        for k in range(3):
            G.add_node(k, x=24.940 + 0.005 * k, y=60.170)
        for u, v in ((0, 1), (1, 2)):
            for a, b in ((u, v), (v, u)):
                G.add_edge(a, b, length=280.0, travel_time=seconds, highway="residential")
        return G

    hub = Hub("H1", "Hub", 24.940, 60.170)
    workers = [Worker("A", "Drives", base="H1", mode="drive"),
               Worker("B", "Walks", lon=24.950, lat=60.170, mode="walk")]
    clients = [_client("C1", "A"), _client("C2", "B")]
    # clients on nodes 1 and 2: no walk to the road
    clients = [Client(**{**c.__dict__, "lon": lon, "lat": 60.170}) for c, lon in zip(clients, (24.945, 24.950),
                                                                                     strict=True)]
    found = base_travel_times(clients, workers, [hub], {"drive": line(20.0), "walk": line(200.0)})
    assert found.travel_s.round(6).tolist() == [[20.0, 200.0], [40.0, 0.0]]
    assert found.bases == [(24.940, 60.170), (24.950, 60.170)] and found.at_home == [False, True]
    assert set(found.network) == {"drive", "walk"}
    # 556 m north of the road: plus the walk to it at the profile's walking speed (4.8 km/h)
    off = base_travel_times([Client(**{**clients[0].__dict__, "lat": 60.175})], workers[:1], [hub],
                            {"drive": line(20.0)})
    assert 20.0 + 550 / (4.8 / 3.6) < off.travel_s[0, 0] < 20.0 + 560 / (4.8 / 3.6)
    with pytest.raises(UserError, match="no known base hub"):
        base_travel_times(clients, [Worker("X", "X", base="H9")], [hub], {"drive": line(1.0)})


def test_a_move_that_makes_room_is_not_called_a_closer_worker() -> None:
    """A is over capacity; only B may take A's extra client (skills); B is full, so B's client
    Y moves to C to make room, although C's base is only a minute closer to Y than B's."""
    workers = [Worker("A", "A", lon=0, lat=0, skills=frozenset({"sv"})),
               Worker("B", "B", lon=0, lat=0, skills=frozenset({"sv"})), Worker("C", "C", lon=0, lat=0)]
    clients = [Client("X1", "x", 0, 0, usual_worker="A", skills=frozenset({"sv"})),
               Client("X2", "x", 0, 0, usual_worker="A", skills=frozenset({"sv"})),
               Client("Y", "y", 0, 0, usual_worker="B")]
    travel = np.array([[600, 1200, 9999], [600, 1200, 9999], [9999, 1800, 1740]], dtype=float)
    result = rebalance(build_team(clients, workers, travel, [(0, 0)] * 3, caseload_per_full_time=1.0), time_limit=5)
    reasons = {m.client: (m.from_worker, m.to_worker, m.reason) for m in result.moves}
    assert reasons["Y"] == ("B", "C", "make room")
    assert next(r for c, r in reasons.items() if c.startswith("X"))[2] == "over-capacity"
