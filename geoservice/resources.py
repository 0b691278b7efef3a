"""The workspace's community resources by type, and the options every gap question shares.

Resource ``type`` is free text stored in lower case (``shelter``, ``food``, ``toilets``
...); a user's type is matched case-insensitively, and an unknown one is a
:class:`~geoservice.errors.UserError` that lists the types the workspace has.
"""

from __future__ import annotations

from collections.abc import Sequence

from geoservice.errors import UserError
from geoservice.models import MODES, Resource


def resource_types(resources: Sequence[Resource]) -> list[str]:
    """The distinct resource types, sorted."""
    return sorted({r.type for r in resources})


def check_resource_type(resources: Sequence[Resource], resource_type: str) -> str:
    """The stored form of ``resource_type`` (lower case).

    Raises
    ------
    UserError
        If no resource has that type; the message lists the known types.
    """
    wanted = resource_type.strip().lower()
    known = resource_types(resources)
    if wanted not in known:
        listed = ", ".join(known) if known else "none: import resources first"
        raise UserError(f"unknown resource type {resource_type!r}; the workspace has: {listed}",
                        field="resource_type")
    return wanted


def of_type(resources: Sequence[Resource], resource_type: str) -> list[Resource]:
    """The resources of one (stored-form) type, in stored order."""
    return [r for r in resources if r.type == resource_type]


def check_mode(mode: str) -> str:
    """A travel mode (``walk``, ``drive``, ``bike``), or a :class:`UserError` naming the choices."""
    if mode not in MODES:
        raise UserError(f"unknown travel mode {mode!r}; use one of: {', '.join(MODES)}")
    return mode


def check_minutes(minutes: float, *, what: str = "max minutes") -> float:
    """A positive number of minutes, or a :class:`UserError`."""
    if not minutes > 0 or minutes > 24 * 60:
        raise UserError(f"{what} must be more than 0 and at most 1440 minutes, not {minutes:g}")
    return float(minutes)
