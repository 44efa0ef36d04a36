"""Command-line interface: parse options, set up logging, call the pipeline, print results.

Every planner-facing error (`PlannerError`) becomes one clear message, printed literally (never
parsed as rich markup), and the exit code of optimizer/cli/exit_codes.py, without a traceback. A plan
solved but not proven optimal is written and exits 3. Precedence of settings: CLI option, then
scenario file, then defaults.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from rich.text import Text

from models.outcome import SolveOutcome
from optimizer.cli.console import configure_logging, console, error_console
from optimizer.cli.exit_codes import ExitCode, exit_code_for
from optimizer.cli.options import OutOption, ScenarioArg, SolverOption, TimeLimitOption, exit_not_proven, solver_for
from optimizer.errors import InputError, PlannerError
from optimizer.inputs.run_inputs import Inputs, scenario_inputs
from optimizer.outputs.compare import compare_plans
from optimizer.outputs.compare import markdown as comparison_markdown
from optimizer.outputs.files import atomic_write_csv, atomic_write_text
from optimizer.outputs.folders import output_folder
from optimizer.outputs.geo_report import GeoInputs
from optimizer.outputs.labels import Lang
from optimizer.outputs.report import write_outputs
from optimizer.pipeline import plan_scenario, prepare
from optimizer.rerender import rerender
from optimizer.solving.results import PlanResult

app = typer.Typer(add_completion=False, no_args_is_help=True, help="Plan beds, staff, ambulances and sub-centres.")


@app.callback()
def main(verbose: Annotated[bool, typer.Option("--verbose", "-v", help="debug logging")] = False) -> None:
    """County health-resource planner."""
    configure_logging(verbose=verbose)


def _fail(error: PlannerError) -> typer.Exit:
    """Print the error literally (values such as `[1,2]` are not markup) and return its exit code."""
    lines = [str(p) for p in error.problems] if isinstance(error, InputError) else [str(error)]
    for line in lines:
        error_console.print(Text("error ", style="red") + Text(line), highlight=False, soft_wrap=True)
    return typer.Exit(code=int(exit_code_for(error)))


def outcome_label(outcome: SolveOutcome, gap: float | None) -> str:
    """`optimal` or `feasible_with_gap (gap 48.0 %)`: how titles and reports name a solve."""
    if outcome is SolveOutcome.FEASIBLE_GAP:
        shown = "unknown" if gap is None else f"{gap:.1%}"
        return f"{outcome.value} (gap {shown}, not proven optimal)"
    return str(outcome.value)


@app.command()
def check(scenario: ScenarioArg) -> None:
    """Validate a scenario and its data; print every problem as `file: field: message`."""
    try:
        prepared = prepare(scenario)
    except PlannerError as error:
        raise _fail(error) from None
    console.print(
        f"[green]ok[/green] {scenario}: {len(prepared.scenario.targets)} targets, "
        f"{len(prepared.data.townships)} townships, {len(prepared.data.facilities)} facilities"
    )


@app.command()
def run(
    scenario: ScenarioArg,
    out: OutOption,
    solver: SolverOption = None,
    time_limit: TimeLimitOption = None,
    lang: Annotated[Lang, typer.Option("--lang", help="language of report.html, report.docx, results.xlsx")] = "zh",
) -> None:
    """Solve a scenario, verify the result and write the outputs to --out.

    Exits 0 when the plan is proven optimal, 3 when it is written but not proven optimal (README.md).
    """
    try:
        prepared = prepare(scenario, solver=solver_for(scenario, solver, time_limit))
        with output_folder(out, scenario_inputs(scenario), command="run") as staging:  # checked and locked first
            with console.status(f"solving {prepared.scenario.scenario.id} …"):
                result = plan_scenario(prepared)
            geography = GeoInputs(prepared.scenario, prepared.data, prepared.matrix, result.allocation, prepared.road)
            written = write_outputs(result, geography, scenario, staging, lang=lang)
    except PlannerError as error:
        raise _fail(error) from None
    shown = outcome_label(result.solve.outcome, result.solve.gap)
    if result.solve.outcome is SolveOutcome.OPTIMAL and result.solve.gap is not None:
        shown += f", gap {result.solve.gap:.1e}"
    table = Table(title=f"{prepared.scenario.scenario.name_zh}: {shown}, {result.solve.seconds:.1f} s")
    for column in ("target", "goal", "achieved", "met"):
        table.add_column(column)
    for row in result.targets.itertuples(index=False):
        table.add_row(
            str(row.indicator),
            f"{row.bound} {row.target:g}",
            f"{row.achieved:.4g}",
            "[green]met[/green]" if row.met else f"[red]missed by {row.gap:.4g}[/red]",
        )
    console.print(table)
    least = result.cost_to_meet_targets_cny
    console.print(
        f"cost {result.total_cost_cny:,.0f} of budget {result.budget_cny:,.0f} CNY"
        + (f" (least cost that meets the plan: {least:,.0f}; spend = {result.spend})" if least is not None else "")
        + f"; {len(written)} files in {out}"
    )
    if result.solve.outcome is not SolveOutcome.OPTIMAL:
        raise exit_not_proven(f"the plan is {outcome_label(result.solve.outcome, result.solve.gap)}")


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
    """Solve each scenario and write one table of every plan's targets (rows) by plan (columns).

    Exits with the first failure's code when no scenario could be planned, 3 when a plan is not proven
    optimal, else 0 (a failed scenario among planned ones shows as `not run: …` in its column).
    """
    results: dict[str, PlanResult | str] = {}
    failures: list[PlannerError] = []
    inputs = Inputs()
    for path in scenarios:
        inputs |= scenario_inputs(path)
    try:
        with output_folder(out, inputs, command="compare") as staging:  # checked and locked before solving
            for path in scenarios:
                try:
                    prepared = prepare(path)
                    with console.status(f"solving {prepared.scenario.scenario.id} …"):
                        results[prepared.scenario.scenario.id] = plan_scenario(prepared)
                except PlannerError as error:
                    failures.append(error)
                    results[path.stem] = " ".join(str(error).split())[:300]
            if len(failures) == len(scenarios):  # nothing to compare: exit non-zero, write nothing
                for failure in failures[1:]:
                    error_console.print(
                        Text("not run ", style="yellow") + Text(" ".join(str(failure).split())), soft_wrap=True
                    )
                raise failures[0]
            table = compare_plans(results)
            atomic_write_csv(staging / "compare.csv", table)
            atomic_write_text(staging / "compare.md", comparison_markdown(table))
    except PlannerError as error:
        raise _fail(error) from None
    ran = sum(not isinstance(r, str) for r in results.values())
    console.print(f"{len(table)} indicators × {ran} of {len(results)} plans → {out}/compare.csv, compare.md")
    for failure in failures:
        error_console.print(Text("not run ", style="yellow") + Text(" ".join(str(failure).split())), soft_wrap=True)
    gapped = [
        plan for plan, r in results.items() if isinstance(r, PlanResult) and r.solve.outcome is not SolveOutcome.OPTIMAL
    ]
    if gapped:
        error_console.print(Text(f"warning: not proven optimal: {', '.join(gapped)}", style="yellow"))
        raise typer.Exit(code=int(ExitCode.FEASIBLE_GAP))


@app.command()
def serve(
    port: Annotated[int, typer.Option("--port", min=1, max=65535, help="port on 127.0.0.1")] = 8765,
    workspace: Annotated[
        Path, typer.Option("--workspace", help="the planner's folder: saved plans, runs, sweeps (made if absent)")
    ] = Path("workbench"),
    no_browser: Annotated[bool, typer.Option("--no-browser", help="do not open the browser")] = False,
) -> None:
    """Start the planner's workbench (a page in Chinese) on http://127.0.0.1:PORT/ (docs/workbench.md)."""
    from optimizer.workbench.server import serve as serve_workbench  # the web stack loads only for this command

    console.print(f"workbench on http://127.0.0.1:{port}/ (workspace {workspace.resolve()}); Ctrl+C stops it")
    serve_workbench(workspace, port=port, open_browser=not no_browser)


# `whatif` (budget and parameter sweeps, local or on Dask) and `diff` (two run folders) live in cli_whatif.
from optimizer.cli.whatif import register as _register_whatif  # noqa: E402

_register_whatif(app, fail=_fail)

# `audit` (what must change in a plan's own bed table) lives in optimizer/cli/audit.py.
from optimizer.cli.audit import register as _register_audit  # noqa: E402

_register_audit(app, fail=_fail)
