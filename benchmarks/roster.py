"""Roster at team scale: 15 workers and about 120 visits on the demo network (central
Helsinki, walkers and drivers): time to a plan, and how travel and continuity trade off
as the continuity weight varies.

    python benchmarks/roster.py [--time-limit S] [--weights 0,300,900,1800,3600]

Prints one row per weight: minutes of travel worth spending to keep a client's usual
worker, solve time, total travel (h), continuity (share of visits kept with the usual
worker), visits not planned, and whether the relief bank was called in.
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import tempfile
import time
from pathlib import Path

from geoservice.demo import make_demo
from geoservice.io.importer import import_files
from geoservice.io.writers import write_records
from geoservice.networks import build_network
from geoservice.roster import roster_workspace
from geoservice.store import GeoPackageStore

REPO = Path(__file__).resolve().parents[1]
START = dt.date(2026, 11, 23)


def team_workspace(root: Path, *, clients: int, workers: int) -> GeoPackageStore:
    """A demo workspace with a bigger team on the embedded extract."""
    osm = REPO / "data" / "helsinki.osm.pbf"
    store = GeoPackageStore(root, create=True)
    build_network(store, osm=osm, modes=("drive", "walk"))
    data = make_demo(osm, start=START, clients=clients, workers=workers)
    files = {kind: write_records(kind, records, root / "data") for kind, records in data.by_kind().items()}
    import_files(store, files, replace=True)
    store.set_settings(timezone="Europe/Helsinki")
    return store


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--time-limit", type=float, default=30.0, help="solver seconds per roster (30)")
    parser.add_argument("--weights", default="0,300,900,1800,3600", help="continuity weights in seconds")
    parser.add_argument("--clients", type=int, default=380, help="clients (380 gives ~120 visits a day)")
    parser.add_argument("--workers", type=int, default=16, help="workers including one relief (16)")
    args = parser.parse_args()
    print(f"{os.cpu_count()} CPUs, load average {', '.join(f'{x:.1f}' for x in os.getloadavg())}")
    with tempfile.TemporaryDirectory() as tmp:
        store = team_workspace(Path(tmp) / "ws", clients=args.clients, workers=args.workers)
        day = START + dt.timedelta(days=1)
        visits = sum(v.date == day for v in store.records("visits"))
        print(f"{args.workers - 1} workers + 1 relief, {visits} visits on {day}, time limit {args.time_limit:g} s\n")
        print(f"{'weight':>7} {'seconds':>8} {'travel h':>9} {'km':>7} {'continuity':>11} {'unplanned':>10} "
              f"{'workers':>8} {'relief':>7}")
        for weight in (int(w) for w in args.weights.split(",")):
            t0 = time.perf_counter()
            team = roster_workspace(store, day, continuity_weight_s=weight, time_limit=args.time_limit)
            seconds = time.perf_counter() - t0
            r = team.roster
            relief = any(team.workers[w].relief for w in r.days)
            print(f"{weight // 60:>5} m {seconds:>8.1f} {r.travel_time_s / 3600:>9.2f} {r.distance_m / 1000:>7.1f} "
                  f"{r.continuity:>10.1%} {len(r.unassigned):>10} {len(r.days):>8} {'yes' if relief else 'no':>7}")


if __name__ == "__main__":
    main()
