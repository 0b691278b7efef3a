"""Caseload figures and the explained result of a rebalancing, as objects, JSON and text.

:class:`CaseloadState` measures caseloads under one assignment; :class:`BalanceResult` holds
the before and after states, each move with its reason, and where capacity falls short.
Both can be drawn by :func:`maps.caseload.caseload_map`. JSON and tables name clients by id
only (never a name or a coordinate); map client points are read only for viewers allowed
to see them. The reasons themselves are worked out by :func:`explain_balance`, in
:mod:`geoservice.caseload_explain` (also importable from here).

Loads are in *need units* (a client of need weight 1.5 uses 1.5); travel in seconds from the
worker's base or home; ``max_min_ratio`` compares loads per full-time equivalent, so a
part-time worker with a proportionally smaller caseload counts as even.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from geoservice.balance import LOAD_TOLERANCE, IntArray
from maps.caseload import ClientMark, LocalityArea, MoveFlow, WorkerMark

if TYPE_CHECKING:
    from geoservice.caseload import Team
    from geoservice.caseload_explain import explain_balance as explain_balance

#: Why a client changes worker. The first three are forced (the worker may not keep the client).
FORCED_REASONS = ("worker left", "skills", "locality")
REASONS = (*FORCED_REASONS, "over-capacity", "closer worker", "make room")


def units(x: float) -> str:
    """Need units as text: one decimal, two when needed (``24.0``, ``7.5``, ``1.25``)."""
    return f"{x:.1f}" if abs(round(x, 1) - x) < 1e-9 else f"{x:.2f}"


def minutes(t: float | None) -> str:
    """Seconds as rounded minutes for text (``"12"``): ``"<1"`` under 30 s, ``""`` for None."""
    if t is None:
        return ""
    return "<1" if t < 30 else f"{t / 60:.0f}"


@dataclass(frozen=True)
class WorkerLoad:
    """One worker's caseload: clients, need units held and capacity, travel from base (s)."""

    worker: str
    name: str
    locality: str | None
    hours_per_week: float
    clients: int
    need: float
    capacity: float
    travel_s_mean: float | None
    travel_s_max: float | None

    @property
    def over_capacity(self) -> float:
        """Need units above capacity (0 when within)."""
        return max(0.0, self.need - self.capacity) if self.need > self.capacity + LOAD_TOLERANCE else 0.0

    @property
    def utilisation(self) -> float | None:
        """Need held / capacity (None for a worker of capacity 0)."""
        return self.need / self.capacity if self.capacity > 0 else None

    def as_json(self) -> dict[str, Any]:
        """JSON-ready figures (no client data)."""
        return {"worker": self.worker, "name": self.name, "locality": self.locality, "clients": self.clients,
                "need": round(self.need, 2), "capacity": round(self.capacity, 2),
                "utilisation": None if self.utilisation is None else round(self.utilisation, 3),
                "over_capacity": round(self.over_capacity, 2),
                "travel_s_mean": None if self.travel_s_mean is None else round(self.travel_s_mean),
                "travel_s_max": None if self.travel_s_max is None else round(self.travel_s_max)}


@dataclass(frozen=True)
class LocalityLoad:
    """A locality's clients and need against the capacity of the workers based in it."""

    locality: str | None
    name: str
    clients: int
    need: float
    workers: int
    capacity: float

    @property
    def short(self) -> float:
        """Need units its own workers cannot hold (0 when they can)."""
        return max(0.0, self.need - self.capacity) if self.need > self.capacity + LOAD_TOLERANCE else 0.0

    def as_json(self) -> dict[str, Any]:
        """JSON-ready figures."""
        return {"locality": self.locality, "name": self.name, "clients": self.clients, "need": round(self.need, 2),
                "workers": self.workers, "capacity": round(self.capacity, 2), "short": round(self.short, 2)}


@dataclass(frozen=True)
class CaseloadState:
    """Caseloads under one assignment, with the imbalance measures.

    Attributes
    ----------
    loads
        Per worker who holds a caseload.
    localities
        Per locality (clients by where they live, capacity of the workers based there).
    max_min_ratio
        Highest / lowest need held per full-time equivalent (1.0 = even); None when a
        worker holds nothing.
    load_std
        Standard deviation of need units per full-time equivalent.
    over_capacity
        Need units above capacity, summed over workers.
    workers_over_capacity
        Workers above capacity.
    clients_without_worker
        Clients no caseload-holding worker holds (new referrals, clients of a worker who left).
    """

    team: Team = field(repr=False)
    assignment: IntArray = field(repr=False)
    loads: tuple[WorkerLoad, ...]
    localities: tuple[LocalityLoad, ...]
    max_min_ratio: float | None
    load_std: float
    over_capacity: float
    workers_over_capacity: int
    clients_without_worker: int

    @classmethod
    def of(cls, team: Team, assignment: IntArray) -> CaseloadState:
        """Measure ``team``'s caseloads under ``assignment`` (worker index per client, -1 none)."""
        a = np.asarray(assignment, dtype=np.int64)
        need = np.array([c.need_weight for c in team.clients], dtype=float)
        m = len(team.workers)
        held = a >= 0
        load = np.bincount(a[held], weights=need[held], minlength=m)
        count = np.bincount(a[held], minlength=m)
        trips = team.travel_s[np.flatnonzero(held), a[held]] if held.any() else np.array([])
        loads = []
        for j, w in enumerate(team.workers):
            t = trips[a[held] == j]
            t = t[np.isfinite(t)]
            loads.append(WorkerLoad(w.id, w.name, w.locality, w.hours_per_week, int(count[j]), float(load[j]),
                                    float(team.capacity[j]), float(t.mean()) if len(t) else None,
                                    float(t.max()) if len(t) else None))
        fte = np.array([w.hours_per_week for w in team.workers], dtype=float) / 37.5
        per_fte = load[fte > 0] / fte[fte > 0]
        ratio = (float(per_fte.max() / per_fte.min()) if len(per_fte) and per_fte.min() > 0 else None)
        over = [x.over_capacity for x in loads]
        return cls(team=team, assignment=a, loads=tuple(loads), localities=_localities(team),
                   max_min_ratio=ratio, load_std=float(per_fte.std()) if len(per_fte) else 0.0,
                   over_capacity=float(sum(over)), workers_over_capacity=sum(o > 0 for o in over),
                   clients_without_worker=int((~held).sum()))

    def client_travel_s(self) -> dict[str, float | None]:
        """Client id -> seconds from their worker's base or home (None: no worker or no route)."""
        out: dict[str, float | None] = {}
        for i, c in enumerate(self.team.clients):
            j = int(self.assignment[i])
            t = float(self.team.travel_s[i, j]) if j >= 0 else np.inf
            out[c.id] = t if np.isfinite(t) else None
        return out

    def as_json(self) -> dict[str, Any]:
        """``{loads: [...], max_min_ratio, load_std, over_capacity, workers_over_capacity,
        clients_without_worker, localities: [...]}``."""
        return {"loads": [x.as_json() for x in self.loads],
                "max_min_ratio": None if self.max_min_ratio is None else round(self.max_min_ratio, 3),
                "load_std": round(self.load_std, 3), "over_capacity": round(self.over_capacity, 2),
                "workers_over_capacity": self.workers_over_capacity,
                "clients_without_worker": self.clients_without_worker,
                "localities": [x.as_json() for x in self.localities]}

    def table(self) -> str:
        """Plain-text tables: per worker, per locality, the imbalance measures."""
        rows = [[x.worker, self.team.locality_name(x.locality) if x.locality else "(any)", str(x.clients),
                 units(x.need), units(x.capacity), _percent(x.utilisation), minutes(x.travel_s_mean),
                 minutes(x.travel_s_max)] for x in self.loads]
        out = [_grid(["worker", "locality", "clients", "need", "capacity", "load", "mean trip", "longest"], rows)]
        out += ["", _grid(["locality", "clients", "need", "workers", "capacity", "short"],
                          [[x.name, str(x.clients), units(x.need), str(x.workers), units(x.capacity),
                            units(x.short) if x.short else ""] for x in self.localities])]
        out += ["", self.summary()]
        return "\n".join(out)

    def summary(self) -> str:
        """One line of imbalance measures."""
        ratio = "n/a (a worker holds none)" if self.max_min_ratio is None else f"{self.max_min_ratio:.2f}"
        return (f"max/min load ratio {ratio}; std {self.load_std:.1f} units per full-time worker; "
                f"over capacity {units(self.over_capacity)} units ({_plural(self.workers_over_capacity, 'worker')}); "
                f"{_plural(self.clients_without_worker, 'client')} without a worker")

    # -- what maps.caseload.caseload_map draws --------------------------------------------

    @property
    def map_title(self) -> str:
        return "Caseloads"

    def map_workers(self) -> list[WorkerMark]:
        return [WorkerMark(x.worker, x.name, lon, lat, x.clients, x.need, x.capacity, home)
                for x, (lon, lat), home in zip(self.loads, self.team.bases, self.team.at_home, strict=True)]

    def map_localities(self) -> list[LocalityArea]:
        out = []
        for x in self.localities:
            record = self.team.localities.get(x.locality or "")
            if record is not None:
                out.append(LocalityArea(record.id, x.name, record.geometry, x.clients, x.need, x.capacity, x.workers))
        return out

    def map_clients(self) -> list[ClientMark]:
        return [ClientMark(c.id, c.name, c.lon, c.lat, self.team.workers[j].id if j >= 0 else None, c.need_weight)
                for c, j in zip(self.team.clients, self.assignment.tolist(), strict=True)]

    def map_flows(self) -> list[MoveFlow]:
        return []


@dataclass(frozen=True)
class Move:
    """A client's change of worker (``from_worker`` None: a new referral; ``to_worker``
    None: nobody may hold the client)."""

    client: str
    from_worker: str | None
    to_worker: str | None
    reason: str
    detail: str
    travel_s_before: float | None = None
    travel_s_after: float | None = None

    def as_json(self) -> dict[str, Any]:
        """``{client, from, to, reason, detail, travel_s_before, travel_s_after}``."""
        return {"client": self.client, "from": self.from_worker, "to": self.to_worker, "reason": self.reason,
                "detail": self.detail, "travel_s_before": _round(self.travel_s_before),
                "travel_s_after": _round(self.travel_s_after)}


@dataclass(frozen=True)
class Shortfall:
    """Where capacity cannot cover need: ``where`` (a locality, the team, a worker), the
    need units and the capacity there, and a one-line message saying so."""

    where: str
    need: float
    capacity: float
    message: str

    @property
    def short(self) -> float:
        """Need units above capacity."""
        return self.need - self.capacity

    def as_json(self) -> dict[str, Any]:
        """JSON-ready shortfall."""
        return {"where": self.where, "need": round(self.need, 2), "capacity": round(self.capacity, 2),
                "short": round(self.short, 2), "message": self.message}


@dataclass(frozen=True)
class BalanceResult:
    """A proposed rebalancing: before and after, every move explained, and what it cannot fix.

    ``moves`` are clients who had a worker and change worker; ``assigned`` are new referrals
    placed (not moves); ``unresolved`` are clients no worker may hold (kept where they were,
    if anywhere). ``status`` is ``"optimal"`` when the solver proved the optimum, else
    ``"time limit"`` with ``gap`` the relative distance to the proven bound.
    """

    before: CaseloadState
    after: CaseloadState
    moves: tuple[Move, ...]
    assigned: tuple[Move, ...]
    unresolved: tuple[Move, ...]
    shortfalls: tuple[Shortfall, ...]
    status: str
    gap: float
    seconds: float
    cost_s: float
    cost_bound_s: float
    max_moves: int | None
    move_cost_minutes: float

    @property
    def within_capacity(self) -> bool:
        """Whether every worker ends within capacity."""
        return self.after.workers_over_capacity == 0

    @property
    def optional_moves(self) -> int:
        """Moves of clients who could have stayed (what ``max_moves`` caps)."""
        return sum(m.reason not in FORCED_REASONS for m in self.moves)

    def as_json(self) -> dict[str, Any]:
        """The ``outreach balance --format json`` document (DESIGN.md): ``before``, ``after``,
        ``moves`` (``client``, ``from``, ``to``, ``reason``), and more."""
        team = self.before.team
        return {"before": self.before.as_json(), "after": self.after.as_json(),
                "moves": [m.as_json() for m in self.moves],
                "assigned": [m.as_json() for m in self.assigned],
                "unresolved": [m.as_json() for m in self.unresolved],
                "shortfalls": [s.as_json() for s in self.shortfalls],
                "within_capacity": self.within_capacity,
                "solver": {"status": self.status, "gap": round(self.gap, 6), "seconds": round(self.seconds, 3),
                           "cost_s": round(self.cost_s), "bound_s": round(self.cost_bound_s)},
                "settings": {"max_moves": self.max_moves, "allow_other_localities": team.allow_other_localities,
                             "caseload_per_full_time": team.caseload_per_full_time, "full_time_hours": 37.5,
                             "move_cost_minutes": self.move_cost_minutes,
                             "leaving": sorted(k for k, v in team.no_caseload.items() if v == "leaving")},
                "network": team.network}

    def table(self) -> str:
        """The result as plain text: loads before and after, moves, shortfalls, solver status."""
        b, a = self.before, self.after
        rows = [[x.worker, str(x.clients), units(x.need), _percent(x.utilisation), str(y.clients), units(y.need),
                 _percent(y.utilisation), units(y.capacity)] for x, y in zip(b.loads, a.loads, strict=True)]
        out = ["Caseloads (need units; capacity "
               f"{units(b.team.caseload_per_full_time)} per 37.5 h week)",
               _grid(["worker", "clients", "need", "load", "-> clients", "need", "load", "capacity"], rows), "",
               f"before: {b.summary()}", f"after:  {a.summary()}", ""]
        cap = "" if self.max_moves is None else f"; at most {self.max_moves} optional"
        out.append(f"Moves: {len(self.moves)} ({self.optional_moves} optional{cap})")
        if self.moves:
            out.append(_grid(["client", "from", "to", "reason", "why"],
                             [[m.client, m.from_worker or "", m.to_worker or "", m.reason, m.detail]
                              for m in self.moves]))
        if self.assigned:
            out += ["", f"New referrals placed: {len(self.assigned)}",
                    _grid(["client", "to", "why"], [[m.client, m.to_worker or "", m.detail] for m in self.assigned])]
        if self.unresolved:
            out += ["", "No worker may hold:"] + [f"  {m.client}: {m.detail}" for m in self.unresolved]
        if self.shortfalls:
            out += ["", "Capacity falls short:"] + [f"  {s.message}" for s in self.shortfalls]
        gap = "" if self.status == "optimal" else f" (within {self.gap:.2%} of the best possible)"
        out += ["", f"Solver: {self.status}{gap} in {self.seconds:.2f} s"]
        return "\n".join(out)

    # -- what maps.caseload.caseload_map draws --------------------------------------------

    @property
    def map_title(self) -> str:
        return "Proposed caseload moves"

    def map_workers(self) -> list[WorkerMark]:
        return self.after.map_workers()

    def map_localities(self) -> list[LocalityArea]:
        return self.after.map_localities()

    def map_clients(self) -> list[ClientMark]:
        moved = {m.client: m for m in self.moves}
        out = []
        for c in self.after.map_clients():
            m = moved.get(c.id)
            if m is not None:
                c = ClientMark(c.id, c.name, c.lon, c.lat, c.worker, c.need, m.from_worker, m.reason)
            out.append(c)
        return out

    def map_flows(self) -> list[MoveFlow]:
        need = {c.id: c.need_weight for c in self.before.team.clients}
        flows: dict[tuple[str, str], list[float]] = defaultdict(list)
        for m in self.moves:
            if m.from_worker and m.to_worker:
                flows[(m.from_worker, m.to_worker)].append(need[m.client])
        return [MoveFlow(f, t, len(v), sum(v)) for (f, t), v in sorted(flows.items())]


def __getattr__(name: str) -> Any:
    # explain_balance builds on the classes here, so it is imported on first use, not at the top
    if name == "explain_balance":
        from geoservice.caseload_explain import explain_balance

        return explain_balance
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _localities(team: Team) -> tuple[LocalityLoad, ...]:
    need: dict[str | None, float] = defaultdict(float)
    count: Counter[str | None] = Counter()
    for c in team.clients:
        need[c.locality] += c.need_weight
        count[c.locality] += 1
    workers: Counter[str | None] = Counter(w.locality for w in team.workers)
    capacity: dict[str | None, float] = defaultdict(float)
    for w, cap in zip(team.workers, team.capacity.tolist(), strict=True):
        capacity[w.locality] += cap
    ids: list[str | None] = list(team.localities)
    ids += sorted({lc for lc in count if lc is not None and lc not in team.localities})
    if None in count:
        ids.append(None)
    return tuple(LocalityLoad(lc, team.locality_name(lc), count[lc], need[lc], workers[lc] if lc else 0,
                              capacity[lc] if lc else 0.0) for lc in ids)



def _round(t: float | None) -> int | None:
    return None if t is None else round(t)


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _percent(x: float | None) -> str:
    return "" if x is None else f"{x:.0%}"


def _grid(header: list[str], rows: list[list[str]]) -> str:
    widths = [max([len(h)] + [len(r[k]) for r in rows]) for k, h in enumerate(header)]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip(),
             "  ".join("-" * w for w in widths)]
    lines += ["  ".join(v.ljust(w) for v, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return "\n".join(lines)
