"""Caseload balancing: time, optimality and moves of the exact MIP against the naive
greedy reassignment, on a synthetic team (seeded).

The instance: ``--clients`` clients and ``--workers`` workers in ``--localities``
square localities of 5 km side (3 across); two hubs per locality, a third of the workers
start from home; 70 % drive (30 km/h, 1.3 detour), the rest walk (5 km/h). Need weights
1–3 (mostly 1); 5 % of clients pinned; 10 % need a nurse (40 % of workers are nurses);
1 % are new referrals. Current caseloads grew by referral to a nearby worker with no eye
on capacity, so some workers are over capacity. Capacity: contracted hours / 37.5 x a
caseload per full-time worker set so the team as a whole has 8 % room.

    PYTHONPATH=. python benchmarks/caseload.py [--clients 5000] [--workers 60] [--localities 6]
        [--max-moves 150] [--time-limit 60] [--seed 0]

Prints, for no cap and for ``--max-moves``: the greedy baseline (moves, overload, cost)
and the MIP (time, moves, overload, cost, proven bound and gap, and the status).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from geoservice.balance import (
    DEFAULT_MOVE_COST_S,
    CaseloadProblem,
    assignment_cost,
    avoidable_moves,
    greedy_rebalance,
    loads,
    solve_balance,
    total_overload,
)

SIDE_KM = 5.0


def synthetic_problem(n_clients: int = 5000, n_workers: int = 60, n_localities: int = 6, *,
                      seed: int = 0, room: float = 0.08) -> tuple[CaseloadProblem, np.ndarray]:
    """A seeded synthetic team: the problem and each worker's locality index."""
    rng = np.random.default_rng(seed)
    cols = 3
    origin = np.array([[(k % cols) * SIDE_KM, (k // cols) * SIDE_KM] for k in range(n_localities)])
    # localities of unequal size: client shares 0.6x..1.4x of the mean
    share = rng.uniform(0.6, 1.4, n_localities)
    share /= share.sum()
    client_loc = rng.choice(n_localities, size=n_clients, p=share)
    clients = origin[client_loc] + rng.uniform(0, SIDE_KM, (n_clients, 2))
    # workers: at least one per locality, the rest in proportion to clients (largest remainder)
    seats = 1 + np.floor(share * (n_workers - n_localities)).astype(int)
    for k in np.argsort(-(share * (n_workers - n_localities)) % 1)[: n_workers - seats.sum()]:
        seats[k] += 1
    worker_loc = np.repeat(np.arange(n_localities), seats)
    hubs = origin[:, None, :] + rng.uniform(0.5, SIDE_KM - 0.5, (n_localities, 2, 2))
    from_home = rng.random(n_workers) < 1 / 3
    bases = np.where(from_home[:, None], origin[worker_loc] + rng.uniform(0, SIDE_KM, (n_workers, 2)),
                     hubs[worker_loc, rng.integers(0, 2, n_workers)])
    drive = rng.random(n_workers) < 0.7
    km = np.hypot(*(clients[:, None, :] - bases[None, :, :]).transpose(2, 0, 1)) * 1.3
    travel_s = km / np.where(drive, 30.0, 5.0)[None, :] * 3600.0
    hours = rng.choice([37.5, 30.0, 22.5], size=n_workers, p=[0.7, 0.2, 0.1])
    need = rng.choice([1.0, 1.5, 2.0, 2.5, 3.0], size=n_clients, p=[0.45, 0.2, 0.15, 0.1, 0.1])
    fte = hours / 37.5
    # a caseload per full-time worker that gives the tightest locality `room` to spare
    per_locality = np.bincount(client_loc, need, n_localities) / np.bincount(worker_loc, fte, n_localities)
    capacity = np.round(per_locality.max() * (1 + room) * fte, 1)
    nurse_worker = rng.random(n_workers) < 0.4
    nurse_worker[np.searchsorted(worker_loc, np.arange(n_localities))] = True  # a nurse in every locality
    needs_nurse = rng.random(n_clients) < 0.10
    allowed = (client_loc[:, None] == worker_loc[None, :]) & (~needs_nurse[:, None] | nurse_worker[None, :])
    # current caseloads: referrals went to one of the three nearest allowed workers with room ...
    current = np.empty(n_clients, dtype=np.int64)
    load = np.zeros(n_workers)
    for i in rng.permutation(n_clients):
        js = np.flatnonzero(allowed[i])
        js = js[np.argsort(travel_s[i, js])]
        fits = js[load[js] + need[i] <= 0.97 * capacity[js]]
        j = rng.choice(fits[:3]) if len(fits) else js[np.argmin(load[js] / capacity[js])]
        current[i] = j
        load[j] += need[i]
    # ... except that a few workers took on their neighbours' clients: 15 % over capacity
    for j in rng.choice(n_workers, size=max(1, n_workers // 12), replace=False):
        others = np.flatnonzero(allowed[:, j] & (current != j))
        for i in others[np.argsort(travel_s[others, j])]:
            if load[j] >= 1.15 * capacity[j]:
                break
            load[current[i]] -= need[i]
            current[i] = j
            load[j] += need[i]
    current[rng.random(n_clients) < 0.01] = -1  # new referrals
    pinned = (rng.random(n_clients) < 0.05) & (current >= 0)
    problem = CaseloadProblem(need=need, capacity=capacity, travel_s=travel_s, allowed=allowed,
                              current=current, pinned=pinned)
    return problem, worker_loc


def _row(name: str, problem: CaseloadProblem, a: np.ndarray, seconds: float, extra: str = "") -> str:
    cost = assignment_cost(problem, a, move_cost_s=DEFAULT_MOVE_COST_S)
    over = total_overload(problem, a)
    n_over = int(np.sum(loads(problem, a) > problem.capacity + 1e-6))
    return (f"  {name:<22}{seconds:>8.2f} s {avoidable_moves(problem, a):>7} {over:>10.1f} {n_over:>6} "
            f"{cost / 3600:>12.2f}  {extra}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=60)
    parser.add_argument("--localities", type=int, default=6)
    parser.add_argument("--max-moves", type=int, default=150)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    problem, _ = synthetic_problem(args.clients, args.workers, args.localities, seed=args.seed)
    before = np.where(problem.current >= 0, problem.current, -1)
    over0 = loads(problem, before) - problem.capacity
    print(f"{args.clients} clients, {args.workers} workers, {args.localities} localities (seed {args.seed}): "
          f"{int(problem.pinned.sum())} pinned, {int((problem.current < 0).sum())} new referrals, "
          f"{int((over0 > 1e-6).sum())} workers over capacity by {over0[over0 > 0].sum():.1f} units, "
          f"{int(problem.allowed.sum())} allowed pairs; move cost {DEFAULT_MOVE_COST_S} s")
    print(f"  {'method':<22}{'time':>10} {'moves':>7} {'overload':>10} {'over':>6} {'cost (h)':>12}")
    for cap in (None, args.max_moves):
        print(f"max_moves={cap}")
        t0 = time.perf_counter()
        g = greedy_rebalance(problem, max_moves=cap)
        print(_row("greedy (naive)", problem, g, time.perf_counter() - t0))
        sol = solve_balance(problem, max_moves=cap, time_limit=args.time_limit, seed=args.seed)
        print(_row("MIP (HiGHS)", problem, sol.assignment, sol.seconds,
                   f"bound {sol.cost_bound / 3600:.2f} h, gap {sol.gap:.4%}, overload bound "
                   f"{sol.overload_bound:.1f}, {sol.status}"))


if __name__ == "__main__":
    main()
