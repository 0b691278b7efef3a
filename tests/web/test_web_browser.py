"""The map pages in a real browser: Debian's chromium driven headless by Playwright
against the app served on localhost. Each page must draw its Leaflet layers, run
without JavaScript errors (a Content-Security-Policy violation is one), and request
nothing from any other host. Screenshots go to the test's tmp folder."""

from __future__ import annotations

import shutil
import threading
import urllib.parse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from webcheck import PASSWORD

CHROMIUM = Path("/usr/bin/chromium")
FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
         "--disable-background-networking", "--disable-component-update", "--disable-sync"]
LAYERS = ".leaflet-interactive, .leaflet-marker-icon, .leaflet-tile-loaded, .leaflet-overlay-pane svg path"
DAY = "2026-11-24"

pytestmark = [pytest.mark.browser, pytest.mark.skipif(not CHROMIUM.exists(), reason="no /usr/bin/chromium")]


@pytest.fixture
def server(app: Flask) -> Iterator[str]:
    """The app on a free localhost port in a real server thread; yields its base URL."""
    from werkzeug.serving import make_server

    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        thread.join(timeout=10)


@pytest.fixture
def browser() -> Iterator[Any]:
    playwright = pytest.importorskip("playwright.sync_api")
    with playwright.sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=str(CHROMIUM), args=FLAGS)
        yield chromium
        chromium.close()


class Watch:
    """Requests to other hosts and JavaScript errors of one page."""

    def __init__(self, page: Any, own: str) -> None:
        self.foreign: list[str] = []
        self.errors: list[str] = []
        page.on("request", self._request)
        page.on("pageerror", lambda e: self.errors.append(str(e)))
        page.on("console", lambda m: self.errors.append(m.text) if m.type == "error" else None)
        self.own = own

    def _request(self, request: Any) -> None:
        if urllib.parse.urlsplit(request.url).netloc != self.own and not request.url.startswith(("data:", "about:")):
            self.foreign.append(request.url)


def _log_in(page: Any, base: str, username: str) -> None:
    page.goto(f"{base}/login")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_load_state("networkidle")
    assert "/login" not in page.url, "logged in through the form"


@pytest.mark.parametrize(("username", "paths"), [
    ("max-manager", ["/maps/coverage", "/maps/caseload", "/maps/gaps", f"/maps/route?worker=W01&date={DAY}"]),
    ("otto-outreach", ["/maps/coverage", "/maps/gaps"]),
])
def test_map_pages_render_offline(server: str, browser: Any, tmp_path: Path, username: str, paths: list[str]) -> None:
    own = urllib.parse.urlsplit(server).netloc
    context = browser.new_context(viewport={"width": 1280, "height": 800})
    page = context.new_page()
    watch = Watch(page, own)
    _log_in(page, server, username)
    for path in paths:
        reply = page.goto(f"{server}{path}", wait_until="networkidle")
        assert reply is not None and reply.status == 200, path
        page.wait_for_selector(".leaflet-container", timeout=20000)
        page.wait_for_timeout(300)
        layers = page.locator(LAYERS).count()
        controls = page.locator(".leaflet-control-layers-overlays label").count()
        shot = tmp_path / f"{username}-{path.strip('/').split('?')[0].replace('/', '-')}.png"
        page.screenshot(path=str(shot), full_page=True)
        assert layers > 10 and controls >= 3, (path, layers, controls)
        assert shot.stat().st_size > 10_000
    assert watch.foreign == [], "requests to other hosts"
    assert watch.errors == [], "JavaScript errors"
    _keep(tmp_path)
    context.close()


def test_route_page_on_a_phone(server: str, browser: Any, tmp_path: Path) -> None:
    own = urllib.parse.urlsplit(server).netloc
    context = browser.new_context(viewport={"width": 390, "height": 844}, device_scale_factor=2, is_mobile=True,
                                  has_touch=True)
    page = context.new_page()
    watch = Watch(page, own)
    _log_in(page, server, "wilma-w01")
    page.goto(f"{server}/maps/route?worker=W01&date={DAY}", wait_until="networkidle")
    page.wait_for_selector(".leaflet-marker-icon")
    map_box = page.locator(".map-frame").bounding_box()
    table_box = page.locator("section.table table").bounding_box()
    assert map_box and table_box
    assert map_box["width"] <= 390 and table_box["y"] >= map_box["y"] + map_box["height"], "itinerary under the map"
    assert page.locator(".leaflet-marker-icon").count() >= 3, "start and the day's visits"
    assert page.evaluate("document.documentElement.scrollWidth") <= 400, "no sideways scrolling of the page"
    page.screenshot(path=str(tmp_path / "phone-route.png"), full_page=True)
    assert watch.foreign == [] and watch.errors == []
    _keep(tmp_path)
    context.close()


def _keep(folder: Path) -> None:
    """Copy screenshots to $SCREENSHOT_DIR when set (e.g. to look at them after CI)."""
    import os

    target = os.environ.get("SCREENSHOT_DIR")
    if target:
        Path(target).mkdir(parents=True, exist_ok=True)
        for shot in folder.glob("*.png"):
            shutil.copy(shot, Path(target) / shot.name)
