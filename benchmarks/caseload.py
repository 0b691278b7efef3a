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
        [--max-moves 150] [--time-limit 60] [--seed 0] [--short]

Prints the greedy baseline (moves, overload, cost) and the MIP (time, moves, overload,
cost, and whether the optimum was proven or the gap to the bound): with the default move
cost, with moves first (fewest moves to reach capacity: the like-for-like comparison
with greedy), and with ``--max-moves``. ``--short`` adds a team that cannot reach
capacity everywhere.
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from geoservice.balance import (
    DEFAULT_MOVE_COST_S,
    CaseloadProblem,
    CaseloadSolution,
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


#: A move cost far above any travel saving: the MIP then makes the fewest moves first.
MOVES_FIRST_S = 100_000


def _row(name: str, problem: CaseloadProblem, a: np.ndarray, seconds: float, extra: str = "") -> str:
    cost = assignment_cost(problem, a, move_cost_s=DEFAULT_MOVE_COST_S)
    over = total_overload(problem, a)
    n_over = int(np.sum(loads(problem, a) > problem.capacity + 1e-6))
    return (f"  {name:<30}{seconds:>8.2f} s {avoidable_moves(problem, a):>6} {over:>9.1f} {n_over:>5} "
            f"{cost / 3600:>10.2f}  {extra}")


def _solved(name: str, problem: CaseloadProblem, sol: CaseloadSolution) -> str:
    proof = "proven optimal" if sol.status == "optimal" else f"gap {sol.gap:.4%} to the bound"
    over = "" if sol.overload_bound >= sol.overload - 1e-6 else f", overload >= {sol.overload_bound:.1f}"
    return _row(name, problem, sol.assignment, sol.seconds, proof + over)


def scenario(problem: CaseloadProblem, *, max_moves: int, time_limit: float, seed: int) -> None:
    """Print greedy vs MIP rows for one instance, without and with ``max_moves``."""
    before = np.where(problem.current >= 0, problem.current, -1)
    over0 = loads(problem, before) - problem.capacity
    print(f"  {int(problem.pinned.sum())} pinned, {int((problem.current < 0).sum())} new referrals, "
          f"{int((~problem.may_stay() & (problem.current >= 0)).sum())} must move (skills), "
          f"{int((over0 > 1e-6).sum())} workers over capacity by {over0[over0 > 0].sum():.1f} units, "
          f"{int(problem.allowed.sum())} allowed pairs")
    print(f"  {'method':<30}{'time':>10} {'moves':>6} {'overload':>9} {'over':>5} {'cost (h)':>10}")
    t0 = time.perf_counter()
    g = greedy_rebalance(problem)
    print(_row("greedy (naive)", problem, g, time.perf_counter() - t0))
    sol = solve_balance(problem, time_limit=time_limit, seed=seed)
    print(_solved(f"MIP, move = {DEFAULT_MOVE_COST_S // 60} min of travel", problem, sol))
    sol = solve_balance(problem, move_cost_s=MOVES_FIRST_S, time_limit=time_limit, seed=seed)
    print(_solved("MIP, fewest moves first", problem, sol))
    t0 = time.perf_counter()
    g = greedy_rebalance(problem, max_moves=max_moves)
    print(_row(f"greedy, max_moves={max_moves}", problem, g, time.perf_counter() - t0))
    sol = solve_balance(problem, max_moves=max_moves, time_limit=time_limit, seed=seed)
    print(_solved(f"MIP, max_moves={max_moves}", problem, sol))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--clients", type=int, default=5000)
    parser.add_argument("--workers", type=int, default=60)
    parser.add_argument("--localities", type=int, default=6)
    parser.add_argument("--max-moves", type=int, default=150)
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--short", action="store_true",
                        help="also a team whose tightest locality is 3 %% short of capacity")
    args = parser.parse_args()
    print(f"{args.clients} clients, {args.workers} workers, {args.localities} localities, seed {args.seed}; "
          f"cost = travel from base (whole seconds) + {DEFAULT_MOVE_COST_S} s per optional move; "
          f"time limit {args.time_limit:g} s per solve")
    rooms = [("capacity 8 % above need in the tightest locality", 0.08)]
    if args.short:
        rooms.append(("the tightest locality 3 % short of capacity", -0.03))
    for title, room in rooms:
        print(f"\n{title}:")
        problem, _ = synthetic_problem(args.clients, args.workers, args.localities, seed=args.seed, room=room)
        scenario(problem, max_moves=args.max_moves, time_limit=args.time_limit, seed=args.seed)


if __name__ == "__main__":
    main()
