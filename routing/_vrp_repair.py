"""Place the stops the heuristic left out, exactly, one or two workers' days at a time.

PyVRP's search can end with a required stop, or an optional stop with a prize,
unplanned although the team has room for it: a worker's day may take it once
re-ordered, or once one of its visits moves to another worker (a local search
that moves one stop at a time must pass through worse solutions to get there).
After the search, every such stop - required ones first, then optional ones by
prize, highest first, ties by stop index - gets a place if one of these moves
finds one:

1. *insert*: the exact best day (:func:`routing._vrp_exact.plan_day`) of a
   vehicle that may serve the stop, over its current stops plus this one; tried
   first only for the vehicles whose day takes it without re-ordering (a quick
   test; when the label budget is spent, that cheapest insertion is the day),
   then for all of them;
2. *make room*, tried when no insert works: one of that vehicle's stops moves to
   another vehicle that may serve it (that vehicle's exact day over its stops
   plus the moved one), and the first vehicle's exact day is over its stops
   without the moved one plus this one;
3. *swap*, tried when neither works: as 2., and one of the other vehicle's
   stops moves the other way.

Only days of at most ``max_stops`` stops are solved exactly; longer days take
quick inserts only. A move is taken when the
days it changes serve more required stops, or as many and more prize, than
before (an optional stop may give way to a required one or to a larger prize;
it then goes back to the stops to place); among the moves of one kind, the one
that gains most, then adds least cost, then comes first in vehicle and stop
order. After any success the cheapest kind of move is tried again; passes end
when no stop finds a place. Every day made is one the exact programme planned
or a fixed order the shared timing rules placed the breaks in and checked.

Deterministic: the order is fixed and the effort is a label budget (the exact
programme's unit of work) counted the same way on every run; each day starts
with a small label cap and is retried with a larger one, each attempt charged
its whole cap; when the budget is spent only the quick inserts go on. A day
whose service and shortest legs alone are longer than the vehicle may work is
not solved when only a day with all its stops could help.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from ._vrp_exact import DayPlan, plan_day
from ._vrp_precheck import least_working_time, longest_day
from ._vrp_result import make_route
from ._vrp_schedule import best_break_positions, route_timing

if TYPE_CHECKING:
    from .vrp import Problem

Plans = dict[int, tuple[list[int], list[tuple[int, int]]]]
Rank = tuple[int, int, int]  # (-required stops, -prize, cost) of a day, as plan_day ranks days

#: labels a second of time limit the repair may use (the exact programme makes
#: 150,000-250,000 a second here, so at most about a fifth of the time limit)
REPAIR_LABELS_PER_SECOND = 10_000
#: the budget of a solve with a very short time limit
REPAIR_MIN_LABELS = 50_000
#: label cap of a first attempt at a day; a day that needs more is retried with four times as many
FIRST_CAP = 250


def fill(problem: Problem, plans: Plans, candidates: dict[int, list[int]], *, max_stops: int,
         max_labels: int) -> int:
    """Add left-out required and prize stops to vehicles' days, changing ``plans`` in
    place (vehicle -> (visit order, break placement)); returns how many were added."""
    return _Repair(problem, plans, candidates, max_stops, max(max_labels, REPAIR_MIN_LABELS)).run()


class _Repair:
    def __init__(self, problem: Problem, plans: Plans, candidates: dict[int, list[int]], max_stops: int,
                 labels: int) -> None:
        self.problem, self.plans, self.candidates, self.max_stops = problem, plans, candidates, max_stops
        self.left = labels
        self.ranks = {v: _rank(problem, v, *day) for v, day in plans.items()}
        self.days: dict[tuple[int, tuple[int, ...]], DayPlan | None] = {}
        self.in_order: dict[tuple[int, tuple[int, ...], int], DayPlan | None] = {}

    def run(self) -> int:
        stops = self.problem.stops
        wanted = sorted((j for j in self.candidates if stops[j].required or stops[j].prize > 0),
                        key=lambda j: (not stops[j].required, -stops[j].prize, j))
        kinds = (self._insert_in_order, self._insert, self._make_room, self._swap)
        added, kind = 0, 0
        while kind < len(kinds) and (self.left > 0 or kind == 0):
            placed = False
            for j in wanted:
                if any(j in visits for visits, _ in self.plans.values()):
                    continue
                move = kinds[kind](j)
                if move is not None:
                    for v, day in move.items():
                        self.plans[v] = (list(day.visits), list(day.breaks_at))
                        self.ranks[v] = _rank(self.problem, v, *self.plans[v])
                    added += 1
                    placed = True
            kind = 0 if placed else kind + 1  # the cheapest kind of move first, again after any success
        return added

    def _visits(self, v: int) -> list[int]:
        return self.plans[v][0] if v in self.plans else []

    def _insert_in_order(self, j: int) -> dict[int, DayPlan] | None:
        """Insert ``j`` into the days it fits without re-ordering them (a quick test), each
        then planned exactly while the budget lasts (else kept as the cheapest insertion)."""
        return self._insert(j, quick=True)

    def _insert(self, j: int, *, quick: bool = False) -> dict[int, DayPlan] | None:
        best: tuple[tuple[int, ...], dict[int, DayPlan]] | None = None
        for v in self.candidates[j]:
            fits = self._in_order(v, j) if quick else None
            if quick and fits is None:
                continue
            day = self._day(v, [*self._visits(v), j], all_or_none=self._least_valuable(j, [v]))
            if day is None or j not in day.visits:
                day = fits
            if day is None or j not in day.visits:
                continue
            gain = self._gain({v: day})
            if gain is not None and (best is None or (*gain, v) < best[0]):
                best = ((*gain, v), {v: day})
        return None if best is None else best[1]

    def _in_order(self, v: int, j: int) -> DayPlan | None:
        """The cheapest day of ``v`` with ``j`` inserted into its current order (breaks placed
        by the shared rules), or None when no position keeps every rule."""
        visits, stop, veh = self._visits(v), self.problem.stops[j], self.problem.vehicles[v]
        key = (v, tuple(visits), j)
        if key in self.in_order:
            return self.in_order[key]
        self.in_order[key] = None
        if veh.capacity is not None and sum(self.problem.stops[i].demand for i in visits) + stop.demand > veh.capacity:
            return None
        best: DayPlan | None = None
        for pos in range(len(visits) + 1):
            trial = [*visits[:pos], j, *visits[pos:]]
            if veh.breaks and route_timing(self.problem, v, trial) is None:
                continue  # breaks only add time: no placement of them can fit
            placed = best_break_positions(self.problem, v, trial)
            if placed is None:
                continue
            route = make_route(self.problem, v, trial, placed[0], placed[1])
            stops = [self.problem.stops[i] for i in trial]
            rank = (-sum(s.required for s in stops), -sum(s.prize for s in stops), route.cost, route.end_time)
            if best is None or rank < best.key:
                best = DayPlan(trial, placed[0], rank)
        self.in_order[key] = best
        return best

    def _make_room(self, j: int) -> dict[int, DayPlan] | None:
        return self._move_out(j, swap=False)

    def _swap(self, j: int) -> dict[int, DayPlan] | None:
        return self._move_out(j, swap=True)

    def _move_out(self, j: int, *, swap: bool) -> dict[int, DayPlan] | None:
        """Move a stop ``k`` of a vehicle ``v`` that may serve ``j`` to another vehicle ``w``
        (with ``swap``: and a stop ``m`` of ``w`` to ``v``), then ``j`` into ``v``'s day."""
        best: tuple[tuple[int, ...], dict[int, DayPlan]] | None = None
        for v in self.candidates[j]:
            visits = self._visits(v)
            for k in sorted(visits):
                for w in self.candidates[k]:
                    if w == v:
                        continue
                    others = self._visits(w)
                    whole = self._least_valuable(j, [v, w])
                    for m in sorted(i for i in others if v in self.candidates[i]) if swap else [-1]:
                        here = self._day(v, [i for i in visits if i != k] + [j] + ([m] if m >= 0 else []), whole)
                        if here is None or j not in here.visits:
                            continue
                        there = self._day(w, [i for i in others if i != m] + [k], whole)
                        if there is None or k not in there.visits:
                            continue
                        gain = self._gain({v: here, w: there})
                        if gain is not None and (best is None or (*gain, v, k, w, m) < best[0]):
                            best = ((*gain, v, k, w, m), {v: here, w: there})
        return None if best is None else best[1]

    def _least_valuable(self, j: int, vehicles: list[int]) -> bool:
        """Whether every stop in these vehicles' days is worth at least as much as ``j``
        (required before optional, then prize): then a move gains only with days that
        serve every stop they are given."""
        worth = self.problem.stops[j].required, self.problem.stops[j].prize
        return all((self.problem.stops[i].required, self.problem.stops[i].prize) >= worth
                   for v in vehicles for i in self._visits(v))

    def _gain(self, days: dict[int, DayPlan]) -> Rank | None:
        """Change of (-required, -prize, cost) if these days replace the vehicles' days;
        None unless it serves more required stops, or as many and more prize."""
        before = [self.ranks.get(v, (0, 0, 0)) for v in days]
        after = [day.key[:3] for day in days.values()]
        gain = tuple(sum(a[i] for a in after) - sum(b[i] for b in before) for i in range(3))
        return (gain[0], gain[1], gain[2]) if (gain[0], gain[1]) < (0, 0) else None

    def _day(self, v: int, stops: list[int], all_or_none: bool) -> DayPlan | None:
        """The exact best day of vehicle ``v`` over ``stops`` (any may be left out), or None
        when they are too many, or the label budget cannot pay for it, or (``all_or_none``:
        only a day with all of them is of use) their service and shortest legs alone are
        longer than the vehicle's day may be."""
        if len(stops) > self.max_stops:
            return None
        if all_or_none and least_working_time(self.problem, v, stops) > longest_day(self.problem, v):
            return None
        key = (v, tuple(sorted(stops)))
        if key not in self.days:
            self.days[key] = None
            cap = FIRST_CAP
            while self.left > 0:
                cap = min(cap, self.left)
                self.left -= cap
                day = plan_day(self.problem, v, list(key[1]), max_labels=cap)
                if day is not None:
                    self.days[key] = day
                    break
                cap *= 4
        return self.days[key]


def _rank(problem: Problem, v: int, visits: list[int], breaks_at: list[tuple[int, int]]) -> Rank:
    """(-required stops, -prize, cost) of a vehicle's day, as the exact programme ranks days."""
    stops = [problem.stops[j] for j in visits]
    cost = make_route(problem, v, visits, breaks_at).cost if visits else 0
    return (-sum(s.required for s in stops), -sum(s.prize for s in stops), cost)
