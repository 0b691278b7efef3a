"""The weekly figures as an HTML page: bar charts drawn as inline SVG and the tables.

No script, no font or image to fetch, no request to any server: the page works offline,
opens from a file, and prints on A4 (charts are vector graphics). It holds figures per
worker and locality only, never a client's name, id or location.
:func:`weekly_section` is the body (the web app puts it in its own layout);
:func:`weekly_page` wraps it into a whole document.
"""

from __future__ import annotations

import datetime as dt
import html
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from jinja2 import Environment, select_autoescape
from markupsafe import Markup

if TYPE_CHECKING:
    from geoservice.weekly import FigureRow, WeeklyFigures

#: Series colours (colour-blind safe, from :data:`maps.base.PALETTE`'s Okabe-Ito part) and the target mark.
BLUE, VERMILION, SKY, GREY, TARGET = "#0072B2", "#D55E00", "#56B4E9", "#BBBBBB", "#222222"
_WIDTH, _LABEL_W, _NOTE_W, _ROW_H, _GAP, _TOP, _BOTTOM = 640, 150, 120, 16, 6, 26, 20


@dataclass(frozen=True)
class Bar:
    """One row of a bar chart: a label, stacked ``values`` (one per series), an optional
    ``target`` drawn as a black tick (capacity, contracted hours), and a note at the right."""

    label: str
    values: tuple[float, ...]
    target: float | None = None
    note: str = ""


def bar_chart(title: str, bars: Sequence[Bar], *, series: Sequence[tuple[str, str]], target: str | None = None,
              unit: str = "", maximum: float | None = None) -> str:
    """A horizontal bar chart as an inline SVG ``<figure>``.

    Parameters
    ----------
    title
        The caption (also the SVG's accessible name).
    bars
        One row each; a row's ``values`` are stacked left to right.
    series
        ``(name, colour)`` of each stacked value, for the legend.
    target
        Legend name of the target tick (``None``: no tick in the legend).
    unit
        Unit of the axis (``h``, ``%``, ``need units``).
    maximum
        Axis end; default a round number above the longest bar or target.
    """
    top = max([sum(b.values) for b in bars] + [b.target or 0 for b in bars] + [0.0])
    end, step = _axis(maximum if maximum is not None else top)
    plot_w = _WIDTH - _LABEL_W - _NOTE_W
    height = _TOP + len(bars) * (_ROW_H + _GAP) + _BOTTOM

    def x(value: float) -> float:
        return _LABEL_W + plot_w * min(value, end) / end

    parts = [f'<svg viewBox="0 0 {_WIDTH} {height}" role="img" aria-label="{_e(title)}">',
             f"<title>{_e(title)}</title>"]
    lx = _LABEL_W
    for name, fill in series:
        parts.append(f'<rect x="{lx}" y="6" width="12" height="12" fill="{fill}"/>'
                     f'<text x="{lx + 16}" y="16" class="legend">{_e(name)}</text>')
        lx += 28 + 7 * len(name)
    if target:
        parts.append(f'<line x1="{lx + 6}" y1="4" x2="{lx + 6}" y2="20" stroke="{TARGET}" stroke-width="3"/>'
                     f'<text x="{lx + 14}" y="16" class="legend">{_e(target)}</text>')
    bottom = height - _BOTTOM
    tick = 0.0
    while tick <= end + 1e-9:
        parts.append(f'<line x1="{x(tick):.1f}" y1="{_TOP - 2}" x2="{x(tick):.1f}" y2="{bottom}" class="grid"/>'
                     f'<text x="{x(tick):.1f}" y="{bottom + 14}" class="tick">{_number(tick)}</text>')
        tick += step
    parts.append(f'<text x="{_LABEL_W + plot_w}" y="{bottom + 14}" class="unit" dx="24">{_e(unit)}</text>')
    for k, bar in enumerate(bars):
        y = _TOP + k * (_ROW_H + _GAP)
        parts.append(f'<text x="{_LABEL_W - 6}" y="{y + 12}" class="label">{_e(bar.label)}</text>')
        start = 0.0
        for value, (name, fill) in zip(bar.values, series, strict=True):
            if value > 0:
                parts.append(f'<rect x="{x(start):.1f}" y="{y}" width="{x(start + value) - x(start):.1f}" '
                             f'height="{_ROW_H}" fill="{fill}"><title>{_e(bar.label)}: {_e(name)} '
                             f'{_number(value)} {_e(unit)}</title></rect>')
            start += value
        if bar.target is not None:
            parts.append(f'<line x1="{x(bar.target):.1f}" y1="{y - 2}" x2="{x(bar.target):.1f}" '
                         f'y2="{y + _ROW_H + 2}" stroke="{TARGET}" stroke-width="3"/>')
        parts.append(f'<text x="{_LABEL_W + plot_w + 6}" y="{y + 12}" class="note">{_e(bar.note)}</text>')
    parts.append("</svg>")
    return f'<figure class="chart"><figcaption>{_e(title)}</figcaption>{"".join(parts)}</figure>'


def _axis(top: float) -> tuple[float, float]:
    """A round axis end at or above ``top`` and its tick step (4 to 8 ticks)."""
    if top <= 0:
        return 1.0, 0.25
    power = 10 ** math.floor(math.log10(top))
    for step in (0.1, 0.2, 0.25, 0.5, 1, 2, 2.5, 5, 10):
        s = step * power
        if top / s <= 6:
            return math.ceil(top / s - 1e-9) * s, s
    return top, top  # not reached: 10 x power is above top


def _number(v: float) -> str:
    return f"{v:.0f}" if abs(v - round(v)) < 1e-9 else f"{v:.1f}"


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _h(seconds: int | None) -> float:
    return (seconds or 0) / 3600


def charts(figures: WeeklyFigures) -> list[str]:
    """The page's charts (SVG figures): caseload against capacity and planned against
    contracted hours per worker, travel and visits per locality, continuity per worker."""
    workers = figures.workers
    out = []
    held = [r for r in workers if r.capacity > 0 or r.need > 0]
    if held:
        out.append(bar_chart(
            "Caseload against capacity, per worker", [
                Bar(_who(r), (min(r.need, r.capacity), max(0.0, r.need - r.capacity)), r.capacity,
                    f"{r.need:g} of {r.capacity:g}") for r in held],
            series=[("need held", BLUE), ("above capacity", VERMILION)], target="capacity", unit="need units"))
    out.append(bar_chart(
        "Planned hours against contracted hours, per worker", [
            Bar(_who(r), (_h(r.visit_time_s), _h(r.travel_time_s),
                          max(0.0, _h(r.working_time_s) - _h(r.visit_time_s) - _h(r.travel_time_s))),
                _h(r.contracted_s), f"{_h(r.working_time_s):.1f} of {_h(r.contracted_s):.1f} h") for r in workers],
        series=[("with clients", BLUE), ("travelling", VERMILION), ("waiting", GREY)],
        target="contracted", unit="h"))
    out.append(bar_chart(
        "Travel per locality (to its clients)", [
            Bar(r.name, (_h(r.drive_time_s), _h(r.travel_time_s - r.drive_time_s)), None,
                f"{_h(r.travel_time_s):.1f} h, {r.km_driven:.1f} km") for r in figures.localities],
        series=[("driving", VERMILION), ("on foot", SKY)], unit="h"))
    out.append(bar_chart(
        "Visits per locality", [
            Bar(r.name, (float(r.visits), float(r.unassigned)), None,
                f"{r.visits}" + (f" + {r.unassigned} not planned" if r.unassigned else ""))
            for r in figures.localities],
        series=[("planned", BLUE), ("not planned", VERMILION)], unit="visits"))
    kept = [r for r in workers if r.with_usual]
    if kept:
        out.append(bar_chart(
            "Continuity of care: their clients' visits kept with them", [
                Bar(_who(r), (100 * (r.continuity or 0.0),), None,
                    f"{r.continuity or 0:.0%} ({r.kept} of {r.with_usual})") for r in kept],
            series=[("kept with the usual worker", BLUE)], unit="%", maximum=100))
    return out


def _cells(values: Sequence[str]) -> Markup:
    return Markup("".join(f"<td>{_e(v)}</td>" for v in values))


def _who(r: FigureRow) -> str:
    return f"{r.id} {r.name}"[:24]


_SECTION = """<section class="weekly">
<style>
.weekly { font: 14px/1.4 system-ui, sans-serif; color: #222; }
.weekly h1 { font-size: 1.35em; margin: 0 0 .2em; } .weekly h2 { font-size: 1.1em; margin: 1.2em 0 .4em; }
.weekly .lead { margin: .2em 0 .8em; } .weekly .muted { color: #555; }
.weekly .charts { display: flex; flex-wrap: wrap; gap: 12px 24px; }
.weekly figure.chart { margin: 0; flex: 1 1 440px; max-width: 660px; break-inside: avoid; }
.weekly figcaption { font-weight: 600; margin: .4em 0 .1em; }
.weekly svg { width: 100%; height: auto; font-size: 11px; -webkit-print-color-adjust: exact;
  print-color-adjust: exact; }
.weekly svg .label { text-anchor: end; } .weekly svg .grid { stroke: #ddd; stroke-width: 1; }
.weekly svg .tick { text-anchor: middle; fill: #555; } .weekly svg .unit { fill: #555; }
.weekly svg .note, .weekly svg .legend { fill: #222; }
.weekly table { border-collapse: collapse; margin: .3em 0 1em; }
.weekly th, .weekly td { border-bottom: 1px solid #ccc; padding: 3px 7px; text-align: right; white-space: nowrap; }
.weekly th { background: #f0f0f0; font-weight: 600; white-space: normal; vertical-align: bottom; }
.weekly .text { text-align: left; }
.weekly tr.total td { font-weight: 600; border-top: 2px solid #888; }
.weekly .scroll { overflow-x: auto; } .weekly dl { columns: 2 22em; font-size: .92em; }
.weekly dt { font-weight: 600; } .weekly dd { margin: 0 0 .4em; break-inside: avoid; }
@media print { .weekly { font-size: 9.5pt; } .weekly .scroll { overflow: visible; }
  .weekly table { font-size: 8pt; } .weekly th, .weekly td { padding: 2px 4px; }
  .weekly h2 { break-after: avoid; } .weekly table { break-inside: auto; } .weekly tr { break-inside: avoid; }
  .weekly figure.chart { flex-basis: 100%; } }
</style>
<h1>{{ f.title() }}</h1>
<p class="lead">{% if f.scope %}<b>{{ f.scope }}</b>: {% endif %}{{ f.summary() }}.</p>
<div class="charts">{% for c in charts %}{{ c }}{% endfor %}</div>
<h2>Workers: caseload and visits</h2>
<div class="scroll"><table>
<thead><tr><th class="text">worker</th><th class="text">locality</th><th class="text">mode</th><th>clients</th>
<th>need</th><th>capacity</th><th>load</th><th>visits</th><th>covered</th><th>continuity</th><th>not planned</th>
</tr></thead>
<tbody>{% for r in f.workers %}<tr><td class="text">{{ r.id }} {{ r.name }}</td>
<td class="text">{{ f.locality_name(r) }}</td><td class="text">{{ r.mode }}</td>{{ caseload(r) }}</tr>{% endfor %}
{% if f.scope is none %}<tr class="total"><td class="text" colspan="3">Team</td>{{ caseload(f.team) }}</tr>{% endif %}
</tbody></table></div>
<h2>Workers: hours and mileage</h2>
<div class="scroll"><table>
<thead><tr><th class="text">worker</th><th>visit h</th><th>travel h</th><th>planned h</th><th>contracted h</th>
<th>planned / contracted</th><th>km driven</th><th>claim</th></tr></thead>
<tbody>{% for r in f.workers %}<tr><td class="text">{{ r.id }} {{ r.name }}</td>{{ hours(r) }}</tr>{% endfor %}
{% if f.scope is none %}<tr class="total"><td class="text">Team</td>{{ hours(f.team) }}</tr>{% endif %}
</tbody></table></div>
<h2>Localities</h2>
<div class="scroll"><table>
<thead><tr><th class="text">locality</th><th>clients</th><th>need</th><th>capacity</th><th>load</th><th>visits</th>
<th>continuity</th><th>not planned</th><th>visit h</th><th>travel h</th><th>km driven</th><th>claim</th></tr></thead>
<tbody>{% for r in f.localities %}<tr><td class="text">{{ r.name }}</td>{{ caseload(r) }}{{ hours(r) }}</tr>
{% endfor %}
<tr class="total"><td class="text">{{ "Team" if f.scope is none else "Your localities" }}</td>
{{ caseload(f.team, locality=True) }}{{ hours(f.team, locality=True) }}</tr>
</tbody></table></div>
<h2>Days</h2>
<div class="scroll"><table>
<thead><tr><th class="text">day</th><th>visits</th><th>not planned</th><th>travel h</th><th>km driven</th>
<th>continuity</th><th class="text">absent</th><th class="text">planned with</th></tr></thead>
<tbody>{% for d in f.day_rows %}<tr><td class="text">{{ d.date.strftime("%a %d %b") }}</td><td>{{ d.visits }}</td>
<td>{{ d.unassigned }}</td><td>{{ "%.1f"|format(d.travel_time_s / 3600) }}</td>
<td>{{ "%.1f"|format(d.drive_distance_m / 1000) }}</td>
<td>{{ pct(d.kept / d.with_usual if d.with_usual else none) }}</td>
<td class="text">{{ d.absent|join(", ") or "-" }}</td><td class="text">{{ d.plan_note }}</td></tr>{% endfor %}
</tbody></table></div>
<h2>How the figures are counted</h2>
<dl>
<dt>clients, need, capacity, load</dt><dd>The caseload now: a worker's clients are those whose usual worker they
are; a locality's, the clients living there, against the capacity of the workers based there
({{ "%g"|format(f.caseload_per_full_time) }} need units per full-time week). Load is need over capacity.</dd>
<dt>visits, covered</dt><dd>Visits planned in the week's team rosters. A worker's: the visits they make
(covered: for another worker's client). A locality's: the visits to its clients, by whoever makes them.</dd>
<dt>planned and contracted hours</dt><dd>Planned: from leaving the start of the day to getting back, lunch and
waiting included. Contracted: the daily contracted hours on the days the worker is at work.</dd>
<dt>travel, km driven, claim</dt><dd>Each leg counts for the visit it leads to (the way back for the day's last
visit), so a locality's travel is the travel to its clients. Kilometres and claims count driving days only,
at {{ rate }}.</dd>
<dt>continuity</dt><dd>Of the planned visits to clients with a usual worker, the share made by that worker
(a worker's row: the visits to their own clients).</dd>
<dt>not planned</dt><dd>Visits due that the rosters could not place (a worker's row: their own clients').</dd>
</dl>
<p class="muted">Rosters planned on the road network with a solver time limit per day (see Days); each day is
kept in the workspace until its clients, workers, hubs, visits or settings change. Figures per worker and
locality only: no client names or locations. Made {{ made }}.</p>
</section>"""

_PAGE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ title }}</title>
<style>body { margin: 1.5em; } @page { size: A4; margin: 12mm; } @media print { body { margin: 0; } }</style>
</head><body>
{{ section }}
</body></html>
"""

_env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))


def weekly_section(figures: WeeklyFigures) -> Markup:
    """The figures' charts, tables and definitions as one ``<section>`` (with its own
    scoped style), ready to put inside a page."""

    def pct(x: float | None) -> str:
        return "-" if x is None else f"{x:.0%}"

    def caseload(r: FigureRow, locality: bool = False) -> Markup:
        values = [str(r.clients), f"{r.need:g}", f"{r.capacity:g}", pct(r.load), str(r.visits)]
        if r.level == "worker" or (r.level == "team" and not locality):
            values.append(str(r.covered or 0))
        return _cells([*values, pct(r.continuity), str(r.unassigned)])

    def hours(r: FigureRow, locality: bool = False) -> Markup:
        values = [f"{_h(r.visit_time_s):.1f}", f"{_h(r.travel_time_s):.1f}"]
        if r.level == "worker" or (r.level == "team" and not locality):
            values += [f"{_h(r.working_time_s):.1f}", f"{_h(r.contracted_s):.1f}",
                       pct((r.working_time_s or 0) / r.contracted_s if r.contracted_s else None)]
        return _cells([*values, f"{r.km_driven:.1f}", f"{r.claim:.2f}"])

    rate = (f"{figures.rate_per_km:.2f} {figures.currency}/km" if figures.rate_per_km
            else "no rate (set the workspace setting mileage_rate_per_km)")
    made = dt.datetime.now().astimezone().strftime("%d %b %Y %H:%M")
    return Markup(_env.from_string(_SECTION).render(
        f=figures, charts=[Markup(c) for c in charts(figures)], caseload=caseload, hours=hours, pct=pct,
        rate=rate, made=made))


def weekly_page(figures: WeeklyFigures) -> str:
    """The figures as a whole, self-contained HTML document."""
    return _env.from_string(_PAGE).render(title=figures.title(), section=weekly_section(figures))
