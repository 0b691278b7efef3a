"""The route map: numbered stops with ETAs, road path, hub, no other host."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from geoservice.networks import workspace_graph
from geoservice.plans import plan_worker_day
from geoservice.store import GeoPackageStore
from maps.base import render_html
from maps.route import route_map


def test_route_map_shows_the_day(demo_workspace: Path, demo_start: dt.date) -> None:
    store = GeoPackageStore(demo_workspace)
    day = plan_worker_day(store, "W03", demo_start + dt.timedelta(days=1))
    m = route_map(day.plan, G=workspace_graph(store, "walk"), title="Helmi, Tue", start_name=day.start_name,
                  asset_url="/static/maps")
    page = re.sub(r"\\u([0-9a-fA-F]{4})", lambda x: chr(int(x.group(1), 16)), render_html(m))
    for k, v in enumerate(day.plan.visits, start=1):
        assert f">{k}</div>" in page and f"ETA {v.arrival:%H:%M}" in page
    assert day.start_name in page and "lunch" in page.lower()
    assert page.count("L.polyline") >= len(day.plan.visits)
    assert not re.search(r"""(?:src|href)\s*=\s*["']?(?:https?:)?//""", page)
