"""Caseloads: who holds how many clients, need-weighted, per worker and per locality,
and a proposed rebalancing that moves as few clients as possible, each move explained.

Capacity rule: a worker on a full-time week (:data:`FULL_TIME_HOURS`, 37.5 h) holds
``caseload_per_full_time`` need units (the workspace setting of that name; default
:data:`DEFAULT_CASELOAD_PER_FULL_TIME`), others in proportion to ``hours_per_week``.
Relief-bank workers (``relief=True``) and workers named as leaving hold none. A client of
need weight 1.5 uses 1.5 units.

Who may hold whom: a worker with the client's ``skills``, in the client's locality (unless
``allow_other_localities``; a client or worker without a locality fits any). Pinned
clients stay with their worker while that worker holds a caseload. Travel is the
road-network time (seconds) from the worker's home (when given) or base hub to the
client, on the worker's own mode.

The optimisation itself is geography-free, in :mod:`geoservice.balance`; this module
builds its matrices from the records (:class:`Team`), measures caseloads
(:class:`CaseloadState`) and explains the result (:class:`BalanceResult`, in
:mod:`geoservice.caseload_report`; the reasons in :mod:`geoservice.caseload_explain`).
Client names never leave this module except as map labels for viewers allowed to see
them; JSON and tables name clients by id only.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from geoservice.balance import DEFAULT_MOVE_COST_S, BoolArray, CaseloadProblem, FloatArray, IntArray, solve_balance
from geoservice.caseload_explain import explain_balance
from geoservice.caseload_report import BalanceResult, CaseloadState
from geoservice.errors import NotFoundError, UserError
from geoservice.models import Client, Hub, Locality, Worker

if TYPE_CHECKING:
    import networkx as nx

    from geoservice.store import Store

#: Contracted hours of a full-time worker (capacity scales with ``hours_per_week``).
FULL_TIME_HOURS = 37.5
#: Need units a full-time worker holds unless the workspace sets ``caseload_per_full_time``.
DEFAULT_CASELOAD_PER_FULL_TIME = 30.0
#: Minutes of base-to-client travel one avoidable move is worth (setting ``caseload_move_minutes``).
DEFAULT_MOVE_COST_MINUTES = DEFAULT_MOVE_COST_S / 60
SETTING_CASELOAD = "caseload_per_full_time"
SETTING_MOVE_COST = "caseload_move_minutes"


def worker_capacity(worker: Worker, *, caseload_per_full_time: float = DEFAULT_CASELOAD_PER_FULL_TIME) -> float:
    """Need units ``worker`` may hold: ``caseload_per_full_time`` x hours / 37.5; 0 for relief."""
    if worker.relief:
        return 0.0
    return round(caseload_per_full_time * worker.hours_per_week / FULL_TIME_HOURS, 2)


@dataclass(frozen=True)
class Team:
    """Clients and the workers who hold a caseload, in the order of the matrices.

    Attributes
    ----------
    clients
        Every client (rows of ``travel_s``).
    workers
        Workers who hold a caseload (columns): not relief, not leaving.
    capacity
        Need units each worker may hold.
    travel_s
        ``(clients, workers)`` seconds from each worker's base or home to each client on
        the worker's mode; ``np.inf`` where the road network has no route.
    allowed
        ``(clients, workers)`` locality and skills allow the pair.
    current
        Index of each client's usual worker among ``workers``, ``-1`` for none.
    no_caseload
        Worker id -> why they hold no caseload (``"relief-bank worker"``, ``"leaving"``).
    bases
        ``(lon, lat)`` each worker's travel starts from (EPSG:4326).
    at_home
        Whether that is the worker's home (personal data) rather than a hub.
    localities
        Locality id -> record.
    allow_other_localities
        Whether workers may hold clients of other localities.
    caseload_per_full_time
        The capacity rule in force.
    network
        Provenance of the road network of each mode the travel times came from.
    """

    clients: tuple[Client, ...]
    workers: tuple[Worker, ...]
    capacity: FloatArray
    travel_s: FloatArray
    allowed: BoolArray
    current: IntArray
    no_caseload: dict[str, str]
    bases: tuple[tuple[float, float], ...]
    at_home: tuple[bool, ...]
    localities: dict[str, Locality] = field(default_factory=dict)
    allow_other_localities: bool = False
    caseload_per_full_time: float = DEFAULT_CASELOAD_PER_FULL_TIME
    network: dict[str, dict[str, Any]] = field(default_factory=dict)

    def problem(self) -> CaseloadProblem:
        """The matrix problem :func:`geoservice.balance.solve_balance` solves."""
        return CaseloadProblem(need=np.array([c.need_weight for c in self.clients], dtype=float),
                               capacity=self.capacity, travel_s=self.travel_s, allowed=self.allowed,
                               current=self.current, pinned=np.array([c.pinned for c in self.clients], dtype=bool))

    def locality_name(self, locality: str | None) -> str:
        """A locality's name (its id when unknown; ``(no locality)`` for none)."""
        if locality is None:
            return "(no locality)"
        found = self.localities.get(locality)
        return found.name if found else locality


def build_team(clients: Sequence[Client], workers: Sequence[Worker], travel_s: FloatArray,
               bases: Sequence[tuple[float, float]], *, at_home: Sequence[bool] | None = None,
               localities: Sequence[Locality] = (), leaving: Collection[str] = (),
               allow_other_localities: bool = False,
               caseload_per_full_time: float = DEFAULT_CASELOAD_PER_FULL_TIME,
               network: Mapping[str, dict[str, Any]] | None = None) -> Team:
    """Build a :class:`Team` from records and a travel matrix over *all* ``workers``.

    Parameters
    ----------
    clients, workers
        The records; relief workers and those in ``leaving`` hold no caseload.
    travel_s
        ``(len(clients), len(workers))`` seconds from each worker's base to each client.
    bases
        ``(lon, lat)`` (EPSG:4326) each worker's travel starts from.
    at_home
        Whether each base is the worker's home (default: none are).
    localities
        Locality records (for names).
    leaving
        Ids of workers to treat as gone (their clients are placed with others).
    allow_other_localities
        Let workers hold clients of other localities.
    caseload_per_full_time
        Need units a full-time (37.5 h) worker holds.
    network
        Provenance of the networks ``travel_s`` was measured on (reported with results).
    """
    if caseload_per_full_time <= 0:
        raise UserError(f"{SETTING_CASELOAD} must be above 0 (need units per {FULL_TIME_HOURS:g} h week), "
                        f"got {caseload_per_full_time:g}")
    ids = {w.id for w in workers}
    for wid in leaving:
        if wid not in ids:
            raise NotFoundError(f"no worker {wid} (named as leaving)")
    if np.shape(travel_s) != (len(clients), len(workers)):
        raise ValueError(f"travel_s has shape {np.shape(travel_s)}, expected {(len(clients), len(workers))}")
    home = list(at_home) if at_home is not None else [False] * len(workers)
    keep = [k for k, w in enumerate(workers) if not w.relief and w.id not in leaving]
    no_caseload = {w.id: "relief-bank worker" if w.relief else "leaving"
                   for w in workers if w.relief or w.id in leaving}
    holders = tuple(workers[k] for k in keep)
    if clients and not holders:
        raise UserError("no worker holds a caseload (relief-bank workers hold none): add workers first")
    index = {w.id: j for j, w in enumerate(holders)}
    current = np.array([index.get(c.usual_worker or "", -1) for c in clients], dtype=np.int64)
    allowed = np.ones((len(clients), len(holders)), dtype=bool)
    for j, w in enumerate(holders):
        allowed[:, j] = [c.skills <= w.skills for c in clients]
        if not allow_other_localities and w.locality is not None:
            allowed[:, j] &= [c.locality is None or c.locality == w.locality for c in clients]
    return Team(clients=tuple(clients), workers=holders,
                capacity=np.array([worker_capacity(w, caseload_per_full_time=caseload_per_full_time)
                                   for w in holders], dtype=float),
                travel_s=np.asarray(travel_s, dtype=float)[:, keep].reshape(len(clients), len(keep)),
                allowed=allowed, current=current, no_caseload=no_caseload,
                bases=tuple(bases[k] for k in keep), at_home=tuple(home[k] for k in keep),
                localities={lc.id: lc for lc in localities}, allow_other_localities=allow_other_localities,
                caseload_per_full_time=caseload_per_full_time, network=dict(network or {}))


def caseload_state(team: Team, assignment: IntArray | None = None) -> CaseloadState:
    """Caseloads under ``assignment`` (default: the current one): per worker, per locality,
    travel from base, and the imbalance measures."""
    return CaseloadState.of(team, team.current if assignment is None else assignment)


def rebalance(team: Team, *, max_moves: int | None = None,
              move_cost_minutes: float = DEFAULT_MOVE_COST_MINUTES, time_limit: float = 60.0,
              seed: int = 0) -> BalanceResult:
    """Propose a rebalancing of ``team``'s caseloads (see :func:`geoservice.balance.solve_balance`).

    Parameters
    ----------
    team
        The clients, workers and travel times.
    max_moves
        At most this many clients who could stay with their worker change worker
        (clients whose worker left, lacks their skills or works in another locality
        always move and are not counted; nor are new referrals).
    move_cost_minutes
        A client moves to a closer worker only when the worker's base is this many
        minutes closer (travel from base); capacity always comes first.
    time_limit
        Seconds the solver may take; the result says whether the optimum was proven.
    seed
        Solver seed (same seed, same result).
    """
    if max_moves is not None and max_moves < 0:
        raise UserError(f"--max-moves must be 0 or more, got {max_moves}")
    if move_cost_minutes < 0:
        raise UserError(f"{SETTING_MOVE_COST} must be 0 or more, got {move_cost_minutes:g}")
    problem = team.problem()
    solution = solve_balance(problem, max_moves=max_moves, move_cost_s=move_cost_minutes * 60,
                             time_limit=time_limit, seed=seed)
    return explain_balance(team, solution, max_moves=max_moves, move_cost_minutes=move_cost_minutes)


# -- the workspace --------------------------------------------------------------------------


@dataclass(frozen=True)
class BaseTravel:
    """Travel from each worker's start point to each client, and where the network came from.

    ``travel_s`` is ``(clients, workers)`` seconds on each worker's own mode (``np.inf``:
    no route); ``bases`` the ``(lon, lat)`` each worker starts from (EPSG:4326);
    ``at_home`` whether that is the worker's home; ``network`` the provenance of the
    graph of each mode used.
    """

    travel_s: FloatArray
    bases: list[tuple[float, float]]
    at_home: list[bool]
    network: dict[str, dict[str, Any]]


def base_travel_times(clients: Sequence[Client], workers: Sequence[Worker], hubs: Sequence[Hub],
                      graphs: Mapping[str, nx.MultiDiGraph]) -> BaseTravel:
    """Travel time (s) from each worker's home, or else base hub, to each client on the
    worker's mode (``graphs`` by mode), as :func:`geoservice.travel_times.travel_times`
    measures it: network time plus the walks between each place and its road."""
    from geoservice.travel_times import network_provenance, place_on_network, travel_times

    hub_at = {h.id: (h.lon, h.lat) for h in hubs}
    bases: list[tuple[float, float]] = []
    at_home: list[bool] = []
    for w in workers:
        if w.lon is not None and w.lat is not None:
            bases.append((w.lon, w.lat))
            at_home.append(True)
        elif w.base in hub_at:
            bases.append(hub_at[w.base])
            at_home.append(False)
        else:
            raise UserError(f"worker {w.id} has no home location and no known base hub ({w.base or 'none'})")
    travel = np.full((len(clients), len(workers)), np.inf)
    network: dict[str, dict[str, Any]] = {}
    for mode in sorted({w.mode for w in workers}) if clients else []:
        if mode not in graphs:
            raise UserError(f"no {mode} road network in the workspace: run `outreach network build` with that mode")
        G = graphs[mode]
        cols = [j for j, w in enumerate(workers) if w.mode == mode]
        placed = place_on_network(G, [(c.lon, c.lat) for c in clients])
        starts = place_on_network(G, [bases[j] for j in cols])
        travel[:, cols] = travel_times(G, starts, placed).T
        network[mode] = network_provenance(G)
    return BaseTravel(travel, bases, at_home, network)


def workspace_team(store: Store, *, allow_other_localities: bool = False,
                   leaving: Collection[str] = (), caseload_per_full_time: float | None = None) -> Team:
    """The workspace's clients and workers as a :class:`Team` (travel on its road networks).

    ``caseload_per_full_time`` defaults to the workspace setting of that name, else
    :data:`DEFAULT_CASELOAD_PER_FULL_TIME`.
    """
    from geoservice.networks import workspace_graph

    clients, workers = store.records("clients"), store.records("workers")
    settings = store.settings()
    per_fte = caseload_per_full_time if caseload_per_full_time is not None else _setting(
        settings, SETTING_CASELOAD, DEFAULT_CASELOAD_PER_FULL_TIME)
    graphs = {mode: workspace_graph(store, mode) for mode in sorted({w.mode for w in workers})}
    travel = base_travel_times(clients, workers, store.records("hubs"), graphs)
    return build_team(clients, workers, travel.travel_s, travel.bases, at_home=travel.at_home,
                      localities=store.records("localities"), leaving=leaving,
                      allow_other_localities=allow_other_localities, caseload_per_full_time=per_fte,
                      network=travel.network)


def workspace_caseload(store: Store, *, allow_other_localities: bool = False) -> CaseloadState:
    """The workspace's current caseloads (``outreach balance`` shows them as "before")."""
    return caseload_state(workspace_team(store, allow_other_localities=allow_other_localities))


def balance_workspace(store: Store, *, max_moves: int | None = None,
                      allow_other_localities: bool = False, leaving: Collection[str] = (),
                      move_cost_minutes: float | None = None, caseload_per_full_time: float | None = None,
                      time_limit: float = 60.0, seed: int = 0) -> BalanceResult:
    """``outreach balance``: propose a rebalancing of the workspace's caseloads.

    Options as in :func:`rebalance` and :func:`workspace_team`; ``move_cost_minutes``
    defaults to the workspace setting ``caseload_move_minutes``, else 15. Nothing is
    written: the result is a proposal.
    """
    team = workspace_team(store, allow_other_localities=allow_other_localities, leaving=leaving,
                          caseload_per_full_time=caseload_per_full_time)
    minutes = move_cost_minutes if move_cost_minutes is not None else _setting(
        store.settings(), SETTING_MOVE_COST, DEFAULT_MOVE_COST_MINUTES)
    return rebalance(team, max_moves=max_moves, move_cost_minutes=minutes, time_limit=time_limit, seed=seed)


def _setting(settings: Mapping[str, str], key: str, default: float) -> float:
    text = settings.get(key, "").strip()
    if not text:
        return default
    try:
        return float(text)
    except ValueError:
        raise UserError(f"workspace setting {key} = {text!r} is not a number") from None
