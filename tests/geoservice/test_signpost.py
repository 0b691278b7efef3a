"""Signposting: the nearest open resources of a type from a point or an address, with
travel times, opening on arrival, and nothing of the caller's address kept."""

from __future__ import annotations

import datetime as dt
import json
import logging

import pytest

from geoservice.errors import UserError
from geoservice.models import Resource
from geoservice.networks import workspace_graph
from geoservice.signpost import parse_point, signpost, when_text
from geoservice.store import GeoPackageStore
from geoservice.travel_times import place_on_network, travel_times

ADDRESS = "Kaisaniemenkatu 4, Helsinki"
MONDAY_NOON = "2026-11-23T12:00"
SUNDAY_NOON = "2026-11-22T12:00"
# shelters around the station square, central Helsinki (lon, lat)
SHELTERS = [
    Resource("S-weekdays", "Weekday shelter", "shelter", 24.9440, 60.1712, opening_hours="Mo-Fr 09:00-17:00"),
    Resource("S-always", "Night and day shelter", "shelter", 24.9460, 60.1690, opening_hours="24/7"),
    Resource("S-unknown", "Church hall", "shelter", 24.9380, 60.1680),
    Resource("S-far", "Harbour shelter", "shelter", 24.9520, 60.1660, opening_hours="24/7", phone="+358 9 123"),
]


@pytest.fixture
def shelters(workspace: GeoPackageStore) -> GeoPackageStore:
    workspace.write({"resources": [*workspace.records("resources"), *SHELTERS]}, replace=True)
    return workspace


def expected_order(store: GeoPackageStore, lonlat: tuple[float, float]) -> list[str]:
    G = workspace_graph(store, "walk")
    times = travel_times(G, place_on_network(G, [lonlat]), place_on_network(G, [(r.lon, r.lat) for r in SHELTERS]))
    return [r.id for _, r in sorted(zip(times[0], SHELTERS, strict=True), key=lambda p: p[0])]


def test_weekday_all_open_nearest_first(shelters: GeoPackageStore) -> None:
    point = (24.9414, 60.1699)
    result = signpost(shelters, point=point, resource_type="Shelter", n=3, at=MONDAY_NOON)
    order = expected_order(shelters, point)
    assert [r.id for r in result.resources] == order[:3] and result.closed_nearer == []
    times = [r.travel_time_s for r in result.resources]
    assert times == sorted(times) and all(r.distance_m > 0 for r in result.resources)
    for r in result.resources:
        assert r.open and r.hours_unknown == (r.id == "S-unknown")


def test_on_sunday_the_weekday_shelter_is_listed_apart_with_its_opening(shelters: GeoPackageStore) -> None:
    point = (24.9440, 60.1711)  # next door to the weekday shelter
    result = signpost(shelters, point=point, resource_type="shelter", n=2, at=SUNDAY_NOON)
    assert "S-weekdays" not in [r.id for r in result.resources]
    assert [r.id for r in result.resources] == [i for i in expected_order(shelters, point) if i != "S-weekdays"][:2]
    closed = result.closed_nearer
    assert [r.id for r in closed] == ["S-weekdays"] and not closed[0].open
    assert closed[0].opens_at is not None and closed[0].opens_at.isoformat() == "2026-11-23T09:00:00+02:00"
    assert "closed, opens Mon 09:00" in result.table()


def test_an_address_gives_the_same_answer_as_its_point_and_is_not_kept(
        shelters: GeoPackageStore, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    by_address = signpost(shelters, address=ADDRESS, resource_type="shelter", n=4, at=MONDAY_NOON)
    by_point = signpost(shelters, point=(24.94674871, 60.17135767), resource_type="shelter", n=4, at=MONDAY_NOON)
    assert [r.id for r in by_address.resources] == [r.id for r in by_point.resources]
    assert [r.travel_time_s for r in by_address.resources] == [r.travel_time_s for r in by_point.resources]
    text = json.dumps(by_address.as_json()) + by_address.table()
    assert "Kaisaniemenkatu" not in text and "24.94674" not in text and "60.17135" not in text
    assert not any("Kaisaniemenkatu" in r.getMessage() for r in caplog.records)


def test_user_errors(shelters: GeoPackageStore) -> None:
    with pytest.raises(UserError, match=r"unknown resource type 'food'.*shelter"):
        signpost(shelters, point=(24.94, 60.17), resource_type="food")
    with pytest.raises(UserError, match="exactly one"):
        signpost(shelters, resource_type="shelter")
    with pytest.raises(UserError, match="could not be placed") as err:
        signpost(shelters, address="Nowhere Street 999", resource_type="shelter")
    assert "Nowhere" not in str(err.value)
    with pytest.raises(UserError, match="outside the area"):
        signpost(shelters, point=(25.5, 60.5), resource_type="shelter")


def test_parse_point() -> None:
    assert parse_point("24.9414, 60.1699") == (24.9414, 60.1699)
    with pytest.raises(UserError, match="LON,LAT"):
        parse_point("60.17")
    with pytest.raises(UserError, match="not a longitude"):
        parse_point("160.17,240.9")


def test_an_opening_beyond_the_coming_week_has_its_date() -> None:
    now = dt.datetime(2026, 12, 24, 10, 0)
    assert when_text(dt.datetime(2026, 12, 28, 9, 0), now) == "Mon 09:00"
    assert when_text(dt.datetime(2027, 3, 29, 10, 0), now) == "Mon 29 Mar 2027 10:00"
