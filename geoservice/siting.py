"""Where to put a new resource or an outreach-van stop: the maximal covering location problem.

Given which candidate sites would cover which demand points (people within T minutes)
and how many people are at each point, choose at most ``k`` sites covering the most
people (Church & ReVelle 1974), solved exactly as a mixed-integer programme with HiGHS
(:func:`scipy.optimize.milp`)::

    maximise    sum_i w_i y_i
    subject to  y_i <= sum_{j covers i} x_j     for every demand point i
                sum_j x_j <= k
                x_j in {0, 1},  0 <= y_i <= 1

``y`` needs no integrality: at an optimum each ``y_i`` is ``min(1, sum x_j)``, an integer.
Before solving, demand points no candidate covers are dropped, points covered by exactly
the same sites are merged (their weights added), and candidates covering exactly the same
points are merged; none of this changes the optimum. The chosen sites are reported in
the order a person would add them: each next the one adding the most people.

Callers pass demand that existing resources do not already cover, so the figures are
people *newly* covered.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

FloatArray = npt.NDArray[np.float64]

#: HiGHS presolve is off by default: on 2,000 x 500 instances (coverage densities
#: 0.008-0.33, benchmarks/gaps.py) it never paid for itself, and on a dense one it took
#: 50-64 s where the solve itself took 1.6 s (NOTES.md).
PRESOLVE = False


@dataclass(frozen=True)
class ChosenSite:
    """One suggested site.

    Attributes
    ----------
    candidate
        Column of the coverage matrix (index of the candidate site).
    newly_covered
        Weight (people) this site adds, given the sites before it in the order.
    demand
        Rows (demand points) this site adds, given the sites before it.
    """

    candidate: int
    newly_covered: float
    demand: tuple[int, ...]


@dataclass(frozen=True)
class SitingResult:
    """Sites chosen by :func:`maximal_covering` (or :func:`greedy_covering`).

    Attributes
    ----------
    sites
        Chosen sites, each adding the most people given the ones before it.
    covered
        Total weight covered by the chosen sites.
    coverable
        Total weight that any candidate covers (the most any number of sites could reach).
    status
        ``"optimal"``, ``"time limit"`` (best found when time ran out, see ``gap``),
        or ``"greedy"`` (heuristic, no proof).
    gap
        Relative gap between the solution and the solver's bound (0 when optimal; None
        for greedy).
    seconds
        Solve time in seconds (wall clock).
    """

    sites: tuple[ChosenSite, ...]
    covered: float
    coverable: float
    status: str
    gap: float | None
    seconds: float


def maximal_covering(covers: sp.spmatrix | npt.ArrayLike, weights: npt.ArrayLike, k: int, *,
                     time_limit: float = 30.0, presolve: bool = PRESOLVE) -> SitingResult:
    """Choose at most ``k`` candidate sites covering the largest total weight, exactly.

    Parameters
    ----------
    covers
        ``(D, C)`` boolean matrix (sparse or dense): ``covers[i, j]`` when candidate ``j``
        covers demand point ``i`` (e.g. travel time within the threshold).
    weights
        ``(D,)`` non-negative weight of each demand point (people).
    k
        Most sites to choose (fewer are chosen when fewer cover every coverable point).
    time_limit
        Seconds HiGHS may spend; when reached the best solution found is returned with
        ``status="time limit"``.
    presolve
        HiGHS presolve on or off (default off, see :data:`PRESOLVE`).

    Returns
    -------
    SitingResult
        The sites in order of what each adds, totals, status and gap.
    """
    started = time.perf_counter()
    matrix, w = _checked(covers, weights, k)
    model = _reduced(matrix, w)
    if model is None or k == 0:
        return _result(matrix, w, [], "optimal", 0.0, started)
    rows, demand_w, groups = model
    if k >= len(groups):
        return _result(matrix, w, [int(g[0]) for g in groups], "optimal", 0.0, started)
    chosen, status, gap = _solve_mip(rows, demand_w, k, time_limit=time_limit, presolve=presolve)
    if chosen is None:  # time ran out before any solution: fall back to greedy, say so
        return greedy_covering(matrix, w, k)
    return _result(matrix, w, [int(groups[c][0]) for c in chosen], status, gap, started)


def greedy_covering(covers: sp.spmatrix | npt.ArrayLike, weights: npt.ArrayLike, k: int) -> SitingResult:
    """Choose up to ``k`` sites greedily (each the one adding the most weight); no optimality proof.

    Within a factor ``1 - 1/e`` of the optimum; in NOTES.md's test, 96.9% of it. Same
    parameters as :func:`maximal_covering`.
    """
    started = time.perf_counter()
    matrix, w = _checked(covers, weights, k)
    csc = matrix.tocsc()
    uncovered = w.copy()
    chosen: list[int] = []
    for _ in range(k):
        gains = np.asarray(csc.T @ uncovered).ravel()
        best = int(np.argmax(gains)) if gains.size else -1
        if best < 0 or gains[best] <= 0:
            break
        chosen.append(best)
        uncovered[csc[:, best].indices] = 0.0
    return _result(matrix, w, chosen, "greedy", None, started)


def _checked(covers: sp.spmatrix | npt.ArrayLike, weights: npt.ArrayLike, k: int) -> tuple[sp.csr_matrix, FloatArray]:
    matrix = sp.csr_matrix(covers, dtype=bool)
    w = np.asarray(weights, dtype=float)
    if w.shape != (matrix.shape[0],):
        raise ValueError(f"weights has shape {w.shape}; expected ({matrix.shape[0]},), one per demand point")
    if (w < 0).any() or not np.isfinite(w).all():
        raise ValueError("weights must be finite and non-negative")
    if k < 0:
        raise ValueError(f"k must be at least 0, not {k}")
    matrix.eliminate_zeros()
    return matrix, w


def _reduced(matrix: sp.csr_matrix, w: FloatArray
             ) -> tuple[sp.csr_matrix, FloatArray, list[npt.NDArray[np.int64]]] | None:
    """Drop uncoverable or weightless demand, merge identical rows and identical columns.

    Returns the reduced ``(merged rows x merged columns)`` matrix, the merged row weights,
    and for each merged column the original candidates it stands for (first: lowest id).
    """
    useful_rows = (w > 0) & (np.diff(matrix.indptr) > 0)
    if not useful_rows.any():
        return None
    sub = matrix[useful_rows].tocsc()
    useful_cols = np.flatnonzero(np.diff(sub.indptr) > 0)
    sub = sub[:, useful_cols]
    # identical columns: one key per column's set of rows
    col_keys: dict[bytes, list[int]] = {}
    for c in range(sub.shape[1]):
        col_keys.setdefault(sub.indices[sub.indptr[c]:sub.indptr[c + 1]].tobytes(), []).append(c)
    groups = [useful_cols[np.asarray(members)] for members in col_keys.values()]
    sub = sub[:, [members[0] for members in col_keys.values()]].tocsr()
    # identical rows: add their weights
    row_w = w[useful_rows]
    row_keys: dict[bytes, int] = {}
    keep: list[int] = []
    merged_w: list[float] = []
    for r in range(sub.shape[0]):
        key = np.sort(sub.indices[sub.indptr[r]:sub.indptr[r + 1]]).tobytes()
        if key in row_keys:
            merged_w[row_keys[key]] += row_w[r]
        else:
            row_keys[key] = len(keep)
            keep.append(r)
            merged_w.append(row_w[r])
    return sub[keep], np.asarray(merged_w), groups


def _solve_mip(covers: sp.csr_matrix, w: FloatArray, k: int, *, time_limit: float,
               presolve: bool) -> tuple[list[int] | None, str, float | None]:
    from scipy.optimize import Bounds, LinearConstraint, milp

    n_demand, n_sites = covers.shape
    # variables: x_0..x_{C-1} (sites), then y_0..y_{D-1} (demand covered)
    c = np.concatenate([np.zeros(n_sites), -w])
    link = sp.hstack([-covers.astype(float), sp.identity(n_demand, format="csr")], format="csr")  # y - sum x <= 0
    budget = sp.csr_matrix(np.concatenate([np.ones(n_sites), np.zeros(n_demand)])[None, :])
    constraints = [LinearConstraint(link, -np.inf, 0.0), LinearConstraint(budget, -np.inf, k)]
    integrality = np.concatenate([np.ones(n_sites), np.zeros(n_demand)])
    res = milp(c, constraints=constraints, integrality=integrality, bounds=Bounds(0.0, 1.0),
               options={"time_limit": time_limit, "presolve": presolve, "mip_rel_gap": 0.0})
    if res.x is None:
        return None, "time limit", None
    chosen = [int(j) for j in np.flatnonzero(res.x[:n_sites] > 0.5)]
    if res.status == 0:
        return chosen, "optimal", 0.0
    gap = getattr(res, "mip_gap", None)
    return chosen, "time limit", None if gap is None else float(gap)


def _result(matrix: sp.csr_matrix, w: FloatArray, chosen: list[int], status: str, gap: float | None,
            started: float) -> SitingResult:
    """Order ``chosen`` by what each adds after the ones before it, and total up."""
    csc = matrix.tocsc()
    uncovered = np.ones(len(w), dtype=bool)
    remaining = list(chosen)
    sites = []
    while remaining:
        gains = [(w[csc[:, j].indices][uncovered[csc[:, j].indices]].sum(), -j) for j in remaining]
        best_gain, neg_j = max(gains)
        j = -neg_j
        rows = csc[:, j].indices[uncovered[csc[:, j].indices]]
        if best_gain <= 0:
            break  # adds nobody: not worth suggesting
        sites.append(ChosenSite(j, float(best_gain), tuple(int(r) for r in np.sort(rows))))
        uncovered[rows] = False
        remaining.remove(j)
    coverable = float(w[np.diff(matrix.indptr) > 0].sum())
    covered = float(w[~uncovered].sum())
    return SitingResult(tuple(sites), covered, coverable, status, gap, time.perf_counter() - started)
