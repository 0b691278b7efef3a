"""Quality and speed of ``routing.vrp.solve`` on outreach-like days.

* Small days: one worker, 6-10 visits, windows around a random feasible tour
  (60% of visits), a lunch break on every other day. The solver's travel time
  is compared with the optimum found here by exhaustive search (every visit
  order and break position; prefixes that already break a window, or cost at
  least the best so far, are cut, which keeps it exact). It must be equal on
  every day.
* Larger days: 25 visits / 3 workers and 50 visits / 5 workers with windows,
  skills and lunch breaks, solved with the given time limit and compared with
  the best of several long runs (other seeds, ``--long`` seconds).

Travel times come from the Rutland drive network in ``../shared/data/osm``
(``routing.network`` + ``routing.matrix``) when those are importable, otherwise
from random points in a 12 km town with 10-40% detours.

Usage::

    python benchmarks/vrp_small.py [--days 30] [--time-limit 5] [--large 2] [--long 30] [--synthetic]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from routing.vrp import Break, Problem, Solution, Stop, Vehicle, solve  # noqa: E402

H = 3600
OSM = REPO.parent / "shared" / "data" / "osm" / "rutland-latest.osm.pbf"
Matrices = Callable[[int, random.Random], tuple[np.ndarray, np.ndarray]]


def road_matrices() -> Matrices | None:
    """A sampler of (travel time s, distance m) matrices between random Rutland road nodes."""
    try:
        from routing.matrix import fastest_route_matrices, to_integer_meters, to_integer_seconds
        from routing.network import graph_from_osm_file
    except ImportError:
        return None
    if not OSM.exists():
        return None
    t = time.perf_counter()
    graph = graph_from_osm_file(OSM, mode="drive")
    nodes = sorted(graph.nodes)
    print(f"Rutland drive network: {len(nodes):,} nodes ({time.perf_counter() - t:.1f} s)")

    def sample(n: int, rng: random.Random) -> tuple[np.ndarray, np.ndarray]:
        picked = rng.sample(nodes, n)
        times, metres = fastest_route_matrices(graph, picked)
        return to_integer_seconds(times), to_integer_meters(metres)

    return sample


def town_matrices(n: int, rng: random.Random) -> tuple[np.ndarray, np.ndarray]:
    pts = np.array([(rng.uniform(0, 12_000), rng.uniform(0, 12_000)) for _ in range(n)])
    detour = np.array([[rng.uniform(1.1, 1.4) for _ in range(n)] for _ in range(n)])
    metres = np.abs(pts[:, None, :] - pts[None, :, :]).sum(-1) * (detour + detour.T) / 2
    np.fill_diagonal(metres, 0)
    return np.ceil(metres / 8.0).astype(np.int64), np.rint(metres).astype(np.int64)


# -- small days --------------------------------------------------------------------------


def small_day(sample: Matrices, seed: int) -> Problem:
    rng = random.Random(seed)
    k = 6 + seed % 5
    D, M = sample(k + 1, rng)
    service = [rng.choice([600, 900, 1200, 1800, 2700]) for _ in range(k)]
    order = list(range(k))
    rng.shuffle(order)
    lunch = (Break((12 * H, 13 * H + 1800), 1800),) if seed % 2 else ()
    t, here, windows = 9 * H, 0, {}
    for j in order:
        t += int(D[here, j + 1])
        if rng.random() < 0.6:
            windows[j] = (max(9 * H, t - rng.randint(0, 1800)), t + rng.randint(300, 2400))
        t += service[j]
        here = j + 1
    end = max(t + int(D[here, 0]) + rng.randint(600, 3600) + (1800 if lunch else 0), 14 * H)
    stops = [Stop(f"v{j}", j + 1, service=service[j], windows=(windows[j],) if j in windows else ())
             for j in range(k)]
    return Problem(D, stops, [Vehicle("worker", 0, 0, shift=(9 * H, end), breaks=lunch)], distances=M)


def optimum(problem: Problem) -> int | None:
    """Least travel time serving every visit, by exhaustive search (None: no feasible day)."""
    veh = problem.vehicles[0]
    D = problem.durations.tolist()
    s0, s1 = veh.shift or (0, 1 << 60)
    stops = problem.stops
    n = len(stops)
    best = [1 << 62]

    def dfs(done: int, here: int, t: int, cost: int, lunch_left: bool) -> None:
        if cost >= best[0]:
            return
        if lunch_left:  # take the break here and now
            lo, hi = veh.breaks[0].window
            start = max(t, lo)
            if start <= hi:
                dfs(done, here, start + veh.breaks[0].duration, cost, False)
        if done == (1 << n) - 1:
            back = t + D[here][veh.end]
            if not lunch_left and back <= s1:
                best[0] = min(best[0], cost + D[here][veh.end])
            return
        for j in range(n):
            if done >> j & 1:
                continue
            loc = stops[j].location
            arrive = t + D[here][loc]
            begin = arrive
            if stops[j].windows:
                a, b = stops[j].windows[0]
                if arrive > b:
                    continue
                begin = max(arrive, a)
            dfs(done | 1 << j, loc, begin + stops[j].service, cost + D[here][loc], lunch_left)

    dfs(0, veh.start, s0, 0, bool(veh.breaks))
    return best[0] if best[0] < 1 << 62 else None


def run_small(sample: Matrices, days: int, limit: float) -> None:
    print(f"\n== small days: 1 worker, 6-10 visits, windows on 60%, lunch on odd days ({days} days)")
    print(f"{'day':>4} {'visits':>6} {'lunch':>5} {'optimum s':>9} {'solver s':>9} {'equal':>5} {'plan ms':>8}")
    equal, times = 0, []
    for seed in range(days):
        problem = small_day(sample, seed)
        best = optimum(problem)
        t = time.perf_counter()
        sol = solve(problem, time_limit=limit)
        ms = 1000 * (time.perf_counter() - t)
        times.append(ms)
        assert sol.is_feasible(), sol.violations()
        got = sol.travel_time if not sol.unassigned else None
        same = got == best
        equal += same
        print(f"{seed:>4} {len(problem.stops):>6} {'yes' if problem.vehicles[0].breaks else 'no':>5} "
              f"{best if best is not None else '-':>9} {got if got is not None else '-':>9} "
              f"{'yes' if same else 'NO':>5} {ms:8.1f}", flush=True)
    print(f"equal to the optimum on {equal}/{days} days; time per plan: mean {np.mean(times):.0f} ms, "
          f"max {np.max(times):.0f} ms")


# -- larger days -------------------------------------------------------------------------


def large_day(sample: Matrices, n: int, fleet: int, seed: int) -> Problem:
    rng = random.Random(100 + seed)
    D, M = sample(n + 2, rng)
    stops = []
    for j in range(n):
        windows: tuple[tuple[int, int], ...] = ()
        if rng.random() < 0.4:
            a = rng.randrange(9 * H, 15 * H, 900)
            windows = ((a, a + 2 * H),)
        stops.append(Stop(f"s{j}", j + 2, service=rng.choice([900, 1800, 2700]), windows=windows,
                          skills=frozenset({"nurse"}) if rng.random() < 0.2 else frozenset()))
    vehicles = [Vehicle(f"w{k}", k % 2, k % 2, shift=(8 * H, 17 * H),
                        skills=frozenset({"nurse"}) if k < max(1, fleet // 2) else frozenset(),
                        breaks=(Break((12 * H, 14 * H), 1800),)) for k in range(fleet)]
    return Problem(D, stops, vehicles, distances=M)


def rank(sol: Solution) -> tuple[int, int]:
    return len(sol.unassigned), sol.cost


def run_large(sample: Matrices, count: int, limit: float, long: float, seeds: int) -> None:
    print(f"\n== larger days: gap to the best of {seeds} runs of {long:g} s, solved in {limit:g} s")
    print(f"{'visits':>6} {'workers':>7} {'day':>3} {'served':>6} {'travel s':>9} {'best s':>9} {'gap %':>6} {'s':>5}")
    for n, fleet in ((25, 3), (50, 5)):
        gaps = []
        for seed in range(count):
            problem = large_day(sample, n, fleet, seed)
            t = time.perf_counter()
            sol = solve(problem, time_limit=limit, seed=0)
            t = time.perf_counter() - t
            assert sol.is_feasible(), sol.violations()
            ref = min((solve(problem, time_limit=long, seed=s) for s in range(1, seeds + 1)), key=rank)
            best = min(rank(sol), rank(ref))
            gap = 100 * (sol.cost - best[1]) / best[1] if rank(sol)[0] == best[0] else float("nan")
            gaps.append(gap)
            print(f"{n:>6} {fleet:>7} {seed:>3} {n - len(sol.unassigned):>6} {sol.cost:>9} {best[1]:>9} "
                  f"{gap:6.2f} {t:5.1f}", flush=True)
        print(f"{n} visits: mean gap {np.nanmean(gaps):.2f}%")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--days", type=int, default=30, help="small days to try")
    parser.add_argument("--time-limit", type=float, default=5.0, help="seconds per plan")
    parser.add_argument("--large", type=int, default=2, help="days per larger size (0 to skip)")
    parser.add_argument("--long", type=float, default=30.0, help="seconds of each reference run")
    parser.add_argument("--seeds", type=int, default=2, help="reference runs per larger day")
    parser.add_argument("--synthetic", action="store_true", help="random town, not the Rutland network")
    args = parser.parse_args(argv)
    sample = None if args.synthetic else road_matrices()
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} (timings suffer when other jobs run)")
    if sample is None:
        print("travel times: random points in a 12 km town with detours")
        sample = town_matrices
    run_small(sample, args.days, args.time_limit)
    if args.large:
        run_large(sample, args.large, args.time_limit, args.long, args.seeds)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
