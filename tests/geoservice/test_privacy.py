"""Role rules and k-anonymous aggregation, on hand-built records with known answers."""

from __future__ import annotations

import math

import numpy as np
import pytest
import shapely
from pyproj import Transformer
from shapely.geometry import Point

from geoservice.errors import UserError
from geoservice.models import Client, Worker
from geoservice.privacy import (
    AGGREGATE_MINUTES,
    Viewer,
    hexagon_counts,
    locality_counts,
    may_see_worker,
    split_counts,
    suppress_small,
    visible_clients,
    visible_day_clients,
    visible_workers,
)


def _client(cid: str, locality: str | None, worker: str | None, lon: float = 24.94, lat: float = 60.17) -> Client:
    return Client(cid, f"Name {cid}", lon, lat, locality=locality, usual_worker=worker)


CLIENTS = [_client("C1", "L1", "W1"), _client("C2", "L1", "W2"), _client("C3", "L2", "W2"), _client("C4", None, None)]
WORKERS = [Worker("W1", "Ann", locality="L1"), Worker("W2", "Bo", locality="L2"), Worker("R1", "Relief", relief=True)]


def test_each_role_sees_its_own_clients() -> None:
    ids = lambda viewer: [c.id for c in visible_clients(viewer, CLIENTS)]  # noqa: E731
    assert ids(Viewer("worker", "W2")) == ["C2", "C3"], "a worker sees their caseload only"
    assert ids(Viewer("coordinator", localities=frozenset({"L1"}))) == ["C1", "C2"]
    assert ids(Viewer("manager")) == ["C1", "C2", "C3", "C4"], "no scope: the whole team"
    assert ids(Viewer("manager", localities=frozenset({"L2"}))) == ["C3"], "no locality is outside every scope"
    assert ids(Viewer("admin")) == ["C1", "C2", "C3", "C4"]
    assert ids(Viewer("outreach")) == [], "outreach sees clients only as aggregates"
    assert not Viewer("outreach").sees_clients and Viewer("worker", "W1").sees_clients


def test_who_may_see_a_workers_day() -> None:
    w1, w2, _ = WORKERS
    assert may_see_worker(Viewer("worker", "W1"), w1) and not may_see_worker(Viewer("worker", "W1"), w2)
    scoped = Viewer("coordinator", localities=frozenset({"L1"}))
    assert [w.id for w in visible_workers(scoped, WORKERS)] == ["W1", "R1"], "the relief bank covers every locality"
    assert [w.id for w in visible_workers(Viewer("manager"), WORKERS)] == ["W1", "W2", "R1"]
    assert visible_workers(Viewer("outreach"), WORKERS) == []


def test_whose_clients_a_viewer_sees_in_a_workers_day() -> None:
    w1, w2, relief = WORKERS
    day = [CLIENTS[0], CLIENTS[2], CLIENTS[3]]  # C1 in L1, C3 in L2, C4 in no locality
    ids = lambda viewer, worker: [c.id for c in visible_day_clients(viewer, worker, day)]  # noqa: E731
    scoped = Viewer("coordinator", localities=frozenset({"L1"}))
    assert ids(scoped, relief) == ["C1"], "a relief worker's day crosses localities: the scoped role sees theirs"
    assert ids(scoped, w1) == ["C1"], "their own worker covering a visit elsewhere: that visit is not theirs"
    assert ids(scoped, w2) == [], "a worker they may not see at all"
    assert ids(Viewer("worker", "R1"), relief) == ["C1", "C3", "C4"], "a worker sees everyone they visit"
    assert ids(Viewer("worker", "W1"), relief) == []
    assert ids(Viewer("manager"), relief) == ids(Viewer("admin"), relief) == ["C1", "C3", "C4"]
    assert ids(Viewer("outreach"), relief) == []


def test_viewer_needs_a_known_role_and_a_worker_id() -> None:
    with pytest.raises(UserError, match="unknown role"):
        Viewer("superuser")
    with pytest.raises(UserError, match="worker id"):
        Viewer("worker")


def test_small_counts_are_suppressed_with_their_complement() -> None:
    # B (3) is below k; alone it could be recovered as total - shown, so the next smallest (A) goes too
    assert suppress_small({"A": 7, "B": 3, "C": 0, "D": 12}, k=5) == {"A": None, "B": None, "C": 0, "D": 12}
    # two small cells already hide 6 >= k clients together: nothing else needs hiding
    assert suppress_small({"A": 2, "B": 4, "C": 9}, k=5) == {"A": None, "B": None, "C": 9}
    assert suppress_small({"A": 5, "B": 0}, k=5) == {"A": 5, "B": 0}
    # one small cell and nothing else to hide it behind: everything is hidden
    assert suppress_small({"A": 1, "B": 8}, k=5) == {"A": None, "B": None}
    with pytest.raises(UserError):
        suppress_small({"A": 1}, k=0)


def test_parts_of_counts_are_suppressed_with_what_is_left() -> None:
    totals = {"A": 20, "B": None, "C": 12, "D": 30, "E": 9, "F": 0}
    covered = {"A": 3, "B": 1, "C": 12, "D": 10, "E": 6, "F": 0}
    # A: 3 covered < k. B: its total is hidden. C: all covered, none left (0 shows). D: 10 and 20.
    # E: 6 covered, but only 3 not covered. F: nobody.
    assert split_counts(totals, covered, k=5) == {"A": None, "B": None, "C": 12, "D": 10, "E": None, "F": 0}
    assert split_counts({"A": 20, "B": 30}, {"A": 10, "B": 25}, k=5) == {"A": 10, "B": 25}
    # 4 left in B; hidden alone, a total would give it back, so A goes too
    assert split_counts({"A": 20, "B": 30}, {"A": 10, "B": 26}, k=5) == {"A": None, "B": None}
    assert set(AGGREGATE_MINUTES) == {5, 10, 15, 20, 30}


def test_locality_counts() -> None:
    clients = [_client(f"C{i}", "L1" if i < 6 else "L2", None) for i in range(9)]
    assert locality_counts(clients, ["L1", "L2", "L3"], k=5) == {"L1": None, "L2": None, "L3": 0}
    assert locality_counts(clients, ["L1", "L2", "L3"], k=3) == {"L1": 6, "L2": 3, "L3": 0}


def test_hexagon_counts_on_a_hand_built_case() -> None:
    # 6 clients within ~30 m of one spot, 5 within ~30 m of a spot 2 km east, 2 far north
    to_utm = Transformer.from_crs(4326, 32635, always_xy=True)
    x0, y0 = to_utm.transform(24.94, 60.17)
    back = Transformer.from_crs(32635, 4326, always_xy=True)
    def around(dx: float, dy: float, n: int) -> list[tuple[float, float]]:
        return [back.transform(x0 + dx + 10 * i, y0 + dy + 5 * i) for i in range(n)]
    a, b, far = around(0, 0, 6), around(2000, 0, 5), around(0, 8000, 2)
    cells = hexagon_counts(a + b + far, size_m=500, k=5)
    counts = sorted((c.clients or 0) for c in cells)
    shown = [c for c in cells if c.clients is not None]
    # the 2 far clients are hidden, and with them the smallest shown cell (5), so 7 >= k are hidden
    assert [c.clients for c in shown] == [6] and sum(counts) == 6
    cell_a = shown[0]
    assert all(cell_a.polygon.contains(Point(lon, lat)) for lon, lat in a)
    assert not any(cell_a.polygon.contains(Point(lon, lat)) for lon, lat in b + far)
    area = shapely.transform(cell_a.polygon, lambda xy: np.column_stack(to_utm.transform(xy[:, 0], xy[:, 1]))).area
    assert area == pytest.approx(3 * math.sqrt(3) / 2 * 500**2, rel=1e-3), "a regular hexagon of 500 m"
    corners = set(cell_a.outline)
    assert not corners & {(round(lon, 6), round(lat, 6)) for lon, lat in a}, "outlines are grid corners"
    # the same points fall in the same cells whatever else is counted
    again = hexagon_counts(a, size_m=500, k=1)
    assert [c.key for c in again] == [cell_a.key] and again[0].clients == 6
    assert hexagon_counts([], size_m=500) == []
