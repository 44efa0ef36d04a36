"""Inputs that used to give silently wrong plans or late failures: the rule is now built or refused up front.

A plain township health centre named as a sub-centre used to pass `check`, solve for minutes and then fail
the verifier ("99 beds < 100"): its sub-centre bed band was never built. `check` and `run` now share every
validation, because both go through `pipeline.prepare`.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from optimizer.cli.commands import app
from optimizer.errors import DataError, PlannerError, ScenarioError
from optimizer.inputs.scenario_loading import load_scenario
from optimizer.instance.plan_inputs import build_plan_inputs
from optimizer.pipeline import plan_scenario, prepare
from tests.optimizer.test_fuzz import LU_TOWNS, _write_project
from tests.support import LU_BUDGET_TEXT, LU_SCENARIO, lu_variant

PLAIN_THC = "510521100-TH1"


def test_named_plain_thc_gets_the_subcentre_bed_band(tmp_path: Path) -> None:
    path = lu_variant(tmp_path, ('"510521113-CT1"]', f'"{PLAIN_THC}"]'))
    prepared = prepare(path)
    limits = build_plan_inputs(prepared.scenario, prepared.data, prepared.matrix).allocation.limits
    band = [lim for lim in limits if lim.facility == PLAIN_THC and lim.id == "subcentre_beds"]
    assert [lim.min_if_subcentre for lim in band] == [100.0]
    capped = [lim for lim in limits if lim.facility == PLAIN_THC and lim.resource == "beds" and lim.max_value]
    assert capped, "the township cap of the THC is expected in the Lu scenario"
    assert all(lim.max_if_subcentre == 499.0 for lim in capped)


@pytest.mark.slow
def test_tiny_plan_with_a_named_plain_thc_solves_and_verifies(tmp_path: Path) -> None:
    towns = list(LU_TOWNS["code"])
    rows = sorted(towns.index(code) for code in ("510521001", "510521100", "510521101"))
    spec = {
        "rows": rows,
        "populations": [60_000, 20_000, 30_000],
        "beds_per_1000": 3.0,
        "beds_hard": False,
        "baseline_beds": 0,
        "budget": 1e10,
        "fleet_multiplier": 1.0,
        "fleet_hard": False,
        "subcentres": 0,
        "general_max": 1200,
    }
    path = _write_project(tmp_path, spec)
    path.write_text(
        path.read_text(encoding="utf-8")
        + f"""[[facility_limits]]
id = "township_cap"
resource = "beds"
levels = ["thc"]
max_value = 99
hard = true
source = {{ basis = "tier-1 institution" }}
[subcentres]
count = 1
named_facility_ids = ["{PLAIN_THC}"]
source = {{ basis = "test" }}
decision = "a plain THC named by the plan"
""",
        encoding="utf-8",
    )
    result = plan_scenario(prepare(path), compare_free_choice=False)
    beds = dict(zip(result.allocation["facility_id"], result.allocation["beds"], strict=True))
    assert beds[PLAIN_THC] >= 100 - 1e-6


def test_check_reports_unknown_facility_limit_id_like_run(tmp_path: Path) -> None:
    path = lu_variant(
        tmp_path,
        ('levels = ["county_general_hospital"]\nmin_value = 600', 'facility_ids = ["510521999-GH9"]\nmin_value = 600'),
    )
    with pytest.raises(DataError, match="facility '510521999-GH9' is not in facilities.csv"):
        prepare(path)
    outcome = CliRunner().invoke(app, ["check", str(path)])
    assert outcome.exit_code == 1, outcome.output
    assert "facility_limits." in outcome.output and "510521999-GH9" in outcome.output


def test_scenario_with_a_byte_order_mark_loads(tmp_path: Path) -> None:
    path = tmp_path / "bom.toml"
    path.write_bytes(b"\xef\xbb\xbf" + LU_SCENARIO.read_bytes())
    (tmp_path / "defaults").symlink_to(LU_SCENARIO.parent / "defaults")
    assert load_scenario(path).scenario.id == "lu_county"


@pytest.mark.parametrize(
    ("old", "new", "message"),
    [
        (LU_BUDGET_TEXT, "budget_cny = { value = inf,", "finite number"),
        (LU_BUDGET_TEXT, "budget_cny = { value = 1e308,", "less than or equal to 10000000000000"),
        ("value = 7.11", "value = nan", "finite number"),
        ("denominator_size = 1000\n", "denominator_size = 1e-300\n", "greater than or equal to 1"),
        ("value = 0.15\n", "value = 15\n", "give it as a fraction in [0, 1]"),
        ("hard = false", 'hard = "no"', "write `true` or `false`"),
        ("hard = false", "hard = 否", "flags are written `true` or `false`"),
    ],
)
def test_scenario_numbers_and_flags_are_bounded(tmp_path: Path, old: str, new: str, message: str) -> None:
    path = lu_variant(tmp_path, (old, new))
    with pytest.raises(ScenarioError) as caught:
        load_scenario(path)
    assert message in " ".join(str(caught.value).split())


def test_deeply_nested_array_is_a_scenario_error(tmp_path: Path) -> None:
    path = tmp_path / "deep.toml"
    path.write_text("x = " + "[" * 5000 + "]" * 5000 + "\n", encoding="utf-8")
    with pytest.raises(PlannerError, match="nested too deeply"):
        load_scenario(path)
