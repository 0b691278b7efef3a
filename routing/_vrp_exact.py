"""Exact dynamic programme for one vehicle's day (a dozen stops or so), on that
vehicle's own travel matrices (``Problem.durations_of`` / ``costs_of``).

States are ``(visited set, last stop, breaks taken)``; a state keeps a Pareto
set of labels and every label can be extended by a visit or by a break taken
where the worker is. Labels are:

* without a working-time cap: ``(cost, time)``, time being the earliest moment
  the worker is free at the last place after leaving the start at the shift
  start; a stop is served in its earliest window still open (waiting allowed),
  which is optimal because an earlier finish never hurts later on;
* with a cap (``Vehicle.max_work``): ``(cost, e, l, d)`` duration segments as in
  :mod:`routing._vrp_schedule`, one per window choice, so the smallest working
  time (and so the overtime) is exact. A label dominates another when it costs
  no more, can finish no later, has no more working time and can start no later
  (the last only matters while a window opening or a break is still ahead, so
  it is not compared after that). These labels are slower, so a capped day is
  first solved without the cap: when that optimum needs no overtime it is the
  answer (the cap only removes days and adds cost).

The best day maximises the number of required stops served, then the prizes
collected, then minimises cost; ties go to the earlier finish. A first pass
prunes labels from which some required stop can no longer be reached (a lower
bound on the arrival uses the shortest-path closure of the travel times, so it
holds even when the matrix breaks the triangle inequality); if that pass cannot
serve every required stop, a second pass without that pruning finds the best
subset. Both passes are exact.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from ._vrp_schedule import INF, route_timing

if TYPE_CHECKING:
    from .vrp import Problem


@dataclass(frozen=True, slots=True)
class DayPlan:
    """The best day for one vehicle: visit order, break positions and its rank."""

    visits: list[int]
    breaks_at: list[tuple[int, int]]  # (position, break index)
    key: tuple[int, int, int, int]  # (-required served, -prizes, cost, end time)


def plan_day(problem: Problem, v: int, candidates: Sequence[int], *,
             max_labels: int | None = None) -> DayPlan | None:
    """Exact best day for vehicle ``v`` over the given stop indices (any subset may be left out).

    Returns None when more than ``max_labels`` labels would be needed (a
    deterministic effort cap: the caller then uses the heuristic).
    """
    dp = _DayDP(problem, v, list(candidates), max_labels)
    veh = problem.vehicles[v]
    try:
        if veh.max_work is not None:
            # Solve without the working-time cap first: if that optimum needs no
            # overtime it is optimal with the cap too (the cap only removes days
            # and adds non-negative cost). Usually it is, and it is much faster.
            relaxed = dp.solve(capped=False)
            visits, breaks_at = relaxed.visits, relaxed.breaks_at
            tm = route_timing(problem, v, visits, breaks_at) if visits else None
            if not visits or (tm is not None and tm.working_time <= veh.max_work):
                return relaxed
        return dp.solve(capped=veh.max_work is not None)
    except _TooManyLabels:
        return None


class _TooManyLabels(Exception):
    pass


class _DayDP:
    def __init__(self, problem: Problem, v: int, cands: list[int], max_labels: int | None) -> None:
        veh = problem.vehicles[v]
        self.cands = cands
        k = len(cands)
        self.k = k
        nodes = [veh.start] + [problem.stops[j].location for j in cands] + [veh.end]
        idx = np.asarray(nodes, dtype=np.int64)
        tm = problem.durations_of(v)[np.ix_(idx, idx)]
        self.T: list[list[int]] = tm.tolist()
        self.C: list[list[int]] = problem.costs_of(v)[np.ix_(idx, idx)].tolist()
        sp = _closure(tm)
        self.s0, self.s1 = problem.shift_of(v)
        self.svc = [0] + [problem.stops[j].service for j in cands]
        self.wins = [((self.s0, self.s1),)] + [problem.windows_of(j) for j in cands]
        self.latest = [self.s1] + [w[-1][1] for w in self.wins[1:]]
        self.extra = [0] + [problem.preference_cost(j, v) for j in cands]
        self.breaks = [(b.window[0], b.window[1], b.duration) for b in veh.breaks]
        nb = len(self.breaks)
        self.full_b = (1 << nb) - 1
        # latest start of the breaks not yet taken, per set of breaks taken
        self.break_deadline = [min((hi for b, (_, hi, _) in enumerate(self.breaks) if not bm >> b & 1),
                                   default=INF) for bm in range(1 << nb)]
        self.capacity = veh.capacity
        self.fixed = veh.fixed_cost
        self.max_work = veh.max_work
        self.cap = INF if veh.max_work is None else veh.max_work + veh.max_overtime
        self.ot_cost = veh.overtime_cost
        self.max_labels = max_labels
        self.made = 0
        # stops whose windows open at a finite time: only they (and breaks) can make the worker wait
        self.open_bits = sum(1 << i for i in range(k) if self.wins[i + 1][0][0] > -INF)
        demand = np.array([problem.stops[j].demand for j in cands], dtype=np.int64)
        required = np.array([problem.stops[j].required for j in cands], dtype=np.int64)
        prize = np.array([problem.stops[j].prize for j in cands], dtype=np.int64)
        bits = (np.arange(1 << k)[:, None] >> np.arange(k)[None, :]) & 1
        self.load: list[int] = (bits @ demand).tolist()
        self.nreq: list[int] = (bits @ required).tolist()
        self.prize: list[int] = (bits @ prize).tolist()
        req = [i for i in range(k) if problem.stops[cands[i]].required]
        self.n_required = len(req)
        # per place: (time after which required stop r can no longer be reached, bit of r), soonest first
        self.deadlines = [sorted((self.latest[r + 1] - int(sp[x, r + 1]), 1 << r) for r in req)
                          for x in range(k + 2)]
        self.to_end: list[int] = sp[:, k + 1].tolist()

    def solve(self, *, capped: bool) -> DayPlan:
        """Best day: first assuming every required stop can be served, then without that pruning."""
        run = self._run_segments if capped else self._run_simple
        plan = run(prune_required=True)
        if plan is None or -plan.key[0] < self.n_required:
            plan = run(prune_required=False)
        assert plan is not None  # the empty day is always feasible
        return plan

    def _dead(self, nmask: int, j: int, t: int, bm: int, prune_required: bool) -> bool:
        """Whether a label free at time ``t`` at stop ``j`` can no longer complete as wanted."""
        if t + self.to_end[j] > self.s1 or t > self.break_deadline[bm]:
            return True
        if prune_required:
            for deadline, bit in self.deadlines[j]:
                if not nmask & bit:
                    return t > deadline
        return False

    def _count(self, n: int) -> None:
        self.made += n
        if self.max_labels is not None and self.made > self.max_labels:
            raise _TooManyLabels

    # -- labels (cost, time): the worker leaves at the shift start -------------------
    def _run_simple(self, prune_required: bool) -> DayPlan | None:
        k, T, C = self.k, self.T, self.C
        nb = len(self.breaks)
        levels: list[dict[tuple[int, int, int], list[Any]]] = [{} for _ in range(k + nb + 1)]
        levels[0][(0, 0, 0)] = [(0, self.s0, None, None)]
        best: tuple[tuple[int, int, int, int], Any] | None = None
        for lev in range(k + nb + 1):
            nxt = levels[lev + 1] if lev < k + nb else {}
            for (mask, last, bm), labels in levels[lev].items():
                self._count(len(labels))
                rem = [i for i in range(k) if not mask >> i & 1]
                if self.capacity is not None:
                    rem = [i for i in rem if self.load[mask | 1 << i] <= self.capacity]
                row, crow = T[last], C[last]
                for lab in labels:
                    cost, time = lab[0], lab[1]
                    if bm == self.full_b or mask == 0:
                        best = self._finish(best, mask, last, lab)
                    for b in range(nb):
                        if bm >> b & 1:
                            continue
                        lo, hi, dur = self.breaks[b]
                        t = max(time, lo)
                        if t <= hi:
                            _add(nxt, (mask, last, bm | 1 << b), (cost, t + dur, lab, ("b", b)))
                    for i in rem:
                        j = i + 1
                        arr = time + row[j]
                        if arr > self.latest[j]:
                            continue
                        wins = self.wins[j]
                        if len(wins) == 1:
                            t = max(arr, wins[0][0]) + self.svc[j]
                        else:
                            t = next(max(arr, a) for a, b2 in wins if b2 >= arr) + self.svc[j]
                        nmask = mask | 1 << i
                        if self._dead(nmask, j, t, bm, prune_required):
                            continue
                        _add(nxt, (nmask, j, bm), (cost + crow[j] + self.extra[j], t, lab, ("s", i)))
            levels[lev] = {}
        return self._plan(best)

    def _finish(self, best: Any, mask: int, last: int, lab: Any) -> Any:
        if mask == 0:
            key = (0, 0, 0, self.s0)
            return (key, None) if best is None or key < best[0] else best
        back = lab[1] + self.T[last][self.k + 1]
        if back > self.s1:
            return best
        total = lab[0] + self.C[last][self.k + 1] + self.fixed
        key = (-self.nreq[mask], -self.prize[mask], total, back)
        return (key, lab) if best is None or key < best[0] else best

    # -- labels (cost, e, l, d): exact working time -----------------------------------
    def _run_segments(self, prune_required: bool) -> DayPlan | None:
        k, T, C = self.k, self.T, self.C
        nb = len(self.breaks)
        cap = self.cap
        levels: list[dict[tuple[int, int, int], list[Any]]] = [{} for _ in range(k + nb + 1)]
        levels[0][(0, 0, 0)] = [(0, self.s0, self.s1, 0, None, None)]
        best: tuple[tuple[int, int, int, int], Any] | None = None
        for lev in range(k + nb + 1):
            nxt = levels[lev + 1] if lev < k + nb else {}
            for (mask, last, bm), labels in levels[lev].items():
                self._count(len(labels))
                rem = [i for i in range(k) if not mask >> i & 1]
                if self.capacity is not None:
                    rem = [i for i in rem if self.load[mask | 1 << i] <= self.capacity]
                row, crow = T[last], C[last]
                for lab in labels:
                    cost, e, lt, d = lab[0], lab[1], lab[2], lab[3]
                    if bm == self.full_b or mask == 0:
                        best = self._finish_seg(best, mask, last, lab)
                    for b in range(nb):
                        if bm >> b & 1:
                            continue
                        lo, hi, dur = self.breaks[b]
                        nl = _merge(e, lt, d, 0, lo, hi, dur)
                        if nl is not None and nl[2] + self.to_end[last] <= cap:
                            nbm = bm | 1 << b
                            _add_seg(nxt, (mask, last, nbm), (cost, *nl, lab, ("b", b)),
                                     nbm != self.full_b or self.open_bits & ~mask)
                    for i in rem:
                        j = i + 1
                        c = row[j]
                        if e + d + c > self.latest[j]:
                            continue
                        nmask = mask | 1 << i
                        for a, b2 in self.wins[j]:
                            nl = _merge(e, lt, d, c, a, b2, self.svc[j])
                            if nl is None:
                                continue
                            ne, nlt, nd = nl
                            if nd + self.to_end[j] > cap or self._dead(nmask, j, ne + nd, bm, prune_required):
                                continue
                            _add_seg(nxt, (nmask, j, bm),
                                     (cost + crow[j] + self.extra[j], ne, nlt, nd, lab, ("s", i)),
                                     bm != self.full_b or self.open_bits & ~nmask)
            levels[lev] = {}
        return self._plan(best)

    def _finish_seg(self, best: Any, mask: int, last: int, lab: Any) -> Any:
        if mask == 0:
            key = (0, 0, 0, self.s0)
            return (key, None) if best is None or key < best[0] else best
        cost, e, lt, d = lab[0], lab[1], lab[2], lab[3]
        nl = _merge(e, lt, d, self.T[last][self.k + 1], -INF, self.s1, 0)
        if nl is None or nl[2] > self.cap:
            return best
        work = nl[2]
        overtime = max(0, work - (self.max_work if self.max_work is not None else work))
        total = cost + self.C[last][self.k + 1] + self.fixed + self.ot_cost * overtime
        key = (-self.nreq[mask], -self.prize[mask], total, nl[0] + work)
        return (key, lab) if best is None or key < best[0] else best

    def _plan(self, best: Any) -> DayPlan | None:
        if best is None:
            return None
        key, lab = best
        actions: list[tuple[str, int]] = []
        while lab is not None and lab[-1] is not None:
            actions.append(lab[-1])
            lab = lab[-2]
        actions.reverse()
        visits: list[int] = []
        breaks_at: list[tuple[int, int]] = []
        for kind, x in actions:
            if kind == "s":
                visits.append(self.cands[x])
            else:
                breaks_at.append((len(visits), x))
        return DayPlan(visits, breaks_at, key)


def _merge(e: int, lt: int, d: int, c: int, a: int, b: int, s: int) -> tuple[int, int, int] | None:
    """Append travel ``c`` and an activity with window ``[a, b]`` and duration ``s`` to a segment."""
    at = d + c
    if e + at > b:
        return None
    wait = max(a - at - lt, 0)
    return max(a - at, e) - wait, min(b - at, lt), at + s + wait


def _add(states: dict[tuple[int, int, int], list[Any]], key: tuple[int, int, int], lab: Any) -> None:
    labels = states.get(key)
    if labels is None:
        states[key] = [lab]
        return
    cost, time = lab[0], lab[1]
    for o in labels:
        if o[0] <= cost and o[1] <= time:
            return
    labels[:] = [o for o in labels if not (cost <= o[0] and time <= o[1])]
    labels.append(lab)


def _add_seg(states: dict[tuple[int, int, int], list[Any]], key: tuple[int, int, int], lab: Any,
             may_wait: object) -> None:
    """Add a segment label unless dominated. When nothing left to do can make the
    worker wait (no window opening or break ahead), the latest start ``l`` cannot
    change any later time, so it is left out of the comparison."""
    labels = states.get(key)
    if labels is None:
        states[key] = [lab]
        return
    cost, e, lt, d = lab[0], lab[1], lab[2], lab[3]
    end = e + d
    if may_wait:
        for o in labels:
            if o[0] <= cost and o[1] + o[3] <= end and o[3] <= d and o[2] >= lt:
                return
        labels[:] = [o for o in labels if not (cost <= o[0] and end <= o[1] + o[3] and d <= o[3] and lt >= o[2])]
    else:
        for o in labels:
            if o[0] <= cost and o[1] + o[3] <= end and o[3] <= d:
                return
        labels[:] = [o for o in labels if not (cost <= o[0] and end <= o[1] + o[3] and d <= o[3])]
    labels.append(lab)


def _closure(tm: np.ndarray) -> np.ndarray:
    """All-pairs shortest paths over a small travel-time matrix (Floyd-Warshall)."""
    sp = tm.astype(np.int64, copy=True)
    for m in range(sp.shape[0]):
        np.minimum(sp, sp[:, m : m + 1] + sp[m : m + 1, :], out=sp)
    return sp
