"""Whole-workspace jobs the CLI runs: build the demo workspace, and (as features land)
run a day's planning across the team and write every output.

Functions here orchestrate the modules that compute; they print nothing. The CLI
reports what they return.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from geoservice.demo import make_demo
from geoservice.errors import WorkspaceError
from geoservice.io.importer import import_files
from geoservice.io.writers import write_records
from geoservice.networks import NetworkSummary, build_network, workspace_graph
from geoservice.plans import WorkerDay
from geoservice.store import GeoPackageStore

#: The embedded demo: central Helsinki, shipped inside the package (see data/README.md).
DEMO_TIMEZONE = "Europe/Helsinki"


def demo_extract() -> Path:
    """Path of the embedded demo extract, in an installed wheel or a source checkout."""
    from importlib import resources

    packaged = Path(str(resources.files("geoservice"))) / "demo_data" / "helsinki.osm.pbf"
    if packaged.exists():
        return packaged
    return Path(__file__).resolve().parents[1] / "data" / "helsinki.osm.pbf"


@dataclass
class DemoSummary:
    """What ``outreach demo`` built."""

    counts: dict[str, int]
    per_locality: dict[str, dict[str, int]]
    networks: list[NetworkSummary]
    data_dir: Path
    extra: list[str] = field(default_factory=list)


def build_demo_workspace(store: GeoPackageStore, *, osm: str | Path | None = None, start: dt.date,
                         seed: int, timezone: str) -> DemoSummary:
    """Fill ``store`` with a generated demo on ``osm`` (default: the embedded Helsinki extract).

    The demo's records are written as import files into ``<workspace>/demo-data`` and
    imported through the same validated path as a user's files, in one transaction.
    An existing workspace is only replaced if it is itself a demo.
    """
    settings = store.settings()
    holds_data = any(store.records(k) for k in ("clients", "workers"))
    if holds_data and settings.get("demo") != "yes":
        raise WorkspaceError(f"{store.root} holds your own data; give `outreach demo` another --workspace")
    osm = Path(osm) if osm else demo_extract()
    networks = build_network(store, osm=osm, modes=("drive", "walk"))
    data = make_demo(osm, start=start, seed=seed)
    data_dir = store.root / "demo-data"
    files = {kind: write_records(kind, records, data_dir) for kind, records in data.by_kind().items()}
    import_files(store, files, replace=True)
    # Demo settings: the Finnish tax-free car allowance per km, as an example rate.
    store.set_settings(demo="yes", timezone=timezone, demo_start=start.isoformat(), mileage_rate_per_km="0.59",
                       currency="EUR")
    return DemoSummary(counts={k: len(v) for k, v in data.by_kind().items()},
                       per_locality=per_locality_counts(store), networks=networks, data_dir=data_dir)


def per_locality_counts(store: GeoPackageStore) -> dict[str, dict[str, int]]:
    """Clients and workers per locality name (``(none)`` for records outside every locality)."""
    names = {lc.id: lc.name for lc in store.records("localities")}
    out: dict[str, dict[str, int]] = {name: {"clients": 0, "workers": 0} for name in names.values()}
    for kind in ("clients", "workers"):
        for lid, n in Counter(r.locality for r in store.records(kind)).items():
            name = names.get(lid, "(no locality)") if lid else "(no locality)"
            out.setdefault(name, {"clients": 0, "workers": 0})[kind] = n
    return out


def write_route_map(store: GeoPackageStore, day: WorkerDay, path: str | Path) -> Path:
    """Write a worker's route map as an HTML file that works offline (assets beside it)."""
    from maps.base import copy_assets, render_html
    from maps.route import route_map

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    copy_assets(path.parent)
    unplanned = {vid: (c.lon, c.lat) for vid, c in day.clients.items() if vid in day.plan.unassigned}
    m = route_map(day.plan, G=workspace_graph(store, day.worker.mode),
                  title=f"{day.worker.name}, {day.date:%a %d %b %Y}", start_name=day.start_name, unplanned=unplanned)
    path.write_text(render_html(m), encoding="utf-8")
    return path


def ensure_workspace(root: str | Path) -> GeoPackageStore:
    """Open the workspace at ``root``; a clear error if there is none."""
    if not (Path(root) / "workspace.gpkg").exists():
        raise WorkspaceError(f"no workspace at {root}: run `outreach demo`, or `outreach network build` "
                             "and `outreach import` to make one")
    return GeoPackageStore(root)
