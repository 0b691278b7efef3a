"""Compute travel-time and distance matrices between graph nodes, fast and exactly.

The graph is exported once per weight to a SciPy CSR matrix (keeping the
cheapest of parallel edges, as NetworkX does on a MultiDiGraph) and cached per
graph; SciPy's compiled Dijkstra then runs from the unique origins only, or
from the unique destinations on the reversed graph when there are fewer of
them. Values equal ``networkx.single_source_dijkstra_path_length`` on the same
graph to floating-point rounding.

Before that, the graph is reduced (once, cached): dead-end trees are peeled off
and chains of nodes with exactly two neighbours are replaced by single edges
between their end junctions. Dijkstra runs on the remaining core, and a node
outside it reaches the core through at most two exits at known cost. On a rural
county this halves to thirds the nodes Dijkstra visits; results stay exact.
Where an origin and a destination share a tree or chain, the route that stays
inside it is also tried (Dijkstra on that small piece).

SciPy's Dijkstra holds the GIL, so threads do not help; on a two-core machine
worker processes did not pay for their start-up at the sizes measured in
``benchmarks/matrix.py``, so this module runs in the calling thread.
"""

from __future__ import annotations

import math
import weakref
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass, field

import networkx as nx
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from .errors import UnknownNodeError

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]

# cells (rows x graph nodes) Dijkstra may return at once; bounds memory on big graphs
_CHUNK_CELLS = 4_000_000
# use the reduced graph only when it needs at most this share of the full graph's Dijkstra work
_CORE_WORTH = 0.8
# float noise allowed before rounding a time up to the next whole second
_CEIL_TOLERANCE_S = 1e-6


def travel_time_matrix(graph: nx.MultiDiGraph, origins: Iterable[Hashable],
                       destinations: Iterable[Hashable] | None = None, *,
                       weight: str = "travel_time") -> FloatArray:
    """
    Compute shortest travel times between nodes, in seconds.

    Parameters
    ----------
    graph
        Input graph with a numeric `weight` attribute on every edge.
    origins
        Origin node ids (repeats allowed).
    destinations
        Destination node ids; by default the origins (a square matrix).
    weight
        Edge attribute to minimise and sum, in seconds for ``"travel_time"``.

    Returns
    -------
    times
        Float array of shape ``(len(origins), len(destinations))``; ``times[i, j]``
        is the least total `weight` from ``origins[i]`` to ``destinations[j]``,
        ``np.inf`` where no path exists.

    Raises
    ------
    UnknownNodeError
        If an origin or destination is not a node of `graph`.
    """
    csr = _csr(graph, weight, None)
    return _solve_on_core(csr, _node_rows(csr, origins, "origins"),
                          None if destinations is None else _node_rows(csr, destinations, "destinations"))


def distance_matrix(graph: nx.MultiDiGraph, origins: Iterable[Hashable],
                    destinations: Iterable[Hashable] | None = None) -> FloatArray:
    """
    Compute shortest road distances between nodes, in meters.

    Parameters
    ----------
    graph
        Input graph with edge ``length`` in meters.
    origins
        Origin node ids.
    destinations
        Destination node ids; by default the origins.

    Returns
    -------
    distances
        Float array ``(len(origins), len(destinations))`` of the shortest
        distance in meters along the network, ``np.inf`` where unreachable.
    """
    return travel_time_matrix(graph, origins, destinations, weight="length")


def fastest_route_matrices(graph: nx.MultiDiGraph, origins: Iterable[Hashable],
                           destinations: Iterable[Hashable] | None = None, *,
                           weight: str = "travel_time",
                           length: str = "length") -> tuple[FloatArray, FloatArray]:
    """
    Compute travel times and the distance driven along the fastest routes.

    The distance is the length (meters) of the route that minimises `weight`,
    not the shortest distance: what a mileage claim or a leg of an itinerary
    reports. Both come from one Dijkstra run (lengths are summed along the
    shortest-path tree by vectorised pointer jumping). Where several routes are
    equally fast, the distance is that of one of them.

    Parameters
    ----------
    graph
        Input graph with numeric `weight` and `length` attributes on every edge.
    origins
        Origin node ids.
    destinations
        Destination node ids; by default the origins.
    weight
        Edge attribute to minimise, seconds for ``"travel_time"``.
    length
        Edge attribute to sum along the chosen routes, meters for ``"length"``.

    Returns
    -------
    times, distances
        Float arrays ``(len(origins), len(destinations))``: least total `weight`
        (seconds) and the `length` (meters) along that route; ``np.inf`` where
        unreachable.
    """
    csr = _csr(graph, weight, length)
    o_rows = _node_rows(csr, origins, "origins")
    d_rows = o_rows if destinations is None else _node_rows(csr, destinations, "destinations")
    return _solve_with_lengths(csr, o_rows, d_rows)


def to_integer_seconds(times_s: npt.ArrayLike, *, unreachable: int | None = None) -> IntArray:
    """
    Convert travel times to the whole seconds used by solvers, rounding up.

    Rounding up means a plan never promises an arrival earlier than the network
    allows; times within 1e-6 s above a whole second (float noise) round down to it.

    Parameters
    ----------
    times_s
        Times in seconds (any shape); may hold ``np.inf``.
    unreachable
        Value to put where a time is infinite; if None, infinite times raise.

    Returns
    -------
    seconds
        ``int64`` array of the same shape.

    Raises
    ------
    ValueError
        If a time is negative or NaN, or infinite and `unreachable` is None.
    """
    return _to_integers(times_s, "travel times", "seconds", unreachable,
                        lambda v: np.ceil(v - _CEIL_TOLERANCE_S).clip(min=0))


def to_integer_meters(distances_m: npt.ArrayLike, *, unreachable: int | None = None) -> IntArray:
    """
    Convert distances to whole meters, rounding to the nearest meter (halves up).

    Parameters
    ----------
    distances_m
        Distances in meters (any shape); may hold ``np.inf``.
    unreachable
        Value to put where a distance is infinite; if None, infinite values raise.

    Returns
    -------
    meters
        ``int64`` array of the same shape.
    """
    return _to_integers(distances_m, "distances", "meters", unreachable, lambda v: np.floor(v + 0.5))


def _to_integers(values_in: npt.ArrayLike, what: str, unit: str, unreachable: int | None,
                 rounding: Callable[[FloatArray], FloatArray]) -> IntArray:
    values = np.asarray(values_in, dtype=float)
    if np.isnan(values).any() or (values < 0).any():
        msg = f"{what} must be non-negative numbers of {unit} (got NaN or a negative value)"
        raise ValueError(msg)
    infinite = np.isinf(values)
    if infinite.any() and unreachable is None:
        msg = (f"{int(infinite.sum())} {what} are infinite (unreachable pairs); "
               f"pass unreachable=<{unit}> to replace them or drop those places")
        raise ValueError(msg)
    out = rounding(np.where(infinite, 0.0, values)).astype(np.int64)
    out[infinite] = unreachable if unreachable is not None else 0
    return out


def clear_cache(graph: nx.MultiDiGraph | None = None) -> None:
    """
    Forget the cached CSR export of a graph (or of every graph).

    The cache notices added or removed nodes and edges by itself; call this
    after changing edge weights in place.

    Parameters
    ----------
    graph
        The graph to forget, or None for all.
    """
    if graph is None:
        _CSR_CACHE.clear()
    else:
        _CSR_CACHE.pop(graph, None)


# --- the engine ------------------------------------------------------------------------------------

@dataclass
class _Core:
    """The graph with dead-end trees and two-neighbour chains contracted into exits and entries."""

    matrix: sp.csr_matrix  # core nodes only; contracted chains are edges between their end junctions
    exits: IntArray  # (n, 2) core index of each node's ways out of its piece (padding: 0)
    exit_cost: FloatArray  # (n, 2) cost from the node to that exit (padding: inf)
    entries: IntArray  # (n, 2) core index of each node's ways in
    entry_cost: FloatArray  # (n, 2) cost from that entry to the node
    piece: IntArray  # (n,) id of the tree/chain a contracted node belongs to; -1 for core nodes

    _members: dict[int, IntArray] = field(default_factory=dict, init=False, repr=False)

    def members(self, piece: int) -> IntArray:
        """Sorted graph rows of the nodes in one piece."""
        if not self._members:
            order = np.argsort(self.piece, kind="stable")
            bounds = np.flatnonzero(np.diff(self.piece[order])) + 1
            self._members.update({int(self.piece[g[0]]): g for g in np.split(order, bounds)})
        return self._members[int(piece)]


@dataclass
class _Csr:
    """One weight of a graph as a sparse matrix, plus its lazily built reduction."""

    index: dict[Hashable, int]  # node id -> row/column
    forward: sp.csr_matrix  # cheapest parallel edge per (u, v)
    lengths: FloatArray  # `length` of that chosen edge, aligned with forward's stored entries
    core: _Core | None = None


_CSR_CACHE: weakref.WeakKeyDictionary[nx.MultiDiGraph, dict[tuple[str, str | None], tuple[object, _Csr]]]
_CSR_CACHE = weakref.WeakKeyDictionary()


def _stamp(graph: nx.MultiDiGraph) -> object:
    """A token that changes when nodes or edges are added or removed (in-place weight edits need clear_cache)."""
    nx_cache = getattr(graph, "__networkx_cache__", None)
    if nx_cache is None:  # NetworkX < 3.3 has no per-graph cache: count, O(n)
        return (graph.number_of_nodes(), graph.number_of_edges())
    # NetworkX empties this dict whenever the graph's structure changes
    return nx_cache.setdefault("routing.matrix", object())


def csr_export(graph: nx.MultiDiGraph, weight: str) -> tuple[dict[Hashable, int], sp.csr_matrix]:
    """
    Return the graph's CSR matrix for a weight (cached) and its node index.

    Parameters
    ----------
    graph
        Input graph.
    weight
        Edge attribute used as the matrix value; the cheapest of parallel
        edges is kept (SciPy would otherwise sum duplicates).

    Returns
    -------
    index, matrix
        ``index[node] -> row``; ``matrix[i, j]`` the least `weight` of an edge
        from node ``i`` to node ``j`` (explicit zeros are edges).
    """
    csr = _csr(graph, weight, None)
    return csr.index, csr.forward


def _csr(graph: nx.MultiDiGraph, weight: str, length: str | None) -> _Csr:
    per_graph = _CSR_CACHE.setdefault(graph, {})
    stamp = _stamp(graph)
    cached = per_graph.get((weight, length))
    if cached is not None and cached[0] == stamp:  # identity for tokens, value for counts
        return cached[1]
    index = {node: i for i, node in enumerate(graph.nodes)}
    n_edges = graph.number_of_edges()
    rows = np.empty(n_edges, dtype=np.int64)
    cols = np.empty(n_edges, dtype=np.int64)
    values = np.empty(n_edges, dtype=float)
    extra = np.zeros(n_edges, dtype=float)
    for e, (u, v, data) in enumerate(graph.edges(data=True)):
        rows[e], cols[e] = index[u], index[v]
        try:
            values[e] = data[weight]
            if length is not None:
                extra[e] = data[length]
        except KeyError:
            missing = weight if weight not in data else length
            msg = f"edge ({u}, {v}) has no {missing!r} attribute; every edge needs one to build a matrix"
            raise ValueError(msg) from None
    if n_edges and (not np.isfinite(values).all() or values.min() < 0):
        msg = f"edge {weight!r} values must be finite and non-negative"
        raise ValueError(msg)
    forward, kept = _cheapest_csr(rows, cols, values, extra, len(index))
    csr = _Csr(index=index, forward=forward, lengths=extra[kept])
    per_graph[(weight, length)] = (stamp, csr)
    return csr


def _cheapest_csr(rows: IntArray, cols: IntArray, values: FloatArray, tiebreak: FloatArray,
                  n: int) -> tuple[sp.csr_matrix, IntArray]:
    """CSR keeping the cheapest of parallel edges (ties: smaller `tiebreak`); also the kept positions."""
    order = np.lexsort((tiebreak, values, cols, rows))
    first = np.ones(len(order), dtype=bool)
    first[1:] = (rows[order][1:] != rows[order][:-1]) | (cols[order][1:] != cols[order][:-1])
    kept = order[first]
    # built from its parts (rows sorted, explicit zeros kept) so `kept` aligns with its data
    indptr = np.searchsorted(rows[kept], np.arange(n + 1))
    return sp.csr_matrix((values[kept], cols[kept], indptr), shape=(n, n)), kept


def _node_rows(csr: _Csr, nodes: Iterable[Hashable], role: str) -> IntArray:
    items = list(nodes.tolist() if isinstance(nodes, np.ndarray) else nodes)
    try:
        return np.fromiter((csr.index[n] for n in items), dtype=np.int64, count=len(items))
    except (KeyError, TypeError):
        unknown = [n for n in items if not isinstance(n, Hashable) or n not in csr.index]
        msg = (f"{len(unknown)} {role} are not nodes of the graph (first: {unknown[:5]}); "
               "snap points to the network first (routing.snap.snap_points)")
        raise UnknownNodeError(msg) from None


def _dijkstra_block(matrix: sp.csr_matrix, sources: IntArray, targets: IntArray) -> FloatArray:
    """Least costs from each source row to each target column, in row chunks to bound memory."""
    out = np.empty((len(sources), len(targets)))
    step = max(1, _CHUNK_CELLS // max(matrix.shape[0], 1))
    for start in range(0, len(sources), step):
        chunk = sources[start:start + step]
        out[start:start + len(chunk)] = dijkstra(matrix, directed=True, indices=chunk)[:, targets]
    return out


def _solve_on_core(csr: _Csr, o_rows: IntArray, d_rows: IntArray | None) -> FloatArray:
    """Times between graph rows via the reduced graph (see the module docstring)."""
    origins, o_inv = np.unique(o_rows, return_inverse=True)
    targets, t_inv = (origins, o_inv) if d_rows is None else np.unique(d_rows, return_inverse=True)
    if csr.core is None:
        csr.core = _reduce(csr.forward)
    core = csr.core
    ex, ex_cost = core.exits[origins], core.exit_cost[origins]
    en, en_cost = core.entries[targets], core.entry_cost[targets]
    sources = np.unique(ex[np.isfinite(ex_cost)])
    sinks = np.unique(en[np.isfinite(en_cost)])
    # Dijkstra work ~ runs x edges: where the reduction saves little, the full graph is simpler
    core_work = min(len(sources), len(sinks)) * (core.matrix.nnz + core.matrix.shape[0])
    full_work = min(len(origins), len(targets)) * (csr.forward.nnz + csr.forward.shape[0])
    if core_work > _CORE_WORTH * full_work:
        if len(targets) < len(origins):
            times = _dijkstra_block(csr.forward.T.tocsr(), targets, origins).T
        else:
            times = _dijkstra_block(csr.forward, origins, targets)
        return times[np.ix_(o_inv, t_inv)]
    times = np.full((len(origins), len(targets)), np.inf)
    if len(sources) and len(sinks):
        if len(sinks) < len(sources):  # Dijkstra from the fewer end, on the reversed core
            block = _dijkstra_block(core.matrix.T.tocsr(), sinks, sources).T
        else:
            block = _dijkstra_block(core.matrix, sources, sinks)
        ex_at = np.searchsorted(sources, ex).clip(max=len(sources) - 1)
        en_at = np.searchsorted(sinks, en).clip(max=len(sinks) - 1)
        for i in range(2):
            rows = np.flatnonzero(np.isfinite(ex_cost[:, i]))
            for j in range(2):
                cols = np.flatnonzero(np.isfinite(en_cost[:, j]))
                via = (ex_cost[rows, i, None] + block[np.ix_(ex_at[rows, i], en_at[cols, j])]
                       + en_cost[None, cols, j])
                cell = np.ix_(rows, cols)
                times[cell] = np.minimum(times[cell], via)
    same = np.flatnonzero(np.isin(origins, targets))
    times[same, np.searchsorted(targets, origins[same])] = 0.0
    piece_o, piece_t = core.piece[origins], core.piece[targets]
    for piece in np.intersect1d(piece_o[piece_o >= 0], piece_t):  # routes that stay inside a tree or chain
        members = core.members(piece)
        rows_in, cols_in = np.flatnonzero(piece_o == piece), np.flatnonzero(piece_t == piece)
        inside = dijkstra(csr.forward[members][:, members], directed=True,
                          indices=np.searchsorted(members, origins[rows_in]))
        cell = np.ix_(rows_in, cols_in)
        times[cell] = np.minimum(times[cell], inside[:, np.searchsorted(members, targets[cols_in])])
    return times[np.ix_(o_inv, t_inv)]


def _reduce(forward: sp.csr_matrix) -> _Core:
    """Peel dead-end trees, contract two-neighbour chains; exits/entries for every node."""
    n = forward.shape[0]
    coo = forward.tocoo()
    off = coo.row != coo.col
    pairs = list(zip(coo.row[off].tolist(), coo.col[off].tolist(), strict=True))
    weight = dict(zip(pairs, coo.data[off].tolist(), strict=True))
    nbrs: list[set[int]] = [set() for _ in range(n)]
    for u, v in pairs:
        nbrs[u].add(v)
        nbrs[v].add(u)
    deg = [len(s) for s in nbrs]
    alive = [True] * n
    parent = [-1] * n
    peeled: list[int] = []
    stack = [x for x in range(n) if deg[x] == 1]
    while stack:  # 1. dead-end trees, leaves first
        x = stack.pop()
        if not alive[x] or deg[x] != 1:
            continue
        p = next(y for y in nbrs[x] if alive[y])
        alive[x], parent[x] = False, p
        peeled.append(x)
        deg[p] -= 1
        if deg[p] == 1:
            stack.append(p)
    exits: list[list[tuple[int, float]]] = [[(x, 0.0)] for x in range(n)]
    entries: list[list[tuple[int, float]]] = [[(x, 0.0)] for x in range(n)]
    piece = [-1] * n
    seen = [False] * n
    extra: list[tuple[int, int, float]] = []
    for start in range(n):  # 2. chains of nodes with two live neighbours, between junctions
        if not alive[start] or deg[start] != 2 or seen[start]:
            continue
        ends = []
        for first in (y for y in nbrs[start] if alive[y]):
            prev, cur, run = start, first, []
            while alive[cur] and deg[cur] == 2 and cur != start:
                run.append(cur)
                prev, cur = cur, next(y for y in nbrs[cur] if alive[y] and y != prev)
            ends.append((cur, run))
        (a, left), (b, right) = ends
        if a == start:  # an isolated ring: leave it in the core
            for x in (start, *left, *right):
                seen[x] = True
            continue
        seq = [a, *reversed(left), start, *right, b]
        k = len(seq)
        w = [weight.get((seq[i], seq[i + 1]), math.inf) for i in range(k - 1)]
        w_back = [weight.get((seq[i + 1], seq[i]), math.inf) for i in range(k - 1)]
        from_a, to_a, to_b, from_b = [0.0] * k, [0.0] * k, [0.0] * k, [0.0] * k
        for i in range(1, k):
            from_a[i], to_a[i] = from_a[i - 1] + w[i - 1], w_back[i - 1] + to_a[i - 1]
        for i in range(k - 2, -1, -1):
            to_b[i], from_b[i] = w[i] + to_b[i + 1], from_b[i + 1] + w_back[i]
        for i in range(1, k - 1):
            x = seq[i]
            seen[x] = True
            exits[x] = [(a, to_a[i]), (b, to_b[i])]
            entries[x] = [(a, from_a[i]), (b, from_b[i])]
            piece[x] = n + start
        if a != b:
            extra += [(a, b, from_a[-1]), (b, a, to_a[-1])]
    for x in reversed(peeled):  # 3. tree nodes leave and enter through their parent
        p = parent[x]
        up, down = weight.get((x, p), math.inf), weight.get((p, x), math.inf)
        exits[x] = [(e, up + c) for e, c in exits[p]]
        entries[x] = [(e, c + down) for e, c in entries[p]]
        piece[x] = piece[p] if piece[p] >= 0 else p
    is_core = np.array([alive[x] and not (seen[x] and piece[x] >= 0) for x in range(n)])
    core_of = np.cumsum(is_core) - 1
    ex = np.zeros((n, 2), dtype=np.int64)
    en = np.zeros((n, 2), dtype=np.int64)
    ex_cost = np.full((n, 2), np.inf)
    en_cost = np.full((n, 2), np.inf)
    for x in range(n):
        for i, (e, c) in enumerate(exits[x]):
            ex[x, i], ex_cost[x, i] = core_of[e], c
        for i, (e, c) in enumerate(entries[x]):
            en[x, i], en_cost[x, i] = core_of[e], c
    kept = is_core[coo.row] & is_core[coo.col]
    finite = [(u, v, c) for u, v, c in extra if math.isfinite(c)]
    rows = np.concatenate([core_of[coo.row[kept]], core_of[[u for u, _, _ in finite]]]).astype(np.int64)
    cols = np.concatenate([core_of[coo.col[kept]], core_of[[v for _, v, _ in finite]]]).astype(np.int64)
    values = np.concatenate([coo.data[kept], [c for _, _, c in finite]])
    matrix, _ = _cheapest_csr(rows, cols, values, np.zeros(len(values)), int(is_core.sum()))
    return _Core(matrix=matrix, exits=ex, exit_cost=ex_cost, entries=en, entry_cost=en_cost,
                 piece=np.array(piece, dtype=np.int64))


def _solve_with_lengths(csr: _Csr, o_rows: IntArray, d_rows: IntArray) -> tuple[FloatArray, FloatArray]:
    """Times and lengths along the fastest routes, on the full graph (predecessor trees)."""
    sources, s_inv = np.unique(o_rows, return_inverse=True)
    targets, t_inv = np.unique(d_rows, return_inverse=True)
    reverse = len(targets) < len(sources)
    if reverse:  # Dijkstra from the fewer end, on the reversed graph
        sources, targets, s_inv, t_inv = targets, sources, t_inv, s_inv
    matrix = csr.forward.T.tocsr() if reverse else csr.forward
    keys, edge_lengths = _edge_lookup(csr, reverse)
    n = matrix.shape[0]
    times = np.empty((len(sources), len(targets)))
    lengths = np.empty_like(times)
    step = max(1, _CHUNK_CELLS // max(n, 1))
    for start in range(0, len(sources), step):
        chunk = sources[start:start + step]
        dist, pred = dijkstra(matrix, directed=True, indices=chunk, return_predecessors=True)
        along = _sum_along_tree(pred, keys, edge_lengths, n)[:, targets]
        times[start:start + len(chunk)] = dist[:, targets]
        lengths[start:start + len(chunk)] = np.where(np.isinf(dist[:, targets]), np.inf, along)
    times, lengths = times[np.ix_(s_inv, t_inv)], lengths[np.ix_(s_inv, t_inv)]
    return (times.T.copy(), lengths.T.copy()) if reverse else (times, lengths)


def _edge_lookup(csr: _Csr, reverse: bool) -> tuple[IntArray, FloatArray]:
    """Sorted keys ``tail * n + head`` of the kept edges (as Dijkstra sees them) and their lengths."""
    n = csr.forward.shape[0]
    tails = np.repeat(np.arange(n, dtype=np.int64), np.diff(csr.forward.indptr))
    heads = csr.forward.indices.astype(np.int64)
    if reverse:
        tails, heads = heads, tails
    keys = tails * n + heads
    order = np.argsort(keys, kind="stable")
    return keys[order], csr.lengths[order]


def _sum_along_tree(pred: npt.NDArray[np.int32], keys: IntArray, edge_lengths: FloatArray,
                    n: int) -> FloatArray:
    """Sum edge lengths from each tree root to every node, by pointer jumping (log-depth rounds)."""
    k = pred.shape[0]
    parent = pred.astype(np.int64)
    root = parent < 0  # the origin itself and unreachable nodes (SciPy marks them -9999)
    heads = np.broadcast_to(np.arange(n, dtype=np.int64), parent.shape)
    acc = np.zeros((k, n + 1))  # column n: a sentinel every root points to
    acc[:, :n][~root] = edge_lengths[np.searchsorted(keys, parent[~root] * n + heads[~root])]
    jump = np.full((k, n + 1), n, dtype=np.int64)
    jump[:, :n] = np.where(root, n, parent)
    rows = np.arange(k)[:, None]
    while (jump != n).any():
        acc += acc[rows, jump]
        jump = jump[rows, jump]
    return acc[:, :n]
