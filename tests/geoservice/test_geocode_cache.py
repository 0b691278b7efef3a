"""The address index cache: built once per extract, loaded after, rebuilt when the extract changes."""

from __future__ import annotations

import dataclasses
import logging
from pathlib import Path

import pytest

from geoservice.geocode import AddressIndex, cached_address_index
from geoservice.io.importer import workspace_geocoder

ADDRESSES = ["Pohjoisesplanadi 21, 00100 Helsinki", "Yrjönkatu 13", "Mikonkatu 10", "Keksittykuja 5",
             "Mannerheimv. 5, Helsingfors"]

TINY_OSM = """<?xml version="1.0" encoding="UTF-8"?>
<osm version="0.6" generator="hand">
  <node id="11" lat="52.66950" lon="-0.72800">
    <tag k="addr:housenumber" v="{number}"/><tag k="addr:street" v="High Street"/></node>
</osm>
"""


def results(index: AddressIndex, addresses: list[str]) -> list[tuple[object, ...]]:
    return [dataclasses.astuple(r) for r in index.geocode_many(addresses)]


def test_cached_index_matches_like_a_fresh_one_and_is_loaded_after(
        demo_osm: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    built = cached_address_index(demo_osm, cache_dir=tmp_path)
    entries = list(tmp_path.glob("helsinki.osm.pbf.address-index.*.pickle"))
    assert len(entries) == 1

    def no_build(*args: object, **kwargs: object) -> AddressIndex:
        raise AssertionError("the index was rebuilt instead of loaded")

    monkeypatch.setattr(AddressIndex, "from_osm_file", no_build)
    loaded = cached_address_index(demo_osm, cache_dir=tmp_path)
    assert loaded is not built and len(loaded) == len(built) == 1450
    monkeypatch.undo()
    fresh = AddressIndex.from_osm_file(demo_osm)
    assert results(loaded, ADDRESSES) == results(fresh, ADDRESSES)
    assert [r.status for r in loaded.geocode_many(ADDRESSES)] == [
        "matched", "matched", "low_confidence", "unmatched", "matched"]


def test_changed_extract_rebuilds_and_replaces_the_entry(tmp_path: Path) -> None:
    extract, cache = tmp_path / "tiny.osm", tmp_path / "network"
    extract.write_text(TINY_OSM.format(number="12"), encoding="utf-8")
    assert cached_address_index(extract, cache_dir=cache).geocode("12 High Street").status == "matched"
    extract.write_text(TINY_OSM.format(number="14"), encoding="utf-8")
    index = cached_address_index(extract, cache_dir=cache)
    assert index.geocode("14 High Street").status == "matched"
    assert index.geocode("12 High Street").status == "low_confidence"
    assert len(list(cache.glob("tiny.osm.address-index.*.pickle"))) == 1  # the old entry removed


def test_corrupt_entry_is_rebuilt(tmp_path: Path, caplog: pytest.LogCaptureFixture) -> None:
    extract, cache = tmp_path / "tiny.osm", tmp_path / "network"
    extract.write_text(TINY_OSM.format(number="12"), encoding="utf-8")
    cached_address_index(extract, cache_dir=cache)
    [entry] = cache.glob("*.pickle")
    entry.write_bytes(b"not a pickle")
    with caplog.at_level(logging.WARNING, logger="geoservice.geocode"):
        index = cached_address_index(extract, cache_dir=cache)
    assert index.geocode("12 High Street").status == "matched"
    assert "unreadable" in caplog.text
    assert entry.read_bytes() != b"not a pickle"


def test_missing_extract_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="OSM extract not found"):
        cached_address_index(tmp_path / "missing.osm.pbf", cache_dir=tmp_path)


def test_workspace_geocoder_keeps_the_index_in_the_network_folder(workspace) -> None:  # type: ignore[no-untyped-def]
    for old in workspace.network_dir.glob("*.address-index.*.pickle"):
        old.unlink()
    geocode = workspace_geocoder(workspace)
    assert geocode is not None
    placed, not_found = geocode(["Pohjoisesplanadi 21, 00100 Helsinki", "Keksittykuja 5"])
    assert isinstance(placed, tuple) and placed == pytest.approx((24.950049, 60.167948), abs=1e-6)
    assert isinstance(not_found, str) and not_found.startswith("address not found")
    assert len(list(workspace.network_dir.glob("*.address-index.*.pickle"))) == 1
