"""Offline geocoding against the address points of the demo extract and a tiny hand-written one."""

from __future__ import annotations

import logging
import math
import random
import socket
import sys
from pathlib import Path

import pytest

from geoservice.geocode import (
    AddressIndex,
    AddressPoint,
    GeocodeResult,
    address_points_from_osm,
    normalise_address,
    normalise_postcode,
    normalise_street,
    online_geocoder,
    parse_address,
)


def metres(lon1: float | None, lat1: float | None, lon2: float, lat2: float) -> float:
    assert lon1 is not None and lat1 is not None
    dx = math.radians(lon2 - lon1) * math.cos(math.radians(lat1)) * 6_371_000
    return math.hypot(dx, math.radians(lat2 - lat1) * 6_371_000)


@pytest.fixture(scope="module")
def helsinki(demo_osm: Path) -> AddressIndex:
    return AddressIndex.from_osm_file(demo_osm)


# --- normalisation and parsing -----------------------------------------------------------------------


@pytest.mark.parametrize(("written", "normalised"), [
    ("Aleksanterink.", "aleksanterinkatu"),
    ("Aleksanterin k.", "aleksanterinkatu"),
    ("Mannerheimint.", "mannerheimintie"),
    ("Alexandersg.", "alexandersgatan"),
    ("Mannerheimv.", "mannerheimvagen"),
    ("Säästöpankinranta", "saastopankinranta"),
    ("St Mary's Rd", "saint marys road"),
    ("High St.", "high street"),
    ("N Charles St", "north charles street"),
    ("Oak Ave", "oak avenue"),
    ("Mill Ln", "mill lane"),
    ("Park Dr", "park drive"),
    ("Market Sq", "market square"),
    ("203rd St", "203 street"),
    ("Church Court.", "church court"),  # an English word ending in "t." is no Finnish "tie"
])
def test_normalise_street(written: str, normalised: str) -> None:
    assert normalise_street(written) == normalised


def test_normalise_postcode() -> None:
    assert normalise_postcode("le156ab") == "LE15 6AB"
    assert normalise_postcode("FI-00100") == "00100"
    assert normalise_postcode("21201-1234") == "21201"


def test_parse_english_address_with_flat_town_postcode_and_country() -> None:
    parsed = parse_address("Flat 3, 12 High St, Oakham, LE15 6AB, UK")
    assert (parsed.housenumber, parsed.street_normalised, parsed.postcode) == ("12", "high street", "LE15 6AB")
    assert parsed.localities == ("Oakham",)
    assert parsed.unit == "Flat 3"


def test_parse_us_address_drops_state_and_finds_zip() -> None:
    parsed = parse_address("123 N Charles St, Baltimore, MD 21201")
    assert (parsed.housenumber, parsed.street_normalised) == ("123", "north charles street")
    assert (parsed.postcode, parsed.localities) == ("21201", ("Baltimore",))


def test_parse_finnish_address_with_staircase_flat_and_country() -> None:
    parsed = parse_address("Mannerheimintie 12 A 5, 00100 Helsinki, Finland")
    assert (parsed.housenumber, parsed.numbers, parsed.unit) == ("12a", (12,), "5")
    assert (parsed.street, parsed.postcode, parsed.localities) == ("Mannerheimintie", "00100", ("Helsinki",))


def test_parse_house_number_forms() -> None:
    assert parse_address("Aleksanterinkatu 15-17").numbers == (15, 17)
    assert parse_address("Aleksanterinkatu 15 - 17").housenumber == "15-17"
    assert parse_address("12a High Street").housenumber == "12a"
    assert parse_address("Kaivokatu 1 B").housenumber == "1b"
    five_digit_number = parse_address("12345 Main St, 21201")  # opening 5 digits: a number, not a ZIP
    assert (five_digit_number.housenumber, five_digit_number.postcode) == ("12345", "21201")


def test_parse_us_state_in_its_own_segment_is_no_town() -> None:
    assert parse_address("123 N Charles St, Baltimore, MD, 21201").localities == ("Baltimore",)
    assert parse_address("Apt 4, 12345 Main St").housenumber == "12345"


def test_normalise_address_makes_variants_equal() -> None:
    assert normalise_address("12 High St., Oakham LE15 6AB, UK") == "high street 12, LE15 6AB, oakham"
    assert normalise_address("12 high street, oakham, le15 6ab") == "high street 12, LE15 6AB, oakham"
    assert normalise_address("YRJÖNKATU 13, 00120 HELSINKI") == normalise_address("Yrjönkatu 13, 00120 Helsinki")


# --- reading the extract ----------------------------------------------------------------------------


def test_missing_or_unreadable_extract_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="OSM extract not found"):
        AddressIndex.from_osm_file(tmp_path / "missing.osm.pbf")
    not_osm = tmp_path / "clients.csv"
    not_osm.write_text("id,address\n1,Yrjönkatu 13\n", encoding="utf-8")
    with pytest.raises(ValueError, match="cannot read OSM extract"):
        address_points_from_osm(not_osm)


def test_address_points_from_osm(demo_osm: Path) -> None:
    frame = address_points_from_osm(demo_osm)
    assert len(frame) == 1451
    assert frame.crs.to_epsg() == 4326
    assert {"housenumber", "street", "postcode", "city", "osm_type", "osm_id", "lon", "lat"} <= set(frame.columns)
    assert set(frame["osm_type"]) == {"node", "way", "relation"}
    assert frame["lon"].between(24.9, 25.0).all() and frame["lat"].between(60.15, 60.19).all()
    row = frame[(frame["osm_type"] == "node") & (frame["osm_id"] == 600394451)].iloc[0]
    assert (row["street"], row["housenumber"], row["postcode"]) == ("Pohjoisesplanadi", "21", "00100")


# --- Helsinki -------------------------------------------------------------------------------------------

# checked by hand against the extract: (address, lon, lat of its only OSM point)
KNOWN = [
    ("Pohjoisesplanadi 21, 00100 Helsinki", 24.950049, 60.167948),
    ("Yrjönkatu 13, 00120 Helsinki", 24.940696, 60.166854),
    ("Mikonkatu 18", 24.944995, 60.172111),  # two nodes 15 m apart: the more central is either
    ("Säästöpankinranta 6, 00530 Helsinki", 24.947591, 60.178987),
]


@pytest.mark.parametrize(("address", "lon", "lat"), KNOWN)
def test_known_helsinki_addresses_match_exactly(helsinki: AddressIndex, address: str, lon: float,
                                                lat: float) -> None:
    result = helsinki.geocode(address)
    assert (result.status, result.confidence, result.note) == ("matched", 1.0, "")
    assert metres(result.lon, result.lat, lon, lat) < 25
    assert result.matched_address is not None
    assert result.matched_address.split(",")[0] == address.split(",")[0]


def test_sampled_unique_addresses_match_at_their_point(helsinki: AddressIndex) -> None:
    frame = helsinki.to_frame()
    unique = frame.drop_duplicates(["street", "housenumber"], keep=False)
    unique = unique[unique["housenumber"].str.fullmatch(r"\d+[A-Za-z]?")]
    rows = unique.sample(40, random_state=3)
    for row in rows.itertuples():
        result = helsinki.geocode(f"{row.street} {row.housenumber}")
        assert result.status == "matched", result.note
        assert result.confidence == 1.0
        assert metres(result.lon, result.lat, row.lon, row.lat) < 1


@pytest.mark.parametrize("variant", [
    "YRJÖNKATU 13", "yrjonkatu 13.", "Yrjönk. 13, 00120 Helsinki", "13 Yrjönkatu", "Yrjönkatu 13,Helsinki",
    "  Yrjönkatu   13 ,  00120  HELSINKI , Finland",
])
def test_case_punctuation_accent_and_abbreviation_variants_match(helsinki: AddressIndex, variant: str) -> None:
    result = helsinki.geocode(variant)
    assert (result.status, result.confidence) == ("matched", 1.0)
    assert metres(result.lon, result.lat, 24.940696, 60.166854) < 1


def test_swedish_street_and_town_names_match(helsinki: AddressIndex) -> None:
    result = helsinki.geocode("Georgsgatan 13, Helsingfors")  # Yrjönkatu in Swedish
    assert (result.status, result.confidence) == ("matched", 1.0)
    assert metres(result.lon, result.lat, 24.940696, 60.166854) < 1


def test_street_typo_matches_fuzzily_with_lower_confidence_and_note(helsinki: AddressIndex) -> None:
    result = helsinki.geocode("Pohjoisesplanaadi 21")
    assert result.status == "matched"
    assert 0.8 <= result.confidence < 1
    assert "street matched fuzzily: 'Pohjoisesplanaadi' -> 'Pohjoisesplanadi'" in result.note
    assert metres(result.lon, result.lat, 24.950049, 60.167948) < 1


def test_missing_house_number_is_low_confidence_with_nearest_noted(helsinki: AddressIndex) -> None:
    result = helsinki.geocode("Mikonkatu 10")  # even numbers there: 2 4 6 8 18 20 22
    assert result.status == "low_confidence"
    assert result.confidence < 0.8
    assert result.note == "house number 10 not found; nearest on street is 8"
    assert (result.lon, result.lat) == (None, None)
    assert result.candidate_lon is not None
    assert result.message() == (
        "address uncertain (confidence 0.60): house number 10 not found; nearest on street is 8 "
        f"(best candidate: {result.matched_address}); correct the address or accept the match")
    assert result.matched_address is not None and result.matched_address.startswith("Mikonkatu 8")


def test_house_number_inside_a_range_and_suffix_variants(helsinki: AddressIndex) -> None:
    in_range = helsinki.geocode("Yrjönkatu 8")  # tagged "8-10"
    assert in_range.status == "matched" and in_range.confidence < 1
    assert "part of 8-10" in in_range.note
    other_door = helsinki.geocode("Yrjönkatu 38 B")  # only "38" exists
    assert other_door.status == "matched"
    assert other_door.note == "house number 38 B not found; matched 38"
    assert helsinki.geocode("Yrjönkatu 23 B").confidence == 1.0  # "23 B" exists


def test_street_not_in_extract_is_unmatched(helsinki: AddressIndex) -> None:
    result = helsinki.geocode("Keksittykuja 5, 00100 Helsinki")
    assert (result.status, result.confidence, result.lon) == ("unmatched", 0.0, None)
    assert "no street like 'Keksittykuja'" in result.note
    assert result.message().startswith("address not found")
    with pytest.raises(ValueError, match="no candidate"):
        result.accept()


def test_empty_or_streetless_address_is_unmatched(helsinki: AddressIndex) -> None:
    assert helsinki.geocode("  ").note == "the address is empty"
    assert helsinki.geocode("00100").status == "unmatched"
    assert helsinki.geocode("12").status == "unmatched"


def test_wrong_postcode_lowers_confidence(helsinki: AddressIndex) -> None:
    right = helsinki.geocode("Yrjönkatu 13, 00120 Helsinki")
    near = helsinki.geocode("Yrjönkatu 13, 00130 Helsinki")
    wrong = helsinki.geocode("Yrjönkatu 13, 00990 Helsinki")
    assert right.confidence == 1.0
    assert near.confidence < right.confidence and "postcode 00130 differs from 00120" in near.note
    assert wrong.status == "low_confidence" and wrong.confidence < near.confidence
    assert wrong.lon is None


def test_town_outside_the_extract_is_not_placed(helsinki: AddressIndex) -> None:
    result = helsinki.geocode("Yrjönkatu 13, Espoo")
    assert result.status == "low_confidence"
    assert "espoo" in result.note


def test_building_name_before_the_street_tag_is_dropped(helsinki: AddressIndex) -> None:
    # the extract tags addr:street="Galleria Esplanad, Aleksanterinkatu" on some shops
    assert not [p for p in helsinki.points if "," in p.street]
    assert helsinki.geocode("Aleksanterinkatu 42").status == "matched"


def test_street_without_house_number_is_not_placed(helsinki: AddressIndex) -> None:
    result = helsinki.geocode("Pohjoisesplanadi")
    assert result.status == "low_confidence" and result.lon is None
    assert "no house number" in result.note


def test_geocode_many_logs_counts_only(helsinki: AddressIndex, caplog: pytest.LogCaptureFixture) -> None:
    addresses = ["Yrjönkatu 13", "Mikonkatu 10", "Keksittykuja 5", "Pohjoisesplanadi 21"]
    with caplog.at_level(logging.DEBUG, logger="geoservice.geocode"):
        results = helsinki.geocode_many(addresses)
    assert [r.status for r in results] == ["matched", "low_confidence", "unmatched", "matched"]
    logged = " ".join(r.getMessage() for r in caplog.records)
    assert "2 matched, 1 low confidence, 0 ambiguous, 1 unmatched" in logged
    for secret in ("Yrjönkatu", "Mikonkatu", "Keksittykuja", "Pohjoisesplanadi", "24.94", "60.16"):
        assert secret not in logged
    assert "Yrjönkatu" not in repr(results[0]) and "24.94" not in repr(results[0])


# --- a tiny English extract: the same street in two towns -------------------------------------------------

ENGLISH_OSM = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="hand">
  <node id="1" lat="52.67000" lon="-0.73000"><tag k="place" v="town"/><tag k="name" v="Oakham"/></node>
  <node id="2" lat="52.58800" lon="-0.72100"><tag k="place" v="town"/><tag k="name" v="Uppingham"/></node>
  <node id="11" lat="52.66950" lon="-0.72800">
    <tag k="addr:housenumber" v="12"/><tag k="addr:street" v="High Street"/>
    <tag k="addr:city" v="Oakham"/><tag k="addr:postcode" v="LE15 6AB"/></node>
  <node id="12" lat="52.66955" lon="-0.72830">
    <tag k="addr:housenumber" v="14"/><tag k="addr:street" v="High Street"/>
    <tag k="addr:city" v="Oakham"/><tag k="addr:postcode" v="LE15 6AB"/></node>
  <node id="13" lat="52.66975" lon="-0.72790">
    <tag k="addr:housenumber" v="15"/><tag k="addr:street" v="High Street"/>
    <tag k="addr:city" v="Oakham"/><tag k="addr:postcode" v="LE15 6AD"/></node>
  <node id="14" lat="52.67100" lon="-0.73100">
    <tag k="addr:housenumber" v="3"/><tag k="addr:street" v="St Mary's Road"/>
    <tag k="addr:city" v="Oakham"/><tag k="addr:postcode" v="LE15 6AE"/></node>
  <node id="21" lat="52.58810" lon="-0.72050">
    <tag k="addr:housenumber" v="12"/><tag k="addr:street" v="High Street"/>
    <tag k="addr:city" v="Uppingham"/><tag k="addr:postcode" v="LE15 9PY"/></node>
  <node id="22" lat="52.58820" lon="-0.72080">
    <tag k="addr:housenumber" v="16"/><tag k="addr:street" v="High Street"/>
    <tag k="addr:postcode" v="LE15 9PY"/></node>
  <node id="15" lat="52.67050" lon="-0.73050">
    <tag k="addr:housenumber" v="3"/><tag k="addr:street" v="Church Lane"/></node>
  <node id="23" lat="52.58850" lon="-0.72150">
    <tag k="addr:housenumber" v="3"/><tag k="addr:street" v="Church Lane"/></node>
  <node id="101" lat="52.66900" lon="-0.72900"/>
  <node id="102" lat="52.66900" lon="-0.72880"/>
  <node id="103" lat="52.66920" lon="-0.72880"/>
  <node id="104" lat="52.66920" lon="-0.72900"/>
  <node id="301" lat="52.58700" lon="-0.72200"/>
  <node id="302" lat="52.58700" lon="-0.72160"/>
  <node id="303" lat="52.58740" lon="-0.72160"/>
  <node id="304" lat="52.58740" lon="-0.72200"/>
  <way id="10">
    <nd ref="101"/><nd ref="102"/><nd ref="103"/><nd ref="104"/><nd ref="101"/>
    <tag k="building" v="yes"/><tag k="addr:housenumber" v="20"/><tag k="addr:street" v="High Street"/>
    <tag k="addr:city" v="Oakham"/><tag k="addr:postcode" v="LE15 6AB"/></way>
  <way id="31"><nd ref="301"/><nd ref="302"/><nd ref="303"/><nd ref="304"/><nd ref="301"/></way>
  <relation id="30">
    <member type="way" ref="31" role="outer"/>
    <tag k="type" v="multipolygon"/><tag k="building" v="yes"/>
    <tag k="addr:housenumber" v="1"/><tag k="addr:street" v="Market Place"/>
    <tag k="addr:city" v="Uppingham"/><tag k="addr:postcode" v="LE15 9QH"/></relation>
</osm>
"""
OAKHAM_12 = (-0.72800, 52.66950)
UPPINGHAM_12 = (-0.72050, 52.58810)


@pytest.fixture(scope="module")
def english(tmp_path_factory: pytest.TempPathFactory) -> AddressIndex:
    path = tmp_path_factory.mktemp("osm") / "rutland-tiny.osm"
    path.write_text(ENGLISH_OSM, encoding="utf-8")
    return AddressIndex.from_osm_file(path)


@pytest.mark.parametrize("address", [
    "12 High Street, Oakham, LE15 6AB", "12 High St, Oakham", "12 high st. oakham", "12 High Street Oakham",
    "Flat 3, 12 High St, Oakham, LE15 6AB, UK", "12 High St, LE15 6AB", "12 HIGH STREET. OAKHAM. LE15 6AB",
    "12, High Street, Oakham", "12 High St Oakham LE15 6AB United Kingdom",
])
def test_town_or_postcode_picks_oakham(english: AddressIndex, address: str) -> None:
    result = english.geocode(address)
    assert (result.status, result.confidence) == ("matched", 1.0)
    assert (result.lon, result.lat) == OAKHAM_12
    assert result.matched_address == "12 High Street, Oakham LE15 6AB"


@pytest.mark.parametrize("address", ["12 High St, Uppingham", "12 High Street, LE15 9PY", "12 high st uppingham"])
def test_town_or_postcode_picks_uppingham(english: AddressIndex, address: str) -> None:
    result = english.geocode(address)
    assert result.status == "matched"
    assert (result.lon, result.lat) == UPPINGHAM_12


@pytest.mark.parametrize("address", ["12 High Street", "12 High St", "12 high st."])
def test_same_street_in_two_towns_is_ambiguous(english: AddressIndex, address: str) -> None:
    result = english.geocode(address)
    assert result.status == "ambiguous"
    assert (result.lon, result.lat, result.candidate_lon) == (None, None, None)
    assert "Oakham" in result.note and "Uppingham" in result.note
    assert "add the town or postcode" in result.message()


def test_ambiguous_note_names_the_nearest_settlement_of_untagged_points(english: AddressIndex) -> None:
    result = english.geocode("3 Church Lane")
    assert result.status == "ambiguous"
    assert "3 Church Lane (near Oakham)" in result.note and "3 Church Lane (near Uppingham)" in result.note
    chosen = english.geocode("3 Church Ln, Uppingham")
    assert (chosen.status, chosen.lon, chosen.lat) == ("matched", -0.72150, 52.58850)


def test_untagged_town_is_taken_from_the_nearest_settlement(english: AddressIndex) -> None:
    assert english.geocode("16 High St, Uppingham").status == "matched"
    result = english.geocode("16 High St, Oakham")  # Oakham has no 16; Uppingham's is in another town
    assert result.status == "low_confidence"
    assert "town 'oakham' differs from 'uppingham'" in result.note


def test_building_way_and_multipolygon_are_at_their_centroid(english: AddressIndex) -> None:
    way = english.geocode("20 High Street, Oakham")
    assert metres(way.lon, way.lat, -0.72890, 52.66910) < 1
    relation = english.geocode("1 Market Pl, Uppingham")
    assert metres(relation.lon, relation.lat, -0.72180, 52.58720) < 1


def test_saint_and_apostrophe(english: AddressIndex) -> None:
    for address in ("3 St Marys Rd, Oakham", "3 Saint Mary's Road", "3 st. mary's road"):
        assert english.geocode(address).status == "matched"


def test_low_confidence_is_placed_only_when_accepted(english: AddressIndex) -> None:
    result = english.geocode("13 High Street, Oakham")  # odd numbers on Oakham's High Street: 15
    assert result.status == "low_confidence"
    assert result.note == "house number 13 not found; nearest on street is 15"
    assert not result.placed
    accepted = result.accept()
    assert accepted.placed and (accepted.lon, accepted.lat) == (-0.72790, 52.66975)
    assert accepted.status == "low_confidence"
    placed = english.geocode("13 High Street, Oakham", accept_low_confidence=True)
    assert (placed.lon, placed.lat) == (-0.72790, 52.66975)


def test_from_frame_matches_like_from_file(english: AddressIndex) -> None:
    index = AddressIndex.from_frame(english.to_frame())
    result = index.geocode("12 High St, Oakham")
    assert (result.status, result.lon, result.lat) == ("matched", *OAKHAM_12)
    with pytest.raises(ValueError, match="CRS"):
        AddressIndex.from_frame(english.to_frame().set_crs(None, allow_override=True))
    with pytest.raises(ValueError, match="street"):
        AddressIndex.from_frame(english.to_frame().drop(columns="street"))


def test_threshold_is_a_setting(english: AddressIndex) -> None:
    strict = AddressIndex.from_frame(english.to_frame(), threshold=0.99)
    assert strict.geocode("12 Hihg Street, Oakham").status == "low_confidence"
    assert english.geocode("12 Hihg Street, Oakham").status in {"matched", "low_confidence"}
    with pytest.raises(ValueError, match="threshold"):
        AddressIndex.from_frame(english.to_frame(), threshold=1.5)


def test_numbered_streets_match_on_their_number_only() -> None:
    # Queens: parallel numbered streets 80 m apart, both with a "100-11" (a Queens number, no range)
    index = AddressIndex([
        AddressPoint("100-11", "202nd Street", -73.7540, 40.7100, postcode="11423", country="US"),
        AddressPoint("100-11", "203rd Street", -73.7530, 40.7100, postcode="11423", country="US"),
    ])
    for address in ("100-11 203rd St", "100-11 203nd Street, 11423", "100-11 203 St"):
        result = index.geocode(address)
        assert (result.status, result.lon) == ("matched", -73.7530), address
    assert index.geocode("100-11 20rd Street").status == "unmatched"
    assert index.geocode("100-12 203rd Street").status == "low_confidence"


# --- online geocoder: off unless built explicitly ----------------------------------------------------------


def test_geocoding_is_offline_by_default(english: AddressIndex, monkeypatch: pytest.MonkeyPatch) -> None:
    def no_network(*args: object, **kwargs: object) -> None:
        raise AssertionError("geocoding tried to reach the network")

    monkeypatch.setattr(socket.socket, "connect", no_network)
    monkeypatch.setitem(sys.modules, "geopy", None)  # any import of geopy would fail
    results = english.geocode_many(["12 High St, Oakham", "99 Nowhere Lane"])
    assert [r.status for r in results] == ["matched", "unmatched"]
    assert all(r.source == "osm" for r in results)


def test_online_geocoder_needs_geopy_and_a_user_agent(monkeypatch: pytest.MonkeyPatch) -> None:
    with pytest.raises(ValueError, match="user_agent"):
        online_geocoder(user_agent=" ")
    monkeypatch.setitem(sys.modules, "geopy", None)
    for name in ("geopy.exc", "geopy.extra.rate_limiter", "geopy.geocoders"):
        monkeypatch.setitem(sys.modules, name, None)
    with pytest.raises(ImportError, match="pip install geopy"):
        online_geocoder(user_agent="outreach-planner-test")


def test_online_fallback_is_asked_for_unmatched_addresses_only(english: AddressIndex) -> None:
    asked: list[str] = []

    def fake_online(text: str) -> GeocodeResult:
        asked.append(text)
        return GeocodeResult(text, "low_confidence", 0.5, source="nominatim")

    results = english.geocode_many(["12 High St, Oakham", "12 High St", "99 Nowhere Lane"], online=fake_online)
    assert asked == ["99 Nowhere Lane"]
    assert [r.source for r in results] == ["osm", "osm", "nominatim"]


def test_geocode_many_with_progress_bar(english: AddressIndex) -> None:
    texts = [f"{n} High Street, Oakham" for n in random.Random(1).choices([12, 14, 15, 20], k=20)]
    assert all(r.status == "matched" for r in english.geocode_many(texts, progress=True))


def test_online_geocoder_result_without_network(monkeypatch: pytest.MonkeyPatch) -> None:
    pytest.importorskip("geopy")
    from geopy.geocoders import Nominatim
    from geopy.location import Location

    calls: list[dict[str, object]] = []

    def fake_geocode(self: object, query: str, **kwargs: object) -> Location:
        calls.append(kwargs)
        raw = {"address": {"road": "High Street", "house_number": "12"}}
        return Location("12, High Street, Oakham", (52.6695, -0.728), raw)

    monkeypatch.setattr(Nominatim, "geocode", fake_geocode)
    geocoder = online_geocoder(user_agent="outreach-planner-test", min_delay_s=0)
    result = geocoder("12 High St, Oakham")
    assert (result.status, result.source, result.lon, result.lat) == ("matched", "nominatim", -0.728, 52.6695)
    street_only = online_geocoder(user_agent="outreach-planner-test", min_delay_s=0)("14 High St, Oakham")
    assert street_only.status == "low_confidence" and street_only.lon is None
    assert calls[0]["addressdetails"] is True
