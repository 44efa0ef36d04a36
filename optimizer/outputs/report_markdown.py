"""The planner-readable report of a run, `report.md`: Chinese names, English headings, Markdown tables.

Sections, in order: the outcome (a plan not proven optimal says so in its first line), plan targets
met or missed, ambulances, township sub-centres, the allocation per county-level unit and per
facility, the facility sections (`facility_report`), the plan's own bed table beside the optimum,
coverage by standard, cost of the additions, estimated values and plan targets out of the model's
scope. It renders what the run hands over and writes nothing; `optimizer.outputs.report` writes it
with the run's other files.
"""

from __future__ import annotations

from collections.abc import Iterator

import pandas as pd
from pydantic import BaseModel

from models.outcome import SolveOutcome
from optimizer.inputs.datasets import Datasets
from optimizer.inputs.scenario import Scenario
from optimizer.inputs.schema_types import Citation
from optimizer.instance.ambulance_rules import area_fleet_required, county_fleet_required, fleet_required
from optimizer.outputs.facility_report import facility_rules_section, stock_changes_section
from optimizer.outputs.feature_report import features_section
from optimizer.outputs.plan_entry_report import plan_entries_section
from optimizer.outputs.targets_report import targets_section
from optimizer.solving.results import PlanResult
from optimizer.solving.solve import OPTIMAL_REL_GAP


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


def render_report(
    result: PlanResult,
    scenario: Scenario,
    data: Datasets,
    comparison: pd.DataFrame | None,
    counties: pd.DataFrame,
) -> str:
    """The planner-readable report; `comparison` and `counties` are the tables written beside it."""
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
    lines += targets_section(result.targets, scenario)
    lines += _ambulance_section(result, scenario, data)
    lines += _subcentre_section(result, scenario, names)
    lines += _county_section(counties, scenario, data)
    lines += _allocation_section(result, scenario)
    lines += stock_changes_section(result, sorted(scenario.resources))
    lines += facility_rules_section(result)
    if result.features is not None:
        lines += features_section(result, scenario)
    if comparison is not None:
        lines += _comparison_section(comparison)
    lines += _coverage_section(result)
    lines += _cost_section(result)
    lines += _estimates_section(result, scenario, data)
    lines += _scope_section(scenario)
    lines += plan_entries_section(result.plan_entries)
    return "\n".join(lines) + "\n"


def _ambulance_section(result: PlanResult, scenario: Scenario, data: Datasets) -> list[str]:
    settings = scenario.ambulances
    if settings is None:
        return []
    population = data.total_population
    plan_reading = area_fleet_required(settings, data)
    other_reading = fleet_required(settings, population, settings.alternative_base_multiplier)
    fleet = int(result.allocation["ambulances"].sum())
    bases = result.allocation[result.allocation["ambulances"] > 0]
    if settings.base_multiplier_by_county:
        names = dict(zip(data.counties["county_code"].astype(str), data.counties["county_name"], strict=True))
        rule = "each county at its own bases: " + ", ".join(
            f"{names.get(c, c)} {settings.base_multiplier_by_county[c]:g}× → {n}"
            for c, n in county_fleet_required(settings, data).items()
        )
    else:
        rule = f"{settings.base_multiplier:g} × residents"
    radius = (
        f"Every town within {settings.urban_radius_km:g} km (urban) / {settings.rural_radius_km:g} km (rural) of a "
        f"base holding a vehicle ({'a hard rule' if settings.radius_hard else 'coverage only'}); "
        f"{settings.rural_preferred_radius_km:g} km rural preferred in the coverage term."
    )
    if settings.response_mean_max_min is not None:
        radius += f" Mean response at most {settings.response_mean_max_min:g} min (row `ambulance_response_mean`)."
    return [
        "## Ambulances",
        "",
        f"Fleet rule (scenario reading): 1 vehicle per {settings.per_population:,} of {rule}, "
        f"+ {settings.extra_special_vehicles} special → **{plan_reading}** vehicles. The other reading "
        f"(base × {settings.alternative_base_multiplier:g}) would require **{other_reading}**. Planned fleet: "
        f"**{fleet}** at {len(bases)} bases. {radius}",
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


def _county_section(table: pd.DataFrame, scenario: Scenario, data: Datasets) -> list[str]:
    if len(data.counties) < 2:
        return []
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


def _estimates_section(result: PlanResult, scenario: Scenario, data: Datasets) -> list[str]:
    lines = ["## Estimated values", "", "Data:"]
    lines += [f"- {note}" for note in data.estimated_fields()]
    if result.demand_points:
        lines.append(
            f"- where residents live below the township seat: {result.demand_points} demand points, "
            f"{result.demand_method} (`demand.csv`, `population_estimated`/`location_estimated`; decision A40)"
        )
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
