"""Benchmark the resource-gap computations at 2,000 hotspots x 500 resources.

On the largest road network per mode among the extracts in ``../shared/data/osm``
(the file sizes do not say which: Queens is the largest file, but its walk and drive
networks are not the largest), it times, in one run:

* snapping the places to the network (:func:`geoservice.travel_times.place_on_network`);
* the hotspot x resource travel-time matrix (:func:`routing.matrix.travel_time_matrix`,
  SciPy Dijkstra from the fewer side) against NetworkX ``single_source_dijkstra`` per
  origin hotspot, checking both give the same times;
* the nearest resource per hotspot, E2SFCA scores and the exact maximal covering
  (HiGHS via ``scipy.optimize.milp``, ``k`` new sites among the 500 resource places as
  candidates) against greedy.

Hotspots and resources are random network nodes (seeded), moved up to 50 m off the
road. Run from the project root::

    PYTHONPATH=. python benchmarks/gaps.py [--modes walk drive] [--nx-origins N]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import networkx as nx
import numpy as np
import scipy.sparse as sp

from geoservice.access import e2sfca, stepped_decay
from geoservice.gaps import nearest_resource
from geoservice.siting import greedy_covering, maximal_covering
from geoservice.travel_times import place_on_network
from routing.matrix import travel_time_matrix
from routing.network import cached_graph_from_osm_file

OSM = Path(__file__).resolve().parents[2] / "shared" / "data" / "osm"


def largest(mode: str, cache: Path) -> tuple[str, nx.MultiDiGraph]:
    """The extract whose ``mode`` network has the most nodes, and that network."""
    graphs = {f.name: cached_graph_from_osm_file(f, mode=mode, cache_dir=cache)  # type: ignore[arg-type]
              for f in sorted(OSM.glob("*.osm.pbf"))}
    for name, G in graphs.items():
        print(f"  {mode:5} {name:36} {G.number_of_nodes():6,} nodes {G.number_of_edges():7,} edges "
              f"({(OSM / name).stat().st_size / 1e6:.1f} MB file)")
    name = max(graphs, key=lambda n: graphs[n].number_of_nodes())
    return name, graphs[name]


def random_places(G: nx.MultiDiGraph, n: int, rng: np.random.Generator) -> list[tuple[float, float]]:
    nodes = list(G.nodes)
    picked = rng.choice(len(nodes), size=n, replace=True)
    lat0 = np.radians(np.median([G.nodes[v]["y"] for v in nodes]))
    off = rng.uniform(-50, 50, size=(n, 2))  # metres
    return [(G.nodes[nodes[i]]["x"] + dx / (111_320 * np.cos(lat0)), G.nodes[nodes[i]]["y"] + dy / 111_320)
            for i, (dx, dy) in zip(picked, off, strict=True)]


def timed(fn, *args, **kwargs):  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    out = fn(*args, **kwargs)
    return out, time.perf_counter() - start


def run(mode: str, args: argparse.Namespace) -> None:
    print(f"\n== {mode} ==")
    name, G = largest(mode, args.cache)
    print(f"largest {mode} network: {name} ({G.number_of_nodes():,} nodes, {G.number_of_edges():,} edges)")
    rng = np.random.default_rng(args.seed)
    spots_xy = random_places(G, args.hotspots, rng)
    sites_xy = random_places(G, args.resources, rng)
    people = rng.integers(1, 15, size=args.hotspots).astype(float)
    capacity = rng.integers(1, 30, size=args.resources).astype(float)
    (spots, sites), t_snap = timed(lambda: (place_on_network(G, spots_xy), place_on_network(G, sites_xy)))
    print(f"snap {args.hotspots:,} + {args.resources:,} places:               {t_snap:8.3f} s")
    network, t_matrix = timed(travel_time_matrix, G, spots.nodes, sites.nodes)
    times = network + spots.access_s[:, None] + sites.access_s[None, :]
    print(f"travel-time matrix {args.hotspots:,} x {args.resources:,} (SciPy):     {t_matrix:8.3f} s")
    origins = spots.nodes[:args.nx_origins]
    targets = list(sites.nodes)
    start = time.perf_counter()
    reference = np.empty((len(origins), len(targets)))
    for i, o in enumerate(origins):
        dist = nx.single_source_dijkstra_path_length(G, o, weight="travel_time")
        reference[i] = [dist.get(t, np.inf) for t in targets]
    t_nx = time.perf_counter() - start
    scale = args.hotspots / max(len(origins), 1)
    what = "" if len(origins) == args.hotspots else f" ({len(origins)} origins, x{scale:.0f} extrapolated)"
    print(f"NetworkX single_source_dijkstra per origin:        {t_nx * scale:8.3f} s{what}")
    same = np.allclose(reference, network[:len(origins)], rtol=1e-9, atol=1e-6)
    print(f"  speed-up x{t_nx * scale / t_matrix:,.0f}; same times as NetworkX: {same}")
    (_, best), t_near = timed(nearest_resource, times)
    print(f"nearest resource per hotspot:                      {t_near:8.4f} s "
          f"(median {np.median(best) / 60:.1f} min)")
    minutes = args.minutes if mode == "walk" else args.drive_minutes
    catchment = minutes * 60
    result, t_access = timed(e2sfca, times, people, capacity, decay=stepped_decay(catchment))
    print(f"E2SFCA {args.hotspots:,} x {args.resources:,} ({minutes:g} min, numpy):       {t_access:8.4f} s "
          f"(mean score {result.scores.mean():.3g})")
    covers = sp.csr_matrix(times <= catchment)
    density = covers.nnz / (covers.shape[0] * covers.shape[1])
    exact, t_mclp = timed(maximal_covering, covers, people, args.k, time_limit=args.time_limit)
    greedy = greedy_covering(covers, people, args.k)
    print(f"MCLP k={args.k}, {args.hotspots:,} x {args.resources:,} ({minutes:g} min, density {density:.3f}): "
          f"{t_mclp:8.3f} s, {exact.status}, covers {exact.covered:,.0f} of {people.sum():,.0f} people "
          f"(greedy {greedy.covered:,.0f} = {100 * greedy.covered / max(exact.covered, 1):.1f}% in "
          f"{greedy.seconds:.4f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", nargs="+", default=["walk", "drive"])
    parser.add_argument("--hotspots", type=int, default=2000)
    parser.add_argument("--resources", type=int, default=500)
    parser.add_argument("--nx-origins", type=int, default=2000, help="origins for the NetworkX baseline")
    parser.add_argument("--minutes", type=float, default=15.0, help="walk catchment / coverage limit")
    parser.add_argument("--drive-minutes", type=float, default=3.0,
                        help="drive catchment / coverage limit (a central city extract: 15 min covers all)")
    parser.add_argument("--k", type=int, default=5, help="new sites in the covering problem")
    parser.add_argument("--time-limit", type=float, default=60.0)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--cache", type=Path, default=Path("/tmp/outreach-bench-graphs"))
    args = parser.parse_args()
    if not OSM.is_dir():
        raise SystemExit(f"no extracts at {OSM}")
    for mode in args.modes:
        run(mode, args)


if __name__ == "__main__":
    main()
