"""The `whatif` and `diff` commands, registered on the main typer app by `optimizer/cli/commands.py`.

    optimizer whatif SCENARIO --out DIR [--budget 60%..160% | --param FIELD=LOW..HIGH] [--steps N]
                     [--sequential [--no-warm-start]] [--scheduler ADDRESS] [--workers N]
                     [--strategy reuse|independent] [--lang zh|en]
    optimizer diff RUN_A RUN_B [--out FILE] [--scenario FILE]

Only this module and cli.py print; the library logs. The progress bar follows levels as they finish.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from enum import Enum, StrEnum
from pathlib import Path
from typing import Annotated, Any, cast

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table
from rich.text import Text

from models.outcome import SolveOutcome
from optimizer.cli.console import console, error_console
from optimizer.cli.exit_codes import ExitCode
from optimizer.cli.options import OutOption, ScenarioArg, SolverOption, TimeLimitOption, solver_for
from optimizer.errors import PlannerError
from optimizer.inputs.run_inputs import scenario_inputs
from optimizer.inputs.scenario_loading import load_scenario
from optimizer.outputs.diff import diff_inputs, diff_runs, is_diff_table, load_run
from optimizer.outputs.files import csv_bytes
from optimizer.outputs.folders import output_folder, write_output_file
from optimizer.outputs.labels import DEFAULT_LANG, LANGS, Lang, format_money, label
from optimizer.outputs.tradeoff import write_sweep
from optimizer.pipeline import prepare
from optimizer.whatif.levels import (
    BASE_ONLY_INDEX,
    LevelOptions,
    LevelOutcome,
    SweepOptionError,
    budget_levels,
    levels_to_solve,
    param_levels,
)
from optimizer.whatif.sweep import SweepResult, run_sweep

DEFAULT_BUDGET_RANGE = "60%..160%"
Language = Enum("Language", {lang: lang for lang in LANGS}, type=str)  # type: ignore[misc]
"""The `--lang` choices (optimizer.outputs.labels.LANGS): zh (default) or en."""
DEFAULT_LANGUAGE = Language(DEFAULT_LANG)


class SweepStrategy(StrEnum):
    """The `--strategy` choices (optimizer/whatif/sweep.py)."""

    reuse = "reuse"
    independent = "independent"


def register(app: typer.Typer, *, fail: Callable[[PlannerError], typer.Exit]) -> None:
    """Add `whatif` and `diff` to `app`; `fail` turns a PlannerError into the CLI's one-line exit."""

    @app.command()
    def whatif(
        scenario: ScenarioArg,
        out: OutOption,
        budget: Annotated[
            str | None,
            typer.Option(
                "--budget",
                help="budget range: 60%..160% of the scenario budget, or 300e6..900e6 CNY "
                f"(default {DEFAULT_BUDGET_RANGE} when --param is not given)",
            ),
        ] = None,
        param: Annotated[
            str | None,
            typer.Option(
                "--param",
                help="another scenario field instead of the budget, e.g. subcentres.count=4..8 "
                "or ambulances.rural_radius_km=10..25",
            ),
        ] = None,
        steps: Annotated[
            int | None,
            typer.Option("--steps", min=1, help="number of levels (default 21; integer fields: every whole number)"),
        ] = None,
        sequential: Annotated[
            bool,
            typer.Option("--sequential", help="plain loop instead of Dask; each level warm-starts from the previous"),
        ] = False,
        warm_start: Annotated[
            bool,
            typer.Option(
                "--warm-start/--no-warm-start",
                help="with --sequential --strategy independent: MIP start from the previous level",
            ),
        ] = True,
        scheduler: Annotated[
            str | None,
            typer.Option("--scheduler", help="address of a running Dask scheduler (default: a local cluster)"),
        ] = None,
        workers: Annotated[
            int | None,
            typer.Option("--workers", min=1, help="local cluster workers (default: the CPU cores available)"),
        ] = None,
        strategy: Annotated[
            SweepStrategy,
            typer.Option(
                "--strategy",
                help="reuse (budget sweeps: few solves, one model per task, plans shared above a solved "
                "level's least cost) or independent (every level a plan of its own)",
            ),
        ] = SweepStrategy.reuse,
        solver: SolverOption = None,
        time_limit: TimeLimitOption = None,
        greedy: Annotated[bool, typer.Option("--greedy/--no-greedy", help="greedy siting baseline")] = True,
        duals: Annotated[bool, typer.Option("--duals/--no-duals", help="LP duals of the budget")] = True,
        lang: Annotated[
            Language, typer.Option("--lang", help="language of whatif.md, tradeoff.png and the table")
        ] = DEFAULT_LANGUAGE,
    ) -> None:
        """Re-solve the plan across budgets (or another parameter); write sweep.parquet/.csv and tradeoff.png.

        Exit code (README.md): 6 when a level fails verification, 3 when a level is feasible_with_gap,
        4 / 5 when no level has a plan (all infeasible / solver failures), else 0; infeasible levels
        among solved ones are part of the answer (their row says so).
        """
        try:
            if budget is not None and param is not None:
                raise SweepOptionError("--budget and --param: sweep one thing at a time; drop one of them")
            settings = solver_for(scenario, solver, time_limit)
            prepared = prepare(scenario, solver=settings)
            if param is not None:
                spec = param_levels(param, steps=steps, scenario=prepared.scenario)
            else:
                spec = budget_levels(
                    budget or DEFAULT_BUDGET_RANGE,
                    steps=21 if steps is None else steps,
                    scenario_budget_cny=prepared.scenario.budget.budget_cny.value,
                )
            options = LevelOptions(solver=settings, greedy=greedy, duals=duals)
            where = "sequential" if sequential else (scheduler or "local Dask cluster")
            staged = output_folder(out, scenario_inputs(scenario), command="whatif")  # checked and locked first
            bar = Progress(
                TextColumn("[bold]{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                TimeElapsedColumn(),
                console=console,
                transient=False,
            )
            solves = len(levels_to_solve(spec)[1])  # the levels, and the scenario's own value if not one of them
            with staged as staging, bar as progress:
                task = progress.add_task(f"{spec.parameter} × {len(spec.values)} ({where})", total=solves)

                def advance(outcome: LevelOutcome) -> None:
                    progress.advance(task)
                    index = outcome.level.index
                    progress.console.log(
                        f"{'base (scenario value)' if index == BASE_ONLY_INDEX else f'level {index}'}: "
                        f"{spec.parameter}={outcome.level.value:,.6g} {_outcome_cell(outcome.row)}"
                    )

                result = run_sweep(
                    scenario,
                    spec,
                    mode="sequential" if sequential else "dask",
                    scheduler=scheduler,
                    n_workers=workers,
                    warm_start=warm_start,
                    options=options,
                    on_level=advance,
                    strategy=strategy.value,
                    chunks=workers,
                )
                written = write_sweep(result, scenario, staging, lang=cast(Lang, lang.value))
        except PlannerError as error:
            raise fail(error) from None
        _print_sweep(result, cast(Lang, lang.value), out)
        console.print(
            f"{len(written)} files in {out} ({result.mode}, {result.workers} worker(s), "
            f"{result.seconds:.1f} s{', warm starts' if result.warm_start else ''})"
        )
        code = sweep_exit_code(result)
        if code is not ExitCode.OK:
            error_console.print(
                Text(
                    f"exit {int(code)} ({code.name.lower()}): see the outcome and gap columns of {out}/sweep.csv",
                    style="yellow",
                )
            )
            raise typer.Exit(code=int(code))

    @app.command()
    def diff(
        run_a: Annotated[Path, typer.Argument(help="run folder A (written by `optimizer run --out`)")],
        run_b: Annotated[Path, typer.Argument(help="run folder B")],
        out: Annotated[Path | None, typer.Option("--out", help="write every change to this CSV file")] = None,
        scenario: Annotated[
            Path | None,
            typer.Option("--scenario", help="scenario for unit costs (default: the one in A's manifest.json)"),
        ] = None,
        limit: Annotated[int, typer.Option("--limit", help="rows shown in the terminal")] = 60,
    ) -> None:
        """Show what changed from run A to run B per facility, town and target, with cost and coverage."""
        try:
            a, b = load_run(run_a), load_run(run_b)
            result = diff_runs(a, b, scenario=load_scenario(scenario) if scenario else None)
            if out is not None:
                write_output_file(out, diff_inputs(a, b, scenario), csv_bytes(result.changes), is_ours=is_diff_table)
        except PlannerError as error:
            raise fail(error) from None
        totals = Table(title=f"{run_a} → {run_b}")
        for column in ("quantity", "A", "B", "change"):
            totals.add_column(column, justify="left" if column == "quantity" else "right")
        for row in result.totals.itertuples(index=False):
            totals.add_row(str(row.quantity), _fmt(row.a), _fmt(row.b), _signed(row.change))
        console.print(totals)
        if result.is_empty:
            console.print("[green]no differences[/green]: every allocation, coverage flag and target is the same")
            return
        changes = Table(title=f"{len(result.changes)} change(s)")
        for column in ("kind", "id", "name", "item", "A", "B", "change", "cost Δ CNY", "population Δ"):
            changes.add_column(
                column, justify="right" if column in ("A", "B", "change", "cost Δ CNY", "population Δ") else "left"
            )
        for row in result.changes.head(limit).itertuples(index=False):
            changes.add_row(
                str(row.kind),
                str(row.id),
                str(row.name),
                str(row.item),
                _fmt(row.a),
                _fmt(row.b),
                _signed(row.change),
                _signed(row.cost_change_cny),
                _signed(row.population_change),
            )
        console.print(changes)
        if len(result.changes) > limit:
            console.print(f"… {len(result.changes) - limit} more rows" + (f" in {out}" if out else "; use --out"))
        cost = result.changes["cost_change_cny"].sum(min_count=1)
        people = result.changes["population_change"].sum(min_count=1)
        console.print(
            f"facility changes at unit cost: {_signed(cost)} CNY; coverage: {_signed(people)} resident-standards"
        )


def sweep_exit_code(result: SweepResult) -> ExitCode:
    """The exit code of a finished sweep from its outcome and violations columns."""
    table = result.table
    outcomes = set(table["outcome"]) if "outcome" in table else set()
    if "violations" in table and (table["violations"].fillna(0) > 0).any():
        return ExitCode.VERIFICATION
    if SolveOutcome.FEASIBLE_GAP.value in outcomes:
        return ExitCode.FEASIBLE_GAP
    if SolveOutcome.OPTIMAL.value not in outcomes:
        return ExitCode.INFEASIBLE if outcomes == {SolveOutcome.INFEASIBLE.value} else ExitCode.SOLVER
    return ExitCode.OK


def _outcome_cell(row: dict[str, object]) -> str:
    """The outcome, with the relative gap when the level is not proven optimal."""
    outcome, gap = str(row["outcome"]), row.get("gap")
    if outcome == SolveOutcome.FEASIBLE_GAP.value:
        return f"{outcome} (gap {gap:.1%})" if isinstance(gap, float) and not math.isnan(gap) else outcome
    return outcome


def _fmt(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{value:,.6g}"


def _signed(value: object) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{value:+,.6g}"


_COLUMNS = (
    ("whatif_col_outcome", "left"),
    ("whatif_col_targets", "right"),
    ("whatif_col_cost", "right"),
    ("whatif_col_covered", "right"),
    ("whatif_col_changes", "right"),
    ("whatif_col_gain", "right"),
    ("whatif_col_next", "left"),
)
"""The terminal table's columns after the value (label key, justification); the rest is in sweep.csv."""


def _print_sweep(result: SweepResult, lang: Lang, out: Path) -> None:
    """One line per level, short headers, cells folded instead of cut; every column is in sweep.csv."""
    table = result.table
    spec = result.spec
    view = Table(title=f"{spec.parameter}: {len(table)} levels", caption=f"{out}/sweep.csv, {out}/changes.csv")
    first = label("budget", lang) if spec.is_budget else label("whatif_value", lang)
    view.add_column(first, justify="right", overflow="fold", no_wrap=False)
    for key, justify in _COLUMNS:
        view.add_column(label(key, lang), justify=cast(Any, justify), overflow="fold", no_wrap=False)
    changes: dict[Any, int] = result.changes.groupby("level").size().to_dict() if not result.changes.empty else {}
    # to_dict types column labels as Hashable; the sweep table's are strings
    for row in cast(list[dict[str, Any]], table.to_dict("records")):
        covered = (
            row.get("covered_population", math.nan) / row.get("population", math.nan) * 100
            if "population" in row
            else math.nan
        )
        value = float(row["value"])
        view.add_row(
            format_money(value, lang) if spec.is_budget else f"{value:g}",
            _outcome_cell(row),
            f"{row.get('targets_met', '')}/{row.get('targets_total', '')}",
            format_money(float(row.get("cost_cny", math.nan)), lang),
            f"{covered:.1f}" if math.isfinite(covered) else "",
            str(changes.get(row["level"], 0)) if result.base is not None else "",
            _fmt4(row.get("objective_gain_per_1m_cny", math.nan)),
            str(row.get("next_yuan_to", "")),
        )
    console.print(view)


def _fmt4(value: object) -> str:
    """A marginal value to four significant digits ('' when undefined)."""
    if not isinstance(value, int | float) or math.isnan(value):
        return ""
    return f"{value:,.4g}"
