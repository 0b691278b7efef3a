"""Solve Solomon VRPTW instances with ``routing.vrp.solve`` and compare with the best known.

Distance objective; distances and travel times are Euclidean truncated to one
decimal (tenths as integers), the convention of the best-known solutions in
``../shared/data/vrptw``. Every solution is checked here, independently of the
module: each customer once, capacity, windows with the truncated times, depot
closing time, fleet size; its distance is recomputed from the routes.

Usage::

    python benchmarks/solomon.py [--time-limit 10] [--instances C101 R101 ...] [--seed 1] [--data DIR]

Prints one line per instance (cost, best known, gap %, wall and CPU seconds,
iterations) and the average gap per class and overall.
"""

from __future__ import annotations

import argparse
import csv
import os
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from routing.vrp import Problem, Stop, Vehicle, solve  # noqa: E402

DEFAULT_DATA = REPO.parent / "shared" / "data" / "vrptw" / "solomon"
CLASSES = ("C1", "C2", "R1", "R2", "RC1", "RC2")


def read_instance(path: Path) -> tuple[int, int, np.ndarray, np.ndarray]:
    """Fleet size, capacity, the customer table and the truncated distance matrix (tenths)."""
    lines = [ln.split() for ln in path.read_text().splitlines()]
    fleet, capacity = (int(x) for x in lines[4])
    rows = [[int(float(x)) for x in p] for p in lines[9:] if len(p) == 7]
    table = np.array(rows)
    xy = table[:, 1:3].astype(float)
    d = np.sqrt(((xy[:, None, :] - xy[None, :, :]) ** 2).sum(-1))
    return fleet, capacity, table, np.floor(d * 10 + 1e-9).astype(np.int64)


def problem_of(table: np.ndarray, dist: np.ndarray, fleet: int, capacity: int) -> Problem:
    """The instance as a ``routing.vrp`` problem (times in tenths)."""
    stops = [Stop(id=str(i), location=i, service=int(table[i, 6]) * 10, demand=int(table[i, 3]),
                  windows=((int(table[i, 4]) * 10, int(table[i, 5]) * 10),))
             for i in range(1, len(table))]
    shift = (int(table[0, 4]) * 10, int(table[0, 5]) * 10)
    vehicles = [Vehicle(id=f"v{k}", start=0, end=0, shift=shift, capacity=capacity) for k in range(fleet)]
    return Problem(dist, stops, vehicles, distances=dist, objective="distance")


def check(table: np.ndarray, dist: np.ndarray, fleet: int, capacity: int, routes: list[list[int]]) -> float:
    """Distance of feasible routes (in units); raises AssertionError on any violation."""
    assert len(routes) <= fleet, f"{len(routes)} routes for a fleet of {fleet}"
    seen: list[int] = []
    total = 0
    for r in routes:
        t, here, load = int(table[0, 4]) * 10, 0, 0
        for c in r:
            t += dist[here, c]
            total += dist[here, c]
            assert t <= table[c, 5] * 10, f"customer {c} reached at {t / 10} after its due date {table[c, 5]}"
            t = max(t, table[c, 4] * 10) + table[c, 6] * 10
            load += table[c, 3]
            here = c
        t += dist[here, 0]
        total += dist[here, 0]
        assert t <= table[0, 5] * 10, f"route returns at {t / 10}, after the depot closes"
        assert load <= capacity, f"route load {load} exceeds capacity {capacity}"
        seen += r
    assert sorted(seen) == list(range(1, len(table))), "not every customer served exactly once"
    return total / 10


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--time-limit", type=float, default=10.0, help="seconds per instance (default 10)")
    parser.add_argument("--instances", nargs="*", help="names such as C101 R211 (default: all 56)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="folder with the .txt files and BKS.csv")
    args = parser.parse_args(argv)
    with (args.data / "BKS.csv").open() as fh:
        bks = {r["instance"]: float(r["distance"]) for r in csv.DictReader(fh)}
    names = args.instances or sorted(bks, key=lambda n: (CLASSES.index(n[:-2]), n))
    gaps: dict[str, list[float]] = {}
    print(f"{os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.2f} (timings suffer when other jobs run)")
    print(f"{'instance':8} {'cost':>8} {'BKS':>8} {'gap %':>6} {'wall s':>6} {'cpu s':>6} {'iters':>6}  routes")
    for name in names:
        fleet, capacity, table, dist = read_instance(args.data / f"{name}.txt")
        problem = problem_of(table, dist, fleet, capacity)
        wall, cpu = time.perf_counter(), time.process_time()
        sol = solve(problem, time_limit=args.time_limit, seed=args.seed)
        wall, cpu = time.perf_counter() - wall, time.process_time() - cpu
        assert not sol.unassigned, f"{name}: unassigned {list(sol.unassigned)[:5]}"
        cost = check(table, dist, fleet, capacity, [[int(s) for s in r.stop_ids] for r in sol.routes])
        assert abs(cost * 10 - sol.cost) < 1e-6, f"{name}: reported cost {sol.cost} != checked {cost * 10}"
        gap = 100 * (cost - bks[name]) / bks[name]
        gaps.setdefault(name[:-2], []).append(gap)
        flag = " (time cap hit)" if sol.stats.get("hit_time_limit") else ""
        print(f"{name:8} {cost:8.1f} {bks[name]:8.1f} {gap:6.2f} {wall:6.1f} {cpu:6.1f} "
              f"{sol.stats.get('iterations', 0):6d}  {len(sol.routes)}{flag}", flush=True)
    print()
    every = [g for cls in gaps.values() for g in cls]
    for cls in CLASSES:
        if cls in gaps:
            print(f"{cls:4} {len(gaps[cls]):2d} instances: average gap {np.mean(gaps[cls]):.3f}%")
    print(f"all  {len(every):2d} instances at {args.time_limit:g} s: average gap {np.mean(every):.3f}% "
          f"(load average now {os.getloadavg()[0]:.2f})")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
