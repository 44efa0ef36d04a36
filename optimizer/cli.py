"""Command-line interface: parse options, set up logging, call the pipeline, print results.

Every planner-facing error (`PlannerError`) becomes one clear message and exit code 1, without a
traceback. Precedence of settings: CLI option, then scenario file, then defaults.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from optimizer.compare import compare_plans
from optimizer.compare import markdown as comparison_markdown
from optimizer.console import configure_logging, console, error_console
from optimizer.errors import InputError, PlannerError
from optimizer.geo_report import rerender
from optimizer.outputs import atomic_write_csv, atomic_write_text, check_output_folder, staged_folder
from optimizer.pipeline import plan_scenario, prepare
from optimizer.report import write_outputs
from optimizer.results import PlanResult
from optimizer.scenario import load_scenario
from optimizer.solve import SolverName

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Plan beds, staff, ambulances and sub-centres.")

ScenarioArg = Annotated[Path, typer.Argument(help="scenario .toml file", show_default=False)]


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="debug logging")] = False) -> None:
    """County health-resource planner."""
    configure_logging(verbose=verbose)


def _fail(error: PlannerError) -> typer.Exit:
    if isinstance(error, InputError):
        for problem in error.problems:
            error_console.print(f"[red]error[/red] {problem}", markup=True, highlight=False, soft_wrap=True)
    else:
        error_console.print(f"[red]error[/red] {error}", markup=True, highlight=False, soft_wrap=True)
    return typer.Exit(code=1)


@app.command()
def check(scenario: ScenarioArg) -> None:
    """Validate a scenario and its data; print every problem as `file: field: message`."""
    try:
        prepared = prepare(scenario)
    except PlannerError as error:
        raise _fail(error) from None
    console.print(f"[green]ok[/green] {scenario}: {len(prepared.scenario.targets)} targets, "
                  f"{len(prepared.data.townships)} townships, {len(prepared.data.facilities)} facilities")


@app.command()
def run(
    scenario: ScenarioArg,
    out: Annotated[Path, typer.Option("--out", help="output folder (not an input folder)")],
    solver: Annotated[SolverName | None, typer.Option(help="override the scenario's solver")] = None,
    time_limit: Annotated[float | None, typer.Option("--time-limit", help="seconds; overrides the scenario")] = None,
) -> None:
    """Solve a scenario, verify the result and write the outputs to --out."""
    try:
        settings = load_scenario(scenario).solver
        overrides = {k: v for k, v in {"name": solver, "time_limit_s": time_limit}.items() if v is not None}
        prepared = prepare(scenario, solver=settings.model_copy(update=overrides))
        out_dir = check_output_folder(out, scenario, prepared.data.paths.values())
        with console.status(f"solving {prepared.scenario.scenario.id} …"):
            result = plan_scenario(prepared)
        with staged_folder(out_dir) as staging:
            written = write_outputs(result, prepared.scenario, prepared.data, scenario, staging,
                                    matrix=prepared.matrix)
    except PlannerError as error:
        raise _fail(error) from None
    table = Table(title=f"{prepared.scenario.scenario.name_zh}: {result.solve.outcome.value}, gap "
                        f"{result.solve.gap:.1e}, {result.solve.seconds:.1f} s")
    for column in ("target", "goal", "achieved", "met"):
        table.add_column(column)
    for row in result.targets.itertuples(index=False):
        table.add_row(str(row.indicator), f"{row.bound} {row.target:g}", f"{row.achieved:.4g}",
                      "[green]met[/green]" if row.met else f"[red]missed by {row.gap:.4g}[/red]")
    console.print(table)
    console.print(f"cost {result.total_cost_cny:,.0f} of budget {result.budget_cny:,.0f} CNY; "
                  f"{len(written)} files in {out_dir}")


@app.command("map")
def map_(
    result_dir: Annotated[Path, typer.Argument(help="--out folder of a finished `run`", show_default=False)],
) -> None:
    """Re-render coverage.gpkg, map.html, map.png and the coverage tables of a finished run."""
    try:
        written = rerender(result_dir)
    except PlannerError as error:
        raise _fail(error) from None
    names = ", ".join(p.name for p in written)
    console.print(f"{len(written)} files re-rendered in {result_dir}: {names}")


@app.command()
def compare(
    scenarios: Annotated[list[Path], typer.Argument(help="scenario .toml files", show_default=False)],
    out: Annotated[Path, typer.Option("--out", help="output folder for compare.csv and compare.md")],
) -> None:
    """Solve each scenario and write one table of every plan's targets (rows) by plan (columns)."""
    results: dict[str, PlanResult | str] = {}
    for path in scenarios:
        try:
            prepared = prepare(path)
            with console.status(f"solving {prepared.scenario.scenario.id} …"):
                results[prepared.scenario.scenario.id] = plan_scenario(prepared)
        except PlannerError as error:
            results[path.stem] = " ".join(str(error).split())[:300]
    table = compare_plans(results)
    try:
        out_dir = check_output_folder(out, scenarios[0], [])
        with staged_folder(out_dir) as staging:
            atomic_write_csv(staging / "compare.csv", table)
            atomic_write_text(staging / "compare.md", comparison_markdown(table))
    except PlannerError as error:
        raise _fail(error) from None
    ran = sum(not isinstance(r, str) for r in results.values())
    console.print(f"{len(table)} indicators × {ran} of {len(results)} plans → {out_dir}/compare.csv, compare.md")


# `whatif` (budget and parameter sweeps, local or on Dask) and `diff` (two run folders) live in cli_whatif.
from optimizer.cli_whatif import register as _register_whatif  # noqa: E402

_register_whatif(app, fail=_fail)
