"""Write a run's outputs: tables a planner opens in Excel, a summary, a manifest and a readable report.

Files (all written atomically, see outputs.py):
    allocation.csv        one row per facility: resources, ambulances, sub-centre flag, location
    towns.csv             one row per township: population, class, minutes/km to care, coverage flags
    targets.csv           one row per plan target: baseline, target, achieved, met, gap, binding, source
    plan_comparison.csv   the plan's own per-facility beds beside the optimized ones (when the plan has a table)
    summary.json          outcome, objective, bound, gap, solver, seconds, totals, cost, budget, scenario hash
    manifest.json         scenario hash, package versions, the files written; the tool marker and the
                          SHA-256 of every input are added when the folder is swapped in (safe_output.py)
    report.md             the planner-readable summary, in Chinese names with English headings
    coverage.csv, accessibility.csv, equity.json, coverage.gpkg, map.html, map.png
                          coverage by standard, E2SFCA access, maps (geo_report.py; needs the matrix)
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
from pydantic import BaseModel

from models.outcome import SolveOutcome
from optimizer.geography.network import RoadGraph
from optimizer.geography.travel_times import TravelMatrix
from optimizer.inputs.datasets import Datasets
from optimizer.inputs.scenario import Scenario
from optimizer.inputs.scenario_loading import scenario_hash
from optimizer.inputs.schema_types import Citation
from optimizer.instance.plan_inputs import fleet_required
from optimizer.outputs.files import atomic_write_csv, atomic_write_json, atomic_write_text, package_versions
from optimizer.outputs.geo_report import GeoInputs, write_geo_outputs
from optimizer.solving.results import PlanResult
from optimizer.solving.solve import OPTIMAL_REL_GAP


def write_outputs(
    result: PlanResult,
    scenario: Scenario,
    data: Datasets,
    scenario_path: Path,
    out_dir: Path,
    *,
    matrix: TravelMatrix | None = None,
    road: RoadGraph | None = None,
) -> list[Path]:
    """Write every output of a finished run into `out_dir`; returns the paths written.

    With the run's travel `matrix`, also the coverage, accessibility and map files (geo_report.py); the
    run's `road` graph (`PreparedScenario.road`, None without a road file) draws the isochrones.
    """
    comparison = plan_comparison(result, data)
    tables = {
        "allocation.csv": result.allocation,
        "towns.csv": result.towns,
        "targets.csv": result.targets,
        "counties.csv": county_table(result, scenario, data),
    }
    if comparison is not None:
        tables["plan_comparison.csv"] = comparison
    written = []
    for file_name, table in tables.items():
        atomic_write_csv(out_dir / file_name, table)
        written.append(out_dir / file_name)
    digest = scenario_hash(scenario_path)
    atomic_write_json(out_dir / "summary.json", summary(result, scenario, data, digest))
    atomic_write_text(out_dir / "report.md", render_report(result, scenario, data, comparison))
    written += [out_dir / "summary.json", out_dir / "report.md"]
    if matrix is not None:
        written += write_geo_outputs(GeoInputs(scenario, data, matrix, result.allocation, road), out_dir)
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
        "travel_source": result.travel_source,
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


def estimated_inputs(scenario: Scenario) -> list[tuple[str, str]]:
    """Every scenario number marked as an estimate, with its field path and basis."""
    return [
        (path, citation.basis or citation.label()) for path, citation in _citations(scenario, "") if citation.estimated
    ]


def _citations(node: object, path: str) -> Iterator[tuple[str, Citation]]:
    if isinstance(node, Citation):
        yield path, node
    elif isinstance(node, BaseModel):
        for key in type(node).model_fields:
            yield from _citations(getattr(node, key), f"{path}.{key}" if path else key)
    elif isinstance(node, dict):
        for key, value in node.items():
            yield from _citations(value, f"{path}.{key}")
    elif isinstance(node, list):
        for index, value in enumerate(node):
            label = getattr(value, "id", index)
            yield from _citations(value, f"{path}[{label}]")


def _markdown(frame: pd.DataFrame) -> str:
    """A GitHub-flavoured Markdown table (no extra dependency)."""
    header = "| " + " | ".join(str(c) for c in frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    rows = ["| " + " | ".join(_cell(v) for v in row) + " |" for row in frame.itertuples(index=False)]
    return "\n".join([header, rule, *rows])


def _number(value: float | None, spec: str) -> str:
    return "unknown" if value is None else format(value, spec)


def _cell(value: object) -> str:
    if value is None or (isinstance(value, float) and pd.isna(value)) or value is pd.NA:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, float):
        return f"{value:,.4g}" if abs(value) < 1000 else f"{value:,.0f}"
    return str(value).replace("|", "/")


def render_report(result: PlanResult, scenario: Scenario, data: Datasets, comparison: pd.DataFrame | None) -> str:
    """The planner-readable report."""
    info = scenario.scenario
    solve = result.solve
    names = dict(zip(data.facilities["facility_id"], data.facilities["name"], strict=True))
    if solve.outcome is SolveOutcome.OPTIMAL:
        title = f"# {info.name_zh} — optimized allocation ({info.target_year})"
    else:  # the first line says it: a planner must not read a 48 % gap as an optimum
        gap = "unknown" if solve.gap is None else f"{solve.gap:.1%}"
        title = (
            f"# {info.name_zh} — allocation NOT PROVEN OPTIMAL, {solve.outcome.value}, gap {gap} ({info.target_year})"
        )
    lines = [
        title,
        "",
        f"Scenario `{info.id}` · area {scenario.area.name_zh} ({', '.join(scenario.area.county_codes)}) · "
        f"resident population {int(data.total_population):,} (census 2020).",
        "",
        f"**Outcome: {solve.outcome.value}** — solver {solve.solver} {solve.solver_version}, objective "
        f"{_number(solve.objective, '.6g')}, bound {_number(solve.bound, '.6g')}, relative gap "
        f"{_number(solve.gap, '.2e')} (solver tolerance {scenario.solver.mip_rel_gap:g}; optimal means a gap "
        f"within {OPTIMAL_REL_GAP:g}). Every rule was re-checked independently of the model "
        "(optimizer/analysis/verify.py): no violation.",
        "",
    ]
    if result.travel_source == "euclidean_fallback":
        lines += [
            f"> **Travel times are estimated**: no road network was given, so minutes are great-circle distance × "
            f"{scenario.travel.detour_factor} at {scenario.travel.rural_speed_kph:g} km/h (rural) and "
            f"{scenario.travel.urban_speed_kph:g} km/h (urban). Radii are straight-line km.",
            "",
        ]
    lines += _targets_section(result)
    lines += _ambulance_section(result, scenario, data)
    lines += _subcentre_section(result, scenario, names)
    lines += _county_section(result, scenario, data)
    lines += _allocation_section(result, scenario)
    if comparison is not None:
        lines += _comparison_section(comparison)
    lines += _coverage_section(result)
    lines += _cost_section(result)
    lines += _estimates_section(scenario, data)
    lines += _scope_section(scenario)
    return "\n".join(lines) + "\n"


def _targets_section(result: PlanResult) -> list[str]:
    table = result.targets[
        ["id", "indicator", "unit", "baseline", "target", "achieved", "met", "gap", "binding", "source"]
    ].copy()
    table["met"] = ["met" if met else "**missed**" for met in table["met"]]
    table["binding"] = ["约束性" if binding else "预期性" for binding in table["binding"]]
    missed = result.targets.loc[~result.targets["met"], "indicator"].tolist()
    verdict = (
        "All targets the model acts on are met."
        if not missed
        else (f"{len(missed)} target(s) missed: {'、'.join(missed)} — see the gap column.")
    )
    return ["## Plan targets", "", verdict, "", _markdown(table), ""]


def _ambulance_section(result: PlanResult, scenario: Scenario, data: Datasets) -> list[str]:
    settings = scenario.ambulances
    if settings is None:
        return []
    population = data.total_population
    plan_reading = fleet_required(settings, population, settings.base_multiplier)
    other_reading = fleet_required(settings, population, settings.alternative_base_multiplier)
    fleet = int(result.allocation["ambulances"].sum())
    bases = result.allocation[result.allocation["ambulances"] > 0]
    return [
        "## Ambulances",
        "",
        f"Fleet rule (scenario reading): 1 vehicle per {settings.per_population:,} × {settings.base_multiplier:g} "
        f"residents + {settings.extra_special_vehicles} special → **{plan_reading}** vehicles. The other reading "
        f"(base × {settings.alternative_base_multiplier:g}) would require **{other_reading}**. Planned fleet: "
        f"**{fleet}** at {len(bases)} bases.",
        "",
        f"Decision: {settings.decision}",
        "",
        _markdown(bases[["facility_id", "name", "ambulances"]]),
        "",
    ]


def _subcentre_section(result: PlanResult, scenario: Scenario, names: dict[str, str]) -> list[str]:
    settings = scenario.subcentres
    if settings is None:
        return []
    chosen = result.allocation.loc[result.allocation["is_subcentre"], "facility_id"].tolist()
    lines = [
        "## Township sub-centres (县域医疗卫生次中心)",
        "",
        f"Chosen ({len(chosen)} of {settings.count}): " + "、".join(names[f] for f in chosen) + ".",
        "",
    ]
    if settings.named_facility_ids:
        lines.append(
            "The plan names: "
            + "、".join(names[f] for f in settings.named_facility_ids)
            + (" (honoured)." if settings.honour_named else " (not imposed).")
        )
        lines.append("")
    if result.free_choice_subcentres is not None:
        free = "、".join(names[f] for f in result.free_choice_subcentres)
        lines += [
            "Free choice (the sub-centre block alone — population within the radius, then travel — "
            f"without the plan's names): {free}.",
            "",
        ]
    lines += [f"Decision: {settings.decision}", ""]
    return lines


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


def _county_section(result: PlanResult, scenario: Scenario, data: Datasets) -> list[str]:
    if len(data.counties) < 2:
        return []
    table = county_table(result, scenario, data)
    columns = [
        "county_code",
        "county_name",
        "population",
        *[c for r in sorted(scenario.resources) for c in (r, f"{r}_per_1000")],
        "ambulances",
        "subcentres",
    ]
    return [
        "## Allocation per county-level unit",
        "",
        "Plan targets are set for the whole area; the optimizer allocates to every unit, and each unit's own "
        "ratios are shown here (modelled facilities only).",
        "",
        _markdown(table[columns]),
        "",
    ]


def _allocation_section(result: PlanResult, scenario: Scenario) -> list[str]:
    columns = ["facility_id", "name", "level", *sorted(scenario.resources), "ambulances", "is_subcentre"]
    totals = ", ".join(f"{r} {int(result.allocation[r].sum()):,}" for r in sorted(scenario.resources))
    return [
        "## Allocation per facility",
        "",
        f"Totals in the modelled facilities: {totals}.",
        "",
        _markdown(result.allocation[columns]),
        "",
    ]


def _comparison_section(comparison: pd.DataFrame) -> list[str]:
    plan_total = int(comparison["plan_beds"].sum())
    optimized_total = int(comparison["beds"].sum())
    return [
        "## The plan's own bed table beside the optimized allocation",
        "",
        f"The plan's table (planners' answer, never a model input): {plan_total:,} beds; optimized: "
        f"{optimized_total:,} beds in the same facilities. They differ because the optimizer places beds by "
        "residents' travel time under the plan's ratio targets, the facility size rules and the budget, "
        "while the plan's table also reflects each facility's existing buildings and specialties, which are "
        "not published per facility (see Estimated values).",
        "",
        _markdown(comparison[["facility_id", "name", "plan_beds", "beds", "difference", "source"]]),
        "",
    ]


def _coverage_section(result: PlanResult) -> list[str]:
    towns = result.towns
    population = float(towns["population"].sum())
    lines = [
        "## Coverage by standard",
        "",
        "| standard | towns covered | population covered | share |",
        "|---|---|---|---|",
    ]
    flags = [(c, c.removeprefix("covered_").replace("_", " ")) for c in towns.columns if c.startswith("covered_")]
    for column, label in flags:
        covered = towns[column].astype(bool)
        people = float(towns.loc[covered, "population"].sum())
        lines.append(f"| {label} | {int(covered.sum())} / {len(towns)} | {int(people):,} | {people / population:.1%} |")
    uncovered = [c for c, _ in flags if not towns[c].all()]
    lines.append("")
    for column in uncovered:
        missing = "、".join(towns.loc[~towns[column].astype(bool), "name"])
        lines.append(f"- Not {column.removeprefix('covered_').replace('_', ' ')}: {missing}")
    lines.append("")
    return lines


def _cost_section(result: PlanResult) -> list[str]:
    rows = [f"| {item} | {value:,.0f} |" for item, value in result.cost_cny.items() if value]
    return [
        "## Cost of the additions (CNY, estimates)",
        "",
        "| item | cost |",
        "|---|---|",
        *rows,
        f"| **total** | **{result.total_cost_cny:,.0f}** (budget {result.budget_cny:,.0f}) |",
        "",
    ]


def _estimates_section(scenario: Scenario, data: Datasets) -> list[str]:
    lines = ["## Estimated values", "", "Data:"]
    lines += [f"- {note}" for note in data.estimated_fields()]
    lines += ["", "Scenario inputs marked as estimates:"]
    lines += [f"- `{path}`: {basis}" for path, basis in estimated_inputs(scenario)]
    lines.append("")
    return lines


def _scope_section(scenario: Scenario) -> list[str]:
    if not scenario.out_of_scope:
        return []
    lines = ["## Plan targets read but not allocated by this model", ""]
    lines += [
        f"- **{item.indicator_zh}** ({item.value}; {item.source.label()}): {item.reason}"
        for item in scenario.out_of_scope
    ]
    lines.append("")
    return lines
