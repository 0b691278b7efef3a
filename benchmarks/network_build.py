"""Benchmark building networks from OSM extracts, and loading them from the graph cache.

For each extract (the shared ones and the embedded demo) and each mode: the
time of ``graph_from_osm_file``, of the first ``cached_graph_from_osm_file``
(build and write the cache entry) and of the second (load it), with the
graph's size and what the build dropped.

Run: ``python benchmarks/network_build.py [--osm-dir DIR] [--modes drive walk bike]``.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from routing.network import cached_graph_from_osm_file, graph_from_osm_file  # noqa: E402

DEFAULT_OSM_DIR = REPO.parent / "shared" / "data" / "osm"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--osm-dir", type=Path, default=DEFAULT_OSM_DIR)
    parser.add_argument("--modes", nargs="+", default=["drive", "walk", "bike"])
    args = parser.parse_args()
    files = [*sorted(args.osm_dir.glob("*.osm.pbf")), REPO / "data" / "helsinki.osm.pbf"]
    header = (f"{'extract':<34}{'MB':>6}{'mode':>6}{'build s':>9}{'cache 1st s':>12}{'cache load s':>13}"
              f"{'nodes':>7}{'edges':>7}{'km':>8}{'dropped comps/nodes/km':>24}{'missing refs':>13}")
    load = ", ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"{os.cpu_count()} CPUs, load average {load} (timings on a busy machine stretch accordingly)")
    print(header)
    print("-" * len(header))
    with tempfile.TemporaryDirectory() as cache:
        for path in files:
            for mode in args.modes:
                started = time.perf_counter()
                G = graph_from_osm_file(path, mode=mode)
                build = time.perf_counter() - started
                started = time.perf_counter()
                cached_graph_from_osm_file(path, mode=mode, cache_dir=cache)
                first = time.perf_counter() - started
                started = time.perf_counter()
                again = cached_graph_from_osm_file(path, mode=mode, cache_dir=cache)
                load = time.perf_counter() - started
                assert again.number_of_edges() == G.number_of_edges()
                r = G.graph["build_report"]
                dropped = f"{r['components_dropped']}/{r['nodes_dropped']}/{r['km_dropped']:.1f}"
                print(f"{path.name:<34}{path.stat().st_size / 1e6:>6.1f}{mode:>6}{build:>9.2f}{first:>12.2f}"
                      f"{load:>13.3f}{r['nodes']:>7}{r['edges']:>7}{r['km']:>8.0f}{dropped:>24}"
                      f"{r['missing_node_refs']:>13}", flush=True)


if __name__ == "__main__":
    main()
