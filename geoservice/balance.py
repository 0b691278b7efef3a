"""Caseload rebalancing on matrices: which worker holds which client.

Geography-free: a :class:`CaseloadProblem` holds each client's need weight, each
worker's capacity (need-weighted units), the travel time from each worker's base to each
client (seconds), which client–worker pairs are allowed (locality, skills), each client's
current worker and whether the client is pinned. :func:`solve_balance` returns the
assignment that, in this order of priority (a lexicographic objective, two MIP solves):

1. leaves the least total load above capacity (zero when capacity allows it);
2. then has the least *cost*: the travel time from each client's worker's base to the
   client (whole seconds), plus ``move_cost_s`` for each client who changes worker
   although their current worker could keep them (churn: continuity of care).

Moves of clients who could stay may be capped (``max_moves``). Clients whose current
worker may not keep them (the worker left, lacks their skills, works elsewhere) and
new referrals are placed as well, but their placement is not a move that could have
been avoided, so it costs no churn and does not count towards ``max_moves``.

The MIP has one binary per allowed pair only (sparse), pinned clients and clients with
a single allowed worker are fixed before the model is built, and the naive
:func:`greedy_rebalance` (also the baseline in ``benchmarks/caseload.py``) is the
warm start. Costs are whole seconds, so an incumbent within 1 of the bound is optimal;
a time limit may stop the search first, and :class:`CaseloadSolution` then reports the
gap honestly.
"""

from __future__ import annotations

import os
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]
BoolArray = npt.NDArray[np.bool_]

#: Load differences below this are rounding, not overload (need units).
LOAD_TOLERANCE = 1e-6
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
        ``"optimal"`` (both levels proven), ``"time limit"`` (stopped with a gap) or
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
    costs = _travel_costs(problem)
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
    costs = _travel_costs(problem)
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
    prep = _Prepared(problem, round(move_cost_s))
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
    cost_bound = prep.fixed_cost
    statuses: list[str] = []
    log: list[str] = []
    sizes = np.array([len(g) for g in groups], dtype=float)
    for k in np.argsort(sizes, kind="stable"):
        left = time_limit - (time.perf_counter() - start)
        share = max(left * sizes[k] / sizes[k:].sum() if left > 0 else 0.0, 0.05)
        model = _Model(prep, groups[k], max_moves=max_moves)
        x = model.columns_of(a)
        if model.overload(x) > LOAD_TOLERANCE:  # level 1: least overload
            res = model.run(level=1, start=x, time_limit=share / 2, seed=seed)
            x, cap, statuses = res.x, res.objective, [*statuses, res.status]
            overload_bound += res.bound
            log.append(f"group of {len(model.clients)} clients: overload {res.objective:g} "
                       f"(bound {res.bound:g}, {res.status})")
        else:
            cap = 0.0
        left = time_limit - (time.perf_counter() - start)
        share = max(left * sizes[k] / sizes[k:].sum() if left > 0 else 0.0, 0.05)
        res = model.run(level=2, start=x, time_limit=share, seed=seed, overload_cap=cap)
        statuses.append(res.status)
        cost_bound += res.bound
        a[model.clients] = model.assignment_of(res.x)
    status = "fixed" if not groups else "optimal" if all(s == "optimal" for s in statuses) else "time limit"
    cost = assignment_cost(problem, a, move_cost_s=prep.move_cost_s)
    overload = total_overload(problem, a)
    return CaseloadSolution(assignment=a, overload=overload, overload_bound=min(overload_bound, overload),
                            cost=cost, cost_bound=min(cost_bound, cost), moves=avoidable_moves(problem, a),
                            status=status, seconds=time.perf_counter() - start, log=log)


# -- the MIP ------------------------------------------------------------------------------


class _Prepared:
    """What every model shares: candidate pairs of the clients still to choose for,
    their costs, and where the fixed clients (pinned, or with one candidate) are."""

    def __init__(self, problem: CaseloadProblem, move_cost_s: int) -> None:
        self.problem = problem
        self.move_cost_s = move_cost_s
        cand = problem.candidates()
        counts = cand.sum(axis=1)
        stay = problem.may_stay()
        pinned = problem.pinned & (problem.current >= 0)
        fixed = pinned | (counts <= 1)
        only = np.where(counts == 1, np.argmax(cand, axis=1), np.where(problem.current >= 0, problem.current, -1))
        a = np.where(pinned, problem.current, only).astype(np.int64)
        self.free = np.flatnonzero(~fixed)
        a[self.free] = -1
        self.fixed_assignment = a
        costs = _travel_costs(problem)
        held = np.flatnonzero(a >= 0)
        self.fixed_cost = float(costs[held, a[held]].sum())  # fixed clients never make avoidable moves
        rows, cols = np.nonzero(cand[self.free])  # row-major: pairs grouped by client
        self.pair_client = self.free[rows]
        self.pair_worker = cols.astype(np.int64)
        self.n_pairs = len(rows)
        is_stay = problem.current[self.pair_client] == self.pair_worker
        movable = stay[self.pair_client]
        self.pair_cost = costs[self.pair_client, self.pair_worker] + np.where(movable & ~is_stay, move_cost_s, 0)
        self.stay_pairs = np.flatnonzero(movable & is_stay)
        self.is_stay_pair = movable & is_stay
        self.fixed_load = loads(problem, a)

    def components(self) -> list[IntArray]:
        """Pair indices of each group of free clients and workers linked by candidate pairs."""
        from scipy.sparse.csgraph import connected_components

        n = self.problem.n_clients
        size = n + self.problem.n_workers
        graph = sp.coo_matrix((np.ones(self.n_pairs), (self.pair_client, n + self.pair_worker)), shape=(size, size))
        _, labels = connected_components(graph, directed=False)
        pair_label = labels[self.pair_client]
        order = np.argsort(pair_label, kind="stable")
        cuts = np.flatnonzero(np.diff(pair_label[order])) + 1
        return [np.sort(g) for g in np.split(order, cuts)] if self.n_pairs else []


@dataclass
class _Run:
    x: FloatArray
    objective: float
    bound: float
    status: str


class _Model:
    """The sparse MIP of one group of pairs: a binary per (client, candidate worker) pair,
    an overload column per worker; rows: each client placed once, each worker's load minus
    its overload within its room, optionally the cap on moves and on total overload."""

    def __init__(self, prep: _Prepared, pairs: IntArray, *, max_moves: int | None) -> None:
        self.prep = prep
        self.pairs = pairs
        self.pair_client = prep.pair_client[pairs]
        self.pair_worker = prep.pair_worker[pairs]
        self.clients, self.client_row = np.unique(self.pair_client, return_inverse=True)
        self.workers, self.worker_row = np.unique(self.pair_worker, return_inverse=True)
        self.n_pairs = len(pairs)
        self.max_moves = max_moves
        p = prep.problem
        self.room = p.capacity[self.workers] - prep.fixed_load[self.workers]
        self.need = p.need[self.pair_client]

    @property
    def n_cols(self) -> int:
        return self.n_pairs + len(self.workers)

    def columns_of(self, assignment: IntArray) -> FloatArray:
        """Column values of ``assignment`` (a start for the solver)."""
        x = np.zeros(self.n_cols)
        x[: self.n_pairs] = assignment[self.pair_client] == self.pair_worker
        load = np.bincount(self.worker_row, weights=self.need * x[: self.n_pairs], minlength=len(self.workers))
        x[self.n_pairs:] = np.maximum(load - self.room, 0.0)
        return x

    def overload(self, x: FloatArray) -> float:
        return float(x[self.n_pairs:].sum())

    def assignment_of(self, x: FloatArray) -> IntArray:
        """Worker of each of ``self.clients`` under ``x``."""
        chosen = np.flatnonzero(x[: self.n_pairs] > 0.5)
        out = np.full(len(self.clients), -1, dtype=np.int64)
        out[self.client_row[chosen]] = self.pair_worker[chosen]
        return out

    def run(self, *, level: int, start: FloatArray, time_limit: float, seed: int,
            overload_cap: float | None = None) -> _Run:
        import highspy

        n_pairs, m, n_clients = self.n_pairs, len(self.workers), len(self.clients)
        pair_idx, over_idx = np.arange(n_pairs), n_pairs + np.arange(m)
        r = [self.client_row, n_clients + self.worker_row, n_clients + np.arange(m)]
        c = [pair_idx, pair_idx, over_idx]
        v = [np.ones(n_pairs), self.need, -np.ones(m)]
        lower = [np.ones(n_clients), np.full(m, -np.inf)]
        upper = [np.ones(n_clients), self.room]
        n_rows = n_clients + m
        stay = np.flatnonzero(self.prep.is_stay_pair[self.pairs])
        if self.max_moves is not None and len(stay):
            # clients who stay >= clients who could stay - max_moves
            r, c, v = [*r, np.full(len(stay), n_rows)], [*c, stay], [*v, np.ones(len(stay))]
            lower, upper = [*lower, np.array([len(stay) - self.max_moves], float)], [*upper, np.array([np.inf])]
            n_rows += 1
        if overload_cap is not None:
            r, c, v = [*r, np.full(m, n_rows)], [*c, over_idx], [*v, np.ones(m)]
            lower, upper = [*lower, np.array([-np.inf])], [*upper, np.array([overload_cap + LOAD_TOLERANCE])]
            n_rows += 1
        A = sp.csc_matrix((np.concatenate(v), (np.concatenate(r), np.concatenate(c))), shape=(n_rows, self.n_cols))
        cost = (np.concatenate([np.zeros(n_pairs), np.ones(m)]) if level == 1
                else np.concatenate([self.prep.pair_cost[self.pairs], np.zeros(m)]))
        lp = highspy.HighsLp()
        lp.num_col_, lp.num_row_ = self.n_cols, n_rows
        lp.col_cost_ = cost
        lp.col_lower_ = np.zeros(self.n_cols)
        lp.col_upper_ = np.concatenate([np.ones(n_pairs), np.full(m, np.inf)])
        lp.row_lower_ = np.concatenate(lower)
        lp.row_upper_ = np.concatenate(upper)
        lp.a_matrix_.format_ = highspy.MatrixFormat.kColwise
        lp.a_matrix_.start_ = A.indptr
        lp.a_matrix_.index_ = A.indices
        lp.a_matrix_.value_ = A.data
        lp.integrality_ = [highspy.HighsVarType.kInteger] * n_pairs + [highspy.HighsVarType.kContinuous] * m
        h = _highs()
        h.setOptionValue("time_limit", float(max(time_limit, 0.05)))
        h.setOptionValue("random_seed", int(seed))
        h.setOptionValue("mip_rel_gap", 0.0)
        # level 2's costs are whole seconds: an incumbent within 1 of the bound is optimal
        h.setOptionValue("mip_abs_gap", 1e-6 if level == 1 else 0.999)
        h.passModel(lp)
        h.setSolution(self.n_cols, np.arange(self.n_cols, dtype=np.int32), start.astype(float))
        h.run()
        info = h.getInfo()
        x = np.asarray(h.getSolution().col_value, dtype=float)
        if len(x) != self.n_cols or float(cost @ x) > float(cost @ start):
            x = start  # the start is feasible: never return worse than it
        objective = float(cost @ x)
        bound = float(info.mip_dual_bound) if np.isfinite(info.mip_dual_bound) else 0.0
        if level == 2:
            bound = float(np.ceil(bound - 1e-6))  # whole seconds
        optimal = h.getModelStatus() == highspy.HighsModelStatus.kOptimal
        return _Run(x, objective, min(bound, objective), "optimal" if optimal else "time limit")


_BANNER_LOCK = threading.Lock()
_BANNER_SHOWN = False


def _highs() -> Any:
    """A silent HiGHS instance. HiGHS prints a banner to the process's standard output
    (C level, so ``sys.stdout`` cannot catch it) the first time one is made; that would
    corrupt ``--format json`` output, so the first one is made with file descriptor 1
    pointed at /dev/null."""
    import highspy

    global _BANNER_SHOWN
    with _BANNER_LOCK:
        if _BANNER_SHOWN:
            h = highspy.Highs()
        else:
            sys.stdout.flush()
            saved = os.dup(1)
            try:
                with Path(os.devnull).open("w") as null:
                    os.dup2(null.fileno(), 1)
                    h = highspy.Highs()
            finally:
                os.dup2(saved, 1)
                os.close(saved)
            _BANNER_SHOWN = True
    h.setOptionValue("output_flag", False)
    return h


def _travel_costs(problem: CaseloadProblem) -> FloatArray:
    """Whole-second travel costs; unreachable pairs (kept only for clients who stay)
    cost the longest reachable travel time plus an hour."""
    t = np.asarray(problem.travel_s, dtype=float)
    finite = np.isfinite(t)
    worst = float(t[finite].max()) if finite.any() else 0.0
    return np.where(finite, np.round(np.where(finite, t, 0.0)), round(worst) + 3600.0)
