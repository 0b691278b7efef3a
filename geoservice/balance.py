"""Caseload rebalancing on matrices: which worker holds which client.

Geography-free: a :class:`CaseloadProblem` holds each client's need weight, each
worker's capacity (need-weighted units), the travel time from each worker's base to each
client (seconds), which client–worker pairs are allowed (locality, skills), each client's
current worker and whether the client is pinned. :func:`solve_balance` returns the
assignment that, in this order of priority (a lexicographic objective, two MIP solves):

1. leaves the least total load above capacity (zero when capacity allows it; when it
   does not, within ``OVERLOAD_TOLERANCE`` = 0.5 need units of the proven least);
2. then, with no more overload than that, has the least *cost*: the travel time from each client's worker's base to the
   client (whole seconds), plus ``move_cost_s`` for each client who changes worker
   although their current worker could keep them (churn: continuity of care).

Moves of clients who could stay may be capped (``max_moves``). Clients whose current
worker may not keep them (the worker left, lacks their skills, works elsewhere) and
new referrals are placed as well, but their placement is not a move that could have
been avoided, so it costs no churn and does not count towards ``max_moves``.

The MIP (:mod:`geoservice._balance_model`) has one binary per allowed pair only
(sparse); pinned clients and clients with a single allowed worker are fixed before it is
built. Without a binding ``max_moves`` it splits into independent groups (clients and
workers linked by allowed pairs: localities, usually), each solved on its own, which is
the same optimum far faster. The naive :func:`greedy_rebalance` (also the baseline in
``benchmarks/caseload.py``), improved by single-client moves, is the warm start. Costs
are whole seconds, so an incumbent within 1 of the bound is optimal; a time limit may
stop the search first, and :class:`CaseloadSolution` then reports the gap honestly.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from geoservice._balance_model import LOAD_TOLERANCE, FloatArray, GroupModel, IntArray, Prepared, Run, travel_costs

BoolArray = npt.NDArray[np.bool_]

#: Default cost of moving a client who could stay, as seconds of base-to-client travel.
DEFAULT_MOVE_COST_S = 900


@dataclass(frozen=True)
class CaseloadProblem:
    """Clients, workers and what is allowed, as arrays (clients ``i``, workers ``j``).

    Parameters
    ----------
    need
        ``(n_clients,)`` need weight of each client (need units; 1 = an average client).
    capacity
        ``(n_workers,)`` need units each worker may hold.
    travel_s
        ``(n_clients, n_workers)`` travel time in seconds from worker ``j``'s base to
        client ``i`` on the worker's own mode; ``np.inf`` where unreachable (such pairs
        are never chosen for a move).
    allowed
        ``(n_clients, n_workers)`` whether worker ``j`` may hold client ``i``
        (same locality, has the client's skills).
    current
        ``(n_clients,)`` index of each client's current worker, ``-1`` for none (a new
        referral, or a worker who no longer holds a caseload).
    pinned
        ``(n_clients,)`` pinned clients stay with their current worker whatever else holds.
    """

    need: FloatArray
    capacity: FloatArray
    travel_s: FloatArray
    allowed: BoolArray
    current: IntArray
    pinned: BoolArray

    def __post_init__(self) -> None:
        n, m = len(self.need), len(self.capacity)
        for name, shape in (("travel_s", (n, m)), ("allowed", (n, m)), ("current", (n,)), ("pinned", (n,))):
            if np.shape(getattr(self, name)) != shape:
                raise ValueError(f"CaseloadProblem.{name} has shape {np.shape(getattr(self, name))}, "
                                 f"expected {shape}")
        if n and (np.min(self.need) < 0 or not np.all(np.isfinite(self.need))):
            raise ValueError("CaseloadProblem.need must be finite and >= 0")
        if m and np.min(self.capacity) < 0:
            raise ValueError("CaseloadProblem.capacity must be >= 0")
        if n and (np.min(self.current) < -1 or np.max(self.current) >= m):
            raise ValueError("CaseloadProblem.current must be a worker index or -1")

    @property
    def n_clients(self) -> int:
        """Number of clients."""
        return len(self.need)

    @property
    def n_workers(self) -> int:
        """Number of workers who hold a caseload."""
        return len(self.capacity)

    def may_stay(self) -> BoolArray:
        """Clients whose current worker may keep them (pinned clients always may)."""
        has = self.current >= 0
        out = np.zeros(self.n_clients, dtype=bool)
        idx = np.flatnonzero(has)
        out[idx] = self.allowed[idx, self.current[idx]] | self.pinned[idx]
        return out

    def candidates(self) -> BoolArray:
        """``(n_clients, n_workers)``: pairs a solution may use. Allowed and reachable
        pairs, and the current pair of a client who may stay; a pinned client's only."""
        cand = self.allowed & np.isfinite(self.travel_s)
        stay = self.may_stay()
        idx = np.flatnonzero(stay)
        cand[idx, self.current[idx]] = True
        pin = np.flatnonzero(self.pinned & (self.current >= 0))
        cand[pin] = False
        cand[pin, self.current[pin]] = True
        return cand


@dataclass(frozen=True)
class CaseloadSolution:
    """An assignment and how good it is known to be.

    Attributes
    ----------
    assignment
        ``(n_clients,)`` worker index of each client; ``-1`` for a client no worker may
        hold (a new referral or a client whose worker left, with no allowed worker).
    overload
        Total need units above capacity over all workers (0 when capacity allows).
    overload_bound
        Proven lower bound of ``overload``: equal to it when the minimum is proven.
    cost
        Travel seconds plus ``move_cost_s`` per avoidable move, of ``assignment``.
    cost_bound
        Proven lower bound of ``cost`` given ``overload`` (whole seconds).
    moves
        Clients who changed worker although their current worker could keep them.
    status
        ``"optimal"`` (overload proven least, to within 0.5 units when capacity falls
        short, and cost proven least given it), ``"time limit"`` (stopped with a gap) or
        ``"fixed"`` (nothing left to choose).
    seconds
        Wall-clock time spent solving.
    """

    assignment: IntArray
    overload: float
    overload_bound: float
    cost: float
    cost_bound: float
    moves: int
    status: str
    seconds: float
    log: list[str] = field(default_factory=list, repr=False)

    @property
    def gap(self) -> float:
        """Relative gap of ``cost`` to its proven bound (0.0 when proven optimal)."""
        return max(0.0, self.cost - self.cost_bound) / max(abs(self.cost), 1.0)


def loads(problem: CaseloadProblem, assignment: npt.ArrayLike) -> FloatArray:
    """Need units held by each worker under ``assignment`` (``-1`` entries hold none)."""
    a = np.asarray(assignment)
    held = a >= 0
    return np.bincount(a[held], weights=problem.need[held], minlength=problem.n_workers).astype(float)


def total_overload(problem: CaseloadProblem, assignment: npt.ArrayLike) -> float:
    """Need units above capacity, summed over workers."""
    over = loads(problem, assignment) - problem.capacity
    return float(np.sum(over[over > LOAD_TOLERANCE]))


def avoidable_moves(problem: CaseloadProblem, assignment: npt.ArrayLike) -> int:
    """Clients moved away from a current worker who could have kept them."""
    a = np.asarray(assignment)
    return int(np.sum(problem.may_stay() & (a != problem.current)))


def assignment_cost(problem: CaseloadProblem, assignment: npt.ArrayLike, *,
                    move_cost_s: float = DEFAULT_MOVE_COST_S) -> float:
    """Travel seconds (whole, as the solver counts them) plus ``move_cost_s`` per avoidable move."""
    costs = travel_costs(problem)
    a = np.asarray(assignment)
    held = np.flatnonzero(a >= 0)
    return float(costs[held, a[held]].sum()) + move_cost_s * avoidable_moves(problem, a)


def greedy_rebalance(problem: CaseloadProblem, *, max_moves: int | None = None) -> IntArray:
    """The naive reassignment: what a manager would do by hand.

    Everyone who may stay stays; each client who must be placed goes to the nearest
    allowed worker with room (or the least overloaded one); then, worker by worker from
    the most overloaded, the clients farthest from the base move to the nearest allowed
    worker with room until the worker is within capacity or ``max_moves`` is used up.
    Used as the MIP's warm start and as the baseline it is measured against.
    """
    cand = problem.candidates()
    costs = travel_costs(problem)
    stay = problem.may_stay()
    a = np.where(stay, problem.current, -1).astype(np.int64)
    load = loads(problem, a)
    to_place = np.flatnonzero(~stay)
    for i in to_place[np.argsort(-problem.need[to_place], kind="stable")]:
        js = np.flatnonzero(cand[i])
        if not len(js):
            continue
        room = load[js] + problem.need[i] <= problem.capacity[js] + LOAD_TOLERANCE
        if room.any():
            js = js[room]
            j = int(js[np.argmin(costs[i, js])])
        else:
            j = int(js[np.argmin(load[js] + problem.need[i] - problem.capacity[js])])
        a[i] = j
        load[j] += problem.need[i]
    budget = np.inf if max_moves is None else max_moves
    moved = 0
    for j in np.argsort(-(load - problem.capacity), kind="stable"):
        if load[j] <= problem.capacity[j] + LOAD_TOLERANCE:
            break
        held = np.flatnonzero((a == j) & ~problem.pinned)
        for i in held[np.argsort(-costs[held, j], kind="stable")]:
            if load[j] <= problem.capacity[j] + LOAD_TOLERANCE or moved >= budget:
                break
            ks = np.flatnonzero(cand[i])
            ks = ks[(ks != j) & (load[ks] + problem.need[i] <= problem.capacity[ks] + LOAD_TOLERANCE)]
            if not len(ks):
                continue
            k = int(ks[np.argmin(costs[i, ks])])
            a[i] = k
            load[j] -= problem.need[i]
            load[k] += problem.need[i]
            moved += int(stay[i] and problem.current[i] == j)
    return a


def solve_balance(problem: CaseloadProblem, *, max_moves: int | None = None,
                  move_cost_s: float = DEFAULT_MOVE_COST_S, time_limit: float = 60.0,
                  seed: int = 0) -> CaseloadSolution:
    """Rebalance caseloads exactly (or with a reported gap when ``time_limit`` stops it).

    Without a binding ``max_moves``, groups of clients and workers that share no allowed
    pair (e.g. localities) are solved one by one: the same optimum, found much faster.

    Parameters
    ----------
    problem
        The clients, workers and allowed pairs.
    max_moves
        At most this many clients who could stay with their current worker move
        (``None``: no cap). Placing new referrals and clients who must move is not counted.
    move_cost_s
        Cost of one avoidable move in seconds of base-to-client travel: a client moves
        to a closer worker only when that saves more than this. Rounded to whole seconds.
    time_limit
        Seconds for the whole solve.
    seed
        HiGHS random seed (the result is deterministic for a given seed).

    Returns
    -------
    CaseloadSolution
    """
    if max_moves is not None and max_moves < 0:
        raise ValueError("max_moves must be >= 0")
    start = time.perf_counter()
    prep = Prepared(problem, round(move_cost_s))
    greedy = greedy_rebalance(problem, max_moves=max_moves)
    if max_moves is not None and max_moves >= len(prep.stay_pairs):
        max_moves = None  # the cap cannot bind
    groups = prep.components() if max_moves is None else [np.arange(prep.n_pairs)]
    a = prep.fixed_assignment.copy()
    a[prep.free] = greedy[prep.free]
    # workers outside every group keep only fixed clients: their overload is fixed
    in_groups = np.zeros(problem.n_workers, dtype=bool)
    in_groups[prep.pair_worker] = True
    over = loads(problem, a) - problem.capacity
    overload_bound = float(np.sum(np.maximum(over[~in_groups], 0.0)))
    statuses: list[str] = []
    log: list[str] = []
    sizes = [len(g) for g in groups]
    order = sorted(range(len(groups)), key=lambda k: sizes[k])
    models: dict[int, GroupModel] = {}
    caps: dict[int, float] = {}
    runs: dict[int, Run] = {}
    # pass 1: each group, smallest first, gets half its share of the time left (all of it
    # when alone: a restart loses the search tree); pass 2: groups not yet proven optimal
    # share what is left, restarting from their incumbents
    first_share = 0.5 if len(groups) > 1 else 1.0
    for first in (True, False):
        todo = order if first else [k for k in order if runs[k].status != "optimal"]
        waiting = sum(sizes[k] for k in todo)
        for k in todo:
            left = time_limit - (time.perf_counter() - start)
            share = max(left * sizes[k] / waiting * (first_share if first else 1.0), 0.05)
            waiting -= sizes[k]
            if first:
                model = models[k] = GroupModel(prep, groups[k], max_moves=max_moves)
                x = model.improve(model.columns_of(a))
                caps[k] = LOAD_TOLERANCE
                if model.overload(x) > LOAD_TOLERANCE:  # level 1: least overload
                    res = model.run(level=1, start=x, time_limit=share / 2, seed=seed)
                    over_found, over_least = model.overload(res.x), res.bound
                    x, caps[k] = model.improve(res.x), over_found + LOAD_TOLERANCE
                    statuses.append(res.status)
                    overload_bound += over_least
                    log.append(f"{len(model.clients)} clients: overload {over_found:g} "
                               f"(at least {over_least:g}, {res.status})")
                    share = max(share - (time.perf_counter() - start - (time_limit - left)), 0.05)
            else:
                model, x = models[k], runs[k].x
            res = model.run(level=2, start=x, time_limit=share, seed=seed, overload_cap=caps[k])
            if not first:
                res.bound = max(res.bound, runs[k].bound)
            runs[k] = res
            log.append(f"{len(model.clients)} clients: cost {res.objective:g} (bound {res.bound:g}, {res.status})")
            a[model.clients] = model.assignment_of(res.x)
    statuses += [r.status for r in runs.values()]
    cost_bound = prep.fixed_cost + sum(r.bound for r in runs.values())
    status = "fixed" if not groups else "optimal" if all(s == "optimal" for s in statuses) else "time limit"
    cost = assignment_cost(problem, a, move_cost_s=prep.move_cost_s)
    overload = total_overload(problem, a)
    return CaseloadSolution(assignment=a, overload=overload, overload_bound=min(overload_bound, overload),
                            cost=cost, cost_bound=min(cost_bound, cost), moves=avoidable_moves(problem, a),
                            status=status, seconds=time.perf_counter() - start, log=log)
