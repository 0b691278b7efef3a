"""Why each client moves in a proposed rebalancing, and where capacity falls short.

Holds :func:`explain_balance`, which turns the solver's assignment
(:class:`geoservice.balance.CaseloadSolution`) into a
:class:`geoservice.caseload_report.BalanceResult`: every client who changes worker gets
one of the :data:`geoservice.caseload_report.REASONS` and a line saying why (worker left,
skills, locality, over-capacity, closer worker, make room), new referrals say where they
were placed, clients no worker may hold say why not, and each worker left over capacity
is traced to a locality or team shortfall, pinned clients or the move cap. The figures,
JSON and tables are :mod:`geoservice.caseload_report`'s. Clients are named by id only.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING

import numpy as np

from geoservice.balance import LOAD_TOLERANCE, CaseloadSolution
from geoservice.caseload_report import REASONS, BalanceResult, CaseloadState, Move, Shortfall, minutes, units

if TYPE_CHECKING:
    from geoservice.caseload import Team


def explain_balance(team: Team, solution: CaseloadSolution, *, max_moves: int | None,
                    move_cost_minutes: float) -> BalanceResult:
    """Turn a solver's assignment into moves with reasons, before/after figures and shortfalls."""
    before = CaseloadState.of(team, team.current)
    after = CaseloadState.of(team, solution.assignment)
    index = {w.id: j for j, w in enumerate(team.workers)}
    moves, assigned, unresolved = [], [], []
    for i, c in enumerate(team.clients):
        j0 = index.get(c.usual_worker or "", -1)
        j1 = int(solution.assignment[i])
        if j1 < 0 or (j1 == j0 and not team.allowed[i, j1] and not c.pinned):
            unresolved.append(Move(c.id, c.usual_worker, None if j1 < 0 else team.workers[j1].id, "no worker",
                                   _nobody(team, i)))
        if j1 < 0 or j1 == j0:
            continue
        after_s = _seconds(team.travel_s[i, j1])
        to = team.workers[j1].id
        if not c.usual_worker:
            load = after.loads[j1]
            where = f"{minutes(after_s)} min from {to}'s base"
            if load.over_capacity <= 0:
                detail = f"nearest worker with room: {where}"
            else:
                room_elsewhere = any(team.allowed[i, j] and after.loads[j].need + c.need_weight
                                     <= after.loads[j].capacity for j in range(len(team.workers)) if j != j1)
                detail = (f"{where}; {to} ends over capacity ({units(load.need)} units, capacity "
                          f"{units(load.capacity)})" + ("" if room_elsewhere else
                                                        ": no worker who may hold them has room"))
            assigned.append(Move(c.id, None, to, "new referral", detail, None, after_s))
            continue
        before_s = _seconds(team.travel_s[i, j0]) if j0 >= 0 else None
        reason, detail = _reason(team, before, i, j0, j1, before_s, after_s, move_cost_s=60 * move_cost_minutes)
        moves.append(Move(c.id, c.usual_worker, to, reason, detail, before_s, after_s))
    moves.sort(key=lambda m: (REASONS.index(m.reason), m.from_worker or "", m.client))
    return BalanceResult(before=before, after=after, moves=tuple(moves), assigned=tuple(assigned),
                         unresolved=tuple(unresolved), shortfalls=_shortfalls(team, after, max_moves, solution.moves),
                         status=solution.status, gap=solution.gap, seconds=solution.seconds, cost_s=solution.cost,
                         cost_bound_s=solution.cost_bound, max_moves=max_moves, move_cost_minutes=move_cost_minutes)


def _reason(team: Team, before: CaseloadState, i: int, j0: int, j1: int, before_s: float | None,
            after_s: float | None, *, move_cost_s: float) -> tuple[str, str]:
    c = team.clients[i]
    if j0 < 0:
        why = team.no_caseload.get(c.usual_worker or "")
        text = {"relief-bank worker": "is a relief-bank worker (no caseload)", "leaving": "is leaving"}.get(
            why or "", "is no longer on the team")
        return "worker left", f"{c.usual_worker} {text}"
    old, new = team.workers[j0], team.workers[j1]
    if not team.allowed[i, j0]:
        missing = sorted(c.skills - old.skills)
        if missing:
            return "skills", f"needs {', '.join(missing)}; {old.id} lacks {'it' if len(missing) == 1 else 'them'}"
        return "locality", (f"lives in {team.locality_name(c.locality)}; {old.id} works in "
                            f"{team.locality_name(old.locality)}")
    load = before.loads[j0]
    if load.over_capacity > 0:
        return "over-capacity", f"{old.id} held {units(load.need)} units, capacity {units(load.capacity)}"
    # a move pays for itself in travel only when it saves at least what a move costs
    if before_s is not None and after_s is not None and before_s - after_s >= move_cost_s:
        return "closer worker", (f"{minutes(after_s)} min from {new.id}'s base instead of "
                                 f"{minutes(before_s)} min from {old.id}'s")
    return "make room", f"frees room at {old.id} for clients who must move there"


def _nobody(team: Team, i: int) -> str:
    c = team.clients[i]
    loc = team.locality_name(c.locality)
    here = [w for w in team.workers if team.allow_other_localities or w.locality in (None, c.locality)
            or c.locality is None]
    if not here:
        return f"no worker holds a caseload in {loc}"
    if not any(c.skills <= w.skills for w in here):
        return f"needs {', '.join(sorted(c.skills))}; no worker in {loc} has {'it' if len(c.skills) == 1 else 'them'}"
    return f"no road route from the base of any worker in {loc} who may hold this client"


def _shortfalls(team: Team, after: CaseloadState, max_moves: int | None, moves_used: int) -> tuple[Shortfall, ...]:
    over = {x.worker for x in after.loads if x.over_capacity > 0}
    if not over:
        return ()
    out: list[Shortfall] = []
    explained: set[str] = set()
    if team.allow_other_localities:
        need = sum(c.need_weight for c in team.clients)
        capacity = float(team.capacity.sum())
        if need > capacity + LOAD_TOLERANCE:
            out.append(Shortfall("the team", need, capacity, f"the team: clients need {units(need)} units, its "
                                 f"workers can hold {units(capacity)}: {units(need - capacity)} short"))
            explained = set(over)
    else:
        for area in after.localities:
            workers = {w.id for w in team.workers if w.locality == area.locality}
            if area.short > 0 and workers & over:
                out.append(Shortfall(f"locality {area.name}", area.need, area.capacity,
                                     f"locality {area.name}: clients need {units(area.need)} units, its workers "
                                     f"can hold {units(area.capacity)}: {units(area.short)} short"))
                explained |= workers
    pinned: dict[str, float] = defaultdict(float)
    for c in team.clients:
        if c.pinned and c.usual_worker:
            pinned[c.usual_worker] += c.need_weight
    for x in after.loads:
        if x.worker not in over or x.worker in explained:
            continue
        head = f"worker {x.worker}: holds {units(x.need)} units, capacity {units(x.capacity)}"
        if pinned[x.worker] > x.capacity + LOAD_TOLERANCE:
            why = f"its pinned clients alone need {units(pinned[x.worker])}"
        elif max_moves is not None and moves_used >= max_moves:
            why = f"--max-moves {max_moves} allows too few moves to bring it within capacity"
        else:
            why = "the skills and localities of its clients leave no other worker with room"
        out.append(Shortfall(f"worker {x.worker}", x.need, x.capacity, f"{head}: {units(x.over_capacity)} over; {why}"))
    return tuple(out)


def _seconds(t: float) -> float | None:
    return float(t) if np.isfinite(t) else None
