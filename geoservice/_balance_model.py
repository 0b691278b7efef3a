"""The sparse caseload MIP behind :func:`geoservice.balance.solve_balance`, for HiGHS.

One binary per (client, candidate worker) pair of the clients still to choose for, one
overload column per worker. Rows: each client placed once; each worker's load minus its
overload within its room (capacity less the load of clients fixed to it); optionally the
cap on moves and on total overload. Level 1 minimises overload, level 2 travel + churn.
Private: :mod:`geoservice.balance` is the interface.
"""

from __future__ import annotations

import os
import sys
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

if TYPE_CHECKING:
    from geoservice.balance import CaseloadProblem

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

#: Load differences below this are rounding, not overload (need units).
LOAD_TOLERANCE = 1e-6
#: When capacity falls short, the least overload is sought to within this many need units
#: (proving the exact remainder of a packing can take minutes and changes no decision).
OVERLOAD_TOLERANCE = 0.5


class Prepared:
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
        costs = travel_costs(problem)
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
        self.fixed_load = np.bincount(a[held], weights=problem.need[held], minlength=problem.n_workers)

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
class Run:
    x: FloatArray
    objective: float
    bound: float
    status: str


class GroupModel:
    """The sparse MIP of one group of pairs: a binary per (client, candidate worker) pair,
    an overload column per worker; rows: each client placed once, each worker's load minus
    its overload within its room, optionally the cap on moves and on total overload."""

    def __init__(self, prep: Prepared, pairs: IntArray, *, max_moves: int | None) -> None:
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

    def improve(self, x: FloatArray, *, passes: int = 5) -> FloatArray:
        """Local search on a start: move single clients to cheaper workers with room (no
        worker's overload grows, no extra move beyond ``max_moves``) until none helps.
        The MIP's own heuristics can stall for long on tight caseloads; a good start
        lets it prune from the first node."""
        n_pairs = self.n_pairs
        chosen = x[:n_pairs] > 0.5
        cost = self.prep.pair_cost[self.pairs]
        stay = self.prep.is_stay_pair[self.pairs]
        load = np.bincount(self.worker_row, weights=self.need * chosen, minlength=len(self.workers))
        moves_left = np.inf if self.max_moves is None else self.max_moves - int(np.sum(stay & ~chosen))
        starts = np.flatnonzero(np.r_[True, np.diff(self.client_row) != 0])
        ends = np.r_[starts[1:], n_pairs]
        now = np.zeros(len(self.clients), dtype=np.int64)
        now[self.client_row[chosen]] = np.flatnonzero(chosen)
        for _ in range(passes):
            changed = False
            for c, (lo, hi) in enumerate(zip(starts.tolist(), ends.tolist(), strict=True)):
                p = int(now[c])
                for q in np.argsort(cost[lo:hi], kind="stable").tolist():
                    q += lo
                    if cost[q] >= cost[p]:
                        break
                    k, need = self.worker_row[q], self.need[q]
                    fits = load[k] + need <= max(self.room[k], load[k]) + LOAD_TOLERANCE
                    extra = int(stay[p]) - int(stay[q])  # leaving a stay pair is a move
                    if fits and (extra <= 0 or moves_left >= extra):
                        load[self.worker_row[p]] -= need
                        load[k] += need
                        moves_left -= extra
                        now[c], changed = q, True
                        break
            if not changed:
                break
        out = np.zeros(self.n_cols)
        out[now] = 1.0
        out[n_pairs:] = np.maximum(load - self.room, 0.0)
        return out

    def assignment_of(self, x: FloatArray) -> IntArray:
        """Worker of each of ``self.clients`` under ``x``."""
        chosen = np.flatnonzero(x[: self.n_pairs] > 0.5)
        out = np.full(len(self.clients), -1, dtype=np.int64)
        out[self.client_row[chosen]] = self.pair_worker[chosen]
        return out

    def run(self, *, level: int, start: FloatArray, time_limit: float, seed: int,
            overload_cap: float | None = None) -> Run:
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
            lower, upper = [*lower, np.array([-np.inf])], [*upper, np.array([overload_cap])]
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
        h.setOptionValue("mip_abs_gap", OVERLOAD_TOLERANCE if level == 1 else 0.999)
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
        return Run(x, objective, min(bound, objective), "optimal" if optimal else "time limit")


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


def travel_costs(problem: CaseloadProblem) -> FloatArray:
    """Whole-second travel costs; unreachable pairs (kept only for clients who stay)
    cost the longest reachable travel time plus an hour."""
    t = np.asarray(problem.travel_s, dtype=float)
    finite = np.isfinite(t)
    worst = float(t[finite].max()) if finite.any() else 0.0
    return np.where(finite, np.round(np.where(finite, t, 0.0)), round(worst) + 3600.0)
