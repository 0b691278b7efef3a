"""Benchmark travel-time matrices against NetworkX on real extracts (drive networks).

For each extract and each N, N random nodes of the graph: the project's
``travel_time_matrix`` (best of --repeat runs after a warm-up that builds the
cached CSR export and its reduction), plain SciPy Dijkstra on the full CSR
graph (the baseline in NOTES.md), ``fastest_route_matrices`` (times plus
distances along the routes), and NetworkX ``single_source_dijkstra_path_length``
from each origin as an OSMnx user would call it; the largest relative
difference from NetworkX and the speed-up.

Run: ``python benchmarks/matrix.py [--osm-dir DIR] [--sizes 100 300 1000]``.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

import networkx as nx
import numpy as np
from scipy.sparse.csgraph import dijkstra

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from routing.matrix import csr_export, fastest_route_matrices, travel_time_matrix  # noqa: E402
from routing.network import graph_from_osm_file  # noqa: E402

DEFAULT_OSM_DIR = REPO.parent / "shared" / "data" / "osm"
FIRST = "rutland-latest.osm.pbf"


def networkx_matrix(G: nx.MultiDiGraph, nodes: list[int]) -> tuple[np.ndarray, float]:
    started = time.perf_counter()
    out = np.full((len(nodes), len(nodes)), np.inf)
    for i, s in enumerate(nodes):
        dist = nx.single_source_dijkstra_path_length(G, s, weight="travel_time")
        for j, t in enumerate(nodes):
            out[i, j] = dist.get(t, np.inf)
    return out, time.perf_counter() - started


def best_of(repeat: int, run: object) -> tuple[float, np.ndarray]:
    best, result = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        result = run()  # type: ignore[operator]
        best = min(best, time.perf_counter() - started)
    return best, result  # type: ignore[return-value]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--osm-dir", type=Path, default=DEFAULT_OSM_DIR)
    parser.add_argument("--sizes", type=int, nargs="+", default=[100, 300, 1000])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    files = sorted(args.osm_dir.glob("*.osm.pbf"), key=lambda p: (p.name != FIRST, p.name))
    if not files:
        sys.exit(f"no .osm.pbf files in {args.osm_dir}; pass --osm-dir")
    header = (f"{'extract':<34}{'nodes':>7}{'edges':>7}{'N':>6}{'project s':>11}{'first s':>9}"
              f"{'plain scipy s':>15}{'+dist s':>9}{'networkx s':>12}{'ratio':>8}{'max rel diff':>14}")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{os.cpu_count()} CPUs, load average {load} (timings on a busy machine stretch accordingly)")
    print(header)
    print("-" * len(header))
    for path in files:
        G = graph_from_osm_file(path, mode="drive")
        index, csr = csr_export(G, "travel_time")
        for n in args.sizes:
            nodes = random.Random(args.seed).sample(sorted(G.nodes), min(n, G.number_of_nodes()))
            rows = np.array([index[x] for x in nodes])
            fresh = G.copy()  # a graph seen for the first time: CSR export and reduction included
            started = time.perf_counter()
            travel_time_matrix(fresh, nodes)
            first = time.perf_counter() - started
            travel_time_matrix(G, nodes[:5])  # warm-up: builds the cache for G
            ours, got = best_of(args.repeat, lambda: travel_time_matrix(G, nodes))  # noqa: B023
            plain, _ = best_of(args.repeat, lambda: dijkstra(csr, indices=rows)[:, rows])  # noqa: B023
            with_dist, _ = best_of(args.repeat, lambda: fastest_route_matrices(G, nodes))  # noqa: B023
            ref, nx_s = networkx_matrix(G, nodes)
            finite = np.isfinite(ref)
            assert (np.isfinite(got) == finite).all(), "reachability differs from NetworkX"
            rel = float(np.max(np.abs(got[finite] - ref[finite]) / np.maximum(ref[finite], 1e-9)))
            print(f"{path.name:<34}{G.number_of_nodes():>7}{G.number_of_edges():>7}{len(nodes):>6}"
                  f"{ours:>11.4f}{first:>9.3f}{plain:>15.4f}{with_dist:>9.4f}{nx_s:>12.2f}"
                  f"{nx_s / ours:>7.0f}x{rel:>14.1e}", flush=True)


if __name__ == "__main__":
    main()
