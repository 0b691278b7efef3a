"""Compute travel-time and distance matrices between graph nodes, fast and exactly.

The graph is exported once per weight to a SciPy CSR matrix (keeping the
cheapest of parallel edges, as NetworkX does on a MultiDiGraph) and cached per
graph; SciPy's compiled Dijkstra then runs from the unique origins only, or
from the unique destinations on the reversed graph when there are fewer of
them. Values equal ``networkx.single_source_dijkstra_path_length`` on the same
graph to floating-point rounding.

Before that, the graph is reduced (once, cached; see :mod:`routing._contraction`):
dead-end trees are peeled off and chains of nodes with exactly two neighbours are
replaced by single edges between their end junctions. Dijkstra runs on the
remaining core, and a node outside it reaches the core through at most two exits
at known cost. On a rural county this halves to thirds the nodes Dijkstra visits;
results stay exact. Where an origin and a destination share a tree or chain, the
route that stays inside it is also tried (Dijkstra on that small piece).

SciPy's Dijkstra holds the GIL, so threads do not help; on a two-core machine
worker processes did not pay for their start-up at the sizes measured in
``benchmarks/matrix.py``, so this module runs in the calling thread.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass

import networkx as nx
import numpy as np
import numpy.typing as npt
import scipy.sparse as sp
from scipy.sparse.csgraph import dijkstra

from ._contraction import Core, FloatArray, IntArray, cheapest_csr, reduce_to_core
from .errors import UnknownNodeError

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
class _Csr:
    """One weight of a graph as a sparse matrix, plus its lazily built reduction."""

    index: dict[Hashable, int]  # node id -> row/column
    forward: sp.csr_matrix  # cheapest parallel edge per (u, v)
    lengths: FloatArray  # `length` of that chosen edge, aligned with forward's stored entries
    core: Core | None = None


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
    forward, kept = cheapest_csr(rows, cols, values, extra, len(index))
    csr = _Csr(index=index, forward=forward, lengths=extra[kept])
    per_graph[(weight, length)] = (stamp, csr)
    return csr


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
        csr.core = reduce_to_core(csr.forward)
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
