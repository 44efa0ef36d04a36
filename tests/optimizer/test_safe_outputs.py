"""Outputs survive being killed, and never destroy what is not ours.

A killed run leaves the previous complete result or none, never a mix. Every command that writes
(run, compare, whatif, diff, map) refuses, with an OutputError naming the path and the fix and
without writing or deleting anything: an empty or "." path, the project, an input or a folder that
holds or lies inside inputs, a folder the tool did not write, and a path another writer holds locked.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import signal
import subprocess
import sys
import time
from contextlib import AbstractContextManager
from pathlib import Path

import pandas as pd
import pytest
from typer.testing import CliRunner

from optimizer.cli.commands import app
from optimizer.errors import OutputError
from optimizer.inputs.run_inputs import Inputs, file_sha256, scenario_inputs
from optimizer.inputs.scenario_loading import scenario_hash
from optimizer.outputs.diff import DIFF_COLUMNS
from optimizer.outputs.files import atomic_write_csv, atomic_write_json, atomic_write_text
from optimizer.outputs.folders import MANIFEST, TOOL_MARKER, lock_path, output_folder, output_lock
from tests.support import DATA, LU_SCENARIO, ROOT

TOWNS = DATA / "population" / "townships.csv"


def staged_folder(out: Path) -> AbstractContextManager[Path]:
    """The safe writer with no inputs to protect (the low-level tests below)."""
    return output_folder(out, Inputs(), command="test")


def _complete(folder: Path) -> bool:
    """A finished run: the manifest lists its files, each present and readable, no temporary files."""
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    for name in manifest["files"]:
        path = folder / name
        assert path.stat().st_size > 0, name
        if name.endswith(".csv"):
            pd.read_csv(path, encoding="utf-8-sig")
    assert not [p for p in folder.iterdir() if p.name.startswith(".") or p.name.endswith(".tmp")]
    return True


def _run(out: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-m", "optimizer", "run", str(LU_SCENARIO), "--out", str(out)],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


@pytest.mark.slow
def test_killed_runs_leave_the_previous_result_or_none(tmp_path: Path) -> None:
    out = tmp_path / "run"
    started = time.monotonic()
    assert _run(out).wait(timeout=300) == 0
    duration = time.monotonic() - started
    first = (out / "allocation.csv").read_bytes()
    for fraction in (0.3, 0.8, 0.97):
        process = _run(out)
        time.sleep(duration * fraction)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        if out.exists():
            assert _complete(out)
            assert (out / "allocation.csv").read_bytes() == first
        else:  # killed between the two renames of the swap: the previous result is kept aside
            assert list(tmp_path.glob(".run.previous-*"))


def test_a_failed_write_leaves_the_previous_folder_untouched(tmp_path: Path) -> None:
    out = tmp_path / "result"
    with staged_folder(out) as staging:
        atomic_write_text(staging / "a.txt", "first")
    with pytest.raises(RuntimeError), staged_folder(out) as staging:
        atomic_write_text(staging / "a.txt", "second")
        raise RuntimeError("solver crashed")
    assert (out / "a.txt").read_text() == "first"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["result"]


# ---------------------------------------------------------------- never destroy what is not ours


def _invoke(*args: str) -> tuple[int, str]:
    outcome = CliRunner().invoke(app, list(args))
    assert "Traceback" not in outcome.output
    assert not isinstance(outcome.exception, Exception) or isinstance(outcome.exception, SystemExit), outcome.exception
    return outcome.exit_code, " ".join(outcome.output.split())


def _snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under `folder` (hidden ones too) with its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def _dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def _tool_folder(folder: Path, name: str = "allocation.csv") -> Path:
    folder.mkdir(parents=True)
    atomic_write_text(folder / name, "old result")
    atomic_write_json(folder / MANIFEST, {"tool": TOOL_MARKER, "command": "run", "files": [name]})
    return folder


@pytest.mark.parametrize("command", ["run", "whatif"])
def test_a_folder_of_the_planners_own_files_is_refused_and_untouched(tmp_path: Path, command: str) -> None:
    out = tmp_path / "my_documents"
    out.mkdir()
    (out / "budget notes.docx").write_bytes(b"planner's own file")
    (out / "sweep.csv").write_text("a user's sweep\n", encoding="utf-8")
    before = _snapshot(tmp_path)
    code, printed = _invoke(command, str(LU_SCENARIO), "--out", str(out))
    assert code == 1
    assert f"--out {out}: holds files this tool did not write (budget notes.docx, sweep.csv;" in printed
    assert "give a new or empty folder, or move those files away" in printed
    assert _snapshot(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["my_documents"]  # no lock or staging left


@pytest.mark.parametrize(
    ("out", "fragment"),
    [
        ("", "--out '.': is empty or the current folder"),
        (".", "--out '.': is empty or the current folder"),
        ("./", "--out '.': is empty or the current folder"),
        ("scenarios/..", "is the current folder"),
        ("data", "is the input folder"),
        ("data/population", "is the input folder"),
        ("data/population/new_run", "is the input folder"),
        ("data/population/townships.csv", "is the input file"),
        ("scenarios", "is the input folder"),
        ("scenarios/defaults", "is the input folder"),
    ],
)
def test_run_refuses_the_project_and_its_inputs(monkeypatch: pytest.MonkeyPatch, out: str, fragment: str) -> None:
    monkeypatch.chdir(ROOT)
    before = _snapshot(DATA)
    entries = sorted(p.name for p in ROOT.iterdir())
    code, printed = _invoke("run", "scenarios/lu_county.toml", "--out", out)
    assert code == 1
    assert fragment in printed, printed
    assert "give a separate" in printed
    assert _snapshot(DATA) == before
    assert sorted(p.name for p in ROOT.iterdir()) == entries


def test_the_project_root_is_refused_from_anywhere(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    code, printed = _invoke("compare", str(LU_SCENARIO), "--out", str(ROOT))
    assert code == 1
    assert f"--out {ROOT}: contains the input" in printed


@pytest.mark.parametrize("out", [".", "data", "scenarios"])
def test_compare_refuses_the_project_and_data_before_solving(monkeypatch: pytest.MonkeyPatch, out: str) -> None:
    monkeypatch.chdir(ROOT)
    before = _snapshot(DATA)
    started = time.monotonic()
    code, printed = _invoke("compare", "scenarios/lu_county.toml", "scenarios/renhe.toml", "--out", out)
    assert code == 1
    assert "give a separate folder" in printed
    assert time.monotonic() - started < 20  # refused before the five-second solves
    assert _snapshot(DATA) == before


def _split_project(tmp_path: Path) -> Path:
    """A scenario in plans/ extending base/national.toml, with its data copied to tables/."""
    shutil.copytree(DATA, tmp_path / "tables")
    (tmp_path / "base").mkdir()
    shutil.copy(ROOT / "scenarios" / "defaults" / "national.toml", tmp_path / "base" / "national.toml")
    shutil.copy(ROOT / "scenarios" / "defaults" / "facility_standards.toml", tmp_path / "base")
    text = LU_SCENARIO.read_text(encoding="utf-8")
    text = text.replace('extends = "defaults/national.toml"', 'extends = "../base/national.toml"', 1)
    text = text.replace('"../data/', '"../tables/').replace("[data]\n", "[data]\nallow_outside_project = true\n", 1)
    (tmp_path / "plans").mkdir()
    scenario = tmp_path / "plans" / "lu.toml"
    scenario.write_text(text, encoding="utf-8")
    return scenario


def test_inputs_are_the_extends_chain_and_every_data_file(tmp_path: Path) -> None:
    scenario = _split_project(tmp_path)
    inputs = scenario_inputs(scenario)
    assert tmp_path / "base" / "national.toml" in inputs.files
    assert tmp_path / "base" / "facility_standards.toml" in inputs.files  # named by national.toml
    assert tmp_path / "tables" / "population" / "townships.csv" in inputs.files
    assert tmp_path / "tables" / "facilities" / "facility_stock.csv" in inputs.files
    assert {
        tmp_path / "base",
        tmp_path / "plans",
        tmp_path / "tables",
        tmp_path / "tables" / "facilities",
    } <= inputs.folders
    assert tmp_path not in inputs.folders


@pytest.mark.parametrize(
    ("where", "fragment"),
    [
        ("base", "is the input folder"),
        ("base/national.toml", "is the input file"),
        ("tables", "is the input folder"),
        ("tables/boundaries/out", "is the input folder"),
        ("plans", "is the input folder"),
        ("", "contains the input"),
    ],
)
def test_outputs_stay_out_of_the_extends_file_and_data_folders(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, where: str, fragment: str
) -> None:
    scenario = _split_project(tmp_path)
    monkeypatch.chdir(ROOT)
    before = _snapshot(tmp_path)
    out = tmp_path / where if where else tmp_path
    with (
        pytest.raises(OutputError, match=re.escape(fragment)),
        output_folder(out, scenario_inputs(scenario), command="run"),
    ):
        pytest.fail("the writer must refuse before yielding")
    assert _snapshot(tmp_path) == before


def test_a_tool_written_folder_is_replaced(tmp_path: Path) -> None:
    out = _tool_folder(tmp_path / "run", "stale.csv")
    with output_folder(out, Inputs(), command="run") as staging:
        atomic_write_text(staging / "allocation.csv", "new result")
    assert sorted(p.name for p in out.iterdir()) == ["allocation.csv", MANIFEST]
    manifest = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["tool"] == TOOL_MARKER and manifest["files"] == ["allocation.csv"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]


def test_an_empty_folder_is_replaced_and_marked(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    inputs = Inputs(files=frozenset([TOWNS]), folders=frozenset([TOWNS.parent]))
    with output_folder(tmp_path / "empty", inputs, command="compare") as staging:
        atomic_write_text(staging / "compare.md", "table")
    manifest = json.loads((tmp_path / "empty" / MANIFEST).read_text(encoding="utf-8"))
    assert manifest["command"] == "compare"
    assert manifest["inputs"] == {str(TOWNS): file_sha256(TOWNS)}


def test_a_second_concurrent_writer_is_refused_and_the_first_stays_intact(tmp_path: Path) -> None:
    out = tmp_path / "run"
    with output_folder(out, Inputs(), command="run") as staging:
        atomic_write_text(staging / "allocation.csv", "first writer")
        assert lock_path(out.resolve()).is_file()
        code, printed = _invoke("run", str(LU_SCENARIO), "--out", str(out))
        assert code == 1
        assert f"--out {out}: another optimizer command (pid {os.getpid()}) is writing {out}" in printed
        assert "wait for it to finish or give another folder" in printed
        with pytest.raises(OutputError, match="is writing"), output_folder(out, Inputs(), command="map"):
            pytest.fail("the second writer must not get a staging folder")
        assert (staging / "allocation.csv").read_text() == "first writer"  # its staging folder survives
    assert (out / "allocation.csv").read_text() == "first writer"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run"]  # lock file released and removed


def test_a_held_lock_refuses_diff_too(tmp_path: Path) -> None:
    run = _diff_run(tmp_path / "a")
    out = tmp_path / "changes.csv"
    with output_lock(out.resolve(), out):
        code, printed = _invoke("diff", str(run), str(run), "--out", str(out))
    assert code == 1 and "is writing" in printed
    assert not out.exists()


def test_stale_staging_of_a_dead_writer_is_removed_a_live_ones_kept(tmp_path: Path) -> None:
    out = tmp_path / "run"
    dead = tmp_path / f".run.staging-{_dead_pid()}-abc123"
    live = tmp_path / f".run.staging-{os.getppid()}-def456"  # our parent: a live process
    other = tmp_path / f".runs.staging-{_dead_pid()}-ghi789"  # another folder's staging
    for folder in (dead, live, other):
        folder.mkdir()
        (folder / "allocation.csv").write_text("partial")
    with output_folder(out, Inputs(), command="run") as staging:
        atomic_write_text(staging / "a.txt", "done")
    assert not dead.exists()
    assert (live / "allocation.csv").read_text() == "partial"
    assert other.exists()


def test_a_result_kept_aside_by_a_killed_swap_is_restored(tmp_path: Path) -> None:
    kept = _tool_folder(tmp_path / f".run.previous-{_dead_pid()}-abc123")
    with pytest.raises(RuntimeError), output_folder(tmp_path / "run", Inputs(), command="run"):
        raise RuntimeError("solver crashed")
    assert not kept.exists()
    assert (tmp_path / "run" / "allocation.csv").read_text() == "old result"


# ---------------------------------------------------------------- diff --out


def _diff_run(folder: Path) -> Path:
    frame = pd.DataFrame(
        {"facility_id": ["F1"], "name": ["县人民医院"], "beds": [600], "ambulances": [4], "is_subcentre": [False]}
    )
    atomic_write_csv(folder / "allocation.csv", frame)
    atomic_write_csv(folder / "towns.csv", pd.DataFrame({"code": ["T1"], "name": ["甲镇"], "population": [1]}))
    atomic_write_csv(
        folder / "targets.csv", pd.DataFrame({"id": ["t"], "indicator": ["床位"], "achieved": [1.0], "met": [True]})
    )
    atomic_write_json(folder / "summary.json", {"objective": 1.0})
    atomic_write_json(folder / MANIFEST, {"scenario": str(LU_SCENARIO)})
    return folder


@pytest.mark.parametrize(
    ("target", "fragment"),
    [
        (TOWNS, "is the input file"),
        (DATA / "population" / "diff.csv", "is the input folder"),
        (LU_SCENARIO, "is the input file"),
        (Path("a") / "diff.csv", "is the input folder"),
    ],
)
def test_diff_never_writes_onto_or_into_an_input(tmp_path: Path, target: Path, fragment: str) -> None:
    run = _diff_run(tmp_path / "a")
    out = target if target.is_absolute() else tmp_path / target
    before, project = _snapshot(tmp_path), _snapshot(DATA)
    code, printed = _invoke("diff", str(run), str(run), "--out", str(out))
    assert code == 1
    assert f"--out {out}: {fragment}" in printed, printed
    assert _snapshot(tmp_path) == before and _snapshot(DATA) == project


def test_diff_replaces_its_own_table_but_not_a_users_file(tmp_path: Path) -> None:
    run = _diff_run(tmp_path / "a")
    mine = tmp_path / "notes.csv"
    mine.write_text("my,own\n1,2\n", encoding="utf-8")
    code, printed = _invoke("diff", str(run), str(run), "--out", str(mine))
    assert code == 1 and "exists and was not written by this command" in printed
    assert mine.read_text(encoding="utf-8") == "my,own\n1,2\n"
    earlier = tmp_path / "diff.csv"
    earlier.write_bytes((",".join(DIFF_COLUMNS) + "\nfacility,F9\n").encode("utf-8-sig"))
    code, printed = _invoke("diff", str(run), str(run), "--out", str(earlier))
    assert code == 0, printed
    assert pd.read_csv(earlier, encoding="utf-8-sig").empty
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a", "diff.csv", "notes.csv"]


# ---------------------------------------------------------------- map RUN_DIR


def _mappable_run(tmp_path: Path) -> tuple[Path, Path]:
    """A tool-written run folder whose manifest records a copy of a data file, and that copy."""
    data_copy = tmp_path / "tables" / "townships.csv"
    data_copy.parent.mkdir()
    shutil.copy(TOWNS, data_copy)
    run = _tool_folder(tmp_path / "run")
    atomic_write_json(
        run / MANIFEST,
        {
            "tool": TOOL_MARKER,
            "command": "run",
            "files": ["allocation.csv"],
            "scenario": str(LU_SCENARIO),
            "scenario_sha256": scenario_hash(LU_SCENARIO),
            "inputs": {str(LU_SCENARIO): file_sha256(LU_SCENARIO), str(data_copy): file_sha256(data_copy)},
        },
    )
    return run, data_copy


def test_map_refuses_a_run_whose_data_changed(tmp_path: Path) -> None:
    run, data_copy = _mappable_run(tmp_path)
    data_copy.write_bytes(data_copy.read_bytes().replace(b"\n", b"\r\n", 1))
    before = _snapshot(tmp_path)
    code, printed = _invoke("map", str(run))
    assert code == 1
    assert f"{data_copy}: changed or removed since the run in {run} was solved" in printed
    assert f"re-run `optimizer run --out {run}`" in printed
    assert _snapshot(tmp_path) == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["run", "tables"]


def test_map_refuses_a_run_without_input_hashes(tmp_path: Path) -> None:
    run, _ = _mappable_run(tmp_path)
    manifest = json.loads((run / MANIFEST).read_text(encoding="utf-8"))
    del manifest["inputs"]
    atomic_write_json(run / MANIFEST, manifest)
    code, printed = _invoke("map", str(run))
    assert code == 1 and "records no input hashes" in printed


def test_map_refuses_a_folder_it_did_not_write(tmp_path: Path) -> None:
    run, _ = _mappable_run(tmp_path)
    manifest = json.loads((run / MANIFEST).read_text(encoding="utf-8"))
    del manifest["tool"]
    atomic_write_json(run / MANIFEST, manifest)
    before = _snapshot(tmp_path)
    code, printed = _invoke("map", str(run))
    assert code == 1 and f"RUN_DIR {run}: holds files this tool did not write" in printed
    assert _snapshot(tmp_path) == before


# ---------------------------------------------------------------- documentation

OUTPUT_CASES = {
    "empty_path",
    "current_folder",
    "project_root",
    "input_folder",
    "input_file",
    "foreign_folder",
    "concurrent_writer",
    "diff_onto_user_file",
    "map_inputs_changed",
    "map_no_input_hashes",
}


def test_every_output_refusal_is_documented() -> None:
    documented = (ROOT / "docs" / "errors.md").read_text(encoding="utf-8")
    assert set(re.findall(r"^\| `out\.([a-z_]+)` \|", documented, flags=re.MULTILINE)) == OUTPUT_CASES


def test_data_spread_over_unrelated_folders_does_not_protect_their_common_ancestor(tmp_path: Path) -> None:
    """Project tables plus a road file elsewhere: `data/` stays protected, their shared ancestor does not."""
    from optimizer.inputs.run_inputs import scenario_inputs

    project, roads = tmp_path / "project", tmp_path / "elsewhere" / "roads"
    shutil.copytree(ROOT / "scenarios", project / "scenarios")
    shutil.copytree(DATA, project / "data")
    roads.mkdir(parents=True)
    road = roads / "roads.geojson"
    road.write_text('{"type": "FeatureCollection", "features": []}', encoding="utf-8")
    scenario = project / "scenarios" / "lu_county.toml"
    text = scenario.read_text(encoding="utf-8")
    scenario.write_text(
        text.replace("[data]\n", f'[data]\nallow_outside_project = true\nroad_network = "{road.as_posix()}"\n', 1),
        encoding="utf-8",
    )
    folders = scenario_inputs(scenario).folders
    assert roads in folders and project / "data" / "population" in folders
    assert tmp_path not in folders  # the shared ancestor of the project and the road file
