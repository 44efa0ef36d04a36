"""The levels of a what-if sweep: the swept parameter and its values, read from `--budget` / `--param`
/ `--steps`, and the scenario at one level (re-validated); also what each level computes and returns.

A sweep is one scenario and one swept parameter — the budget (`--budget 60%..160%` of the scenario's
budget, or `300e6..900e6` CNY) or any numeric scenario field (`--param subcentres.count=4..8`,
`--param ambulances.rural_radius_km=10..25`) — at evenly spaced levels, solved in ascending order.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import ValidationError

from optimizer.errors import PlannerError, Problem, ScenarioError
from optimizer.inputs.scenario import Scenario
from optimizer.inputs.solver_settings import SolverSettings
from optimizer.pipeline import PreparedScenario

if TYPE_CHECKING:
    from optimizer.solving.solve import SolveReport
    from optimizer.whatif.changes import LevelSnapshot

BUDGET_PARAMETER = "budget.budget_cny"
DEFAULT_STEPS = 21


class SweepOptionError(PlannerError):
    """A sweep option (--budget, --param, --steps) cannot be read; the message says how to write it."""


@dataclass(frozen=True)
class SweepSpec:
    """The swept parameter (dotted scenario path) and its levels, ascending."""

    parameter: str
    values: tuple[float, ...]
    """The levels in the parameter's own unit (CNY for the budget), ascending; whole numbers when the
    parameter takes whole numbers (a count of sub-centres)."""
    baseline: float
    """The scenario's own value, marked in the tables and the trade-off chart."""

    @property
    def is_budget(self) -> bool:
        """True for budget sweeps (finite differences per 1 M CNY apply)."""
        return self.parameter == BUDGET_PARAMETER


@dataclass(frozen=True)
class Level:
    """One level of a sweep: its position and the value of the swept parameter."""

    index: int
    """Position in the sweep (0 = the lowest level); results are sorted by it."""
    parameter: str
    value: float


@dataclass(frozen=True)
class LevelOptions:
    """What to compute at each level besides the plan."""

    solver: SolverSettings | None = None
    greedy: bool = True
    duals: bool = True
    keep_solution: bool = False


@dataclass(frozen=True)
class PhaseOne:
    """What the least-cost phase (1) of a `targets_only` solve fixed for the placement phase (2): the least cost
    C₁, the requirement part T(x₁) of its plan (shortfall and coverage) and the upper bounds at which it held the
    shortfall variables (each lower bound follows from the same value, optimizer/solving/spend.py). Two solves with
    equal `PhaseOne` hand phase (2) the same feasible set (optimizer/whatif/reuse.py)."""

    least_cost_cny: float
    requirement: float
    caps: dict[str, float | None]


@dataclass(frozen=True)
class LevelOutcome:
    """One solved level: its flat table row, cost by item, (chained runs) the solution values and the solver's
    report, and the compact tables its changes against the base are computed from (None when the level has no
    plan)."""

    level: Level
    row: dict[str, Any]
    costs: dict[str, float]
    solution: dict[str, float] | None = None
    snapshot: LevelSnapshot | None = None
    report: SolveReport | None = None
    phase_one: PhaseOne | None = None


# ---------------------------------------------------------------- option parsing

_NUMBER = r"[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][-+]?\d+)?"
_RANGE = re.compile(rf"^\s*({_NUMBER})\s*(%?)\s*\.\.\s*({_NUMBER})\s*(%?)\s*$")


def _parse_range(text: str, option: str, example: str) -> tuple[float, float, bool]:
    match = _RANGE.match(text)
    if match is None:
        raise SweepOptionError(f"{option} '{text}': expected LOW..HIGH, e.g. {example}; write both ends with two dots")
    low, low_pct, high, high_pct = match.groups()
    if bool(low_pct) != bool(high_pct):
        raise SweepOptionError(f"{option} '{text}': give both ends in % or both as amounts, e.g. {example}")
    lo, hi = float(low), float(high)
    if not (math.isfinite(lo) and math.isfinite(hi)) or lo > hi:
        raise SweepOptionError(f"{option} '{text}': LOW must not exceed HIGH, e.g. {example}")
    return lo, hi, bool(low_pct)


def _spaced(low: float, high: float, steps: int, *, integer: bool, option: str) -> tuple[float, ...]:
    if steps < 1:
        raise SweepOptionError(f"--steps {steps}: give at least 1 level (e.g. --steps 21)")
    values = [low] if steps == 1 or low == high else list(np.linspace(low, high, steps))
    if integer:
        values = sorted({float(round(v)) for v in values})
        if any(not float(v).is_integer() for v in (low, high)):
            raise SweepOptionError(f"{option}: this field takes whole numbers; give integer ends, e.g. 4..8")
    return tuple(float(v) for v in values)


def budget_levels(text: str, *, steps: int, scenario_budget_cny: float) -> SweepSpec:
    """Budget levels from `60%..160%` (of the scenario's budget) or `300e6..900e6` (CNY).

    Raises
    ------
    SweepOptionError
        Naming `--budget` and the form to use.
    """
    example = "60%..160% (of the scenario budget) or 300e6..900e6 (CNY)"
    low, high, relative = _parse_range(text, "--budget", example)
    if relative:
        low, high = low / 100.0 * scenario_budget_cny, high / 100.0 * scenario_budget_cny
    if low < 0:
        raise SweepOptionError(f"--budget '{text}': a budget cannot be negative; e.g. {example}")
    values = _spaced(low, high, steps, integer=False, option="--budget")
    return SweepSpec(BUDGET_PARAMETER, tuple(round(v, 2) for v in values), scenario_budget_cny)


def param_levels(text: str, *, steps: int | None, scenario: Scenario) -> SweepSpec:
    """Levels of another scenario field from `section.field=LOW..HIGH`, e.g. `subcentres.count=4..8`.

    Integer fields default to every whole number in the range; real fields to `DEFAULT_STEPS` levels
    unless `steps` is given. A field holding an amount with a citation (`{value, source}`) sweeps
    its `value`.

    Raises
    ------
    SweepOptionError
        When the text is malformed, the field does not exist, or is not a number.
    """
    example = "subcentres.count=4..8 or ambulances.rural_radius_km=10..25"
    if "=" not in text:
        raise SweepOptionError(f"--param '{text}': expected FIELD=LOW..HIGH, e.g. {example}")
    path, _, span = text.partition("=")
    path = path.strip()
    current = _field_value(scenario.model_dump(), path.split("."), f"--param '{text}'")
    low, high, relative = _parse_range(span, f"--param {path}", example)
    if relative:
        low, high = low / 100.0 * current, high / 100.0 * current
    integer = isinstance(current, int) and not isinstance(current, bool)
    count = steps if steps is not None else (int(high - low) + 1 if integer else DEFAULT_STEPS)
    values = _spaced(low, high, count, integer=integer, option=f"--param {path}")
    parameter = path if not path.endswith(".value") else path.removesuffix(".value")
    return SweepSpec(parameter, values, float(current))


def _field_value(raw: Mapping[str, Any], parts: Sequence[str], label: str) -> float:
    node: Any = raw
    for depth, part in enumerate(parts):
        if not isinstance(node, Mapping) or part not in node:
            where = ".".join(parts[:depth]) or "the scenario"
            known = ", ".join(sorted(node)) if isinstance(node, Mapping) else "(not a table)"
            raise SweepOptionError(f"{label}: '{part}' is not a field of {where} (fields: {known})")
        node = node[part]
        if node is None:
            section = ".".join(parts[: depth + 1])
            raise SweepOptionError(f"{label}: the scenario has no [{section}] section to vary")
    if isinstance(node, Mapping) and "value" in node:
        node = node["value"]
    if isinstance(node, bool) or not isinstance(node, int | float):
        raise SweepOptionError(f"{label}: {'.'.join(parts)} is not a number ({node!r}); pick a numeric field")
    return node


def levels_of(spec: SweepSpec) -> tuple[Level, ...]:
    """The levels of a spec, numbered in ascending order."""
    return tuple(Level(i, spec.parameter, v) for i, v in enumerate(spec.values))


BASE_ONLY_INDEX = -1
"""Index of the scenario's own value when it is not one of the levels: solved beside the sweep as the base
of changes.csv, not a row of sweep.csv."""


def base_level(spec: SweepSpec, levels: Sequence[Level]) -> Level:
    """The level at the scenario's own value (to the cent for a budget): one of `levels`, or a level of
    its own with index `BASE_ONLY_INDEX`."""
    for level in levels:
        if math.isclose(level.value, spec.baseline, rel_tol=1e-12, abs_tol=0.005):
            return level
    return Level(BASE_ONLY_INDEX, spec.parameter, spec.baseline)


def levels_to_solve(spec: SweepSpec) -> tuple[Level, tuple[Level, ...]]:
    """The base level and every level a sweep solves: the base-only level first when there is one (so the
    levels after it are reduced to their changes at once), then the sweep's levels ascending."""
    levels = levels_of(spec)
    base = base_level(spec, levels)
    return base, levels if base in levels else (base, *levels)


# ---------------------------------------------------------------- the scenario at a level


def scenario_at(scenario: Scenario, level: Level, path: Path) -> Scenario:
    """The scenario with the swept field set to the level's value, re-validated.

    Raises
    ------
    ScenarioError
        When the value breaks a scenario rule (e.g. fewer sub-centres than the plan names).
    """
    raw = scenario.model_dump()
    parts = level.parameter.split(".")
    node = raw
    for part in parts[:-1]:
        node = node[part]
    value: float | int = int(level.value) if isinstance(node[parts[-1]], int) else level.value
    if isinstance(node[parts[-1]], Mapping):
        node[parts[-1]]["value"] = value
    else:
        node[parts[-1]] = value
    try:
        return Scenario.model_validate(raw)
    except ValidationError as exc:
        problems = [
            Problem(
                path,
                f"{level.parameter}={level.value:g} → " + ".".join(str(p) for p in e["loc"]),
                f"{e['msg']}; narrow the sweep range",
            )
            for e in exc.errors()
        ]
        raise ScenarioError(problems) from None


def check_levels(prepared: PreparedScenario, levels: Sequence[Level]) -> None:
    """Validate every level's scenario before any solve; report all bad levels at once.

    Raises
    ------
    ScenarioError
        Listing each level whose value breaks a scenario rule.
    """
    problems: list[Problem] = []
    for level in levels:
        try:
            scenario_at(prepared.scenario, level, prepared.path)
        except ScenarioError as error:
            problems.extend(error.problems)
    if problems:
        raise ScenarioError(problems)
