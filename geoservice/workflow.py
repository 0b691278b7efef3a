"""Whole-workspace jobs the CLI runs: build the demo workspace, and (as features land)
run a day's planning across the team and write every output.

Functions here orchestrate the modules that compute; they print nothing. The CLI
reports what they return.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from geoservice.caseload_report import BalanceResult
from geoservice.demo import make_demo
from geoservice.errors import WorkspaceError
from geoservice.io.importer import import_files
from geoservice.io.writers import write_records
from geoservice.networks import NetworkSummary, build_network, workspace_graph
from geoservice.plans import WorkerDay
from geoservice.roster import TeamRoster, roster_workspace
from geoservice.store import Store, open_store

#: Solver seconds for the day's roster in :func:`run_day` (the demo should stay well under a minute).
DEMO_ROSTER_TIME_LIMIT_S = 10.0


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


def build_demo_workspace(store: Store, *, osm: str | Path | None = None, start: dt.date,
                         seed: int, timezone: str | None = None) -> DemoSummary:
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
    networks = build_network(store, osm=osm, modes=("drive", "walk"), timezone=timezone)
    data = make_demo(osm, start=start, seed=seed)
    data_dir = store.root / "demo-data"
    files = {kind: write_records(kind, records, data_dir) for kind, records in data.by_kind().items()}
    import_files(store, files, replace=True)
    # Demo settings: the Finnish tax-free car allowance per km, as an example rate.
    store.set_settings(demo="yes", demo_start=start.isoformat(), mileage_rate_per_km="0.59", currency="EUR")
    return DemoSummary(counts={k: len(v) for k, v in data.by_kind().items()},
                       per_locality=per_locality_counts(store), networks=networks, data_dir=data_dir)


def per_locality_counts(store: Store) -> dict[str, dict[str, int]]:
    """Clients and workers per locality name (``(none)`` for records outside every locality)."""
    names = {lc.id: lc.name for lc in store.records("localities")}
    out: dict[str, dict[str, int]] = {name: {"clients": 0, "workers": 0} for name in names.values()}
    for kind in ("clients", "workers"):
        for lid, n in Counter(r.locality for r in store.records(kind)).items():
            name = names.get(lid, "(no locality)") if lid else "(no locality)"
            out.setdefault(name, {"clients": 0, "workers": 0})[kind] = n
    return out


def write_route_map(store: Store, day: WorkerDay, path: str | Path) -> Path:
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


@dataclass
class DayRun:
    """What :func:`run_day` wrote, and the headline figures."""

    date: dt.date
    folder: Path
    files: dict[str, Path]
    lines: list[str]


def first_working_day(day: dt.date) -> dt.date:
    """``day`` if it is a weekday, else the Monday after."""
    while day.weekday() >= 5:
        day += dt.timedelta(days=1)
    return day


def write_worker_days(store: Store, team: TeamRoster, folder: Path) -> dict[str, Path]:
    """Each rostered worker's day, cover visits included, in ``folder``: the printable day
    sheet (with the mileage claim at the workspace's rate), calendar (ICS), GPX route, CSV
    itinerary and route map (offline), named ``<worker>-day-sheet.html``, ``<worker>.ics``, ...
    Returns the files by name."""
    from geoservice.daysheet import day_sheet_html
    from geoservice.reports import itinerary_csv, itinerary_gpx, itinerary_ics
    from maps.base import copy_assets

    folder.mkdir(parents=True, exist_ok=True)
    copy_assets(folder)
    settings = store.settings()
    rate, currency = float(settings.get("mileage_rate_per_km", 0) or 0), settings.get("currency", "")
    files: dict[str, Path] = {}
    for wid in team.roster.days:
        day = team.worker_day(wid)
        for name, text in ((f"{wid}-day-sheet.html", day_sheet_html(day, rate_per_km=rate, currency=currency)),
                           (f"{wid}.ics", itinerary_ics(day)), (f"{wid}.gpx", itinerary_gpx(day)),
                           (f"{wid}.csv", itinerary_csv(day))):
            files[name] = folder / name
            files[name].write_text(text, encoding="utf-8")
        files[f"{wid}-route.html"] = write_route_map(store, day, folder / f"{wid}-route.html")
    return files


def run_day(store: Store, date: dt.date) -> DayRun:
    """Run the team's planning for ``date`` and write every output under
    ``<workspace>/outputs/<date>/``: the roster (JSON, CSV, map) and each rostered
    worker's itinerary (day sheet, ICS, GPX, CSV, route map), the caseload map and
    balance proposal, locality coverage and resource gaps, and an ``index.html``
    linking them. Every map file works offline."""
    from geoservice.caseload import balance_workspace, workspace_caseload
    from geoservice.coverage import locality_coverage
    from geoservice.coverage_maps import build_coverage_map, build_gap_map
    from geoservice.gaps import gaps_report
    from geoservice.roster_days import keep_roster
    from geoservice.weekly import QUICK_DAY_TIME_LIMIT_S, weekly_figures
    from maps.base import copy_assets, render_html
    from maps.caseload import caseload_map

    folder = store.outputs_dir / date.isoformat()
    folder.mkdir(parents=True, exist_ok=True)
    copy_assets(folder)
    files: dict[str, Path] = {}
    lines: list[str] = []

    def write(name: str, text: str) -> Path:
        path = folder / name
        path.write_text(text, encoding="utf-8")
        files[name] = path
        return path

    team = roster_workspace(store, date, time_limit=DEMO_ROSTER_TIME_LIMIT_S)
    keep_roster(store, team)  # the week's figures and the web page reuse this day as planned
    write("roster.json", team.to_json_text())
    write("roster.csv", team.csv())
    files["roster-map.html"] = write_roster_map(store, team, folder / "roster-map.html")
    files.update(write_worker_days(store, team, folder))
    r = team.roster
    cover = sum(c.reason == "absent" for c in r.changes)
    lines.append(f"roster: {sum(len(d.visits) for d in r.days.values())} visits by {len(r.days)} workers "
                 f"({', '.join(team.absent) or 'nobody'} absent; {cover} visits covered), {len(r.unassigned)} not "
                 f"planned, travel {r.travel_time_s / 3600:.1f} h, continuity {r.continuity:.0%}")

    state = workspace_caseload(store)
    G_drive = workspace_graph(store, "drive")
    write("caseloads.html", render_html(caseload_map(state, show_clients=True, graph=G_drive)))
    balance = balance_workspace(store)
    write("balance.json", json.dumps(balance.as_json(), ensure_ascii=False, indent=1))
    n = len(balance.moves)
    lines.append(f"caseloads: {state.summary()}; the proposed rebalancing moves {n} client{'s' if n != 1 else ''}")

    coverage = locality_coverage(store, minutes=15)
    write("coverage.json", json.dumps(coverage.as_json(), ensure_ascii=False, indent=1))
    write("coverage.html", render_html(build_coverage_map(store, minutes=15, mode="walk",
                                                          visible_clients=store.records("clients"))))
    evening = dt.datetime.combine(date, dt.time(20, 0))
    gaps = gaps_report(store, max_minutes=10, mode="walk", at=evening.isoformat(), suggest=1)
    write("gaps.json", json.dumps(gaps.as_json(), ensure_ascii=False, indent=1))
    write("gaps.html", render_html(build_gap_map(store, max_minutes=10, mode="walk", at=evening, suggest=1)))
    in_gap = sum(row["people_in_gap"] for row in gaps.summary())
    lines.append(f"resource gaps at 20:00 on foot: {in_gap} person-gaps over 10 min across "
                 f"{len(gaps.summary())} resource types")
    week = weekly_figures(store, date, time_limit=QUICK_DAY_TIME_LIMIT_S)
    write("weekly.html", week.html())
    write("weekly.csv", week.csv())
    lines.append(f"week of {week.week_start:%d %b}: {week.summary()}")
    write("index.html", _index_page(date, files))
    return DayRun(date, folder, files, lines)


def _index_page(date: dt.date, files: dict[str, Path]) -> str:
    import html

    items = "".join(f'<li><a href="{html.escape(name)}">{html.escape(name)}</a></li>' for name in sorted(files))
    return (f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>Outreach plan {date}</title></head>"
            f"<body style='font:15px system-ui,sans-serif;margin:2em'><h1>Outreach plan for {date:%A %d %B %Y}</h1>"
            f"<p>Confidential: contains client information.</p><ul>{items}</ul></body></html>")


def write_roster_map(store: Store, team: TeamRoster, path: str | Path) -> Path:
    """Write the team roster map as an HTML file that works offline (assets beside it)."""
    from maps.base import copy_assets, render_html
    from maps.roster import roster_map

    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    copy_assets(path.parent)
    days = {f"{wid} {team.workers[wid].name}": plan for wid, plan in team.roster.days.items()}
    unplanned = {vid: (team.due[vid][1].lon, team.due[vid][1].lat, why) for vid, why in team.roster.unassigned.items()}
    modes = team.roster.modes or ["drive"]
    m = roster_map(days, G=workspace_graph(store, "drive" if "drive" in modes else modes[0]),
                   title=f"Team roster {team.date:%a %d %b %Y}", unplanned=unplanned)
    path.write_text(render_html(m), encoding="utf-8")
    return path


def apply_balance(store: Store, result: BalanceResult) -> int:
    """Make a balancing proposal real: each moved or newly assigned client gets its new
    usual worker, in one transaction. Returns how many clients changed."""
    new_worker = {m.client: m.to_worker for m in (*result.moves, *result.assigned) if m.to_worker}
    changed = [dataclasses.replace(c, usual_worker=new_worker[c.id]) for c in store.records("clients")
               if c.id in new_worker and c.usual_worker != new_worker[c.id]]
    if changed:
        store.write({"clients": changed})
    return len(changed)


def ensure_workspace(root: str | Path) -> Store:
    """Open the workspace at ``root`` (a folder or a ``postgresql://`` URL, see
    :func:`geoservice.store.open_store`); a clear error if there is none."""
    return open_store(root)
