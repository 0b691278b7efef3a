"""Validation of ``routing.vrp`` problems: every error names the field at fault."""

from __future__ import annotations

import numbers
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np
import numpy.typing as npt

from ._vrp_schedule import INF
from .errors import RoutingError

if TYPE_CHECKING:
    from .vrp import Problem

__all__ = ["MAX_VALUE", "IntMatrix", "ProblemError", "check_problem", "clock", "int_field", "matrix",
           "merge_windows", "pair", "profiles_field", "skill_set"]

#: largest value accepted in a matrix or a time (about 35,000 years in seconds)
MAX_VALUE = 1 << 40

IntMatrix = npt.NDArray[np.int64]


class ProblemError(RoutingError, ValueError):
    """A ``Problem`` is invalid; the message starts with the offending field."""


def check_problem(problem: Problem) -> None:
    """Raise ``ProblemError`` naming the first invalid field of a problem."""
    from .vrp import Break, Stop, Vehicle

    n = problem.durations.shape[0]
    seen: set[str] = set()
    for i, s in enumerate(problem.stops):
        f = f"stops[{i}]"
        if not isinstance(s, Stop):
            raise ProblemError(f"{f}: must be a Stop, not {type(s).__name__}")
        _check_id(s.id, f"{f}.id", seen, "stop")
        index_field(s.location, n, f"{f}.location")
        int_field(s.service, f"{f}.service")
        for k, w in enumerate(s.windows):
            window_field(w, f"{f}.windows[{k}]")
        int_field(s.demand, f"{f}.demand")
        int_field(s.prize, f"{f}.prize")
        if not isinstance(s.required, bool):
            raise ProblemError(f"{f}.required: must be True or False")
        if s.preferred_vehicle is not None and not isinstance(s.preferred_vehicle, str):
            raise ProblemError(f"{f}.preferred_vehicle: must be a vehicle id (str) or None")
    seen = set()
    for i, v in enumerate(problem.vehicles):
        f = f"vehicles[{i}]"
        if not isinstance(v, Vehicle):
            raise ProblemError(f"{f}: must be a Vehicle, not {type(v).__name__}")
        _check_id(v.id, f"{f}.id", seen, "vehicle")
        if v.profile is not None and (not isinstance(v.profile, str) or v.profile not in problem.profiles):
            names = ", ".join(sorted(problem.profiles)) or "none given"
            raise ProblemError(f"{f}.profile: unknown profile {v.profile!r} (profiles: {names})")
        index_field(v.start, n, f"{f}.start")
        index_field(v.end, n, f"{f}.end")
        s0, s1 = (0, INF) if v.shift is None else window_field(v.shift, f"{f}.shift")
        if v.capacity is not None:
            int_field(v.capacity, f"{f}.capacity")
        int_field(v.fixed_cost, f"{f}.fixed_cost")
        int_field(v.max_overtime, f"{f}.max_overtime")
        int_field(v.overtime_cost, f"{f}.overtime_cost")
        limit = INF
        if v.max_work is not None:
            limit = int_field(v.max_work, f"{f}.max_work") + v.max_overtime
        for k, b in enumerate(v.breaks):
            g = f"{f}.breaks[{k}]"
            if not isinstance(b, Break):
                raise ProblemError(f"{g}: must be a Break, not {type(b).__name__}")
            lo, hi = window_field(b.window, f"{g}.window")
            dur = int_field(b.duration, f"{g}.duration")
            if dur > s1 - s0:
                raise ProblemError(f"{g}.duration: break of {dur} s is longer than the shift "
                                   f"({s1 - s0} s)")
            if dur > limit:
                raise ProblemError(f"{g}.duration: break of {dur} s is longer than the working-time "
                                   f"cap ({limit} s)")
            if hi < s0 or lo > s1 - dur:
                raise ProblemError(f"{g}.window: the break cannot be taken within the shift "
                                   f"{clock(s0)}-{clock(s1)}")


def profiles_field(profiles: object, durations: IntMatrix,
                   distances: IntMatrix | None) -> dict[str, tuple[IntMatrix, IntMatrix | None]]:
    """Validated travel profiles: name -> (durations, distances), same shape as the base matrices.

    A profile gives distances exactly when the base ``distances`` is given (as
    they must be for ``objective="distance"``), so every route of a problem
    has a distance or none has.
    """
    if profiles is None:
        return {}
    if not isinstance(profiles, Mapping):
        raise ProblemError(f"profiles: must be a mapping of name -> (durations, distances), not "
                           f"{type(profiles).__name__}")
    out: dict[str, tuple[IntMatrix, IntMatrix | None]] = {}
    for name, value in profiles.items():
        f = f"profiles[{name!r}]"
        if not isinstance(name, str) or not name:
            raise ProblemError(f"{f}: a profile name must be a non-empty string")
        if isinstance(value, (str, bytes)) or not isinstance(value, Sequence) or len(value) != 2:
            raise ProblemError(f"{f}: must be a (durations, distances) pair")
        dur = matrix(value[0], f"{f}.durations")
        if dur.shape != durations.shape:
            raise ProblemError(f"{f}.durations: shape {dur.shape} differs from durations shape {durations.shape}")
        if value[1] is None:
            if distances is not None:
                raise ProblemError(f"{f}.distances: required, as the problem has distances")
            dist = None
        else:
            if distances is None:
                raise ProblemError(f"{f}.distances: given, but the problem has no distances (give the base "
                                   f"distances too, or none)")
            dist = matrix(value[1], f"{f}.distances")
            if dist.shape != durations.shape:
                raise ProblemError(f"{f}.distances: shape {dist.shape} differs from durations shape "
                                   f"{durations.shape}")
        out[name] = (dur, dist)
    return out


def matrix(values: npt.ArrayLike, name: str) -> IntMatrix:
    try:
        arr = np.asarray(values)
    except (TypeError, ValueError) as exc:
        raise ProblemError(f"{name}: not a matrix ({exc})") from None
    if arr.ndim != 2 or arr.shape[0] != arr.shape[1]:
        raise ProblemError(f"{name}: must be a square matrix, got shape {arr.shape}")
    if arr.dtype == bool or not (np.issubdtype(arr.dtype, np.integer) or np.issubdtype(arr.dtype, np.floating)):
        raise ProblemError(f"{name}: must hold integers, got dtype {arr.dtype}")
    if np.issubdtype(arr.dtype, np.floating):
        if np.isnan(arr).any():
            raise ProblemError(f"{name}: contains NaN")
        if not np.isfinite(arr).all():
            raise ProblemError(f"{name}: contains infinite values (use a large integer for unreachable)")
        if (arr != np.round(arr)).any():
            raise ProblemError(f"{name}: must hold integers (whole seconds or metres), "
                               f"found e.g. {arr[arr != np.round(arr)].flat[0]}")
    if (arr < 0).any():
        raise ProblemError(f"{name}: contains negative values")
    if (arr > MAX_VALUE).any():
        raise ProblemError(f"{name}: values above 2**40 are not supported")
    out = arr.astype(np.int64)
    if np.diagonal(out).any():
        raise ProblemError(f"{name}: the diagonal (a place to itself) must be zero")
    out.setflags(write=False)
    return out


def int_field(x: object, name: str) -> int:
    if isinstance(x, bool) or not isinstance(x, numbers.Integral):
        raise ProblemError(f"{name}: must be an integer, not {x!r}")
    x = int(x)
    if x < 0:
        raise ProblemError(f"{name}: must not be negative, got {x}")
    if x > MAX_VALUE:
        raise ProblemError(f"{name}: {x} is too large (at most 2**40)")
    return int(x)


def index_field(x: object, n: int, name: str) -> int:
    if isinstance(x, bool) or not isinstance(x, numbers.Integral):
        raise ProblemError(f"{name}: must be an integer matrix index, not {x!r}")
    x = int(x)
    if not 0 <= x < n:
        raise ProblemError(f"{name}: unknown location index {x} (matrices have {n} places)")
    return int(x)


def window_field(w: tuple[int, int], name: str) -> tuple[int, int]:
    lo = int_field(w[0], f"{name} start")
    hi = int_field(w[1], f"{name} end")
    if hi < lo:
        raise ProblemError(f"{name}: end {clock(hi)} is before start {clock(lo)}")
    return lo, hi


def _check_id(x: object, name: str, seen: set[str], what: str) -> None:
    if not isinstance(x, str) or not x:
        raise ProblemError(f"{name}: must be a non-empty string, not {x!r}")
    if x in seen:
        raise ProblemError(f"{name}: duplicate {what} id {x!r}")
    seen.add(x)


def pair(w: Any) -> tuple[int, int]:
    try:
        lo, hi = w
    except (TypeError, ValueError):
        raise ProblemError(f"window: must be a (start, end) pair, not {w!r}") from None
    return (int(lo) if isinstance(lo, np.integer) else lo, int(hi) if isinstance(hi, np.integer) else hi)


def skill_set(skills: Any) -> frozenset[str]:
    if isinstance(skills, str):
        return frozenset({skills})
    return frozenset(skills)


def merge_windows(windows: Sequence[tuple[int, int]]) -> tuple[tuple[int, int], ...]:
    if not windows:
        return ((-INF, INF),)
    merged: list[list[int]] = []
    for lo, hi in sorted(windows):
        if merged and lo <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], hi)
        else:
            merged.append([lo, hi])
    return tuple((lo, hi) for lo, hi in merged)


def clock(t: int) -> str:
    """Seconds as ``HH:MM`` (``HH:MM:SS`` when not on a minute)."""
    if t >= INF // 2:
        return "no limit"
    h, rem = divmod(int(t), 3600)
    m, s = divmod(rem, 60)
    return f"{h:02d}:{m:02d}" + (f":{s:02d}" if s else "")
