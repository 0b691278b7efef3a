"""The ``outreach`` command. Thin: parse arguments, call the service, print results.

User errors (a bad file, an unknown worker, a missing workspace) print one line
``outreach: error: ...`` on stderr and exit with status 2; a rejected import also lists
every bad row, one per line. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from geoservice import __version__
from geoservice.errors import ImportRejected, UserError
from geoservice.io.fields import format_value, parse_date
from geoservice.io.schema import SCHEMAS
from geoservice.models import KINDS, MODES
from geoservice.settings import SETTINGS
from geoservice.store import DEFAULT_WORKSPACE, describe_workspace
from geoservice.texttable import text_table

Handler = Callable[[argparse.Namespace], int]


PLAN_FORMATS = ("table", "json", "csv", "ics", "gpx", "html")
ROSTER_FORMATS = ("table", "json", "csv")
WEEKLY_FORMATS = ("table", "json", "csv", "html")


#: options whose value may start with a minus sign (a longitude west of Greenwich)
_COORDINATE_OPTIONS = ("--point", "--bbox")


def _joined_coordinates(argv: list[str]) -> list[str]:
    """``--point -0.727,52.67`` as ``--point=-0.727,52.67``: argparse would take a value
    starting with ``-`` and holding a comma for an option."""
    out: list[str] = []
    for arg in argv:
        if out and out[-1] in _COORDINATE_OPTIONS and arg[:2] in {f"-{d}" for d in "0123456789."}:
            out[-1] = f"{out[-1]}={arg}"
        else:
            out.append(arg)
    return out


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``outreach`` with ``argv`` (default: the process arguments); returns the exit code."""
    os.umask(0o077)  # everything written (workspace, outputs, exports) holds health data: owner-only
    parser = _parser()
    args = parser.parse_args(_joined_coordinates(sys.argv[1:] if argv is None else list(argv)))
    if getattr(args, "formats", None) and args.format is None:  # chosen by the --out file's extension
        suffix = args.out.suffix.lower() if getattr(args, "out", None) else ""
        guess = {".htm": "html"}.get(suffix, suffix.lstrip("."))
        args.format = guess if guess in args.formats else "table"
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    try:
        return handler(args)
    except ImportRejected as e:
        print(f"outreach: error: import rejected, nothing stored: {len(e.issues)} problem"
              f"{'s' if len(e.issues) != 1 else ''}:", file=sys.stderr)
        for issue in e.issues:
            print(f"  {issue}", file=sys.stderr)
        return 2
    except UserError as e:
        print(f"outreach: error: {_one_line(str(e))}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("outreach: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:  # e.g. `outreach list clients | head`: the reader has gone
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 0
    except OSError as e:  # a file or folder that cannot be read or written: the user's to fix
        where = f"{e.filename}: " if e.filename else ""
        print(f"outreach: error: {where}{e.strerror or e}", file=sys.stderr)
        return 2
    except OverflowError:
        print("outreach: error: a date or time is out of range (years 2000 to 2100 work)", file=sys.stderr)
        return 2


def _one_line(text: str) -> str:
    return " ".join(text.split())


# -- verbs ---------------------------------------------------------------------------------


def _demo(args: argparse.Namespace) -> int:
    from geoservice.demo import DEMO_SEED
    from geoservice.store import made_or_removed
    from geoservice.workflow import build_demo_workspace, first_working_day, run_day

    if args.timezone:
        from geoservice.opening import workspace_zone

        workspace_zone(args.timezone)  # a bad name is an error before anything is built
    start = args.start or dt.date.today()
    _progress(f"building the demo workspace in {describe_workspace(args.workspace)} ...")
    with made_or_removed(args.workspace) as store:
        summary = build_demo_workspace(store, osm=args.osm, start=start, seed=args.seed if args.seed is not None
                                       else DEMO_SEED, timezone=args.timezone)
    print(f"Demo workspace: {describe_workspace(args.workspace)}")
    print("Fictional people on real OpenStreetMap geography (© OpenStreetMap contributors, ODbL).")
    print("\nRoad networks:")
    for n in summary.networks:
        print(f"  {n}")
    print("\nRecords:")
    for kind, count in summary.counts.items():
        print(f"  {kind:<11}{count:>5}")
    print("\nPer locality:")
    print(_table([{"locality": name, **c} for name, c in summary.per_locality.items()],
                 ["locality", "clients", "workers"], indent="  "))
    print(f"\nImport files of the demo (examples of each format): {summary.data_dir}")
    day = first_working_day(start)
    _progress(f"planning {day}: every worker's day, caseloads, coverage and gaps ...")
    run = run_day(store, day)
    print(f"\nThe team's day, {day:%A %d %B %Y}:")
    for line in run.lines:
        print(f"  {line}")
    print(f"\nMaps, day sheets, calendars (ICS) and GPX routes: {run.folder} (open {run.folder / 'index.html'})")
    ws = f" --workspace {describe_workspace(args.workspace)}" if str(args.workspace) != str(DEFAULT_WORKSPACE) else ""
    print("\nIn the web app:")
    print(f"  outreach user add admin --role admin{ws}     (type a password; prints an API token)")
    print(f"  outreach serve{ws}                           then open http://127.0.0.1:8000/")
    print(f"Try: outreach plan --worker W01 --date {day}{ws}")
    return 0


def _import(args: argparse.Namespace) -> int:
    from geoservice.io.importer import import_file
    from geoservice.store import made_or_removed

    with made_or_removed(args.workspace) as store:
        report = import_file(store, args.kind, args.file, replace=args.replace, progress=sys.stderr.isatty())
    for note in report.notes:
        _progress(f"note: {note}")
    action = "replaced" if args.replace else "added or updated"
    print(f"imported {report.count} {report.kind} from {report.file} ({action}; workspace "
          f"{describe_workspace(args.workspace)})")
    return 0


def _list(args: argparse.Namespace) -> int:
    from geoservice.workflow import ensure_workspace

    store = ensure_workspace(args.workspace)
    records = store.records(args.kind)
    hidden = set() if args.include_notes else {"notes"}
    names = [fs.name for fs in SCHEMAS[args.kind].fields if fs.name not in hidden]
    rows = [_record_row(r, names) for r in records]
    if args.format == "json":
        print(json.dumps(rows, ensure_ascii=False, indent=1))
    else:
        geometry = SCHEMAS[args.kind].geometry
        located = geometry not in ("none", "polygon")
        columns = names[:1] + (["lon", "lat"] if located else []) + names[1:]
        print(_table([{k: _cell(v) for k, v in row.items()} for row in rows], columns))
        print(f"{len(rows)} {args.kind}")
    return 0


def _network_build(args: argparse.Namespace) -> int:
    from geoservice.networks import build_network
    from geoservice.store import made_or_removed

    source = args.osm or args.place or args.bbox
    modes = args.mode or ["drive", "walk"]
    _progress(f"building the {' and '.join(modes)} network from {source} (cached after the first build) ...")
    with made_or_removed(args.workspace) as store:
        for summary in build_network(store, osm=args.osm, place=args.place, bbox=args.bbox, modes=modes,
                                     timezone=args.timezone):
            print(summary)
    print(f"time zone: {store.settings()['timezone']} (plans, calendars and opening hours use it)")
    return 0


def _plan(args: argparse.Namespace) -> int:
    from geoservice.daysheet import day_sheet_html
    from geoservice.plans import plan_worker_day
    from geoservice.reports import itinerary_csv, itinerary_gpx, itinerary_ics, itinerary_table
    from geoservice.workflow import ensure_workspace, write_route_map

    store = ensure_workspace(args.workspace)
    day = plan_worker_day(store, args.worker, args.date or dt.date.today())
    settings = store.settings()
    rate, currency = float(settings.get("mileage_rate_per_km", 0) or 0), settings.get("currency", "")
    renderers: dict[str, Callable[[], str]] = {
        "table": lambda: itinerary_table(day),
        "json": lambda: json.dumps(day.as_json(), ensure_ascii=False, indent=1),
        "csv": lambda: itinerary_csv(day),
        "ics": lambda: itinerary_ics(day, full_names=args.full_names),
        "gpx": lambda: itinerary_gpx(day, full_names=args.full_names),
        "html": lambda: day_sheet_html(day, rate_per_km=rate, currency=currency),
    }
    _emit(renderers[args.format](), args.out, f"the {args.format} itinerary")
    if args.map:
        _progress(f"wrote route map to {write_route_map(store, day, args.map)}")
    return 0


def _gaps(args: argparse.Namespace) -> int:
    from geoservice.gaps import gaps_report
    from geoservice.workflow import ensure_workspace

    store = ensure_workspace(args.workspace)
    result = gaps_report(store, resource_type=args.resource_type, max_minutes=args.max_minutes, mode=args.mode,
                         at=args.at, suggest=args.suggest)
    print(json.dumps(result.as_json(), ensure_ascii=False, indent=1) if args.format == "json" else result.table())
    return 0


def _signpost(args: argparse.Namespace) -> int:
    from geoservice.signpost import signpost
    from geoservice.workflow import ensure_workspace

    store = ensure_workspace(args.workspace)
    result = signpost(store, point=args.point, address=args.address, resource_type=args.type, n=args.n, at=args.at,
                      mode=args.mode)
    print(json.dumps(result.as_json(), ensure_ascii=False, indent=1) if args.format == "json" else result.table())
    return 0


def _roster(args: argparse.Namespace) -> int:
    from geoservice.roster import ROSTER_TIME_LIMIT_S, roster_workspace
    from geoservice.roster_days import keep_roster
    from geoservice.workflow import ensure_workspace, write_roster_map, write_worker_days

    store = ensure_workspace(args.workspace)
    day = args.date or dt.date.today()
    _progress(f"planning the team's day {day} (up to {args.time_limit or ROSTER_TIME_LIMIT_S:g} s) ...")
    team = roster_workspace(store, day, absent=args.absent or (),
                            continuity_weight_s=round(args.continuity_weight * 60),
                            time_limit=args.time_limit or ROSTER_TIME_LIMIT_S)
    keep_roster(store, team)  # the weekly figures reuse the day as planned (a what-if with --absent is not kept)
    _emit({"table": team.table, "json": team.to_json_text, "csv": team.csv}[args.format](), args.out,
          f"the roster ({args.format})")
    if args.map:
        _progress(f"wrote the roster map to {write_roster_map(store, team, args.map)}")
    if args.itineraries:
        written = write_worker_days(store, team, args.itineraries)
        _progress(f"wrote {len(team.roster.days)} workers' itineraries ({len(written)} files) to {args.itineraries}")
    return 0


def _report_weekly(args: argparse.Namespace) -> int:
    from geoservice.weekly import WEEK_DAY_TIME_LIMIT_S, weekly_figures
    from geoservice.workflow import ensure_workspace

    store = ensure_workspace(args.workspace)
    limit = args.time_limit or WEEK_DAY_TIME_LIMIT_S
    _progress(f"weekly figures: planning each day not kept yet (up to {limit:g} s a day) ...")
    figures = weekly_figures(store, args.week or dt.date.today(), time_limit=limit, progress=sys.stderr.isatty(),
                             refresh=args.refresh)
    renderers = {"table": figures.table, "json": figures.to_json_text, "csv": figures.csv, "html": figures.html}
    _emit(renderers[args.format](), args.out, f"the weekly figures ({args.format})")
    return 0


def _balance(args: argparse.Namespace) -> int:
    from geoservice.caseload import balance_workspace
    from geoservice.workflow import apply_balance, ensure_workspace

    store = ensure_workspace(args.workspace)
    result = balance_workspace(store, max_moves=args.max_moves, leaving=args.leaving or (),
                               allow_other_localities=args.allow_other_localities)
    print(json.dumps(result.as_json(), ensure_ascii=False, indent=1) if args.format == "json" else result.table())
    if args.apply:
        changed = apply_balance(store, result)
        _progress(f"applied: {changed} clients now have a new usual worker")
    return 0


def _serve(args: argparse.Namespace) -> int:
    from geoservice.web import serve

    _progress(f"serving {describe_workspace(args.workspace)} on http://{args.host}:{args.port}/ (Ctrl+C stops)")
    if args.host not in ("127.0.0.1", "localhost", "::1"):
        _progress("warning: reachable from other machines: put it behind HTTPS (a reverse proxy) and set "
                  "OUTREACH_SESSION_COOKIE_SECURE=true; it handles health data")
    serve(args.workspace, args.host, args.port)
    return 0


def _settings(args: argparse.Namespace) -> int:
    from geoservice.settings import change_settings
    from geoservice.workflow import ensure_workspace

    store = ensure_workspace(args.workspace)
    changes = {}
    for item in args.changes:
        name, sep, value = item.partition("=")
        if not sep:
            raise UserError(f"write NAME=VALUE, not {item!r} (e.g. mileage_rate_per_mile=0.45)")
        changes[name.strip()] = value
    for name, value in change_settings(store, changes).items():
        print(f"set {name} = {value}")
    if not changes:
        for name, value in sorted(store.settings().items()):
            print(f"{name} = {value}")
    return 0


def _user_add(args: argparse.Namespace) -> int:
    from geoservice.web import add_user

    if sys.stdin.isatty():
        import getpass

        password = getpass.getpass(f"password for {args.username}: ")
    else:
        password = sys.stdin.readline().rstrip("\r\n")
    token = add_user(args.workspace, args.username, args.role, password, args.worker_id,
                     localities=args.locality or None)
    print(f"user {args.username} ({args.role}) added; API token (shown once, keep it safe):")
    print(token)
    return 0


# -- output helpers ------------------------------------------------------------------------


def _record_row(record: Any, names: list[str]) -> dict[str, Any]:
    row: dict[str, Any] = {"id": record.id}
    if hasattr(record, "lon"):
        row["lon"] = record.lon
        row["lat"] = record.lat
    for name in names:
        value = getattr(record, name)
        row[name] = value if isinstance(value, int | float | bool | str) or value is None else format_value(value)
    return row


def _cell(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.6f}".rstrip("0").rstrip(".") if abs(value) < 1000 else f"{value:,.0f}"
    return format_value(value)


def _table(rows: list[dict[str, Any]], columns: list[str], *, indent: str = "") -> str:
    return text_table(rows, columns, indent=indent, width=28)


def _emit(text: str, out: Path | None, what: str) -> None:
    """Print ``text``, or write it to ``out`` (creating its folder) and say so on stderr."""
    if out is None:
        print(text)
        return
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text, encoding="utf-8")
    _progress(f"wrote {what} to {out}")


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- argument parsing ----------------------------------------------------------------------


def _date(text: str) -> dt.date:
    try:
        day = parse_date(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date: {text!r} (write YYYY-MM-DD)") from None
    if not 2000 <= day.year <= 2100:
        raise argparse.ArgumentTypeError(f"date {text} is out of range (years 2000 to 2100)")
    return day


def _port(text: str) -> int:
    """A TCP port number."""
    try:
        port = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 1 <= port <= 65535:
        raise argparse.ArgumentTypeError(f"port {port} is out of range (1 to 65535)")
    return port


def _host(text: str) -> str:
    """An address this machine can listen on: an IP address, or a name it resolves."""
    import ipaddress
    import socket

    if text == "*":  # waitress: every address
        return text
    try:
        ipaddress.ip_address(text.removeprefix("[").removesuffix("]"))
        return text
    except ValueError:
        pass
    try:
        socket.getaddrinfo(text, None)
    except (OSError, UnicodeError):
        raise argparse.ArgumentTypeError(f"not an address to listen on: {text!r} "
                                         "(give an IP address such as 127.0.0.1 or 0.0.0.0)") from None
    return text


def _seconds(text: str) -> float:
    """A positive number of seconds."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of seconds: {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be more than 0 seconds, not {text}")
    return value


def _minutes(text: str) -> float:
    """A number of minutes, 0 or more."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number of minutes: {text!r}") from None
    if not math.isfinite(value) or value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 minutes or more, not {text}")
    return value


def _bbox(text: str) -> tuple[float, float, float, float]:
    try:
        w, s, e, n = (float(v) for v in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a bounding box: {text!r} (write W,S,E,N in degrees)") from None
    if not (-180 <= w < e <= 180 and -90 <= s < n <= 90):
        raise argparse.ArgumentTypeError(f"not a bounding box: {text!r} (W < E, S < N, in degrees)")
    return w, s, e, n


class _Parser(argparse.ArgumentParser):
    """Argument errors are user errors: one line, exit status 2."""

    def error(self, message: str) -> Any:
        self.exit(2, f"outreach: error: {message} (see `{self.prog} --help`)\n")


def _parser() -> argparse.ArgumentParser:
    common = _Parser(add_help=False)
    common.add_argument("--workspace", type=str, default=DEFAULT_WORKSPACE, metavar="DIR|URL",
                        help=f"workspace folder, or postgresql:// URL of a shared one (default: ./{DEFAULT_WORKSPACE})")
    fmt = _Parser(add_help=False)
    fmt.add_argument("--format", choices=("table", "json"), default="table", help="output format (default: table)")

    parser = _Parser(prog="outreach", description="Outreach and visit planning on real road networks, for "
                     "community mental-health, homelessness-outreach and home-care teams.")
    parser.add_argument("--version", action="version", version=f"outreach-planner {__version__}")
    verbs = parser.add_subparsers(title="verbs", metavar="VERB", parser_class=_Parser)

    p = verbs.add_parser("demo", parents=[common], help="build a workspace from the embedded demo and print a summary",
                         description="Build a demo workspace: fictional clients, workers and visits on real "
                         "OpenStreetMap geography (central Helsinki by default, or --osm FILE).")
    p.add_argument("--osm", type=Path, metavar="FILE", help="build the demo on your own .osm/.osm.pbf extract")
    p.add_argument("--start", type=_date, metavar="YYYY-MM-DD", help="first day of the visits (default: today)")
    p.add_argument("--seed", type=int, help="random seed of the generator (same seed, same data)")
    p.add_argument("--timezone", metavar="TZ", help="IANA time zone of the area (default: where the extract is)")
    p.set_defaults(handler=_demo)

    p = verbs.add_parser("import", parents=[common], help="import records from CSV, GeoJSON or GeoPackage",
                         description="Import a file. Every row is checked first; any problem rejects the whole "
                         "file, lists every bad row, and leaves the workspace unchanged.")
    p.add_argument("kind", choices=KINDS, metavar="KIND", help=f"one of: {', '.join(KINDS)}")
    p.add_argument("file", type=Path, metavar="FILE", help=".csv, .geojson or .gpkg")
    p.add_argument("--replace", action="store_true", help="replace the whole layer (default: add or update by id)")
    p.set_defaults(handler=_import)

    p = verbs.add_parser("list", parents=[common, fmt], help="list the records of a kind")
    p.add_argument("kind", choices=KINDS, metavar="KIND", help=f"one of: {', '.join(KINDS)}")
    p.add_argument("--include-notes", action="store_true", help="include clients' sensitive notes")
    p.set_defaults(handler=_list)

    p = verbs.add_parser("plan", parents=[common], help="plan one worker's day: visit order, ETAs, itinerary",
                         description="Plan a worker's visits due on a date on real roads: the best order within "
                         "appointment windows, shift and lunch; ETAs, travel, the itinerary in several formats.")
    p.add_argument("--worker", required=True, metavar="ID", help="worker id (see `outreach list workers`)")
    p.add_argument("--date", type=_date, metavar="YYYY-MM-DD", help="the day (default: today)")
    p.add_argument("--format", choices=PLAN_FORMATS, help="table, json, csv, ics (calendar), gpx (phone navigation) or "
                   "html (printable day sheet); default: from the --out file's extension, else table")
    p.set_defaults(formats=PLAN_FORMATS)
    p.add_argument("--out", type=Path, metavar="FILE", help="write the itinerary to FILE instead of stdout")
    p.add_argument("--map", type=Path, metavar="FILE", help="also write the route map (HTML, works offline)")
    p.add_argument("--full-names", action="store_true", help="name clients in full in ics and gpx files "
                   "(default: initials and the visit id, as phones sync these to other companies' clouds)")
    p.set_defaults(handler=_plan)

    p = verbs.add_parser("gaps", parents=[common, fmt], help="hotspots far from resources; where a new site helps",
                         description="Travel time from each hotspot to the nearest open resource of each type, "
                         "gaps beyond a threshold, and optionally the best new sites (maximal covering).")
    p.add_argument("--resource-type", metavar="T", help="one resource type (default: every type in the workspace)")
    p.add_argument("--max-minutes", type=float, default=15.0, metavar="M", help="gap threshold in minutes (15)")
    p.add_argument("--mode", choices=("walk", "drive"), default="walk", help="travel mode (default: walk)")
    p.add_argument("--at", metavar="ISO-TIME", help="only count resources open then (local time, e.g. "
                   "2026-12-01T20:30); default: every resource, opening hours not considered")
    p.add_argument("--suggest", type=int, default=0, metavar="K", help="suggest K new sites per resource type")
    p.set_defaults(handler=_gaps)

    p = verbs.add_parser("signpost", parents=[common, fmt], help="the nearest open resources of a type",
                         description="The nearest resources of a type from an address or a point, by travel "
                         "time, with whether each is open. The caller's location is not stored or logged.")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument("--address", metavar="TEXT", help="an address in the workspace's area")
    where.add_argument("--point", metavar="LON,LAT", help="a point, longitude,latitude in degrees")
    p.add_argument("--type", required=True, metavar="T", help="resource type, e.g. shelter, food, pharmacy")
    p.add_argument("--n", type=int, default=3, metavar="N", help="how many to list (3)")
    p.add_argument("--at", metavar="ISO-TIME", help="local time to check opening hours at (default: now)")
    p.add_argument("--mode", choices=("walk", "drive"), default="walk", help="travel mode (default: walk)")
    p.set_defaults(handler=_signpost)

    p = verbs.add_parser("roster", parents=[common], help="plan every worker's day: skills, cover, continuity",
                         description="Plan the whole team's day: who sees whom and when, with skills, absences "
                         "covered by others or the relief bank, clients kept with their usual worker where it "
                         "costs little travel, and each change explained.")
    p.add_argument("--date", type=_date, metavar="YYYY-MM-DD", help="the day (default: today)")
    p.add_argument("--absent", action="extend", nargs="+", metavar="ID", help="workers off that day (their own "
                   "absence dates are used too)")
    p.add_argument("--format", choices=ROSTER_FORMATS, help="output format (default: from the --out file's "
                   "extension, else table)")
    p.set_defaults(formats=ROSTER_FORMATS)
    p.add_argument("--continuity-weight", type=_minutes, default=15.0, metavar="MIN",
                   help="minutes of travel worth spending to keep a client's usual worker (15)")
    p.add_argument("--time-limit", type=_seconds, metavar="S", help="solver time in seconds (20)")
    p.add_argument("--out", type=Path, metavar="FILE", help="write the roster to FILE instead of stdout")
    p.add_argument("--map", type=Path, metavar="FILE", help="also write the roster map (HTML, works offline)")
    p.add_argument("--itineraries", type=Path, metavar="DIR", help="also write each worker's day as planned, "
                   "cover visits included, to DIR: day sheet, ICS, GPX, CSV and route map")
    p.set_defaults(handler=_roster)

    report = verbs.add_parser("report", help="management reports")
    reports = report.add_subparsers(title="reports", metavar="REPORT", parser_class=_Parser)
    p = reports.add_parser("weekly", parents=[common], help="the week's figures per worker and locality",
                           description="Weekly management figures: caseload against capacity, planned visits, "
                           "hours, travel, mileage (driving days) and claims, continuity of care and visits not "
                           "planned, per worker, locality and team. Each day's roster is kept in the workspace "
                           "and used again while its inputs are unchanged.")
    p.add_argument("--week", type=_date, metavar="YYYY-MM-DD", help="any day of the week (default: this week)")
    p.add_argument("--format", choices=WEEKLY_FORMATS, help="output format (html: a page with charts; default: "
                   "from the --out file's extension, else table)")
    p.set_defaults(formats=WEEKLY_FORMATS)
    p.add_argument("--time-limit", type=_seconds, metavar="S", help="solver seconds per day not kept yet (5)")
    p.add_argument("--refresh", action="store_true", help="plan every day again, even those kept")
    p.add_argument("--out", type=Path, metavar="FILE", help="write to FILE instead of stdout")
    p.set_defaults(handler=_report_weekly)
    report.set_defaults(handler=_usage(report))

    p = verbs.add_parser("balance", parents=[common, fmt], help="caseloads per worker and a fair rebalancing",
                         description="Caseloads per worker and locality (need-weighted), and an exact "
                         "rebalancing within capacity that moves as few clients as possible, each move explained.")
    p.add_argument("--max-moves", type=int, metavar="N", help="move at most N clients")
    p.add_argument("--leaving", action="extend", nargs="+", metavar="ID", help="workers leaving: their clients "
                   "move")
    p.add_argument("--allow-other-localities", action="store_true",
                   help="allow moving a client to a worker of another locality")
    p.add_argument("--apply", action="store_true", help="write the proposed usual workers into the workspace")
    p.set_defaults(handler=_balance)

    p = verbs.add_parser("settings", parents=[common], help="show or change the mileage rate, currency and "
                         "caseload rules", description="Without arguments: every workspace setting. With "
                         "NAME=VALUE: change those (e.g. mileage_rate_per_mile=0.45 currency=GBP).",
                         epilog="settings: " + "; ".join(f"{name}: {meaning}"
                                                          for name, (meaning, _) in SETTINGS.items()))
    p.add_argument("changes", nargs="*", metavar="NAME=VALUE", help="settings to change: " + ", ".join(SETTINGS))
    p.set_defaults(handler=_settings)
    p = verbs.add_parser("serve", parents=[common], help="the web app (maps, API) under a production server",
                         description="Serve the web app (login, maps, JSON API) with waitress.")
    p.add_argument("--host", type=_host, default="127.0.0.1", help="address to listen on (default: 127.0.0.1)")
    p.add_argument("--port", type=_port, default=8000, help="port, 1-65535 (default: 8000)")
    p.set_defaults(handler=_serve)

    p = verbs.add_parser("user", help="web app users")
    user_verbs = p.add_subparsers(title="user verbs", metavar="VERB", parser_class=_Parser)
    u = user_verbs.add_parser("add", parents=[common], help="add a user; reads the password from stdin, "
                              "prints an API token", description="Add a web app user. The password is read from "
                              "stdin (one line); the API token is printed alone on the last line.")
    u.add_argument("username")
    u.add_argument("--role", required=True, choices=("worker", "coordinator", "manager", "outreach", "admin"))
    u.add_argument("--worker-id", metavar="ID", help="the worker this user is (required for --role worker)")
    u.add_argument("--locality", action="append", metavar="ID",
                   help="limit a co-ordinator or manager to a locality (repeat for several)")
    u.set_defaults(handler=_user_add)
    p.set_defaults(handler=_usage(p))

    p = verbs.add_parser("network", help="road networks")
    network_verbs = p.add_subparsers(title="network verbs", metavar="VERB", parser_class=_Parser)
    b = network_verbs.add_parser("build", parents=[common], help="set and build the workspace's road network",
                                 description="Build the road network offline from an OSM extract (--osm) or "
                                 "online with OSMnx (--place, --bbox); it is cached in the workspace.")
    src = b.add_mutually_exclusive_group(required=True)
    src.add_argument("--osm", type=Path, metavar="FILE", help=".osm or .osm.pbf extract (offline)")
    src.add_argument("--place", metavar="TEXT", help="place name to download (online)")
    src.add_argument("--bbox", type=_bbox, metavar="W,S,E,N", help="bounding box to download (online)")
    b.add_argument("--mode", choices=MODES, action="append", help="travel mode; repeat for several "
                   "(default: drive and walk)")
    b.add_argument("--timezone", metavar="TZ", help="IANA time zone of the area, e.g. Europe/London (default: "
                   "the workspace's, else where the network is)")
    b.set_defaults(handler=_network_build, mode=None)
    p.set_defaults(handler=_usage(p))
    return parser


def _usage(parser: argparse.ArgumentParser) -> Handler:
    """A handler for a verb given without its sub-verb: print its help, exit status 2."""

    def handler(args: argparse.Namespace) -> int:
        parser.print_help(sys.stderr)
        return 2

    return handler


def _run() -> None:  # pragma: no cover - console-script entry when run as a module
    sys.exit(main())


if __name__ == "__main__":  # pragma: no cover
    _run()
