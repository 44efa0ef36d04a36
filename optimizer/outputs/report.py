"""Write a run's outputs: tables a planner opens in Excel, a summary, a manifest and a readable report.

Files (all written atomically, see files.py):
    allocation.csv        one row per facility: resources, ambulances, sub-centre flag, location
    towns.csv             one row per township: population, class, minutes/km to care, coverage flags
    targets.csv           one row per plan target: baseline, target, achieved, met, gap, binding, source
    plan_comparison.csv   the plan's own per-facility beds beside the optimized ones (when the plan has a table)
    facility_rules.csv    every rule at one facility (size bands, grade standards, stock floors), met or missed
    features.csv          one row per facility and feature it may have: existing, has_feature, opened, cost_cny
    plan_entries.csv      every statement of the plan: encoded (met / missed), out of scope (reason), not referenced
    summary.json          outcome, objective, bound, gap, solver, seconds, totals, cost, budget, scenario hash
    manifest.json         scenario hash, package versions, the files written; the tool marker and the
                          SHA-256 of every input are added when the folder is swapped in (folders.py)
    report.md             the planner-readable summary, in Chinese names with English headings
                          (report_markdown.py)
    coverage.csv, accessibility.csv, equity.json, coverage.gpkg, map.html, map.png
                          coverage by standard, E2SFCA access, maps (geo_report.py; needs the matrix)
    report.html, report.docx, results.xlsx
                          the deliverables for a meeting, in Chinese by default (`--lang en`): one
                          content model, three renderings (deliverables.py)
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Any

import pandas as pd

from models.outcome import SolveOutcome
from optimizer.inputs.datasets import Datasets
from optimizer.inputs.scenario import Scenario
from optimizer.inputs.scenario_loading import scenario_hash
from optimizer.outputs.deliverables import coverage_of, write_deliverables
from optimizer.outputs.files import atomic_write_csv, atomic_write_json, atomic_write_text, package_versions
from optimizer.outputs.geo_report import GeoInputs, write_geo_outputs
from optimizer.outputs.labels import Lang
from optimizer.outputs.report_content import ReportInputs
from optimizer.outputs.report_markdown import render_report
from optimizer.solving.results import PlanResult
from optimizer.solving.solve import OPTIMAL_REL_GAP


def write_outputs(
    result: PlanResult, geography: GeoInputs, scenario_path: Path, out_dir: Path, *, lang: Lang = "zh"
) -> list[Path]:
    """Write every output of a finished run into `out_dir`; returns the paths written.

    `geography` is the run's scenario, data, travel matrix (with its demand points) and road graph
    (`PreparedScenario.road`, None without a road file), for the coverage, accessibility and map files
    (geo_report.py). `lang` is the language of report.html, report.docx and results.xlsx.
    """
    scenario, data = geography.scenario, geography.data
    comparison = plan_comparison(result, data)
    counties = county_table(result, scenario, data)
    tables = {
        "allocation.csv": result.allocation,
        "towns.csv": result.towns,
        "targets.csv": result.targets,
        "counties.csv": counties,
    }
    if comparison is not None:
        tables["plan_comparison.csv"] = comparison
    if result.facility_rules is not None:
        tables["facility_rules.csv"] = result.facility_rules
    if result.features is not None:
        tables["features.csv"] = result.features
    if result.plan_entries is not None:
        tables["plan_entries.csv"] = result.plan_entries
    written = []
    for file_name, table in tables.items():
        atomic_write_csv(out_dir / file_name, table)
        written.append(out_dir / file_name)
    digest = scenario_hash(scenario_path)
    atomic_write_json(out_dir / "summary.json", summary(result, scenario, data, digest))
    atomic_write_text(out_dir / "report.md", render_report(result, scenario, data, comparison, counties))
    written += [out_dir / "summary.json", out_dir / "report.md"]
    written += write_geo_outputs(replace(geography, allocation=result.allocation), out_dir)
    labels = {resource: spec.label_zh for resource, spec in scenario.resources.items()}
    report = ReportInputs(result, scenario, data, counties, comparison, coverage_of(out_dir), labels)
    written += write_deliverables(report, out_dir, lang)
    atomic_write_json(
        out_dir / "manifest.json",
        {
            "scenario": str(scenario_path),
            "scenario_resolved": str(Path(scenario_path).resolve()),
            "scenario_sha256": digest,
            "data_files": {key: str(path) for key, path in sorted(data.paths.items())},
            "files": sorted(p.name for p in written),
            "solve_seconds": round(result.solve.seconds, 3),
            "versions": package_versions(),
        },
    )
    return [*written, out_dir / "manifest.json"]


def summary(result: PlanResult, scenario: Scenario, data: Datasets, digest: str) -> dict[str, Any]:
    """Machine-readable summary of the run."""
    resources = sorted(scenario.resources)
    return {
        "scenario_id": scenario.scenario.id,
        "scenario_sha256": digest,
        "outcome": result.solve.outcome.value,
        "objective": result.solve.objective,
        "bound": result.solve.bound,
        "gap": result.solve.gap,
        "gap_tolerance": scenario.solver.mip_rel_gap,
        "proven_optimal": result.solve.outcome is SolveOutcome.OPTIMAL,
        "optimal_rel_gap": OPTIMAL_REL_GAP,
        "solver": result.solve.solver,
        "solver_version": result.solve.solver_version,
        "solver_detail": result.solve.detail,
        "timings": "in manifest.json (kept out of the data files, which are byte-identical across runs)",
        "travel_time_source": result.travel_source,
        "demand_points": result.demand_points,
        "population": int(data.total_population),
        "totals": {r: int(result.allocation[r].sum()) for r in resources}
        | {
            "ambulances": int(result.allocation["ambulances"].sum()),
            "subcentres": int(result.allocation["is_subcentre"].sum()),
        },
        "targets_met": int(result.targets["met"].sum()),
        "targets_total": len(result.targets),
        "cost_cny": result.cost_cny,
        "total_cost_cny": result.total_cost_cny,
        "budget_cny": result.budget_cny,
        "spend": result.spend,
        "cost_to_meet_targets_cny": result.cost_to_meet_targets_cny,
        "budget_unspent_cny": result.budget_cny - result.total_cost_cny,
        "free_choice_subcentres": list(result.free_choice_subcentres or ()),
    }


def plan_comparison(result: PlanResult, data: Datasets) -> pd.DataFrame | None:
    """The plan's own per-facility beds beside the optimized ones; None when the plan has no such table."""
    reference = data.plan_reference_beds
    if reference is None or reference.empty or "beds" not in result.allocation.columns:
        return None
    optimized = result.allocation[["facility_id", "name", "level", "beds", "is_subcentre"]]
    table = optimized.merge(reference[["facility_id", "plan_beds", "source"]], on="facility_id", how="outer")
    table["difference"] = table["beds"] - table["plan_beds"]
    return table.sort_values("facility_id").reset_index(drop=True)


def county_table(result: PlanResult, scenario: Scenario, data: Datasets) -> pd.DataFrame:
    """Per county-level unit: residents, each resource in total and per 1,000, vehicles, sub-centres, coverage."""
    county_of = dict(zip(data.facilities["facility_id"], data.facilities["county_code"], strict=True))
    allocation = result.allocation.assign(county_code=result.allocation["facility_id"].map(county_of))
    towns = result.towns.merge(data.townships[["code", "county_code"]], on="code")
    rows = []
    for county in data.counties.itertuples(index=False):
        code = str(county.county_code)
        sites = allocation[allocation["county_code"] == code]
        people = towns.loc[towns["county_code"] == code, "population"]
        residents = float(people.sum())
        row: dict[str, object] = {"county_code": code, "county_name": county.county_name, "population": int(residents)}
        for resource in sorted(scenario.resources):
            total = int(sites[resource].sum())
            row[resource] = total
            row[f"{resource}_per_1000"] = round(total / residents * 1000, 4) if residents else None
        row["ambulances"] = int(sites["ambulances"].sum())
        row["subcentres"] = int(sites["is_subcentre"].sum())
        if "covered_ambulance" in towns.columns:
            covered = towns.loc[(towns["county_code"] == code) & towns["covered_ambulance"], "population"].sum()
            row["ambulance_covered_share"] = round(float(covered) / residents, 4) if residents else None
        rows.append(row)
    return pd.DataFrame(rows)
