"""Arguments, options, option checks and endings shared by the commands (`run`, `whatif`, `compare`,
`audit`); typer names the option in its error."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Annotated

import typer
from rich.text import Text

from optimizer.cli.console import error_console
from optimizer.cli.exit_codes import ExitCode
from optimizer.inputs.scenario_loading import load_scenario
from optimizer.inputs.solver_settings import SolverName, SolverSettings

ScenarioArg = Annotated[Path, typer.Argument(help="scenario .toml file", show_default=False)]
OutOption = Annotated[Path, typer.Option("--out", help="output folder (not an input folder)")]


def exit_not_proven(what: str) -> typer.Exit:
    """Warn that `what` is not proven optimal and return the exit (code 3) for the caller to raise."""
    error_console.print(Text(f"warning: {what}; raise solver.time_limit_s or lower solver.mip_rel_gap", style="yellow"))
    return typer.Exit(code=int(ExitCode.FEASIBLE_GAP))


def check_time_limit(value: float | None) -> float | None:
    """`--time-limit`: a finite number of seconds above zero (rejects -5, 0, nan and inf)."""
    if value is not None and not (math.isfinite(value) and value > 0):
        raise typer.BadParameter(f"{value!r}: give a finite number of seconds above 0, e.g. --time-limit 60")
    return value


SolverOption = Annotated[SolverName | None, typer.Option(help="override the scenario's solver")]
TimeLimitOption = Annotated[
    float | None,
    typer.Option("--time-limit", help="seconds per solve; overrides the scenario", callback=check_time_limit),
]
"""`--time-limit`, checked by `check_time_limit` (a sweep solves each level once)."""


def solver_for(scenario: Path, solver: SolverName | None, time_limit_s: float | None) -> SolverSettings:
    """The scenario's solver settings with `--solver` and `--time-limit` applied where given: the CLI
    option wins over the scenario file, which wins over the defaults."""
    overrides = {k: v for k, v in {"name": solver, "time_limit_s": time_limit_s}.items() if v is not None}
    return load_scenario(scenario).solver.model_copy(update=overrides)
