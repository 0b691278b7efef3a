"""The workspace settings a team may change: mileage claims and caseload rules.

Other settings (the road network's source and area, the schema version, the time zone)
are set by the commands that own them (``outreach network build``, ``outreach demo``).
Values are kept as text in the workspace (:meth:`geoservice.store.Store.settings`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING

from geoservice.errors import UserError

if TYPE_CHECKING:
    from geoservice.store import Store

#: Kilometres in a mile (international mile).
KM_PER_MILE = 1.609344


def _positive_number(text: str) -> str:
    try:
        value = float(text)
    except ValueError:
        raise ValueError(f"not a number: {text!r}") from None
    if not 0 <= value < 1e6:
        raise ValueError(f"must be 0 or more and below 1,000,000, not {text}")
    return repr(value)


def _currency(text: str) -> str:
    if not (text.isalpha() and len(text) == 3):
        raise ValueError(f"not an ISO 4217 currency code (e.g. GBP, EUR, USD): {text!r}")
    return text.upper()


#: What each changeable setting means, and its check (returning the stored text).
SETTINGS: dict[str, tuple[str, Callable[[str], str]]] = {
    "mileage_rate_per_km": ("mileage claim per km driven, in the currency", _positive_number),
    "mileage_rate_per_mile": ("the same per mile (stored as mileage_rate_per_km)", _positive_number),
    "currency": ("currency of mileage claims, ISO 4217 (GBP, EUR, USD)", _currency),
    "caseload_per_full_time": ("need units a full-time (37.5 h) worker holds", _positive_number),
    "caseload_move_minutes": ("minutes of base-to-client travel one avoidable client move is worth",
                              _positive_number),
}


def change_settings(store: Store, changes: Mapping[str, str]) -> dict[str, str]:
    """Check and store ``changes`` (setting name -> text) in one write; returns what was
    stored. A rate per mile is stored per km. Any bad name or value is a
    :class:`UserError` naming it, and nothing is stored."""
    stored: dict[str, str] = {}
    for name, text in changes.items():
        if name not in SETTINGS:
            raise UserError(f"unknown setting {name!r}; the settings a team may change: {', '.join(SETTINGS)}",
                            field=name)
        try:
            value = SETTINGS[name][1](text.strip())
        except ValueError as e:
            raise UserError(f"setting {name}: {e}", field=name) from None
        if name == "mileage_rate_per_mile":
            name, value = "mileage_rate_per_km", repr(round(float(value) / KM_PER_MILE, 6))
        stored[name] = value
    if stored:
        store.set_settings(**stored)
    return stored
