"""The workbench API through FastAPI's TestClient: the form, the check (same messages as `optimizer check`,
fields named by id), saving a new file that loads and differs only where the planner changed it, path
escapes refused, and a run end to end through the CLI's pipeline in a job process."""

from __future__ import annotations

import hashlib
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from typer.testing import CliRunner

from optimizer.cli.commands import app as cli
from optimizer.inputs.scenario_loading import load_scenario, resolve
from optimizer.outputs.files import CSV_ENCODING
from optimizer.workbench.app import create_app
from optimizer.workbench.workspace import Workspace
from tests.support import LU_BUDGET_CNY, LU_BUDGET_TEXT, LU_SCENARIO, ROOT, lu_variant

LU = {"source": "bundled", "name": "lu_county"}
BUDGET = "budget.budget_cny.value"


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return Workspace.create(tmp_path / "workbench", ROOT / "scenarios")


@pytest.fixture
def client(workspace: Workspace) -> Iterator[TestClient]:
    with TestClient(create_app(workspace)) as test_client:
        yield test_client


def files_of(folder: Path) -> dict[str, str]:
    """Every file below `folder` with its SHA-256 (what "nothing was written" compares)."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest() for p in folder.rglob("*") if p.is_file()
    } | {str(p.relative_to(folder)): "dir" for p in folder.rglob("*") if p.is_dir()}


def cli_check_output(tmp_path: Path, old: str, new: str) -> str:
    """What `optimizer check` prints for a Lu copy with one text edit (it must fail)."""
    outcome = CliRunner().invoke(cli, ["check", str(lu_variant(tmp_path / "cli", (old, new)))])
    assert outcome.exit_code == 1, outcome.output
    return " ".join(outcome.output.split())


def errors(response: Any) -> dict[str, str]:
    assert response.status_code == 422, response.text
    return {e["field"]: e["message"] for e in response.json()["errors"]}


def test_lists_bundled_scenarios_and_the_planners_own(client: TestClient, workspace: Workspace) -> None:
    listed = client.get("/api/scenarios").json()
    bundled = {s["name"] for s in listed if s["source"] == "bundled"}
    assert bundled == {p.stem for p in (ROOT / "scenarios").glob("*.toml")}
    assert {"source": "bundled", "name": "lu_county", "name_zh": load_scenario(LU_SCENARIO).scenario.name_zh} in listed
    (workspace.scenarios / "mine.toml").write_text(LU_SCENARIO.read_text(encoding="utf-8"), encoding="utf-8")
    mine = client.get("/api/scenarios").json()[-1]
    assert (mine["source"], mine["name"]) == ("workspace", "mine")


def test_lu_form_shows_values_units_citations_and_decisions(client: TestClient) -> None:
    form = client.get("/api/scenarios/bundled/lu_county/form").json()
    fields = {f["path"]: f for group in form["groups"].values() for f in group}
    assert fields[BUDGET]["value"] == LU_BUDGET_CNY
    assert fields[BUDGET]["unit_zh"] == "元"
    assert fields[BUDGET]["source"]["estimated"] is True
    # the rural radius comes from defaults/national.toml, with the national rule as its citation
    rural = fields["ambulances.rural_radius_km"]
    assert (rural["value"], rural["unit_zh"]) == (20.0, "公里")
    assert "国卫医发〔2020〕19号" in rural["source"]["basis"]
    assert fields["subcentres.count"]["value"] == 4
    assert len(fields["subcentres.named_facility_ids"]["value"]) == 4
    assert "A26" in fields["subcentres.count"]["decision"]
    beds = next(t for t in form["targets"] if t["id"] == "beds_per_1000")
    assert (beds["value"], beds["unit"], beds["bound"], beds["hard"], beds["binding"]) == (
        7.11,
        "beds per 1,000 residents",
        ">=",
        False,
        False,
    )
    assert beds["unit_zh"] == "床位（每1000常住人口）"
    share = next(t for t in form["targets"] if t["id"] == "specialty_hospital_bed_share")
    assert share["unit_zh"] == "占床位的比例"
    assert beds["source"]["label"] == "003_73fe565c888d90cc.txt:L204"
    assert beds["source"]["quote"].startswith("每千人口医疗卫生机构床位数")
    named = set(fields["subcentres.named_facility_ids"]["value"])
    assert named <= {f["id"] for f in form["facilities"]}


@pytest.mark.parametrize(
    ("typed", "toml"),
    [(-5, "-5"), ("一亿", '"一亿"')],
    ids=["negative", "text"],
)
def test_bad_budget_is_the_fields_error_with_the_checks_message_and_nothing_is_written(
    client: TestClient, workspace: Workspace, tmp_path: Path, typed: object, toml: str
) -> None:
    before = files_of(workspace.root)
    checked = errors(client.post("/api/check", json={**LU, "changes": {BUDGET: typed}}))
    saved = errors(client.post("/api/scenarios", json={**LU, "changes": {BUDGET: typed}, "new_name": "lu_bad"}))
    assert checked == saved
    assert list(checked) == [BUDGET]
    assert checked[BUDGET] in cli_check_output(tmp_path, LU_BUDGET_TEXT, f"budget_cny = {{ value = {toml},")
    assert files_of(workspace.root) == before


def test_bad_target_value_is_named_by_target_id(client: TestClient, workspace: Workspace, tmp_path: Path) -> None:
    before = files_of(workspace.root)
    found = errors(client.post("/api/check", json={**LU, "changes": {"targets[beds_per_1000].value": "abc"}}))
    assert list(found) == ["targets[beds_per_1000].value"]
    cli = cli_check_output(tmp_path, "value = 7.11\n", 'value = "abc"\n')
    assert "targets[beds_per_1000].value" in cli  # the CLI and the page both name the target, not its position
    assert found["targets[beds_per_1000].value"] in cli
    # a share written as a percentage: the target's own rule, on the target
    changes = {"targets[specialty_hospital_bed_share].value": 15}
    share = errors(client.post("/api/check", json={**LU, "changes": changes}))
    assert list(share) == ["targets[specialty_hospital_bed_share]"]
    assert "give it as a fraction in [0, 1] (0.15 for 15 %)" in share["targets[specialty_hospital_bed_share]"]
    # fields the page does not offer, or that this plan does not have
    unknown = {"data.townships": "/etc/passwd", "targets[no_such_target].value": 1, "targets.0.value": 1}
    assert errors(client.post("/api/check", json={**LU, "changes": unknown})) == {
        "data.townships": "this field cannot be changed from the page",
        "targets[no_such_target].value": "the scenario has no targets[no_such_target], so it cannot be changed here",
        "targets.0.value": "this field cannot be changed from the page",
    }
    # fewer sub-centres than the plan names: the block's rule
    fewer = errors(client.post("/api/check", json={**LU, "changes": {"subcentres.count": 2}}))
    assert fewer == {"subcentres": "Value error, 4 named sub-centres exceed `count` = 2"}
    assert files_of(workspace.root) == before


def test_a_valid_edit_checks_like_optimizer_check(client: TestClient) -> None:
    answer = client.post("/api/check", json={**LU, "changes": {BUDGET: "900,000,000"}})
    assert answer.status_code == 200, answer.text
    body = answer.json()
    assert body["changes"] == [{"field": BUDGET, "old": float(LU_BUDGET_CNY), "new": 900_000_000}]
    assert body["summary"] == {"targets": 14, "townships": 20, "facilities": 25}


def test_save_writes_a_new_file_that_loads_and_differs_only_in_the_changed_field(
    client: TestClient, workspace: Workspace
) -> None:
    bundled_before = hashlib.sha256(LU_SCENARIO.read_bytes()).hexdigest()
    answer = client.post(
        "/api/scenarios",
        json={**LU, "changes": {BUDGET: 900_000_000}, "note": "县财政可承受", "new_name": "lu_low"},
    )
    assert answer.status_code == 201, answer.text
    saved = workspace.scenarios / "lu_low.toml"
    assert sorted(p.name for p in workspace.scenarios.iterdir()) == ["lu_low.toml"]
    assert hashlib.sha256(LU_SCENARIO.read_bytes()).hexdigest() == bundled_before
    original, variant = load_scenario(LU_SCENARIO), load_scenario(saved)
    assert variant.budget.budget_cny.value == 900_000_000
    assert "the planner's choice in the workbench" in str(variant.budget.budget_cny.source.basis)
    assert "县财政可承受" in str(variant.budget.budget_cny.source.basis)
    a, b = original.model_dump(), variant.model_dump()
    changed = {key for key in a if a[key] != b[key]}
    assert changed == {"budget", "data"}
    # data: the same files, named by absolute paths, allowed outside the workspace's own folder
    for key, value in a["data"].items():
        if isinstance(value, Path):
            assert resolve(saved, b["data"][key]) == resolve(LU_SCENARIO, value)
    assert b["data"]["allow_outside_project"] is True
    text = saved.read_text(encoding="utf-8")
    assert f"#   {BUDGET}: {float(LU_BUDGET_CNY)} → 900000000" in text
    assert "# ---------------------------------------------------------------- ratio targets" in text  # comments kept
    # the name is taken now; saving never overwrites
    again = client.post("/api/scenarios", json={**LU, "changes": {BUDGET: 1}, "new_name": "lu_low"})
    assert errors(again) == {"name": "a scenario 'lu_low' is already in the workspace; choose another name"}
    assert load_scenario(saved).budget.budget_cny.value == 900_000_000
    # the saved scenario is listed and opens in the form
    form = client.get("/api/scenarios/workspace/lu_low/form").json()
    assert next(f for f in form["groups"]["budget"])["value"] == 900_000_000


def test_path_escapes_are_refused(client: TestClient, workspace: Workspace, tmp_path: Path) -> None:
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.toml").write_text(LU_SCENARIO.read_text(encoding="utf-8"), encoding="utf-8")
    (workspace.scenarios / "link.toml").symlink_to(outside / "secret.toml")
    (workspace.runs / "linked-1").symlink_to(outside, target_is_directory=True)
    before = files_of(workspace.root), files_of(outside)
    for name in ("../outside/secret", "..", "a/b", "/etc/passwd", "lu_county.toml"):
        assert errors(client.post("/api/check", json={"source": "bundled", "name": name}))
        assert errors(client.post("/api/scenarios", json={**LU, "new_name": name}))
    assert "leads outside" in errors(client.get("/api/scenarios/workspace/link/form"))["scenario"]
    assert "link" not in {s["name"] for s in client.get("/api/scenarios").json()}
    assert client.get("/api/runs/linked-1").status_code == 422
    assert client.get("/api/runs/..%2F..%2Foutside/files/secret.toml").status_code in (404, 422)
    assert client.get("/api/scenarios/elsewhere/lu_county/form").status_code == 422
    assert errors(client.post("/api/runs", json={"source": "workspace", "name": "../x"}))
    assert (files_of(workspace.root), files_of(outside)) == before


def wait(client: TestClient, job: dict[str, Any], *, until: tuple[str, ...], timeout_s: float = 90) -> dict[str, Any]:
    """Poll a job until its status is one of `until`."""
    deadline = time.monotonic() + timeout_s
    while job["status"] not in until:
        assert time.monotonic() < deadline, job
        time.sleep(0.2)
        job = client.get(f"/api/jobs/{job['id']}").json()
    return job


def lu_seats(workspace: Workspace, tmp_path: Path) -> dict[str, str]:
    """Lu with one demand point per township seat (fast), as a workspace plan; extends made absolute so it
    loads from there."""
    seats = lu_variant(tmp_path / "setup", append='\n[demand]\nmethod = "township_seats"\n').read_text(encoding="utf-8")
    national = (ROOT / "scenarios" / "defaults" / "national.toml").as_posix()
    seats = seats.replace('extends = "defaults/national.toml"', f'extends = "{national}"')
    (workspace.scenarios / "lu_seats.toml").write_text(seats, encoding="utf-8")
    return {"source": "workspace", "name": "lu_seats"}


@pytest.mark.slow
def test_an_infeasible_plan_is_a_failed_job_with_the_explanation_and_no_run_folder(
    client: TestClient, workspace: Workspace, tmp_path: Path
) -> None:
    lu_seats(workspace, tmp_path)
    hard = {"targets[beds_per_1000].value": 30, "targets[beds_per_1000].hard": True}
    saved = client.post("/api/scenarios", json={"source": "workspace", "name": "lu_seats", "changes": hard,
                                                 "new_name": "lu_hard"})  # fmt: skip
    assert saved.status_code == 201, saved.text
    job = wait(client, client.post("/api/runs", json={"source": "workspace", "name": "lu_hard"}).json(),
               until=("done", "failed", "cancelled"))  # fmt: skip
    assert (job["status"], job["error_kind"]) == ("failed", "InfeasiblePlanError")
    assert "these hard rules cannot all hold together" in job["message"]
    assert "target beds_per_1000" in job["message"]
    assert list(workspace.runs.iterdir()) == []


@pytest.mark.slow
def test_run_end_to_end_queued_per_scenario_and_cancellable(
    client: TestClient, workspace: Workspace, tmp_path: Path
) -> None:
    request = lu_seats(workspace, tmp_path)
    first = client.post("/api/runs", json=request).json()
    second = client.post("/api/runs", json=request).json()
    assert (first["output"], second["output"]) == ("lu_seats-1", "lu_seats-2")
    running = wait(client, first, until=("running", "done", "failed"))
    assert client.get(f"/api/jobs/{second['id']}").json()["status"] == "queued"  # one run at a time per scenario
    assert client.post(f"/api/jobs/{second['id']}/cancel").json()["status"] == "cancelled"
    done = wait(client, running, until=("done", "failed", "cancelled"))
    assert done["status"] == "done", done
    assert done["phase"] == "write"
    folder = workspace.runs / "lu_seats-1"
    view = client.get("/api/runs/lu_seats-1").json()
    targets = pd.read_csv(folder / "targets.csv", encoding=CSV_ENCODING)
    plan = targets[targets["rule_kind"] == "target"]
    assert [t["id"] for t in view["targets"]] == list(plan["id"])
    assert [t["met"] for t in view["targets"]] == [bool(m) for m in plan["met"]]
    assert view["words_zh"].startswith("已求得最优方案")
    assert view["map"] == "map.html" and "map.html" in view["files"]
    assert len(view["facilities"]) == len(pd.read_csv(folder / "allocation.csv", encoding=CSV_ENCODING))
    download = client.get("/api/runs/lu_seats-1/files/map.html")
    assert download.status_code == 200 and download.content == (folder / "map.html").read_bytes()
    same = client.get("/api/compare", params={"a": "lu_seats-1", "b": "lu_seats-1"}).json()
    assert same["empty"] is True
    assert {t["quantity"]: t["change"] for t in same["totals"]}["total_cost_cny"] == 0
    assert not (workspace.runs / "lu_seats-2").exists()
    # a running job is terminated: no run folder, no staging folder or lock left behind
    third = client.post("/api/runs", json=request).json()
    wait(client, third, until=("running",))
    assert client.post(f"/api/jobs/{third['id']}/cancel").status_code == 200
    cancelled = wait(client, third, until=("cancelled", "done", "failed"))
    assert cancelled["status"] == "cancelled", cancelled
    assert sorted(p.name for p in workspace.runs.iterdir()) == ["lu_seats-1"]


def test_whatif_levels_say_what_is_lost_and_gained_against_the_scenarios_budget(
    client: TestClient, workspace: Workspace
) -> None:
    """A hand-made sweep folder (three levels around a 100 M budget): the page's reading of it, by hand."""
    folder = workspace.whatif / "lu_county-1"
    folder.mkdir()
    pd.DataFrame(
        {
            "level": [0, 1, 2],
            "value": [80e6, 100e6, 120e6],
            "outcome": ["optimal", "optimal", "optimal"],
            "targets_met": [1, 2, 3],
            "targets_total": [3, 3, 3],
            "cost_cny": [80e6, 99e6, 101e6],
            "target_beds_per_1000_shortfall": [0.4, 0.0, 0.0],
            "target_nurses_per_1000_shortfall": [0.0, 0.0, 0.0],
            "target_physicians_per_1000_shortfall": [0.3, 0.2, 0.0],
            "total_beds": [3800, 3860, 3860],
            "subcentre_ids": ["a;b", "a;b;c", "a;b;c"],
        }
    ).to_csv(folder / "sweep.csv", index=False, encoding=CSV_ENCODING)
    (folder / "sweep_manifest.json").write_text(
        f'{{"scenario": "{LU_SCENARIO.as_posix()}", "scenario_value": 100000000.0}}', encoding="utf-8"
    )
    pd.DataFrame(
        [{"level": 0, "scope": "facility", "id": "f1", "name": "甲", "item": "beds", "base_value": 100,
          "level_value": 40, "change": -60, "unit": "beds"}]
    ).to_csv(folder / "changes.csv", index=False, encoding=CSV_ENCODING)  # fmt: skip
    view = client.get("/api/whatif/lu_county-1").json()
    assert view["reference_level"] == 1
    low, base, high = view["levels"]
    assert low["lost"] == ["每千人口医疗卫生机构床位数"] and low["gained"] == []
    assert low["total_changes"] == {"beds": -60} and low["subcentres_dropped"] == ["c"]
    assert low["changes"] == [
        {"scope": "facility", "id": "f1", "name": "甲", "item": "beds", "base_value": 100, "level_value": 40,
         "change": -60, "unit": "beds"}
    ]  # fmt: skip
    assert (base["lost"], base["gained"], base["total_changes"]) == ([], [], {})
    assert high["gained"] == ["每千人口执业（助理）医师数"] and high["lost"] == []
    assert [lv["share_of_scenario"] for lv in view["levels"]] == [0.8, 1.0, 1.2]
    assert client.get("/api/whatif/lu_county-1/files/sweep.csv").status_code == 200
