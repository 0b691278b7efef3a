"""The printable day sheet: a worker's day on one page (A4 or a phone screen).

Itinerary, lunch, visits that could not be planned, the mileage line and the
lone-working check-in schedule, from a :class:`geoservice.plans.WorkerDay`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from jinja2 import Environment, select_autoescape

from geoservice.reports import CHECKIN_GRACE_MIN, checkins, itinerary_rows, mileage

if TYPE_CHECKING:
    from geoservice.plans import WorkerDay

_TEMPLATE = """<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Day sheet: {{ worker.name }}, {{ day.date }}</title>
<style>
 body { font: 14px/1.4 system-ui, sans-serif; margin: 1.5em; color: #222; }
 h1 { font-size: 1.3em; margin: 0 0 .2em; } h2 { font-size: 1.05em; margin: 1.2em 0 .3em; }
 table { border-collapse: collapse; width: 100%; } th, td { border-bottom: 1px solid #ccc; padding: 3px 6px;
 text-align: left; vertical-align: top; } th { background: #f0f0f0; } .num { text-align: right; }
 .muted { color: #666; } .box { border: 1px solid #999; padding: .5em .8em; margin-top: .6em; }
 @media print { body { margin: 0; font-size: 11pt; } a { color: inherit; text-decoration: none; } }
 @media (max-width: 600px) { .wide { display: none; } body { margin: .6em; } }
</style></head><body>
<h1>{{ worker.name }} ({{ worker.id }}): {{ day.date.strftime("%A %d %B %Y") }}</h1>
<div class="muted">Shift {{ worker.shift }} · by {{ plan.mode }} · from and back to {{ day.start_name }} ·
 {{ plan.visits|length }} visits · travel {{ (plan.travel_time_s / 60)|round|int }} min,
 {{ "%.1f"|format(plan.distance_m / 1000) }} km · {{ "optimal order" if plan.optimal else "best order found" }}</div>
<h2>Itinerary</h2>
<table><tr><th>#</th><th>Arrive</th><th>Start</th><th>Leave</th><th>Who / what</th>
<th class="wide">Address</th><th class="num">Travel</th><th class="num wide">km</th></tr>
{% for r in rows %}<tr><td>{{ r["#"] }}</td><td>{{ r.arrive }}</td><td>{{ r.start }}</td><td>{{ r.leave }}</td>
<td>{{ r.what }}{% if r.wait %} <span class="muted">(wait {{ r.wait }})</span>{% endif %}
{% if notes.get(r["#"]) %}<br><span class="muted">{{ notes[r["#"]] }}</span>{% endif %}</td>
<td class="wide">{{ r.address }}</td><td class="num">{{ r.travel }}</td><td class="num wide">{{ r.km }}</td></tr>
{% endfor %}</table>
{% if plan.unassigned %}<h2>Not planned today</h2><ul>
{% for vid, reason in plan.unassigned.items() %}<li><b>{{ names.get(vid, vid) }}</b> ({{ vid }}): {{ reason }}</li>
{% endfor %}</ul>{% endif %}
<h2>Mileage claim</h2><div class="box">{{ claim }}</div>
<h2>Lone working: check-in schedule (for your buddy / duty manager)</h2>
<table><tr><th>Place</th><th>Expected in</th><th>Expected out</th><th>Raise the alarm after</th></tr>
{% for c in calls %}<tr><td>{{ c.place }}</td><td>{{ c.expected_arrival.strftime("%H:%M") }}</td>
<td>{{ c.expected_leave.strftime("%H:%M") }}</td><td><b>{{ c.alarm_after.strftime("%H:%M") }}</b></td></tr>
{% endfor %}</table>
<p class="muted">Grace period {{ grace }} min. Planned {{ provenance.get("computed_at", "") }} on the
{{ provenance.get("mode", plan.mode) }} network of {{ source }} (© OpenStreetMap contributors).
Confidential: contains client information.</p>
</body></html>
"""

_env = Environment(autoescape=select_autoescape(default=True, default_for_string=True))


def day_sheet_html(day: WorkerDay, *, rate_per_km: float = 0.0, currency: str = "",
                   grace_minutes: int = CHECKIN_GRACE_MIN, include_notes: bool = True) -> str:
    """The day sheet as a self-contained HTML page (no external resources).

    ``include_notes`` adds each client's notes under the visit (the worker's own
    clients: they need to know about the dog or the missing lift).
    """
    plan = day.plan
    notes = {str(k + 1): day.clients[v.id].notes for k, v in enumerate(plan.visits)
             if include_notes and day.clients[v.id].notes}
    source = str(plan.provenance.get("source", "the workspace's OpenStreetMap extract"))
    return _env.from_string(_TEMPLATE).render(
        day=day, worker=day.worker, plan=plan, rows=itinerary_rows(day), notes=notes,
        names={vid: c.name for vid, c in day.clients.items()},
        claim=str(mileage(day, rate_per_km=rate_per_km, currency=currency)),
        calls=checkins(day, grace_minutes=grace_minutes), grace=grace_minutes,
        provenance=plan.provenance, source=source.rsplit("/", 1)[-1])
