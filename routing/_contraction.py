"""The exact reduction of a road graph that :mod:`routing.matrix` runs Dijkstra on.

Holds :func:`reduce_to_core`, which turns a graph's CSR matrix into a :class:`Core`:
dead-end trees are peeled off, leaves first, and chains of nodes with exactly two
neighbours are replaced by single edges (each direction that can be travelled) between
the junctions at their ends; an isolated ring stays in the core. Every node gets at most
two exits and two entries in the core with their exact costs (a core node: itself, at
cost 0) and the id of the tree or chain it lies in, so least costs through the core plus
those costs are exact; :mod:`routing.matrix` also tries the routes that stay inside one
tree or chain. Also :func:`cheapest_csr`, the CSR builder (cheapest of parallel edges)
that both the graph export and the core use.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

FloatArray = npt.NDArray[np.float64]
IntArray = npt.NDArray[np.int64]


@dataclass
class Core:
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


def cheapest_csr(rows: IntArray, cols: IntArray, values: FloatArray, tiebreak: FloatArray,
                 n: int) -> tuple[sp.csr_matrix, IntArray]:
    """CSR keeping the cheapest of parallel edges (ties: smaller `tiebreak`); also the kept positions."""
    order = np.lexsort((tiebreak, values, cols, rows))
    first = np.ones(len(order), dtype=bool)
    first[1:] = (rows[order][1:] != rows[order][:-1]) | (cols[order][1:] != cols[order][:-1])
    kept = order[first]
    # built from its parts (rows sorted, explicit zeros kept) so `kept` aligns with its data
    indptr = np.searchsorted(rows[kept], np.arange(n + 1))
    return sp.csr_matrix((values[kept], cols[kept], indptr), shape=(n, n)), kept


def reduce_to_core(forward: sp.csr_matrix) -> Core:
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
    matrix, _ = cheapest_csr(rows, cols, values, np.zeros(len(values)), int(is_core.sum()))
    return Core(matrix=matrix, exits=ex, exit_cost=ex_cost, entries=en, entry_cost=en_cost,
                 piece=np.array(piece, dtype=np.int64))
