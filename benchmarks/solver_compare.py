"""Compare routing.vrp (PyVRP + exact DP) with OR-Tools routing and VROOM (pyvroom).

Three sets, every result re-checked with the shared rules of ``routing.vrp``
(visit order kept, breaks re-placed where those rules allow, cost recomputed):

* ``solomon``: Solomon instances, distance objective, gap to the best known;
* ``small``: one worker, 8-10 visits with windows (half with a lunch break):
  share of days solved optimally (versus the exact DP) and mean gap;
* ``medium``: 5 workers, 50 visits, windows, skills, capacity, lunch breaks:
  travel time, visits served, routes that break the shared rules.

Also ``seeds``: one PyVRP run versus two seeds in parallel processes (best kept).

OR-Tools: first solution PARALLEL_CHEAPEST_INSERTION, guided local search, the
same time limit; breaks as interval variables on the time dimension. VROOM:
exploration level 5, one thread (it stops by itself, usually well within the limit).

Usage::

    python benchmarks/solver_compare.py [--sets solomon small medium seeds] [--time-limit 10] [--instances ...]
"""

from __future__ import annotations

import argparse
import csv
import itertools
import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
sys.path.insert(0, str(REPO / "benchmarks"))

from solomon import DEFAULT_DATA, problem_of, read_instance  # noqa: E402

from routing import _vrp_pyvrp  # noqa: E402
from routing import vrp as vrp_module  # noqa: E402
from routing._vrp_schedule import best_break_positions  # noqa: E402
from routing.vrp import Break, Problem, Stop, Vehicle, make_route, solve  # noqa: E402

H = 3600
Routes = dict[int, list[int]]  # vehicle index -> stop indices in order

SOLOMON = ["C101", "C201", "R101", "R105", "R201", "R205", "RC101", "RC105", "RC201", "RC205"]


# -- solvers: each returns routes as stop indices ---------------------------------------


def run_vrp(problem: Problem, limit: float, seed: int = 1) -> Routes:
    sol = solve(problem, time_limit=limit, seed=seed)
    return {problem.vehicle_index[r.vehicle_id]: [problem.stop_index[s] for s in r.stop_ids] for r in sol.routes}


def run_pyvrp_only(problem: Problem, limit: float, seed: int = 1) -> Routes:
    """routing.vrp with the exact DP switched off (PyVRP, then the polish)."""
    saved = vrp_module.EXACT_MAX_STOPS
    vrp_module.EXACT_MAX_STOPS = 0
    try:
        return run_vrp(problem, limit, seed)
    finally:
        vrp_module.EXACT_MAX_STOPS = saved


def run_ortools(problem: Problem, limit: float, seed: int = 1) -> Routes:
    from ortools.constraint_solver import pywrapcp, routing_enums_pb2

    n, fleet = len(problem.stops), problem.vehicles
    depot_nodes = sorted({x for v in fleet for x in (v.start, v.end)})
    locs = [s.location for s in problem.stops] + depot_nodes
    node_of = {x: n + i for i, x in enumerate(depot_nodes)}
    manager = pywrapcp.RoutingIndexManager(len(locs), len(fleet), [node_of[v.start] for v in fleet],
                                           [node_of[v.end] for v in fleet])
    routing = pywrapcp.RoutingModel(manager)
    D, C = problem.durations, problem.costs
    service = [s.service for s in problem.stops] + [0] * len(depot_nodes)

    def travel(i: int, j: int) -> int:
        a, b = manager.IndexToNode(i), manager.IndexToNode(j)
        return int(D[locs[a], locs[b]]) + service[a]

    def cost(i: int, j: int) -> int:
        return int(C[locs[manager.IndexToNode(i)], locs[manager.IndexToNode(j)]])

    routing.SetArcCostEvaluatorOfAllVehicles(routing.RegisterTransitCallback(cost))
    horizon = max((v.shift or (0, 10**7))[1] for v in fleet)
    routing.AddDimension(routing.RegisterTransitCallback(travel), horizon, horizon, False, "time")
    tdim = routing.GetDimensionOrDie("time")
    for j, s in enumerate(problem.stops):
        idx = manager.NodeToIndex(j)
        wins = sorted(s.windows)
        if wins:
            tdim.CumulVar(idx).SetRange(wins[0][0], wins[-1][1])
            for (_, b), (a, _) in itertools.pairwise(wins):
                if a > b + 1:
                    tdim.CumulVar(idx).RemoveInterval(b + 1, a - 1)
        allowed = [k for k, v in enumerate(fleet) if s.skills <= v.skills]
        routing.VehicleVar(idx).SetValues([-1, *allowed])
        routing.AddDisjunction([idx], 10**9)
    for k, v in enumerate(fleet):
        s0, s1 = v.shift or (0, horizon)
        tdim.CumulVar(routing.Start(k)).SetRange(s0, s1)
        tdim.CumulVar(routing.End(k)).SetRange(s0, s1)
        routing.SetFixedCostOfVehicle(v.fixed_cost, k)
        if v.breaks:
            ivs = [routing.solver().FixedDurationIntervalVar(b.window[0], b.window[1], b.duration, False, f"b{k}")
                   for b in v.breaks]
            tdim.SetBreakIntervalsOfVehicle(ivs, k, service)
    if any(s.demand for s in problem.stops):
        demand = [s.demand for s in problem.stops] + [0] * len(depot_nodes)
        cb = routing.RegisterUnaryTransitCallback(lambda i: demand[manager.IndexToNode(i)])
        routing.AddDimensionWithVehicleCapacity(cb, 0, [v.capacity or 10**6 for v in fleet], True, "load")
    params = pywrapcp.DefaultRoutingSearchParameters()
    params.first_solution_strategy = routing_enums_pb2.FirstSolutionStrategy.PARALLEL_CHEAPEST_INSERTION
    params.local_search_metaheuristic = routing_enums_pb2.LocalSearchMetaheuristic.GUIDED_LOCAL_SEARCH
    params.time_limit.FromMilliseconds(int(limit * 1000))
    sol = routing.SolveWithParameters(params)
    routes: Routes = {}
    if sol is None:
        return routes
    for k in range(len(fleet)):
        idx, visits = sol.Value(routing.NextVar(routing.Start(k))), []
        while not routing.IsEnd(idx):
            visits.append(manager.IndexToNode(idx))
            idx = sol.Value(routing.NextVar(idx))
        if visits:
            routes[k] = visits
    return routes


def run_vroom(problem: Problem, limit: float, seed: int = 1) -> Routes:
    import vroom

    inp = vroom.Input()
    inp.set_durations_matrix("car", np.asarray(problem.durations))
    if problem.objective == "distance":
        inp.set_costs_matrix("car", np.asarray(problem.costs))
    skill_ids = {sk: i for i, sk in enumerate(sorted({x for s in problem.stops for x in s.skills}
                                                      | {x for v in problem.vehicles for x in v.skills}))}
    for k, v in enumerate(problem.vehicles):
        s0, s1 = v.shift or (0, 10**7)
        inp.add_vehicle(vroom.Vehicle(
            k + 1, start=v.start, end=v.end, time_window=vroom.TimeWindow(s0, s1),
            capacity=[v.capacity] if v.capacity is not None else (), skills={skill_ids[x] for x in v.skills},
            breaks=[vroom.Break(100 * (k + 1) + b, [vroom.TimeWindow(*br.window)], service=br.duration)
                    for b, br in enumerate(v.breaks)],
            costs=vroom.VehicleCosts(fixed=v.fixed_cost)))
    with_load = any(v.capacity is not None for v in problem.vehicles)
    inp.add_job([vroom.Job(j + 1, location=s.location, default_service=s.service,
                           delivery=[s.demand] if with_load else (), skills={skill_ids[x] for x in s.skills},
                           time_windows=[vroom.TimeWindow(a, b) for a, b in sorted(s.windows)])
                 for j, s in enumerate(problem.stops)])
    sol = inp.solve(exploration_level=5, nb_threads=1)
    routes: Routes = {}
    frame = sol.routes
    for _, row in frame[frame["type"] == "job"].iterrows():
        routes.setdefault(int(row["vehicle_id"]) - 1, []).append(int(row["id"]) - 1)
    return routes


SOLVERS: dict[str, Callable[[Problem, float, int], Routes]] = {
    "routing.vrp": run_vrp, "ortools": run_ortools, "vroom": run_vroom}


def evaluate(problem: Problem, routes: Routes) -> tuple[int, int, int]:
    """(stops served, cost, routes breaking the shared rules) of a solver's visit orders."""
    served, cost, bad = 0, 0, 0
    for v, visits in routes.items():
        veh = problem.vehicles[v]
        ok = all(problem.stops[j].skills <= veh.skills for j in visits) and (
            veh.capacity is None or sum(problem.stops[j].demand for j in visits) <= veh.capacity)
        placed = best_break_positions(problem, v, visits) if ok else None
        if placed is None:
            bad += 1
            continue
        served += len(visits)
        cost += make_route(problem, v, visits, placed[0], placed[1]).cost
    return served, cost, bad


# -- instance sets ----------------------------------------------------------------------


def town(n: int, rng: random.Random, size: float = 12_000) -> tuple[np.ndarray, np.ndarray]:
    pts = np.array([(rng.uniform(0, size), rng.uniform(0, size)) for _ in range(n)])
    detour = np.array([[rng.uniform(1.1, 1.4) for _ in range(n)] for _ in range(n)])
    metres = np.abs(pts[:, None, :] - pts[None, :, :]).sum(-1) * (detour + detour.T) / 2
    np.fill_diagonal(metres, 0)
    return np.ceil(metres / 8.0).astype(np.int64), np.rint(metres).astype(np.int64)


def small_day(seed: int) -> Problem:
    rng = random.Random(seed)
    k = rng.randint(8, 10)
    D, M = town(k + 1, rng)
    svc = [rng.choice([900, 1200, 1800, 2700]) for _ in range(k)]
    order = list(range(k))
    rng.shuffle(order)
    t, here, wins = 8 * H, 0, {}
    for j in order:  # windows around a feasible tour
        t += int(D[here, j + 1])
        if rng.random() < 0.6:
            wins[j] = (max(8 * H, t - rng.randint(0, 1800)), t + rng.randint(600, 3600))
        t += svc[j]
        here = j + 1
    lunch = (Break((12 * H, 14 * H), 1800),) if seed % 2 else ()
    end = t + int(D[here, 0]) + rng.randint(1800, 3600) + (1800 if lunch else 0)
    stops = [Stop(f"v{j}", j + 1, service=svc[j], windows=(wins[j],) if j in wins else ()) for j in range(k)]
    return Problem(D, stops, [Vehicle("w", 0, 0, shift=(8 * H, max(end, 15 * H)), breaks=lunch)], distances=M)


def medium_day(seed: int) -> Problem:
    rng = random.Random(1000 + seed)
    n, fleet = 50, 5
    D, M = town(n + 2, rng, size=15_000)
    stops = []
    for j in range(n):
        wins: tuple[tuple[int, int], ...] = ()
        if rng.random() < 0.4:
            a = rng.randrange(9 * H, 15 * H, 900)
            wins = ((a, a + 2 * H),)
        stops.append(Stop(f"s{j}", j + 2, service=rng.choice([900, 1800, 2700]), windows=wins,
                          demand=1, skills=frozenset({"nurse"}) if rng.random() < 0.2 else frozenset()))
    vehicles = [Vehicle(f"w{k}", k % 2, k % 2, shift=(8 * H, 17 * H), capacity=14,
                        skills=frozenset({"nurse"}) if k < 2 else frozenset(),
                        breaks=(Break((12 * H, 14 * H), 1800),)) for k in range(fleet)]
    return Problem(D, stops, vehicles, distances=M)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sets", nargs="*", default=["solomon", "small", "medium", "seeds"])
    parser.add_argument("--time-limit", type=float, default=10.0)
    parser.add_argument("--instances", nargs="*", default=SOLOMON)
    parser.add_argument("--small-days", type=int, default=20)
    parser.add_argument("--medium-days", type=int, default=5)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    args = parser.parse_args(argv)
    limit = args.time_limit
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} (timings suffer when other jobs run)")
    if "solomon" in args.sets:
        with (args.data / "BKS.csv").open() as fh:
            bks = {r["instance"]: float(r["distance"]) for r in csv.DictReader(fh)}
        print(f"\n== Solomon, distance, {limit:g} s: gap % to best known (seconds)")
        print(f"{'instance':9}" + "".join(f"{name:>22}" for name in SOLVERS))
        gaps: dict[str, list[float]] = {name: [] for name in SOLVERS}
        for inst in args.instances:
            fleet, capacity, table, dist = read_instance(args.data / f"{inst}.txt")
            problem = problem_of(table, dist, fleet, capacity)
            cells = []
            for name, run in SOLVERS.items():
                t = time.perf_counter()
                routes = run(problem, limit, 1)
                t = time.perf_counter() - t
                served, cost, bad = evaluate(problem, routes)
                ok = served == len(problem.stops) and not bad and len(routes) <= fleet
                gap = 100 * (cost / 10 - bks[inst]) / bks[inst] if ok else float("nan")
                gaps[name].append(gap)
                cells.append(f"{gap:8.2f}% ({t:5.1f} s)" if ok else f"{'incomplete':>11} ({t:5.1f} s)")
            print(f"{inst:9}" + "".join(f"{c:>22}" for c in cells), flush=True)
        print(f"{'mean':9}" + "".join(f"{np.nanmean(g):>13.2f}%        " for g in gaps.values()))
    if "small" in args.sets:
        print(f"\n== small days (1 worker, 8-10 visits, windows, lunch on odd days), {limit:g} s limit")
        runs: dict[str, Callable[[Problem, float, int], Routes]] = {
            "exact DP": run_vrp, "pyvrp only": run_pyvrp_only, "ortools": run_ortools, "vroom": run_vroom}
        table_rows: dict[str, list[tuple[float, float, int]]] = {name: [] for name in runs}
        for seed in range(args.small_days):
            problem = small_day(seed)
            best: int | None = None
            results = {}
            for name, run in runs.items():
                t = time.perf_counter()
                routes = run(problem, limit, 1)
                t = time.perf_counter() - t
                served, cost, bad = evaluate(problem, routes)
                results[name] = (served, cost, bad, t)
            best = results["exact DP"][1]
            for name, (served, cost, bad, t) in results.items():
                full = served == len(problem.stops) and not bad
                table_rows[name].append((100 * (cost - best) / best if full else float("nan"), t, int(full)))
        print(f"{'solver':12} {'optimal':>8} {'complete':>9} {'mean gap %':>11} {'mean s':>7} {'max s':>7}")
        for name, rows in table_rows.items():
            g = np.array([r[0] for r in rows])
            optimal, complete = int(np.sum(np.abs(g) < 1e-9)), sum(r[2] for r in rows)
            print(f"{name:12} {optimal:>5}/{len(rows):<2} {complete:>6}/{len(rows):<2} {np.nanmean(g):>11.2f}"
                  f" {np.mean([r[1] for r in rows]):>7.2f} {max(r[1] for r in rows):>7.2f}")
    if "medium" in args.sets:
        print(f"\n== medium days (5 workers, 50 visits, windows, skills, capacity, lunch), {limit:g} s")
        print(f"{'day':4}" + "".join(f"{name:>32}" for name in SOLVERS))
        for seed in range(args.medium_days):
            problem = medium_day(seed)
            cells = []
            for run in SOLVERS.values():
                t = time.perf_counter()
                routes = run(problem, limit, 1)
                t = time.perf_counter() - t
                served, cost, bad = evaluate(problem, routes)
                cells.append(f"{served:2d}/50 {cost:7d} s bad {bad} ({t:4.1f} s)")
            print(f"{seed:<4}" + "".join(f"{c:>32}" for c in cells), flush=True)
    if "seeds" in args.sets:
        print(f"\n== PyVRP: one seed vs two seeds in parallel processes, Solomon, {limit:g} s")
        with (args.data / "BKS.csv").open() as fh:
            bks = {r["instance"]: float(r["distance"]) for r in csv.DictReader(fh)}
        res: dict[int, list[float]] = {1: [], 2: []}
        for inst in args.instances:
            fleet, capacity, table, dist = read_instance(args.data / f"{inst}.txt")
            problem = problem_of(table, dist, fleet, capacity)
            cells = []
            for par in (1, 2):
                _vrp_pyvrp.PARALLEL_SEEDS = par
                t = time.perf_counter()
                sol = solve(problem, time_limit=limit, seed=1)
                t = time.perf_counter() - t
                gap = 100 * (sol.cost / 10 - bks[inst]) / bks[inst]
                res[par].append(gap)
                cells.append(f"{gap:6.2f}% ({t:4.1f} s, {sol.stats.get('iterations', 0)} it"
                             f"{', cap' if sol.stats.get('hit_time_limit') else ''})")
            print(f"{inst:8} " + "   ".join(cells), flush=True)
        _vrp_pyvrp.PARALLEL_SEEDS = 1
        print(f"mean gap: one seed {np.mean(res[1]):.3f}%, two seeds {np.mean(res[2]):.3f}%")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
