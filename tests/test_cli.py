"""The `outreach` command: exit codes, one-line errors, JSON output."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from geoservice.cli import main


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def ws(demo_workspace: Path, tmp_path: Path) -> Path:
    root = tmp_path / "ws"
    shutil.copytree(demo_workspace, root)
    return root


def test_list_json_has_ids_and_coordinates(capsys: pytest.CaptureFixture[str], ws: Path) -> None:
    code, out, _ = run(capsys, "list", "clients", "--format", "json", "--workspace", str(ws))
    assert code == 0
    rows = json.loads(out)
    assert len(rows) == 150
    assert {"id", "lon", "lat", "name", "usual_worker", "locality"} <= set(rows[0])
    assert all(-180 <= r["lon"] <= 180 and -90 <= r["lat"] <= 90 for r in rows)
    assert "notes" not in rows[0], "sensitive notes are hidden unless asked for"
    code, out, _ = run(capsys, "list", "workers", "--workspace", str(ws))
    assert code == 0 and "W01" in out and "8 workers" in out


def test_bad_import_exits_2_lists_every_row(capsys: pytest.CaptureFixture[str], ws: Path, tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("id,name,lat,lon,usual_worker\nB1,One,x,24.94,W01\nB2,Two,60.17,24.94,W77\n")
    before = (ws / "workspace.gpkg").read_bytes()
    code, out, err = run(capsys, "import", "clients", str(bad), "--workspace", str(ws))
    assert code == 2 and out == ""
    assert "nothing stored" in err and "row 2" in err and "row 3" in err and "W77" in err
    assert "Traceback" not in err
    assert (ws / "workspace.gpkg").read_bytes() == before


def test_user_errors_are_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    for args in (("list", "clients", "--workspace", str(tmp_path / "none")),
                 ("import", "clients", str(tmp_path / "missing.csv"), "--workspace", str(tmp_path / "ws"))):
        code, _, err = run(capsys, *args)
        assert code == 2, args
        assert err.startswith("outreach: error:") and len(err.strip().splitlines()) == 1, err


def test_a_failed_first_command_leaves_no_workspace(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("id,name,lat,lon\nB1,One,x,24.94\n")
    fresh = tmp_path / "fresh"
    code, _, err = run(capsys, "import", "clients", str(bad), "--workspace", str(fresh))
    assert code == 2 and "nothing stored" in err
    assert not fresh.exists(), "a rejected first import made a workspace"
    kept = tmp_path / "kept"
    kept.mkdir()
    (kept / "mine.txt").write_text("the user's own file")
    (kept / "workspace.gpkg.bak").write_text("the user's backup")
    code, _, err = run(capsys, "import", "clients", str(bad), "--workspace", str(kept))
    assert code == 2 and sorted(p.name for p in kept.iterdir()) == ["mine.txt", "workspace.gpkg.bak"]
    good = tmp_path / "good.csv"
    good.write_text("id,name,lat,lon\nG1,One,60.17,24.94\n")
    code, _, err = run(capsys, "import", "clients", str(good), "--workspace", str(fresh))
    assert code == 0 and "no road network yet" in err and (fresh / "workspace.gpkg").exists()


def test_argument_errors_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    for args in (("list", "dogs"), ("demo", "--start", "not-a-date"), ("plan", "--worker", "W01", "--date", "20261207"),
                 ("serve", "--port", "99999"), ("serve", "--host", "999.1.1.1")):
        with pytest.raises(SystemExit) as info:
            main(list(args))
        err = capsys.readouterr().err
        assert info.value.code == 2 and len(err.strip().splitlines()) == 1 and "outreach: error:" in err


def test_console_entry_point_without_traceback(tmp_path: Path) -> None:
    p = subprocess.run([sys.executable, "-m", "geoservice.cli", "list", "clients", "--workspace",
                        str(tmp_path / "none")], capture_output=True, text=True, timeout=120)
    assert p.returncode == 2
    assert p.stderr.startswith("outreach: error: no workspace") and "Traceback" not in p.stderr
    p = subprocess.run([sys.executable, "-m", "geoservice.cli", "list", "dogs"], capture_output=True, text=True,
                       timeout=120)
    assert p.returncode == 2 and "invalid choice" in p.stderr and len(p.stderr.strip().splitlines()) == 1


def test_plan_formats(capsys: pytest.CaptureFixture[str], ws: Path, tmp_path: Path) -> None:
    args = ("plan", "--worker", "W03", "--date", "2026-11-24", "--workspace", str(ws))
    code, out, _ = run(capsys, *args, "--format", "json")
    plan = json.loads(out)
    assert code == 0 and len(plan["visits"]) >= 3 and plan["travel_time_s"] > 0
    code, out, _ = run(capsys, *args, "--format", "ics")
    assert code == 0 and out.startswith("BEGIN:VCALENDAR")
    code, out, _ = run(capsys, *args, "--format", "gpx")
    assert code == 0 and "<gpx" in out
    code, out, err = run(capsys, *args, "--format", "html", "--out", str(tmp_path / "s.html"), "--map",
                         str(tmp_path / "m.html"))
    assert code == 0 and out == "" and (tmp_path / "s.html").exists() and (tmp_path / "assets" / "leaflet.js").exists()
    code, _, err = run(capsys, *args, "--out", str(tmp_path / "route.gpx"))
    assert code == 0 and "<gpx" in (tmp_path / "route.gpx").read_text(), "the format follows the file's extension"
    code, out, _ = run(capsys, *args)
    assert code == 0 and not out.startswith(("{", "<")), "a table by default"
    code, _, err = run(capsys, "plan", "--worker", "nobody", "--date", "2026-11-24", "--workspace", str(ws))
    assert code == 2 and "nobody" in err and len(err.strip().splitlines()) == 1


def test_roster_json(capsys: pytest.CaptureFixture[str], ws: Path, tmp_path: Path) -> None:
    code, out, _ = run(capsys, "roster", "--date", "2026-11-24", "--absent", "W02", "--time-limit", "3",
                       "--format", "json", "--map", str(tmp_path / "roster.html"), "--itineraries",
                       str(tmp_path / "days"), "--workspace", str(ws))
    roster = json.loads(out)
    assert code == 0 and sum(len(r["visits"]) for r in roster["routes"]) > 0
    assert "W02" not in {r["worker"] for r in roster["routes"]} and 0 <= roster["continuity"] <= 1
    assert (tmp_path / "roster.html").exists()
    for route in roster["routes"]:  # each worker's calendar holds their rostered visits, cover included
        calendar = (tmp_path / "days" / f"{route['worker']}.ics").read_text()
        assert calendar.count("BEGIN:VEVENT") >= len(route["visits"])
        assert (tmp_path / "days" / f"{route['worker']}-day-sheet.html").exists()


def test_files_and_numbers_that_cannot_be_used_are_one_line_errors(capsys: pytest.CaptureFixture[str], ws: Path,
                                                                   tmp_path: Path) -> None:
    code, _, err = run(capsys, "plan", "--worker", "W03", "--date", "2026-11-24", "--format", "csv",
                       "--out", str(tmp_path), "--workspace", str(ws))
    assert code == 2 and err.startswith("outreach: error:") and str(tmp_path) in err and "Traceback" not in err
    for args in (("roster", "--date", "2026-11-24", "--time-limit", "-1"),
                 ("roster", "--date", "9999-12-31"), ("roster", "--date", "2026-11-24", "--continuity-weight", "nan")):
        with pytest.raises(SystemExit) as info:
            main([*args, "--workspace", str(ws)])
        assert info.value.code == 2 and len(capsys.readouterr().err.strip().splitlines()) == 1


def test_a_longitude_west_of_greenwich_is_a_value(capsys: pytest.CaptureFixture[str], ws: Path) -> None:
    from geoservice.cli import _joined_coordinates

    assert _joined_coordinates(["signpost", "--point", "-0.727,52.67", "--n", "2"]) == [
        "signpost", "--point=-0.727,52.67", "--n", "2"]
    assert _joined_coordinates(["gaps", "--point", "--n"]) == ["gaps", "--point", "--n"]
    code, _, err = run(capsys, "signpost", "--point", "-0.727,52.67", "--type", "pharmacy", "--workspace", str(ws))
    assert code == 2 and "expected one argument" not in err and "outside the area" in err, err


def test_settings_show_and_change(capsys: pytest.CaptureFixture[str], ws: Path) -> None:
    code, out, _ = run(capsys, "settings", "mileage_rate_per_mile=0.45", "currency=gbp", "--workspace", str(ws))
    assert code == 0 and "set mileage_rate_per_km = 0.279617" in out and "set currency = GBP" in out
    code, out, _ = run(capsys, "settings", "--workspace", str(ws))
    assert code == 0 and "mileage_rate_per_km = 0.279617" in out and "timezone = " in out
    before = (ws / "workspace.gpkg").read_bytes()
    for bad in ("colour=blue", "currency=pounds", "mileage_rate_per_km=-1", "mileage_rate_per_km"):
        code, _, err = run(capsys, "settings", "caseload_per_full_time=20", bad, "--workspace", str(ws))
        assert code == 2 and len(err.strip().splitlines()) == 1, bad
    assert (ws / "workspace.gpkg").read_bytes() == before, "a bad setting stores nothing"
