"""Networks from OSM extracts: real files for each mode, OSMnx conformance, errors, cache, speeds."""

from __future__ import annotations

import pickle
from pathlib import Path

import networkx as nx
import osmnx as ox
import pytest

from routing import network
from routing.errors import EmptyNetworkError, OSMFileError, OSMFileNotFoundError, RoutingError
from routing.network import cached_graph_from_osm_file, graph_from_osm_file, way_filter
from routing.speeds import EUROPE, MPH, UK, US, SpeedProfile, profile_for_location

EXTRACTS = ["rutland-latest.osm.pbf", "baltimore.osm.pbf", "queens_village_ny.osm.pbf",
            "portland-central-filtered.osm.pbf"]


def built(request: pytest.FixtureRequest, path: Path, mode: str) -> nx.MultiDiGraph:
    """Real extracts go through the graph cache in pytest's cache folder (keyed by file and code)."""
    cache = getattr(request.config, "cache", None)
    folder = cache.mkdir("routing-graphs") if cache else request.getfixturevalue("tmp_path_factory").getbasetemp()
    return cached_graph_from_osm_file(path, mode=mode, cache_dir=folder)  # type: ignore[arg-type]


def assert_routable(G: nx.MultiDiGraph) -> None:
    assert G.graph["crs"] == "epsg:4326"
    assert G.graph["simplified"] is True
    assert nx.is_strongly_connected(G)
    for _, data in G.nodes(data=True):
        assert -180 <= data["x"] <= 180 and -90 <= data["y"] <= 90
    lengths = [d["length"] for _, _, d in G.edges(data=True)]
    times = [d["travel_time"] for _, _, d in G.edges(data=True)]
    speeds = [d["speed_kph"] for _, _, d in G.edges(data=True)]
    assert all(x >= 0 for x in lengths) and sum(x > 0 for x in lengths) >= 0.99 * len(lengths)
    assert all(t >= 0 for t in times) and all(0 < s <= 200 for s in speeds)
    for _, _, d in list(G.edges(data=True))[:500]:
        if d["length"] > 0:
            assert d["travel_time"] == pytest.approx(d["length"] / (d["speed_kph"] / 3.6), rel=1e-9)


@pytest.mark.shared
@pytest.mark.parametrize("name", EXTRACTS)
@pytest.mark.parametrize("mode", ["drive", "walk"])
def test_each_shared_extract_loads(request: pytest.FixtureRequest, osm_dir: Path, name: str,
                                   mode: str) -> None:
    G = built(request, osm_dir / name, mode)
    assert G.number_of_nodes() > 1000
    assert_routable(G)
    ox._validate._validate_graph(G, strict=True)  # OSMnx's own conformance check (private API)
    report, prov = G.graph["build_report"], G.graph["provenance"]
    assert report["nodes"] == G.number_of_nodes() and report["km"] > 100
    assert report["components_dropped"] >= 0 and report["km_dropped"] >= 0
    assert prov["mode"] == mode and prov["source"].endswith(name)
    assert prov["speed_profile"]["name"] == ("uk" if name.startswith("rutland") else "us")
    assert prov["osmnx_version"] == ox.__version__ and prov["network_build_version"] == network.BUILD_VERSION
    if mode == "walk":  # walk networks are bidirectional, as in OSMnx
        assert all(G.has_edge(v, u) for u, v in G.edges())


@pytest.mark.shared
def test_clipped_extract_reports_missing_nodes(request: pytest.FixtureRequest, osm_dir: Path) -> None:
    G = built(request, osm_dir / "queens_village_ny.osm.pbf", "drive")
    assert G.graph["build_report"]["missing_node_refs"] > 100
    assert G.graph["build_report"]["osm_ways_with_missing_nodes"] > 100
    rutland = built(request, osm_dir / "rutland-latest.osm.pbf", "drive")
    assert rutland.graph["build_report"]["missing_node_refs"] == 0
    assert rutland.graph["provenance"]["source_date"] == "2022-07-20T20:21:45Z"
    assert rutland.graph["provenance"]["source_date_from"] == "file header"
    # JOSM's file: ways use new nodes with negative ids, which pyosmium's location store skips
    portland = built(request, osm_dir / "portland-central-filtered.osm.pbf", "drive")
    assert portland.graph["build_report"]["missing_node_refs"] == 0
    assert portland.graph["provenance"]["source_date_from"] == "newest highway way in the file"


def test_unsorted_file_with_ways_before_nodes(tmp_path: Path) -> None:
    path = tmp_path / "unsorted.osm"
    path.write_text("<?xml version='1.0'?><osm version='0.6'>"
                    "<way id='3'><nd ref='1'/><nd ref='2'/><tag k='highway' v='residential'/></way>"
                    "<node id='1' lat='0' lon='0'/><node id='2' lat='0' lon='0.001'/></osm>")
    G = graph_from_osm_file(path, mode="drive")
    assert set(G.nodes) == {1, 2} and G.graph["build_report"]["missing_node_refs"] == 0


@pytest.mark.parametrize("mode", ["drive", "walk", "bike"])
def test_demo_extract_loads_for_each_mode(request: pytest.FixtureRequest, demo_osm: Path,
                                          mode: str) -> None:
    G = built(request, demo_osm, mode)
    assert G.number_of_nodes() > 100
    assert_routable(G)
    assert G.graph["provenance"]["speed_profile"]["name"] == "europe"
    if mode == "walk":
        speeds = [d["speed_kph"] for _, _, d in G.edges(data=True)]
        assert speeds == pytest.approx([EUROPE.walk_kph] * len(speeds))


def test_osmnx_functions_work_on_the_graph(request: pytest.FixtureRequest, demo_osm: Path,
                                           tmp_path: Path) -> None:
    G = built(request, demo_osm, "walk")
    ox._validate._validate_graph(G, strict=True)
    nodes, edges = ox.convert.graph_to_gdfs(G)
    assert len(nodes) == G.number_of_nodes() and len(edges) == G.number_of_edges()
    assert str(edges.crs).lower() == "epsg:4326"
    ids = list(G.nodes)
    a, b = ids[0], ids[-1]
    path = ox.routing.shortest_path(G, a, b, weight="travel_time")
    assert path is not None and path[0] == a and path[-1] == b
    assert ox.stats.basic_stats(G)["n"] == G.number_of_nodes()
    ox.io.save_graphml(G, tmp_path / "g.graphml")
    assert ox.io.load_graphml(tmp_path / "g.graphml").number_of_edges() == G.number_of_edges()


TINY_OSM = """<?xml version='1.0' encoding='UTF-8'?>
<osm version="0.6" generator="test">
  <node id="1" lat="0.0" lon="0.0"/><node id="8" lat="0.0" lon="0.0005"/>
  <node id="2" lat="0.0" lon="0.001"/><node id="3" lat="0.001" lon="0.001"/>
  <node id="4" lat="0.001" lon="0.0"/><node id="5" lat="-0.001" lon="0.001"/>
  <node id="6" lat="0.01" lon="0.01"/><node id="7" lat="0.01" lon="0.011"/>
  <way id="10"><nd ref="1"/><nd ref="8"/><nd ref="2"/><tag k="highway" v="residential"/><tag k="maxspeed" v="36"/></way>
  <way id="11"><nd ref="2"/><nd ref="3"/><tag k="highway" v="residential"/><tag k="maxspeed" v="72"/>
    <tag k="oneway" v="yes"/></way>
  <way id="12"><nd ref="3"/><nd ref="4"/><tag k="highway" v="residential"/><tag k="maxspeed" v="18 mph"/></way>
  <way id="13"><nd ref="1"/><nd ref="4"/><tag k="highway" v="residential"/><tag k="oneway" v="-1"/></way>
  <way id="14"><nd ref="2"/><nd ref="5"/><tag k="highway" v="footway"/></way>
  <way id="15"><nd ref="6"/><nd ref="7"/><tag k="highway" v="residential"/></way>
  <way id="16"><nd ref="3"/><nd ref="99"/><tag k="highway" v="residential"/></way>
</osm>
"""


@pytest.fixture
def tiny_osm(tmp_path: Path) -> Path:
    """Four junctions in a loop (one one-way each way round), a footway, an island, a dangling ref."""
    path = tmp_path / "tiny.osm"
    path.write_text(TINY_OSM)
    return path


def test_tiny_extract_topology_oneways_and_report(tiny_osm: Path) -> None:
    G = graph_from_osm_file(tiny_osm, mode="drive")
    assert set(G.nodes) == {1, 2, 3, 4}  # node 8 simplified away, 5 is on a footway, 6-7 an island
    assert set(G.edges()) == {(1, 2), (2, 1), (2, 3), (3, 4), (4, 3), (4, 1)}
    report = G.graph["build_report"]
    assert report["missing_node_refs"] == 1 and report["osm_ways_dropped_no_nodes"] == 1
    assert report["components_dropped"] == 1 and report["nodes_dropped"] == 2  # the island 6-7
    assert report["km_dropped"] == pytest.approx(0.1112, abs=1e-3)
    assert G.graph["provenance"]["speed_profile"]["name"] == "europe"
    assert G.edges[4, 1, 0]["speed_kph"] == pytest.approx(EUROPE.highway_kph["residential"])
    assert G.edges[3, 4, 0]["speed_kph"] == pytest.approx(18 * MPH)
    walk = graph_from_osm_file(tiny_osm, mode="walk")
    # walking, the one-ways go both ways: the block is a ring on junction 2, the footway leads to 5
    assert set(walk.nodes) == {2, 5}
    rings = [d["length"] for _, v, d in walk.edges(2, data=True) if v == 2]
    assert len(rings) == 2 and rings[0] == pytest.approx(rings[1])


def test_online_builders_post_process_like_files(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    # no network in tests: stand OSMnx's download in with the same ways read by OSMnx from XML
    # (without the dangling node reference, which OSMnx's own XML reader cannot take)
    complete = tmp_path / "complete.osm"
    complete.write_text(TINY_OSM.replace('<way id="16"><nd ref="3"/><nd ref="99"/>', '<way id="16"><nd ref="3"/>'))

    def download(query: object, *, network_type: str, simplify: bool, retain_all: bool) -> nx.MultiDiGraph:
        assert network_type == "drive" and not simplify and retain_all
        raw = ox.graph_from_xml(complete, simplify=False, retain_all=True)
        raw.remove_nodes_from([5])  # the footway, which Overpass's drive filter would not return
        return raw

    monkeypatch.setattr(ox, "graph_from_place", download)
    monkeypatch.setattr(ox, "graph_from_bbox", download)
    offline = graph_from_osm_file(complete, mode="drive")
    for G in (network.graph_from_place("Null Island", mode="drive"),
              network.graph_from_bbox((0.0, 0.0, 0.002, 0.002), mode="drive")):
        assert set(G.edges()) == set(offline.edges())
        for u, v, k, d in G.edges(keys=True, data=True):
            assert d["travel_time"] == pytest.approx(offline.edges[u, v, k]["travel_time"])
        assert G.graph["provenance"]["source"].startswith("overpass")
        assert G.graph["build_report"]["components_dropped"] == 1


def test_speed_profile_override_is_used_and_recorded(tiny_osm: Path) -> None:
    slow = SpeedProfile(name="slow", highway_kph={"residential": 10}, fallback_kph=10)
    G = graph_from_osm_file(tiny_osm, mode="drive", speeds=slow)
    assert G.edges[4, 1, 0]["speed_kph"] == pytest.approx(10)
    assert G.edges[1, 2, 0]["speed_kph"] == pytest.approx(36)  # a tagged maxspeed still wins
    assert G.graph["provenance"]["speed_profile"]["highway_kph"] == {"residential": 10}


def test_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    with pytest.raises(OSMFileNotFoundError, match=r"nowhere\.osm\.pbf.*does not exist") as err:
        graph_from_osm_file(tmp_path / "nowhere.osm.pbf")
    assert isinstance(err.value, FileNotFoundError) and isinstance(err.value, RoutingError)
    with pytest.raises(OSMFileNotFoundError, match="is a folder"):
        graph_from_osm_file(tmp_path)


@pytest.mark.parametrize("content", [b"this is not OSM data\n" * 50, bytes(range(256)) * 40, b"",
                                     b"<?xml version='1.0'?>\n<osm version='0.6'>\n<node id='1' lat='1'"])
@pytest.mark.parametrize("suffix", [".osm.pbf", ".osm", ".dat"])
def test_garbage_file_is_a_clear_error(tmp_path: Path, content: bytes, suffix: str) -> None:
    path = tmp_path / f"broken{suffix}"
    path.write_bytes(content)
    with pytest.raises(OSMFileError, match=f"broken{suffix.replace('.', '[.]')}.*not a readable OSM file") as err:
        graph_from_osm_file(path)
    assert isinstance(err.value, ValueError)


def test_truncated_pbf_is_a_clear_error(tmp_path: Path, demo_osm: Path) -> None:
    path = tmp_path / "cut.osm.pbf"
    path.write_bytes(demo_osm.read_bytes()[: demo_osm.stat().st_size // 2])
    with pytest.raises(OSMFileError, match=r"cut\.osm\.pbf.*re-download"):
        graph_from_osm_file(path)


def test_extract_without_roads_for_the_mode(tmp_path: Path) -> None:
    path = tmp_path / "paths.osm"
    path.write_text("<?xml version='1.0'?><osm version='0.6'><node id='1' lat='0' lon='0'/>"
                    "<node id='2' lat='0' lon='0.001'/><way id='3'><nd ref='1'/><nd ref='2'/>"
                    "<tag k='highway' v='footway'/></way></osm>")
    with pytest.raises(EmptyNetworkError, match=r"paths\.osm: no drive ways"):
        graph_from_osm_file(path, mode="drive")
    assert graph_from_osm_file(path, mode="walk").number_of_nodes() == 2
    one_way = tmp_path / "one-way.osm"
    one_way.write_text(path.read_text().replace("v='footway'/>", "v='residential'/><tag k='oneway' v='yes'/>"))
    with pytest.raises(EmptyNetworkError, match="do not connect into a network"):
        graph_from_osm_file(one_way, mode="drive")
    with pytest.raises(ValueError, match="mode 'fly'"):
        graph_from_osm_file(path, mode="fly")  # type: ignore[arg-type]


def test_cache_builds_once_and_survives_corruption(tiny_osm: Path, tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    cache = tmp_path / "cache"
    first = cached_graph_from_osm_file(tiny_osm, mode="drive", cache_dir=cache)
    entries = list(cache.glob("*.pickle"))
    assert len(entries) == 1

    def no_build(*args: object, **kwargs: object) -> nx.MultiDiGraph:
        raise AssertionError("rebuilt although cached")

    with monkeypatch.context() as m:
        m.setattr(network, "graph_from_osm_file", no_build)
        again = cached_graph_from_osm_file(tiny_osm, mode="drive", cache_dir=cache)
    assert nx.utils.graphs_equal(first, again)
    entries[0].write_bytes(b"\x80\x04garbage")
    rebuilt = cached_graph_from_osm_file(tiny_osm, mode="drive", cache_dir=cache)
    assert set(rebuilt.edges()) == set(first.edges())
    assert isinstance(pickle.loads(entries[0].read_bytes())["graph"], nx.MultiDiGraph)
    cached_graph_from_osm_file(tiny_osm, mode="drive", speeds=UK, cache_dir=cache)
    assert len(list(cache.glob("*.pickle"))) == 1  # the outdated entry for the same file and mode is gone
    cached_graph_from_osm_file(tiny_osm, mode="walk", cache_dir=cache)
    assert len(list(cache.glob("*.pickle"))) == 2


def test_way_filter_keeps_osmnx_semantics() -> None:
    # pins osmnx._overpass._get_network_filter (private API) and our reading of its syntax
    drive, walk, bike = way_filter("drive"), way_filter("walk"), way_filter("bike")
    assert drive({"highway": "residential"}) and drive({"highway": "motorway_link"})
    assert not drive({"highway": "service"}) and not drive({"highway": "footway"})
    assert not drive({"highway": "residential", "access": "private"})
    assert not drive({"highway": "residential", "motor_vehicle": "no"})
    assert not drive({"highway": "residential", "area": "yes"})
    assert not drive({"name": "no highway tag"})
    assert walk({"highway": "footway"}) and walk({"highway": "service", "service": "parking_aisle"})
    assert not walk({"highway": "motorway"}) and not walk({"highway": "primary", "foot": "no"})
    assert not walk({"highway": "primary", "sidewalk": "separate"})
    assert bike({"highway": "cycleway"}) and not bike({"highway": "footway"})


@pytest.mark.parametrize(("tag", "kph"), [
    ("50", 50), ("30 mph", 30 * MPH), ("30mph", 30 * MPH), ("50 km/h", 50), ("20 knots", 20 * 1.852),
    ("50;30", 30), ("50|70", 50), ("GB:nsl_single", 60 * MPH), ("GB:nsl_dual", 70 * MPH),
    ("UK:nsl_single", 60 * MPH), ("GB:motorway", 70 * MPH), ("US:urban", 25 * MPH), ("FI:rural", 80),
    ("DE:urban", 50), ("DE:zone30", 30), ("XX:rural", 90), ("none", 130), ("walk", 4.8), ("7,5", 7.5),
    ("signals", None), ("variable", None), ("0", None), ("5000", None), ("", None), (None, None),
    (["30 mph", "40 mph"], 30 * MPH),
])
def test_maxspeed_parsing(tag: str | list[str] | None, kph: float | None) -> None:
    got = UK.maxspeed_kph(tag)
    assert got == (pytest.approx(kph) if kph is not None else None)


def test_profiles_defaults_and_location() -> None:
    assert UK.highway_default_kph("residential") == pytest.approx(30 * MPH)
    assert US.highway_default_kph("residential") == pytest.approx(25 * MPH)
    assert EUROPE.highway_default_kph("residential") == 50
    assert UK.highway_default_kph("primary_link") == pytest.approx(30 * MPH)
    assert EUROPE.highway_default_kph("no_such_class") == EUROPE.fallback_kph
    assert UK.edge_speed_kph("drive", "residential", "GB:nsl_single") == pytest.approx(60 * MPH)
    assert UK.edge_speed_kph("walk", "motorway", "70 mph") == UK.walk_kph
    assert profile_for_location(-0.6, 52.65) is UK and profile_for_location(-5.93, 54.6) is UK
    assert profile_for_location(-6.26, 53.35) is EUROPE  # Dublin
    assert profile_for_location(-76.6, 39.3) is US and profile_for_location(-79.38, 43.65) is EUROPE
    assert profile_for_location(24.94, 60.17) is EUROPE
    with pytest.raises(ValueError, match="positive"):
        SpeedProfile(name="bad", highway_kph={"residential": 0}, fallback_kph=30)
    assert pickle.loads(pickle.dumps(UK)) == UK and hash(UK) == hash(pickle.loads(pickle.dumps(UK)))
