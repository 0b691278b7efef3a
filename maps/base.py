"""Offline Folium maps: Leaflet from this machine, no tiles unless asked, a legend.

Folium loads Leaflet, jQuery, Bootstrap and Font Awesome from CDNs and adds
OpenStreetMap tiles by default: every page view would tell other hosts where a
worker is looking. Maps built here load only Leaflet and jQuery (Folium's popups use
it), from the ``xstatic-leaflet`` and ``xstatic-jquery`` packages, served by the web
app or copied next to a map file, and draw their basemap from the road network
(:mod:`maps.basemap`). Markers are drawn with CSS, not icon fonts. A tile server URL (e.g. a self-hosted one)
is an option, never the default.
"""

from __future__ import annotations

import html
import shutil
from collections.abc import Sequence
from pathlib import Path
from typing import cast

import folium
from branca.element import Element, Figure, MacroElement, Template

#: Credit required on every map made from OpenStreetMap data (ODbL).
OSM_ATTRIBUTION = "Roads and places © OpenStreetMap contributors (ODbL)"

#: Files a map page needs, relative to the asset folder (Leaflet's images sit beside
#: leaflet.css, where Leaflet looks for them).
ASSET_FILES = ("leaflet.js", "leaflet.css", "jquery.min.js", "images/marker-icon.png",
               "images/marker-icon-2x.png", "images/marker-shadow.png", "images/layers.png",
               "images/layers-2x.png")


def asset_path(name: str) -> Path:
    """Where one of :data:`ASSET_FILES` is installed (from the xstatic packages)."""
    import xstatic.pkg.jquery as jquery
    import xstatic.pkg.leaflet as leaflet

    if name not in ASSET_FILES:
        raise FileNotFoundError(name)
    return Path(jquery.BASE_DIR if name.startswith("jquery") else leaflet.BASE_DIR) / name


def copy_assets(folder: str | Path) -> Path:
    """Copy the map assets into ``folder/assets`` (for map files opened from disk).

    Returns the asset folder; map files in ``folder`` refer to it as ``assets``.
    """
    target = Path(folder) / "assets"
    for name in ASSET_FILES:
        (target / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(asset_path(name), target / name)
    return target


def offline_map(bounds: tuple[float, float, float, float], *, asset_url: str = "assets",
                tiles: str | None = None, tile_attribution: str = "", title: str = "") -> folium.Map:
    """An empty Folium map that requests nothing from other hosts.

    Parameters
    ----------
    bounds
        ``(west, south, east, north)`` in degrees (EPSG:4326) to fit the view to.
    asset_url
        URL prefix of the Leaflet files: ``"assets"`` for files written beside the map
        (see :func:`copy_assets`), ``"/static/leaflet"`` in the web app.
    tiles
        Optional tile URL template (``https://tiles.example.org/{z}/{x}/{y}.png``); by
        default no tiles: add :func:`maps.basemap.road_basemap` instead.
    tile_attribution
        Attribution of the tile server (required with ``tiles``).
    title
        Page title.
    """
    w, s, e, n = bounds
    m = folium.Map(location=[(s + n) / 2, (w + e) / 2], tiles=None, zoom_start=15, control_scale=True,
                   prefer_canvas=False, attribution_control=True, zoom_snap=0.25, zoom_delta=0.5)
    # Instance attributes shadow Folium's CDN lists for this map only.
    m.default_js = [("jquery", f"{asset_url}/jquery.min.js"), ("leaflet", f"{asset_url}/leaflet.js")]
    m.default_css = [("leaflet_css", f"{asset_url}/leaflet.css")]
    if tiles:
        folium.TileLayer(tiles=tiles, attr=tile_attribution or "tiles", name="Tiles", control=False).add_to(m)
    m.fit_bounds([[s, w], [n, e]], padding=(12, 12))
    Attribution(OSM_ATTRIBUTION).add_to(m)
    page = cast(Figure, m.get_root())
    page.header.add_child(Element('<meta name="referrer" content="no-referrer">'
                                  "<style>.folium-map.leaflet-container{background:#f5f4ef}</style>"))
    if title:
        page.title = title
    return m


class Attribution(MacroElement):
    """Adds a line to the map's attribution control."""

    _template = Template("""
        {% macro script(this, kwargs) %}
        {{ this._parent.get_name() }}.attributionControl.addAttribution({{ this.text|tojson }});
        {% endmacro %}
    """)

    def __init__(self, text: str) -> None:
        super().__init__()
        self._name = "Attribution"
        self.text = text


class Legend(MacroElement):
    """A legend box in a corner of the map: a title and rows of (colour, label).

    ``shape`` is ``"circle"`` for point symbols or ``"line"`` for routes and roads.
    """

    _template = Template("""
        {% macro html(this, kwargs) %}
        <div class="outreach-legend" style="position:absolute; z-index:1000; {{ this.corner }};
             background:rgba(255,255,255,0.92); padding:6px 10px; border-radius:4px;
             font:12px/1.4 system-ui, sans-serif; box-shadow:0 1px 4px rgba(0,0,0,.3); max-width:45%;">
          <b>{{ this.title }}</b><br>{{ this.rows_html }}
        </div>
        {% endmacro %}
    """)

    def __init__(self, title: str, rows: Sequence[tuple[str, str]], *, shape: str = "circle",
                 corner: str = "bottom-right") -> None:
        super().__init__()
        self._name = "Legend"
        self.title = html.escape(title)
        vertical, horizontal = corner.split("-")
        self.corner = f"{vertical}:24px; {horizontal}:10px"
        swatch = ("display:inline-block;width:11px;height:11px;border-radius:50%;margin-right:5px;"
                  if shape == "circle" else "display:inline-block;width:18px;height:4px;margin:0 5px 3px 0;")
        self.rows_html = "<br>".join(
            f'<span style="{swatch}background:{html.escape(colour)}"></span>{html.escape(label)}'
            for colour, label in rows)


def esc(text: object) -> str:
    """Text for a map's tooltips and popups: HTML-escaped, and also safe inside the
    JavaScript template literals Folium wraps them in (a backtick, ``${`` or a backslash in
    a name from OpenStreetMap or an import must not end the literal and run as script)."""
    return html.escape(str(text)).replace("\\", "&#92;").replace("`", "&#96;").replace("$", "&#36;")


def tooltip_text(text: str) -> str | None:
    """A hover text, escaped (see :func:`esc`), or None when empty."""
    return esc(text) if text else None


def text_popup(lines: Sequence[str], *, max_width: int = 320) -> folium.Popup | None:
    """A popup of plain-text lines, escaped (see :func:`esc`), or None when there are none."""
    if not lines:
        return None
    return folium.Popup("<br>".join(esc(line) for line in lines), max_width=max_width)


def numbered_icon(number: int | str, colour: str, *, size: int = 24) -> folium.DivIcon:
    """A round marker with a number in it (a stop on a route), drawn with CSS only."""
    style = (f"width:{size}px;height:{size}px;border-radius:50%;background:{colour};color:#fff;"
             f"border:2px solid #fff;box-shadow:0 0 3px rgba(0,0,0,.6);text-align:center;"
             f"font:bold {size // 2}px/{size - 4}px system-ui,sans-serif;")
    return folium.DivIcon(html=f'<div style="{style}">{html.escape(str(number))}</div>',
                          icon_size=(size, size), icon_anchor=(size // 2, size // 2))


def label_icon(text: str, colour: str) -> folium.DivIcon:
    """A small square label marker (a hub, a suggested site), drawn with CSS only."""
    style = (f"display:inline-block;background:{colour};color:#fff;padding:2px 4px;border-radius:3px;"
             "border:1px solid #fff;"
             "font:bold 11px system-ui,sans-serif;white-space:nowrap;box-shadow:0 0 3px rgba(0,0,0,.5);")
    return folium.DivIcon(html=f'<div style="{style}">{html.escape(text)}</div>', icon_anchor=(8, 8))


#: A qualitative palette (colour-blind friendly, Okabe–Ito plus extras) for workers.
PALETTE = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#000000", "#F0E442",
           "#7F3C8D", "#11A579", "#3969AC", "#F2B701", "#E73F74", "#80BA5A", "#E68310", "#008695")


def colour(index: int) -> str:
    """The ``index``-th colour of :data:`PALETTE` (cycling)."""
    return PALETTE[index % len(PALETTE)]


def render_html(m: folium.Map) -> str:
    """The whole map page as HTML text (what a browser gets)."""
    return str(m.get_root().render())
