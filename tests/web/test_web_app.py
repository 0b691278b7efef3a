"""The app factory's layered configuration, and the overview map builder."""

from __future__ import annotations

import re
from pathlib import Path

import folium
import pytest
from shapely.geometry import box
from webcheck import decoded, external_reference, login

from geoservice.errors import WorkspaceError
from geoservice.web import create_app
from maps.base import render_html
from maps.overview import Layer, MapArea, MapPoint, Overview, overview_map


def test_configuration_layers(workspace_root: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    config = tmp_path / "outreach.toml"
    config.write_text(f'WORKSPACE = "{workspace_root}"\nK_ANONYMITY = 7\nHEX_SIZE_M = 300\n'
                      'LOGIN_RATE_LIMIT = "2 per minute"\n')
    monkeypatch.setenv("OUTREACH_CONFIG", str(config))
    monkeypatch.setenv("OUTREACH_K_ANONYMITY", "9")  # the environment wins over the file
    app = create_app({"HEX_SIZE_M": 250})  # and the explicit mapping over both
    assert app.config["WORKSPACE"] == str(workspace_root)
    assert (app.config["K_ANONYMITY"], app.config["HEX_SIZE_M"]) == (9, 250)
    assert app.config["LOGIN_RATE_LIMIT"] == "2 per minute" and app.config["BASEMAP"] is True
    assert "CONFIG" not in app.config
    assert len(app.config["SECRET_KEY"]) == 64, "made once and kept in the workspace"
    assert create_app({"WORKSPACE": str(workspace_root)}).config["SECRET_KEY"] == app.config["SECRET_KEY"]


def test_missing_workspace_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(WorkspaceError, match="no workspace at"):
        create_app({"WORKSPACE": str(tmp_path / "nothing")})


def test_overview_map_draws_what_it_is_given() -> None:
    overview = Overview((24.93, 60.16, 24.96, 60.18), [
        Layer("Areas", "#2b83ba", style="area", areas=[MapArea(box(24.94, 60.165, 24.95, 60.17), "North <b>",
                                                                ("North <b>", "12 clients"))]),
        Layer("Hubs", "#5e3c99", style="label", points=[MapPoint(24.945, 60.17, "Hub & Co", ("Hub & Co",))]),
        Layer("Stops", "#0072B2", style="numbered", points=[MapPoint(24.941, 60.171, "A"),
                                                             MapPoint(24.942, 60.172, "B")], legend="Stops (2)"),
        Layer("Toilets", "#009E73", points=[MapPoint(24.943, 60.173, "WC")], show=False),
    ], title="Test map")
    page = render_html(overview_map(overview, asset_url="/static/maps"))
    text = decoded(page)
    js = re.sub(r"\\u([0-9a-fA-F]{4})", lambda m: chr(int(m.group(1), 16)), page)  # strings as the browser gets them
    assert external_reference(page) is None and '<script src="/static/maps/leaflet.js">' in page
    assert "North &lt;b&gt;" in js and "North <b>" not in js, "labels are escaped"
    assert "Hub &amp; Co" in js and ">1</div>" in text and ">2</div>" in text and ">3</div>" not in text
    assert "Stops (2)" in text and "Toilets" in text and "L.control.layers" in page
    assert page.count("L.circleMarker(") == 1 and '"zoomSnap": 0.25' in page
    with pytest.raises(ValueError, match="unknown layer style"):
        overview_map(Overview((0, 0, 1, 1), [Layer("x", "#000", style="stars", points=[MapPoint(0.5, 0.5)])]))
    assert isinstance(overview_map(Overview((0, 0, 1, 1), [])), folium.Map)


def test_login_limits_by_forwarded_address_behind_a_proxy(workspace_root: Path) -> None:
    app = create_app({"WORKSPACE": str(workspace_root), "PROXY_HOPS": 1, "LOGIN_RATE_LIMIT": "2 per minute",
                      "LOGIN_RATE_LIMIT_PER_USER": "100 per minute"})
    first, second = app.test_client(), app.test_client()
    first.environ_base["HTTP_X_FORWARDED_FOR"] = "203.0.113.7"
    second.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.9"
    for _ in range(2):
        assert login(first, "max-manager", "guess").status_code == 401
    assert login(first, "max-manager", "guess").status_code == 429
    assert login(second, "max-manager").status_code == 302, "another address behind the same proxy is not limited"
