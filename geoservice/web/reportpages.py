"""Report pages (not maps): the weekly management figures at ``/reports/weekly``.

The page shows :mod:`geoservice.weekly`'s charts and tables for a week (``?week=`` any
day of it; default this week), or the same figures as CSV (``&format=csv``). Open to
co-ordinators, managers and admins; a user scoped to some localities gets those
localities' rows, the workers they may see, and a total over their localities only.

Days already planned are read from the workspace (:mod:`geoservice.roster_days`); a
missing day is planned with a short solver budget (:data:`WEB_DAY_TIME_LIMIT_S`, capped
by ``SOLVER_TIME_LIMIT``), one request at a time, so a first visit to a new week takes
some seconds and the next is immediate.

Not audited as client-level access: the page and its CSV hold counts, hours and
kilometres per worker and locality, never a client's name, id, address or location,
and only roles that may see those clients can open it.
"""

from __future__ import annotations

import datetime as dt
import threading
from typing import Any

from flask import Blueprint, Response, current_app, render_template, request, url_for
from flask.typing import ResponseReturnValue
from flask_login import current_user, login_required

from geoservice.privacy import visible_workers
from geoservice.web.auth import accounts, signed_in_user
from geoservice.web.params import EARLIEST_DATE, LATEST_DATE, Param, parse_params
from geoservice.web.registry import TEAM_ROLES, Access, Call, authorize

bp = Blueprint("reports", __name__, url_prefix="/reports")

#: Solver seconds for a day of the week not planned yet (a page request waits for it).
WEB_DAY_TIME_LIMIT_S = 2.0
WEEKLY_PARAMS = (Param("week", "date", "any day of the week, YYYY-MM-DD (default: this week)"),
                 Param("format", "choice", "html (the page) or csv", default="html", choices=("html", "csv")))
WEEKLY_ACCESS = Access(TEAM_ROLES)
_planning = threading.Lock()  # one week planned at a time: a second request then finds the days kept


def weekly_for(call: Call) -> Any:
    """The weekly figures (:class:`geoservice.weekly.WeeklyFigures`) of the call's ``week``
    as its viewer may see them."""
    from geoservice.weekly import weekly_figures

    limit = min(WEB_DAY_TIME_LIMIT_S, float(call.settings.get("SOLVER_TIME_LIMIT", 20)))
    with _planning:
        figures = weekly_figures(call.store, call.args["week"] or call.today(), time_limit=limit)
    viewer = call.viewer
    if viewer.localities is None:
        return figures
    workers = {w.id for w in visible_workers(viewer, call.store.records("workers"))}
    return figures.scoped(viewer.localities, workers)


@bp.get("/weekly")
@login_required
def weekly() -> ResponseReturnValue:
    """The weekly figures page (or CSV) for the logged-in user."""
    args = parse_params(WEEKLY_PARAMS, request.args.to_dict(), text=True)
    call = Call(current_app.extensions["outreach_store"], signed_in_user(), args, accounts(), dict(current_app.config))
    authorize(WEEKLY_ACCESS, call)
    figures = weekly_for(call)
    if args["format"] == "csv":
        name = f"weekly-figures-{figures.week_start.isoformat()}.csv"
        return Response(figures.csv(), mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    week = figures.week_start
    links = {"csv": url_for("reports.weekly", week=week.isoformat(), format="csv")}
    for name, step in (("previous", -7), ("next", 7)):
        other = week + dt.timedelta(days=step)  # the week param's range keeps this far from date's limits
        if EARLIEST_DATE <= other <= LATEST_DATE:
            links[name] = url_for("reports.weekly", week=other.isoformat())
    from geoservice.weekly_page import weekly_section

    return render_template("weekly.html", figures=figures, section=weekly_section(figures), links=links)


@bp.app_context_processor
def _navigation() -> dict[str, Any]:
    """``report_links``: the report pages the logged-in user may open, for the navigation bar."""
    if not current_user.is_authenticated or signed_in_user().role not in WEEKLY_ACCESS.roles:
        return {"report_links": []}
    return {"report_links": [("reports.weekly", "Weekly figures")]}
