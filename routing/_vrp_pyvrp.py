"""Solve larger problems with PyVRP's iterated local search.

Modelling (``pyvrp.ProblemData`` is built straight from numpy matrices):

* Each stop gets its own PyVRP location (so two stops at one address can differ
  in cost), each vehicle start/end place a depot. PyVRP's *distance* matrix
  carries our cost (travel time or metres plus penalties); its *duration*
  matrix the true travel times, so every time in PyVRP is real.
* Travel profiles (walkers and drivers on one roster): every PyVRP profile is
  built for one vehicle type from that type's own matrices
  (``Problem.durations_of`` / ``costs_of``), so its duration matrix is the
  type's travel times and its distance matrix the type's costs plus its
  penalties. Vehicles only share a type, and ordinary types only share a PyVRP
  profile, when they travel on the same ``Vehicle.profile``.
* Several windows: one client per window in a mutually exclusive group.
* Required stops are optional clients with a prize larger than any solution's
  cost, so PyVRP drops one only when it cannot fit, and always returns a
  feasible solution whose drops we can explain. Optional stops' prizes are
  scaled above any cost too (prize before cost, as in the exact solver).
* Identical vehicles (same places, shift, capacity, skills, costs, no breaks,
  nobody's preferred vehicle) share one vehicle type with ``num_available``.
  Skills, preferences and breaks are per-type *profiles* of the cost matrix: a
  cost above every prize on edges into stops the type cannot serve; the
  preference penalty on edges into stops that prefer another vehicle.
* Breaks (PyVRP has none) are modelled exactly: per vehicle and break, a
  required mutually exclusive group of break clients, one at the vehicle's
  start and one at each stop where the break could follow the visit (its
  service can end before the break's latest start), each with the break's
  window and duration, at its own location with the true travel times of the
  place it stands for, and enterable (at finite cost) only from that place,
  by that vehicle. A vehicle with breaks always has a route in PyVRP (start,
  break, end when idle), so its fixed cost moves onto the edges leaving its
  start (and its start break) towards stops, the leg from a start break to
  the end (which only an idle route takes) costs nothing and takes no time,
  as an unused vehicle costs nothing, and idle routes are dropped.
  The number of break clients grows as vehicles x stops and so does the
  search space: above ``BREAK_CLIENTS_MAX`` the run has two phases. Phase one
  has no breaks (the shifts and working caps of vehicles with breaks are
  shortened by their breaks); phase two models breaks as above but with break
  clients only at the start and the stops each vehicle served in phase one,
  and starts from phase one's routes with breaks placed by the shared rules.
  Either way every returned route is rescheduled and checked with the shared
  timing rules, and a route that does not fit them is repaired by dropping
  stops (which are then reported), so results are always feasible.

Repeatability: PyVRP stopped by ``MaxRuntime`` returns whatever it had when the
clock ran out, which differs between runs. Here it stops after an iteration
budget fixed by the number of clients and ``time_limit`` (calibrated on this
project's 2-core machine to end well before the limit), or after a run of
iterations without improvement; ``MaxRuntime`` is only a safety net, and
``stats["hit_time_limit"]`` says when it fired.

Several cores: ``PARALLEL_SEEDS = 2`` runs a second seed in a forked process
and keeps the better result (ties to the lower seed); still repeatable. At
10 s on this project's 2-core machine while it was idle, the best of two seeds
averaged 0.44% above the best known on 18 hard Solomon instances against
0.52% for one seed (0.007% vs 0.011% on 10 easier ones), for 0.2-0.4 s more;
while other jobs loaded the machine it gained nothing (0.385% vs 0.377%: the
processes slowed each other down). It doubles the CPU a plan takes on a server
that also serves other requests, and forks inside web workers, so it is off
by default; batch runs can switch it on (see ``benchmarks/solver_compare.py
--sets seeds``).
"""

from __future__ import annotations

import multiprocessing
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pyvrp
from pyvrp import Client, ClientGroup, Depot, Location, ProblemData, VehicleType
from pyvrp.stop import MaxIterations, MaxRuntime, MultipleCriteria, NoImprovement

from ._vrp_exact import plan_day
from ._vrp_result import make_route
from ._vrp_schedule import INF, best_break_positions, route_timing

if TYPE_CHECKING:
    from .vrp import Problem

Plans = dict[int, tuple[list[int], list[tuple[int, int]]]]
RawRoutes = list[tuple[int, list[int]]]  # (vehicle type, client indices in order)

#: iterations a second assumed for one client; the rate falls as 1/sqrt(clients)
#: (measured in CPU time on this project's machine: 2,500/s at 25 clients, 850 at 100,
#: 680 at 200, 300 at 1,000 incl. break clients; Solomon runs about twice as fast)
ITERATIONS_PER_SECOND_SQRT_CLIENTS = 8_000
#: total break clients above which breaks are modelled in two phases (measured: the
#: one-phase model wins at 2 workers x 12 visits, ties at 3 x 25, loses at 4 x 35 and
#: is 9-14% worse than two phases at 5 x 50 in 10 s)
BREAK_CLIENTS_MAX = 100
#: routes with at most this many stops are re-ordered exactly after the search
POLISH_MAX_STOPS = 10
#: share of the time limit the search gets (the rest: model building, decoding, polish)
SEARCH_SHARE = 0.85
#: share of the search time the first of two phases gets (breaks modelled in two phases)
PHASE1_SHARE = 0.45
#: break sites of phase two: each stop of the phase-one route and this many nearest stops
SITE_NEIGHBOURS = 0
#: DP labels a second of time limit the exact re-ordering of routes may use (about a
#: tenth of the time at 50,000-150,000 labels a second)
POLISH_LABELS_PER_SECOND = 10_000
#: seeds run side by side in forked processes (best kept, ties to the lower seed)
PARALLEL_SEEDS = 1
_PYVRP_MAX = 1 << 44  # pyvrp.constants.MAX_VALUE
_INT64_MAX = int(np.iinfo(np.int64).max)


@dataclass
class _Model:
    data: ProblemData
    client_ref: list[tuple[int, int, int]]  # (stop j, -1, -1) or (-1, vehicle v, break b)
    type_vehicles: list[list[int]]
    stop_clients: dict[int, list[int]]  # stop -> its clients, one per merged window
    break_client: dict[tuple[int, int, int], int]  # (vehicle, break, site stop or -1) -> client
    stats: dict[str, Any] = field(default_factory=dict)


def solve_heuristic(problem: Problem, stops: Sequence[int], candidates: dict[int, list[int]], *,
                    time_limit: float, seed: int, deadline: float | None = None) -> tuple[Plans, dict[str, Any]]:
    """Routes for the candidate stops: vehicle -> (visit order, break placement).

    Iteration budgets follow from ``time_limit`` alone (so results repeat);
    ``deadline`` (a ``time.perf_counter()`` value, default now + ``time_limit``)
    only bounds the wall-clock safety net.
    """
    end = time.perf_counter() + time_limit if deadline is None else deadline
    users = sorted({v for j in stops for v in candidates[j]})
    n_copies = sum(len(problem.vehicles[v].breaks) * (1 + len(stops)) for v in users)
    stats: dict[str, Any] = {"phases": 1}
    search = SEARCH_SHARE * time_limit
    if n_copies <= BREAK_CLIENTS_MAX:
        model = build(problem, stops, candidates, users)
        best, run = _run(model, search, seed, end - (1 - SEARCH_SHARE) * time_limit)
        stats.update(model.stats, **run)
    else:
        stats["phases"] = 2
        first = build(problem, stops, candidates, users, shortened=True)
        best1, run1 = _run(first, PHASE1_SHARE * search, seed, end - (1 - PHASE1_SHARE * SEARCH_SHARE) * time_limit)
        plans1 = _decode(first, best1)
        sites = {v: _near(problem, v, vis, stops, SITE_NEIGHBOURS) for v, (vis, _) in plans1.items()}
        model = build(problem, stops, candidates, users, sites=sites)
        best, run = _run(model, (1 - PHASE1_SHARE) * search, seed, end - (1 - SEARCH_SHARE) * time_limit,
                         _warm_start(problem, model, plans1))
        stats.update({f"phase1_{k}": x for k, x in run1.items()})
        stats.update(model.stats, **run)
    plans = _decode(model, best)
    for v in list(plans):
        plans[v] = _repair(problem, v, *plans[v])
        if not plans[v][0]:
            del plans[v]
    stats["polished"] = _polish(problem, plans, max_labels=int(POLISH_LABELS_PER_SECOND * time_limit))
    return plans, stats


def build(problem: Problem, stops: Sequence[int], candidates: dict[int, list[int]], users: Sequence[int], *,
          shortened: bool = False, sites: dict[int, set[int]] | None = None) -> _Model:
    """The PyVRP data for the given stops and vehicles (see the module docstring)."""
    with_breaks = [] if shortened else [v for v in users if problem.vehicles[v].breaks]
    preferred = {problem.stops[j].preferred_vehicle for j in stops} if problem.preference_penalty else set()
    special = {v for v in users if problem.vehicles[v].id in preferred} | set(with_breaks)
    # vehicle types: identical ordinary vehicles share one
    groups: dict[tuple[object, ...], list[int]] = {}
    for v in users:
        veh = problem.vehicles[v]
        key: tuple[object, ...] = ("v", v) if v in special else (
            veh.start, veh.end, veh.shift, veh.capacity, veh.skills, veh.fixed_cost, veh.max_work,
            veh.max_overtime, veh.overtime_cost, veh.breaks if shortened else (), veh.profile)
        groups.setdefault(key, []).append(v)
    type_vehicles = list(groups.values())
    # locations: depots, then stops, then break clients
    depot_nodes = sorted({n for v in users for n in (problem.vehicles[v].start, problem.vehicles[v].end)})
    depot_of = {n: i for i, n in enumerate(depot_nodes)}
    orig: list[int] = list(depot_nodes)
    stop_loc: dict[int, int] = {}
    for j in stops:
        stop_loc[j] = len(orig)
        orig.append(problem.stops[j].location)
    clients: list[Client] = []
    client_ref: list[tuple[int, int, int]] = []
    groups_out: list[ClientGroup] = []
    stop_clients: dict[int, list[int]] = {}
    break_client: dict[tuple[int, int, int], int] = {}
    bound = _cost_bound(problem, stops, users)
    prize_unit = bound + 1
    prize_total = sum(problem.stops[j].prize for j in stops if not problem.stops[j].required)
    prize_required = prize_unit * (prize_total + 1)
    forbidden = min(prize_required * (len(stops) + 2), _PYVRP_MAX // 4)
    has_load = any(problem.stops[j].demand for j in stops) or any(
        problem.vehicles[v].capacity is not None for v in users)
    for j in stops:
        stop = problem.stops[j]
        prize = prize_required if stop.required else prize_unit * stop.prize
        wins = problem.windows_of(j)
        gidx = None
        if len(wins) > 1:
            gidx = len(groups_out)
            groups_out.append(ClientGroup(required=False))
        for a, b in wins:
            stop_clients.setdefault(j, []).append(len(clients))
            if gidx is not None:
                groups_out[gidx].add_client(len(clients))
            clients.append(Client(location=stop_loc[j], delivery=[stop.demand] if has_load else [],
                                  service_duration=stop.service, tw_early=max(a, 0),
                                  tw_late=_INT64_MAX if b >= INF else b, required=False, prize=prize,
                                  group=gidx, name=stop.id))
            client_ref.append((j, -1, -1))
    # break clients: (vehicle, break) -> [(site location, break client location)]
    break_locs: dict[int, list[tuple[int, int]]] = {}
    for v in with_breaks:
        veh = problem.vehicles[v]
        s0, _ = problem.shift_of(v)
        site_stops = [j for j in stops if v in candidates[j] and (sites is None or j in sites.get(v, ()))]
        pairs: list[tuple[int, int]] = []
        for b, brk in enumerate(veh.breaks):
            gidx = len(groups_out)
            groups_out.append(ClientGroup(required=True))
            here = [(depot_of[veh.start], veh.start, -1)] + [
                (stop_loc[j], problem.stops[j].location, j) for j in site_stops
                if _earliest_end(problem, v, j, s0) <= brk.window[1]]
            for site, node, site_stop in here:
                break_client[v, b, site_stop] = len(clients)
                loc = len(orig)
                orig.append(node)
                pairs.append((site, loc))
                groups_out[gidx].add_client(len(clients))
                clients.append(Client(location=loc, delivery=[0] if has_load else [],
                                      service_duration=brk.duration, tw_early=brk.window[0],
                                      tw_late=brk.window[1], required=False, prize=0, group=gidx,
                                      name=f"{veh.id} break {b}"))
                client_ref.append((-1, v, b))
        break_locs[v] = pairs
    idx = np.asarray(orig, dtype=np.int64)
    # per travel profile in use: (true travel times, base cost) between the model's locations
    travel: dict[str | None, tuple[np.ndarray, np.ndarray]] = {}
    for v in users:
        name = problem.vehicles[v].profile
        if name not in travel:
            dur = problem.durations_of(v)[np.ix_(idx, idx)].astype(np.int64)
            base = problem.costs_of(v)[np.ix_(idx, idx)].astype(np.int64)
            np.fill_diagonal(dur, 0)
            np.fill_diagonal(base, 0)
            travel[name] = (dur, base)
    all_break_cols = np.asarray([loc for pairs in break_locs.values() for _, loc in pairs], dtype=np.int64)
    stop_cols = np.asarray([stop_loc[j] for j in stops], dtype=np.int64)
    profiles: dict[tuple[object, ...], int] = {}
    dist_mats: list[Any] = []  # pyvrp's stubs spell the matrix type oddly
    dur_mats: list[Any] = []
    vtypes: list[VehicleType] = []
    for vs in type_vehicles:
        v = vs[0]
        veh = problem.vehicles[v]
        # an ordinary type's matrix depends only on its travel profile and the stops it may serve
        pkey = ("v", v) if v in special else ("serves", frozenset(j for j in stops if v in candidates[j]),
                                              veh.profile)
        if pkey not in profiles:
            dur, base = travel[veh.profile]
            profiles[pkey] = len(dist_mats)
            dist_mats.append(_profile(problem, v, stops, candidates, base, stop_loc, stop_cols,
                                      all_break_cols, break_locs.get(v, []), depot_of, forbidden))
            if v in break_locs:  # an idle route takes no time either (rows only this vehicle can use)
                dur[[loc for site, loc in break_locs[v] if site == depot_of[veh.start]], depot_of[veh.end]] = 0
            dur_mats.append(dur)
        s0, s1 = problem.shift_of(v)
        work, overtime = veh.max_work, veh.max_overtime if veh.max_work is not None else 0
        if shortened and veh.breaks:
            rest = sum(b.duration for b in veh.breaks)
            s1 = s1 - rest if s1 < INF else s1
            work = None if work is None else max(work - rest, 0)
        capacity = [veh.capacity if veh.capacity is not None else
                    sum(problem.stops[j].demand for j in stops)] if has_load else []
        vtypes.append(VehicleType(
            num_available=len(vs), capacity=capacity, start_depot=depot_of[veh.start],
            end_depot=depot_of[veh.end], fixed_cost=0 if v in break_locs else veh.fixed_cost,
            tw_early=s0, tw_late=_INT64_MAX if s1 >= INF else s1,
            shift_duration=_INT64_MAX if work is None else work, max_overtime=overtime,
            unit_overtime_cost=veh.overtime_cost, unit_distance_cost=1, unit_duration_cost=0,
            profile=profiles[pkey], name=",".join(problem.vehicles[x].id for x in vs)))
    locations = [Location(x=0.0, y=0.0) for _ in orig]
    depots = [Depot(location=i) for i in range(len(depot_nodes))]
    data = ProblemData(locations, clients, depots, vtypes, dist_mats, dur_mats, groups_out)
    return _Model(data, client_ref, type_vehicles, stop_clients, break_client,
                  {"clients": len(clients), "break_clients": len(all_break_cols), "vehicle_types": len(vtypes),
                   "profiles": len(dist_mats)})


def _profile(problem: Problem, v: int, stops: Sequence[int], candidates: dict[int, list[int]],
             base: np.ndarray, stop_loc: dict[int, int], stop_cols: np.ndarray, all_break_cols: np.ndarray,
             own_breaks: list[tuple[int, int]], depot_of: dict[int, int], forbidden: int) -> np.ndarray:
    """Cost matrix of vehicle ``v``'s type: base cost plus penalties."""
    veh = problem.vehicles[v]
    mat = base.copy()
    barred = [stop_loc[j] for j in stops if v not in candidates[j]]
    if barred:
        mat[:, barred] = forbidden
    if problem.preference_penalty:
        other = [stop_loc[j] for j in stops
                 if problem.stops[j].preferred_vehicle not in (None, veh.id)]
        if other:
            mat[:, other] += problem.preference_penalty
    if len(all_break_cols):
        mat[:, all_break_cols] = forbidden
    if own_breaks:
        by_site: dict[int, list[int]] = {}
        for site, loc in own_breaks:
            by_site.setdefault(site, []).append(loc)
        for site, locs in by_site.items():
            for loc in locs:
                mat[site, loc] = 0
                mat[locs, loc] = 0
        start = depot_of[veh.start]
        firsts = [start, *by_site.get(start, [])]
        mat[np.ix_(np.asarray(firsts, dtype=np.int64), stop_cols)] += veh.fixed_cost
        # only an idle route (start, its breaks there, end) goes from a start break straight to
        # the end; an unused vehicle costs nothing, so neither may that leg
        mat[by_site.get(start, []), depot_of[veh.end]] = 0
    np.fill_diagonal(mat, 0)
    return mat


def _earliest_end(problem: Problem, v: int, j: int, s0: int) -> int:
    arrive = s0 + int(problem.durations_of(v)[problem.vehicles[v].start, problem.stops[j].location])
    wins = problem.windows_of(j)
    begin = next((max(arrive, a) for a, b in wins if b >= arrive), INF)
    return begin + problem.stops[j].service


def _cost_bound(problem: Problem, stops: Sequence[int], users: Sequence[int]) -> int:
    """An upper bound on the cost of any solution over these stops and vehicles."""
    mats = list({problem.vehicles[v].profile: problem.costs_of(v) for v in users}.values())
    total = problem.preference_penalty * len(stops) + 1
    if stops and mats:
        locs = np.asarray([problem.stops[j].location for j in stops], dtype=np.int64)
        total += int(np.max([c[:, locs].max(axis=0) for c in mats], axis=0).sum())
    for v in users:
        veh = problem.vehicles[v]
        total += veh.fixed_cost + int(problem.costs_of(v)[:, veh.end].max())
        if veh.max_work is not None:
            total += veh.overtime_cost * veh.max_overtime
    return total


def iteration_budget(data: ProblemData, time_limit: float) -> int:
    """Iterations PyVRP gets: proportional to ``time_limit``, falling with the clients' count."""
    n = max(data.num_clients, 10)
    return max(200, int(ITERATIONS_PER_SECOND_SQRT_CLIENTS * max(time_limit, 0.0) / n ** 0.5))


def _run(model: _Model, seconds: float, seed: int, deadline: float,
         initial: pyvrp.Solution | None = None) -> tuple[RawRoutes, dict[str, Any]]:
    """Best routes found for the model with an iteration budget sized for ``seconds``,
    stopping anyway at ``deadline``; with ``PARALLEL_SEEDS`` > 1, also in forked processes."""
    iters = iteration_budget(model.data, seconds)
    if PARALLEL_SEEDS <= 1:
        raw, _, run = _run_one(model.data, iters, seed, deadline, initial)
        return raw, run
    global _FORKED_DATA
    _FORKED_DATA = (model.data, initial)  # inherited by the forked workers, not pickled
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(PARALLEL_SEEDS - 1) as pool:
        others = [pool.apply_async(_run_forked, (iters, seed + k, deadline)) for k in range(1, PARALLEL_SEEDS)]
        results = [_run_one(model.data, iters, seed, deadline, initial)]
        for job in others:
            try:
                results.append(job.get(timeout=max(deadline - time.perf_counter(), 0) + 10))
            except (multiprocessing.TimeoutError, OSError):  # pragma: no cover - a lost worker
                continue
    _FORKED_DATA = None
    pick = min(range(len(results)), key=lambda k: (results[k][1], k))
    raw, _, run = results[pick]
    run["seed_used"] = seed + pick
    run["hit_time_limit"] = any(r[2]["hit_time_limit"] for r in results)
    return raw, run


_FORKED_DATA: tuple[ProblemData, pyvrp.Solution | None] | None = None


def _run_forked(iters: int, seed: int, deadline: float) -> tuple[RawRoutes, float, dict[str, Any]]:
    assert _FORKED_DATA is not None
    return _run_one(_FORKED_DATA[0], iters, seed, deadline, _FORKED_DATA[1])


def _run_one(data: ProblemData, iters: int, seed: int, deadline: float,
             initial: pyvrp.Solution | None = None) -> tuple[RawRoutes, float, dict[str, Any]]:
    cap = max(deadline - time.perf_counter(), 0.05)
    stop = MultipleCriteria([MaxIterations(iters), NoImprovement(max(5_000, iters // 2)), MaxRuntime(cap)])
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=UserWarning)
        res = pyvrp.solve(data, stop, seed=seed, collect_stats=False, display=False, initial_solution=initial)
    elapsed = time.perf_counter() - t
    raw = [(r.vehicle_type(), [a.idx for a in r.schedule() if a.is_client()]) for r in res.best.routes()]
    run = {"iterations": res.num_iterations, "budget": iters, "seconds": round(elapsed, 3),
           "hit_time_limit": res.num_iterations < iters and elapsed >= cap}
    return raw, res.cost(), run


def _near(problem: Problem, v: int, visits: list[int], stops: Sequence[int], k: int) -> set[int]:
    """The visits and, for each, the ``k`` stops nearest to it (by vehicle ``v``'s travel time)."""
    out = set(visits)
    if k and visits:
        locs = np.asarray([problem.stops[j].location for j in stops], dtype=np.int64)
        for j in visits:
            row = problem.durations_of(v)[problem.stops[j].location, locs]
            out.update(stops[i] for i in np.argsort(row, kind="stable")[: k + 1])
    return out


def _warm_start(problem: Problem, model: _Model, plans: Plans) -> pyvrp.Solution:
    """A PyVRP solution of ``model`` from routes without breaks: breaks placed by the shared
    rules (stops dropped if a break cannot fit), idle vehicles with breaks at their start."""
    type_of = {v: vt for vt, vs in enumerate(model.type_vehicles) for v in vs}
    routes = []
    for v in (v for vs in model.type_vehicles for v in vs):
        visits, _ = _repair(problem, v, plans[v][0], []) if v in plans else ([], [])
        veh = problem.vehicles[v]
        if not visits and not veh.breaks:
            continue
        if not visits:
            clients = [model.break_client[v, b, -1] for b in range(len(veh.breaks))]
        else:
            placed = best_break_positions(problem, v, visits)
            assert placed is not None  # _repair made it so
            tm = placed[1]
            by_pos: dict[int, list[int]] = {}
            for pos, b in placed[0]:
                site = visits[pos - 1] if pos else -1
                by_pos.setdefault(pos, []).append(model.break_client.get((v, b, site), -1))
            clients = list(by_pos.get(0, []))
            for i, j in enumerate(visits):
                wins = problem.windows_of(j)
                k = next(k for k, (a, b) in enumerate(wins) if a <= tm.service_starts[i] <= b)
                clients.append(model.stop_clients[j][k])
                clients += by_pos.get(i + 1, [])
            if -1 in clients:  # a break site not modelled: let the search place it
                clients = [c for c in clients if c >= 0]
        routes.append(pyvrp.Route(model.data, clients, type_of[v]))
    return pyvrp.Solution(model.data, routes)


def _decode(model: _Model, raw: RawRoutes) -> Plans:
    plans: Plans = {}
    taken = [0] * len(model.type_vehicles)
    for vt, clients in raw:
        v = model.type_vehicles[vt][taken[vt]]
        taken[vt] += 1
        visits: list[int] = []
        breaks_at: list[tuple[int, int]] = []
        for c in clients:
            j, _, b = model.client_ref[c]
            if j >= 0:
                visits.append(j)
            else:
                breaks_at.append((len(visits), b))
        if visits:
            plans[v] = (visits, breaks_at)
    return dict(sorted(plans.items()))


def _repair(problem: Problem, v: int, visits: list[int],
            breaks_at: list[tuple[int, int]]) -> tuple[list[int], list[tuple[int, int]]]:
    """Make a route keep the shared rules, dropping stops only if it must."""
    veh = problem.vehicles[v]
    visits = [j for j in visits if problem.stops[j].skills <= veh.skills]
    if veh.capacity is not None:
        while visits and sum(problem.stops[j].demand for j in visits) > veh.capacity:
            visits.pop(max(range(len(visits)), key=lambda i: problem.stops[visits[i]].demand))
    if len(breaks_at) == len(veh.breaks) and route_timing(problem, v, visits, breaks_at) is not None:
        return visits, breaks_at
    while visits:
        placed = best_break_positions(problem, v, visits)
        if placed is not None:
            return visits, placed[0]
        for i in range(len(visits)):
            if best_break_positions(problem, v, visits[:i] + visits[i + 1:]) is not None:
                visits = visits[:i] + visits[i + 1:]
                break
        else:
            visits = visits[:-1]
    return [], []


def _polish(problem: Problem, plans: Plans, *, max_labels: int) -> int:
    """Re-order short routes exactly (``max_labels`` shared out between them, so the
    effort is bounded and repeatable); returns how many got better."""
    short = [v for v, (visits, _) in plans.items() if len(visits) <= POLISH_MAX_STOPS]
    better = 0
    for v in short:
        visits, breaks_at = plans[v]
        day = plan_day(problem, v, visits, max_labels=max_labels // len(short))
        if day is None or len(day.visits) != len(visits):
            continue
        if day.key[2] < make_route(problem, v, visits, breaks_at).cost:
            plans[v] = (day.visits, day.breaks_at)
            better += 1
    return better
