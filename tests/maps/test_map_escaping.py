"""Names are data, never script: a name holding a backtick, ``${...}`` or a backslash
(OpenStreetMap names can be edited by anyone; imports come from spreadsheets) must show
as text on every map, in a real browser."""

from __future__ import annotations

import dataclasses
import datetime as dt
import shutil
from pathlib import Path

import pytest

from geoservice.caseload import workspace_caseload
from geoservice.coverage_maps import build_coverage_map, build_gap_map
from geoservice.plans import plan_worker_day
from geoservice.store import GeoPackageStore
from maps.base import copy_assets, esc, render_html
from maps.caseload import caseload_map
from maps.route import route_map

PAYLOADS = ["X${window.__xss=1}", "Y`+(window.__xss=2)+`", "Z\\`;window.__xss=3;//"]


def test_esc_neutralises_template_literals() -> None:
    for text in PAYLOADS:
        out = esc(text)
        assert "`" not in out and "${" not in out and "\\" not in out


def _poison(store: GeoPackageStore) -> None:
    """Give records of every kind a name that would run as script if unescaped."""
    changes = {}
    for kind in ("clients", "hubs", "resources", "hotspots", "localities", "workers"):
        records = store.records(kind)
        changes[kind] = [dataclasses.replace(r, name=f"{PAYLOADS[k % 3]} {r.name}")
                         for k, r in enumerate(records)]
    store.write(changes)


@pytest.mark.browser
def test_no_name_runs_as_script_in_the_browser(workspace: GeoPackageStore, demo_start: dt.date,
                                               tmp_path: Path) -> None:
    if not Path("/usr/bin/chromium").exists():
        pytest.skip("Debian's chromium is not installed")
    playwright = pytest.importorskip("playwright.sync_api")
    _poison(workspace)
    day = plan_worker_day(workspace, "W03", demo_start + dt.timedelta(days=1))
    assert any(c.name.startswith(("X$", "Y`", "Z\\")) for c in day.clients.values())
    pages = {
        "route": route_map(day.plan, title=day.worker.name, start_name=day.start_name),
        "caseload": caseload_map(workspace_caseload(workspace), show_clients=True),
        "coverage": build_coverage_map(workspace, minutes=10, mode="walk",
                                       visible_clients=workspace.records("clients")),
        "gaps": build_gap_map(workspace, max_minutes=5, mode="walk", suggest=1),
    }
    copy_assets(tmp_path)
    for name, m in pages.items():
        (tmp_path / f"{name}.html").write_text(render_html(m), encoding="utf-8")
    flags = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking"]
    with playwright.sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path="/usr/bin/chromium", args=flags)
        for name in pages:
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda e, errs=errors: errs.append(str(e)))
            page.goto((tmp_path / f"{name}.html").as_uri(), wait_until="load")
            page.wait_for_timeout(300)
            assert page.evaluate("window.__xss") is None, f"{name}: a name ran as script"
            assert not errors, f"{name}: {errors[:2]}"
            assert page.locator(".leaflet-container").count() == 1
            page.close()
        browser.close()
    shutil.rmtree(tmp_path / "assets", ignore_errors=True)
